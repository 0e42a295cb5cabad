"""load_imdb and pad_sequences (gru_edu.imdb.dataset) on tiny archives, Keras as the oracle.

Keras's own ``keras.datasets.imdb.load_data`` is run on the very reviews our
loader read (its download and npz reader stubbed), so the ids, ``num_words``,
``skip_top``, OOV and the seed-113 shuffle are compared with Keras's code, not
with a copy of it. One test reads the real shared archive.
"""


import subprocess
import sys

import numpy as np
import pytest
from imdb_archives import HANDMADE, expected_ranking, keras_load_data, padded_reviews

from gru_edu import imdb
from gru_edu.imdb import (
    OOV,
    PAD,
    START,
    load_imdb,
    load_texts,
    load_vocabulary,
    pad_sequences,
    tokenize,
)


def test_ids_follow_keras_conventions(tiny, load):
    (x_train, y_train), (x_test, y_test) = load.imdb(
        num_words=None, maxlen=None, seed=None, archive=tiny
    )
    ranking = expected_ranking(HANDMADE)
    vocab = load.vocab(num_words=None, archive=tiny)
    assert list(vocab.words) == ranking
    assert vocab.word_index[ranking[0]] == 4 and min(vocab.word_index.values()) == 4
    assert vocab.num_words == len(ranking) + 4
    # canonical order: neg then pos, by review id; pos = 1
    assert list(y_train) == [0, 0, 0, 1, 1, 1] and list(y_test) == [0, 0, 0, 1, 1, 1]
    assert y_train.dtype == np.int32
    first_neg = HANDMADE[("train", "neg")][0]
    assert list(x_train[0]) == [START] + [vocab.word_index[w] for w in tokenize(first_neg)]
    for x in list(x_train) + list(x_test):
        assert x[0] == START and PAD not in x and 3 not in x
    # a test word never seen in training is OOV (Keras would drop it)
    zzz = list(x_test[2])
    assert vocab.decode(zzz) == ["<start>", "<unk>", "<unk>", "bad"]


@pytest.mark.parametrize("num_words,skip_top", [(None, 0), (6, 0), (10, 3), (50, 6), (2, 0)])
def test_num_words_skip_top_oov(tiny, load, num_words, skip_top):
    (full, _), (full_test, _) = load.imdb(num_words=None, maxlen=None, archive=tiny)
    (x, _), (x_test, _) = load.imdb(
        num_words=num_words, skip_top=skip_top, maxlen=None, archive=tiny
    )
    bound = num_words or 10**9
    for a, b in zip(list(full) + list(full_test), list(x) + list(x_test)):
        want = [w if skip_top <= w < bound else OOV for w in a]
        assert list(b) == want
        assert all(w < bound or w == OOV for w in b)


@pytest.mark.parametrize("seed", [113, 7])
@pytest.mark.parametrize("num_words,skip_top", [(1000, 0), (12, 0), (20, 6)])
def test_equals_keras_load_data(keras, monkeypatch, generated, load, seed, num_words, skip_top):
    (raw_train, y_train), (raw_test, y_test) = load.imdb(
        num_words=None, maxlen=None, seed=None, archive=generated
    )
    (kx, ky), (kx_test, ky_test) = keras_load_data(
        monkeypatch, raw_train, y_train, raw_test, y_test,
        num_words=num_words, skip_top=skip_top, seed=seed,
    )
    (x, y), (x_test, y_test2) = load.imdb(
        num_words=num_words, skip_top=skip_top, seed=seed, maxlen=None, archive=generated
    )
    assert [list(a) for a in x] == [list(a) for a in kx]
    assert [list(a) for a in x_test] == [list(a) for a in kx_test]
    assert np.array_equal(y, ky) and np.array_equal(y_test2, ky_test)
    assert not np.array_equal(y, y_train)  # it really was shuffled

    for padding in ("pre", "post"):
        for truncating in ("pre", "post"):
            (xp, _), (xp_test, _) = load.imdb(
                num_words=num_words, skip_top=skip_top, seed=seed, maxlen=9,
                padding=padding, truncating=truncating, archive=generated,
            )
            opts = dict(maxlen=9, padding=padding, truncating=truncating)
            assert xp.dtype == np.int32 and xp.shape == (len(kx), 9)
            assert np.array_equal(xp, keras.utils.pad_sequences(list(kx), **opts))
            assert np.array_equal(xp_test, keras.utils.pad_sequences(list(kx_test), **opts))


def test_seed_113_permutation_is_keras_logic(generated, load):
    (raw, y_raw), (raw_test, y_raw_test) = load.imdb(
        num_words=None, maxlen=None, seed=None, archive=generated
    )
    (x, y), (x_test, y_test) = load.imdb(num_words=None, maxlen=None, archive=generated)
    rng = np.random.RandomState(113)  # keras/src/datasets/imdb.py, verbatim logic
    idx = np.arange(len(raw))
    rng.shuffle(idx)
    idx_test = np.arange(len(raw_test))
    rng.shuffle(idx_test)
    assert [list(a) for a in x] == [list(raw[i]) for i in idx]
    assert [list(a) for a in x_test] == [list(raw_test[i]) for i in idx_test]
    assert np.array_equal(y, y_raw[idx]) and np.array_equal(y_test, y_raw_test[idx_test])


@pytest.mark.parametrize("padding", ["pre", "post"])
@pytest.mark.parametrize("truncating", ["pre", "post"])
@pytest.mark.parametrize("maxlen", [None, 1, 4, 30])
def test_pad_sequences_equals_keras(keras, padding, truncating, maxlen):
    rng = np.random.default_rng(3)
    seqs = [list(rng.integers(1, 100, size=n)) for n in [0, 1, 3, 4, 5, 11, 0, 7]]
    opts = dict(padding=padding, truncating=truncating)
    got = pad_sequences(seqs, maxlen, **opts)
    want = keras.utils.pad_sequences(seqs, maxlen, **opts)
    assert got.dtype == want.dtype and np.array_equal(got, want)
    got = pad_sequences(seqs, maxlen, value=-1, dtype="float32", **opts)
    want = keras.utils.pad_sequences(seqs, maxlen, value=-1, dtype="float32", **opts)
    assert got.dtype == want.dtype and np.array_equal(got, want)
    vectors = [rng.standard_normal((n, 2)) for n in (2, 0, 6)]  # samples with a shape
    got = pad_sequences(vectors, maxlen, dtype="float64", **opts)
    want = keras.utils.pad_sequences(vectors, maxlen, dtype="float64", **opts)
    assert np.array_equal(got, want)


def test_pad_sequences_errors():
    with pytest.raises(ValueError, match="Padding type"):
        pad_sequences([[1]], 2, padding="middle")
    with pytest.raises(ValueError, match="Truncating type"):
        pad_sequences([[1]], 2, truncating="middle")
    with pytest.raises(ValueError, match="non-iterable"):
        pad_sequences([[1], 5], 2)
    assert pad_sequences([], 3).shape == (0, 3)


@pytest.mark.parametrize("module", ["gru_edu.imdb", "gru_edu.imdb"])
def test_data_modules_do_not_import_tensorflow(module):
    code = (
        f"import sys, {module} as d; d.pad_sequences([[1, 2]], 3); "
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_padded_shapes_and_defaults(tiny, load):
    (x, y), (x_test, y_test) = load.imdb(archive=tiny)  # maxlen=300, padding="post"
    assert x.shape == (6, 300) and x_test.shape == (6, 300)
    assert x.dtype == x_test.dtype == np.int32
    assert np.all(x[:, 0] == START) and np.all(x[:, -1] == PAD)
    (x, _), _ = load.imdb(maxlen=3, padding="pre", truncating="post", archive=tiny)
    assert x.shape == (6, 3) and np.all(x[:, 0] == START)


def test_texts_are_raw_reviews(tiny, load):
    texts, labels = load.texts(archive=tiny, split="train", seed=None)
    assert texts == HANDMADE[("train", "neg")] + HANDMADE[("train", "pos")]
    assert list(labels) == [0, 0, 0, 1, 1, 1]
    with pytest.raises(ValueError, match="split"):
        load.texts(archive=tiny, split="unsup")


def test_real_archive(imdb_archive, real_cache):
    opts = dict(archive=imdb_archive, cache_dir=real_cache, progress=False)
    (x, y), (x_test, y_test) = load_imdb(**opts)
    assert x.shape == x_test.shape == (25000, 300) and x.dtype == np.int32
    assert y.shape == y_test.shape == (25000,)
    assert y.sum() == y_test.sum() == 12500  # balanced
    assert 0 <= x.min() and max(x.max(), x_test.max()) < 30000
    # every row starts with START unless the review was cut (truncating="pre")
    assert np.all((x[:, 0] == START) | (x[:, -1] != PAD))
    vocab = load_vocabulary(**opts)
    assert vocab.word_index["the"] == 4 and vocab.words[:3] == ("the", "and", "a")
    texts, labels = load_texts(**opts)
    assert np.array_equal(labels, y_test)
    encoded = pad_sequences([vocab.encode(t) for t in texts[:50]], 300, padding="post")
    assert np.array_equal(encoded, x_test[:50])



def test_length_batches_group_reviews_and_drop_only_padding():
    x, y, lengths = padded_reviews()
    batches = imdb.length_batches(x, y, batch_size=8, seed=3, multiple=32)
    seen = []
    for xb, yb in batches:
        longest = max(int(((xb != 0).sum(axis=1)).max()), 1)
        assert xb.shape[1] == min(130, -(-longest // 32) * 32)  # cut, rounded up
        assert len(xb) == len(yb) <= 8
        for row, label in zip(xb, yb):  # each row is a whole review
            matches = [i for i in range(len(x)) if np.array_equal(x[i, :len(row)], row)
                       and not x[i, len(row):].any() and y[i] == label]
            assert matches
            seen.append(matches[0])
    assert sorted(seen) == list(range(len(x)))  # every review exactly once
    # similar lengths together: far fewer padded steps than the full width
    padded = sum(xb.size for xb, _ in batches)
    assert padded < 0.8 * x.size
    # the seed shuffles; None keeps the order sorted by length
    again = imdb.length_batches(x, y, batch_size=8, seed=3, multiple=32)
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(batches, again))
    ordered = imdb.length_batches(x, y, batch_size=8, seed=None, multiple=32)
    widths = [xb.shape[1] for xb, _ in ordered]
    assert widths == sorted(widths)


def test_length_batches_refuse_left_padding():
    x, y, _ = padded_reviews(n=10)
    x = x[:, ::-1]  # now padded at the front
    with pytest.raises(ValueError, match="right-padded"):
        imdb.length_batches(x, y, batch_size=4)
