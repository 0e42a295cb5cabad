"""The IMDB pipeline on tiny archives built in tmp_path, Keras as the oracle.

Keras's own ``keras.datasets.imdb.load_data`` is run on the very reviews our
loader read (its download and npz reader stubbed), so the ids, ``num_words``,
``skip_top``, OOV and the seed-113 shuffle are compared with Keras's code, not
with a copy of it. One test reads the real shared archive.
"""

import io
import json
import subprocess
import sys
import tarfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from gru_edu import imdb
from gru_edu.imdb import archive, cache
from gru_edu.imdb import (
    OOV,
    PAD,
    START,
    ArchiveError,
    ArchiveNotFoundError,
    Vocabulary,
    load_imdb,
    load_texts,
    load_vocabulary,
    pad_sequences,
    tokenize,
    word_polarity,
)

FOLDERS = [(s, lab) for s in ("train", "test") for lab in ("pos", "neg")]
HANDMADE = {
    ("train", "pos"): [
        "A great movie. Great fun!",
        "The best film<br /><br />I loved it.",
        "Great acting, great story; don't miss it",
    ],
    ("train", "neg"): [
        "A bad movie.",
        "the worst film, bad acting",
        "I didn't like it: boring and BAD",
    ],
    ("test", "pos"): ["great fun", "Loved it, a gem", "best movie"],
    ("test", "neg"): ["bad, boring", "worst movie ever", "zzz unseen bad"],
}


# ---------------------------------------------------------------- tiny archives


def write_archive(path: Path, reviews=HANDMADE, extra=None, compression="gz") -> Path:
    """A tar like aclImdb_v1.tar.gz holding ``reviews[(split, label)]``."""
    with tarfile.open(path, f"w:{compression}") as tar:

        def add(name, text):
            raw = text.encode("utf-8")
            info = tarfile.TarInfo(name)
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))

        add("aclImdb/README", "Large Movie Review Dataset v1.0 (tiny test copy)\n")
        for (split, label), texts in reviews.items():
            for i, text in enumerate(texts):
                rating = 8 + i % 3 if label == "pos" else 1 + i % 4
                add(f"aclImdb/{split}/{label}/{i}_{rating}.txt", text)
        for name, text in (extra or {}).items():
            add(name, text)
    return path


def random_reviews(per_folder=8, seed=0):
    """Reviews drawn from a Zipf-like word list; test has words train lacks."""
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(40)]
    p = 1.0 / np.arange(1, 41)
    p /= p.sum()
    out = {}
    for split, label in FOLDERS:
        texts = []
        for _ in range(per_folder):
            n = rng.integers(0, 25)  # some reviews are empty
            ws = list(rng.choice(words, size=n, p=p))
            if split == "test" and rng.random() < 0.5:
                ws.append(f"testonly{rng.integers(3)}")
            texts.append(" ".join(ws) + (" good" if label == "pos" else " bad"))
        out[(split, label)] = texts
    return out


@pytest.fixture
def tiny(tmp_path):
    return write_archive(tmp_path / "aclImdb_v1.tar.gz")


@pytest.fixture
def generated(tmp_path):
    return write_archive(tmp_path / "generated.tar.gz", random_reviews())


@pytest.fixture
def load(tmp_path):
    """The loaders, bound to a private cache dir and tiny-archive counts."""
    opts = dict(cache_dir=tmp_path / "cache", reviews_per_folder=None, progress=False)

    class Bound:
        imdb = staticmethod(lambda *a, **k: load_imdb(*a, **{**opts, **k}))
        vocab = staticmethod(lambda *a, **k: load_vocabulary(*a, **{**opts, **k}))
        texts = staticmethod(lambda *a, **k: load_texts(*a, **{**opts, **k}))
        cache_dir = opts["cache_dir"]

    return Bound


@pytest.fixture
def no_env(monkeypatch, tmp_path):
    """No archive in the environment: env var unset, Keras home empty."""
    monkeypatch.delenv(imdb.ARCHIVE_ENV, raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))

    def no_download(url, dest_dir):
        raise AssertionError("tests never download")

    monkeypatch.setattr(archive, "_download", no_download)
    return tmp_path / "keras-home" / "datasets"


def expected_ranking(reviews):
    counts = Counter(
        w for (split, _), texts in reviews.items() if split == "train"
        for t in texts for w in tokenize(t)
    )
    return sorted(counts, key=lambda w: (-counts[w], w))


# ---------------------------------------------------------------- tokenizer and ids


def test_tokenizer():
    assert tokenize("I didn't like it.<br /><br />10/10, NOT 'great'!") == [
        "i", "didn't", "like", "it", "10", "10", "not", "great",
    ]
    assert tokenize("well-made<BR/>film's end__here") == [
        "well", "made", "film's", "end", "here",
    ]
    assert tokenize("Amélie, café") == ["amélie", "café"]
    assert tokenize("") == []


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


def test_frequency_ranking_ties_broken_by_word(generated, load):
    vocab = load.vocab(num_words=None, archive=generated)
    assert list(vocab.words) == expected_ranking(random_reviews())
    assert not any(w.startswith("testonly") for w in vocab.words)


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


# ---------------------------------------------------------------- Keras as the oracle


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


def keras_load_data(monkeypatch, raw_train, y_train, raw_test, y_test, **kwargs):
    """Run keras.datasets.imdb.load_data on our unshuffled sequences."""
    from keras.src.datasets import imdb as keras_imdb

    def as_npz_sequences(xs):  # what imdb.npz holds: ids before index_from, no start
        out = np.empty(len(xs), dtype=object)
        for i, x in enumerate(xs):
            assert x[0] == START
            out[i] = [int(w) - imdb.INDEX_FROM for w in x[1:]]
        return out

    arrays = {
        "x_train": as_npz_sequences(raw_train), "y_train": np.asarray(y_train),
        "x_test": as_npz_sequences(raw_test), "y_test": np.asarray(y_test),
    }
    monkeypatch.setattr(keras_imdb, "get_file", lambda *a, **k: "imdb.npz")
    monkeypatch.setattr(keras_imdb.npz_utils, "load_npz", lambda path: arrays)
    return keras_imdb.load_data(**kwargs)


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


# ---------------------------------------------------------------- shapes, vocabulary


def test_padded_shapes_and_defaults(tiny, load):
    (x, y), (x_test, y_test) = load.imdb(archive=tiny)  # maxlen=300, padding="post"
    assert x.shape == (6, 300) and x_test.shape == (6, 300)
    assert x.dtype == x_test.dtype == np.int32
    assert np.all(x[:, 0] == START) and np.all(x[:, -1] == PAD)
    (x, _), _ = load.imdb(maxlen=3, padding="pre", truncating="post", archive=tiny)
    assert x.shape == (6, 3) and np.all(x[:, 0] == START)


def test_encode_decode_round_trip(tiny, load):
    vocab = load.vocab(num_words=8, archive=tiny)
    assert vocab.num_words == 8 and len(vocab.words) == 4 and len(vocab) == 8
    text = "A GREAT movie<br />with an unseen word, great!"
    ids = vocab.encode(text)
    assert ids[0] == START and all(i < 8 for i in ids)
    want = ["<start>"] + [w if w in vocab else "<unk>" for w in tokenize(text)]
    assert vocab.decode(ids) == want
    assert vocab.decode([0, 0] + ids + [0]) == want  # padding skipped
    assert vocab.decode([3, 10**6]) == ["<unused>", "<unk>"]
    assert vocab.tokenize(text) == tokenize(text)
    assert vocab.id_to_word(4) == vocab.words[0] and vocab.id_to_word(0) == "<pad>"


def test_encode_reproduces_the_data(generated, load):
    """Text -> encode -> pad equals load_imdb's row; texts align with x_test."""
    vocab = load.vocab(num_words=15, archive=generated)
    (x, _), (x_test, y_test) = load.imdb(num_words=15, maxlen=12, archive=generated)
    texts, labels = load.texts(archive=generated)  # same seed (113), same order
    assert np.array_equal(labels, y_test)
    encoded = pad_sequences([vocab.encode(t) for t in texts], 12, padding="post")
    assert np.array_equal(encoded, x_test)
    train_texts, _ = load.texts(archive=generated, split="train")
    encoded = pad_sequences([vocab.encode(t) for t in train_texts], 12, padding="post")
    assert np.array_equal(encoded, x)


def test_texts_are_raw_reviews(tiny, load):
    texts, labels = load.texts(archive=tiny, split="train", seed=None)
    assert texts == HANDMADE[("train", "neg")] + HANDMADE[("train", "pos")]
    assert list(labels) == [0, 0, 0, 1, 1, 1]
    with pytest.raises(ValueError, match="split"):
        load.texts(archive=tiny, split="unsup")


def test_vocabulary_json_round_trip(tiny, load, tmp_path):
    vocab = load.vocab(num_words=10, archive=tiny)
    path = vocab.save(tmp_path / "model" / "vocab.json")
    doc = json.loads(path.read_text(encoding="utf-8"))  # plain JSON
    assert doc["num_words"] == 10 and doc["words"] == list(vocab.words)
    again = Vocabulary.load(path)
    assert again == vocab and again.word_index == vocab.word_index
    assert Vocabulary.from_json(vocab.to_json()).encode("great fun") == vocab.encode("great fun")
    with pytest.raises(ValueError, match="gru-edu-vocabulary"):
        Vocabulary.from_json('{"words": []}')
    doc["tokenizer_version"] = 99
    with pytest.warns(UserWarning, match="tokenizer version 99"):
        Vocabulary.from_json(json.dumps(doc))


# ---------------------------------------------------------------- finding the archive


def test_search_order(no_env, tmp_path, monkeypatch):
    keras_copy = write_archive(no_env.parent.parent / "k.tar.gz")
    no_env.mkdir(parents=True)
    keras_copy.rename(no_env / imdb.ARCHIVE_NAME)
    env_copy = write_archive(tmp_path / "env.tar.gz")
    arg_copy = write_archive(tmp_path / "arg.tar.gz")

    assert imdb.find_archive() == no_env / imdb.ARCHIVE_NAME  # 3. Keras cache
    monkeypatch.setenv(imdb.ARCHIVE_ENV, str(env_copy))
    assert imdb.find_archive() == env_copy  # 2. env var beats the Keras cache
    assert imdb.find_archive(arg_copy) == arg_copy  # 1. argument beats both


def test_keras_cache_defaults_to_home(monkeypatch, tmp_path):
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert imdb.keras_cache_dirs() == [tmp_path / ".keras" / "datasets"]


def test_download_is_last_and_lands_in_keras_cache(no_env, tmp_path, monkeypatch, load):
    calls = []

    def fake_download(url, dest_dir):
        calls.append((url, dest_dir))
        dest_dir.mkdir(parents=True, exist_ok=True)
        return write_archive(dest_dir / imdb.ARCHIVE_NAME)

    monkeypatch.setattr(archive, "_download", fake_download)
    (x, y), _ = load.imdb()
    assert calls == [(imdb.ARCHIVE_URL, no_env)]
    assert x.shape == (6, 300)
    load.imdb()  # now found in the Keras cache: no second download
    assert len(calls) == 1


def test_download_uses_keras_get_file(monkeypatch, tmp_path):
    """The real _download, with a stand-in keras module (no TensorFlow, no network)."""
    calls = []

    def get_file(**kwargs):
        calls.append(kwargs)
        return str(tmp_path / kwargs["cache_subdir"] / kwargs["fname"])

    fake = type(sys)("keras")
    fake.utils = type(sys)("keras.utils")
    fake.utils.get_file = get_file
    monkeypatch.setitem(sys.modules, "keras", fake)
    path = archive._download(imdb.ARCHIVE_URL, tmp_path / "datasets")
    assert path == tmp_path / "datasets" / imdb.ARCHIVE_NAME
    assert calls == [dict(
        fname=imdb.ARCHIVE_NAME, origin=imdb.ARCHIVE_URL,
        cache_dir=str(tmp_path), cache_subdir="datasets",
    )]


def test_missing_archive_says_where_it_looked(no_env, monkeypatch):
    def failing(url, dest_dir):
        raise OSError("network unreachable")

    monkeypatch.setattr(archive, "_download", failing)
    with pytest.raises(ArchiveNotFoundError) as info:
        load_imdb(progress=False)
    msg = str(info.value)
    assert str(no_env / imdb.ARCHIVE_NAME) in msg and "network unreachable" in msg
    assert imdb.ARCHIVE_ENV in msg and imdb.ARCHIVE_URL in msg
    assert isinstance(info.value, FileNotFoundError) and isinstance(info.value, ValueError)


def test_named_archive_missing_is_an_error_not_a_download(no_env, tmp_path, monkeypatch):
    missing = tmp_path / "nowhere" / "aclImdb_v1.tar.gz"
    with pytest.raises(ArchiveNotFoundError, match="nowhere"):
        load_imdb(archive=missing, progress=False)
    monkeypatch.setenv(imdb.ARCHIVE_ENV, str(missing))
    with pytest.raises(ArchiveNotFoundError) as info:
        load_imdb(progress=False)
    assert str(missing) in str(info.value) and imdb.ARCHIVE_ENV in str(info.value)


# ---------------------------------------------------------------- the cache


def test_second_load_reads_the_cache_not_the_archive(tiny, load, monkeypatch):
    first = load.imdb(archive=tiny)
    vocab = load.vocab(archive=tiny)
    texts = load.texts(archive=tiny)

    def no_read(*args, **kwargs):
        raise AssertionError("archive read again")

    monkeypatch.setattr(cache, "read_archive", no_read)
    second = load.imdb(archive=tiny)
    for (a, b), (c, d) in zip(first, second):
        assert np.array_equal(a, c) and np.array_equal(b, d)
    assert load.vocab(archive=tiny) == vocab
    assert load.texts(archive=tiny)[0] == texts[0]
    load.imdb(num_words=5, maxlen=None, seed=1, archive=tiny)  # other options: no read

    files = sorted(p.name for p in load.cache_dir.iterdir())
    assert len(files) == 2 and all(f.endswith(".npz") for f in files)
    for f in load.cache_dir.iterdir():  # plain arrays: loads with pickle refused
        with np.load(f, allow_pickle=False) as npz:
            for name in npz.files:
                assert npz[name].dtype != object


def test_cache_key_follows_archive_and_tokenizer(tiny, load, monkeypatch):
    load.imdb(archive=tiny)
    reads = []
    real_read = cache.read_archive
    monkeypatch.setattr(cache, "read_archive", lambda *a: reads.append(1) or real_read(*a))
    monkeypatch.setattr(cache, "TOKENIZER_VERSION", imdb.TOKENIZER_VERSION + 1)
    load.imdb(archive=tiny)
    assert len(reads) == 1
    write_archive(tiny, {**HANDMADE, ("test", "neg"): ["a new review", "b", "c"]})
    (_, _), (x_test, _) = load.imdb(archive=tiny, seed=None, maxlen=None)
    assert len(reads) == 2 and len(x_test[0]) == 4  # rebuilt from the new archive


def test_unreadable_cache_is_rebuilt(tiny, load):
    load.imdb(archive=tiny)
    for f in load.cache_dir.iterdir():
        f.write_bytes(b"garbage")
    with pytest.warns(UserWarning, match="unreadable cache"):
        (x, _), _ = load.imdb(archive=tiny)
    assert x.shape == (6, 300)


def test_failed_cache_write_leaves_no_file(tiny, load, monkeypatch):
    def disk_full(file, **arrays):
        file.write(b"half a cache")
        raise OSError("No space left on device")

    monkeypatch.setattr(np, "savez", disk_full)
    monkeypatch.setattr(np, "savez_compressed", disk_full)
    with pytest.raises(OSError, match="No space"):
        load.imdb(archive=tiny)
    assert list(load.cache_dir.iterdir()) == []


# ---------------------------------------------------------------- bad archives


def assert_archive_error(load, path, *match):
    with pytest.raises(ArchiveError) as info:
        load.imdb(archive=path)
    msg = str(info.value)
    assert str(path) in msg and "Looked for the archive" in msg
    assert "aclImdb/{train,test}/{pos,neg}" in msg  # what was expected
    for m in match:
        assert m in msg, msg
    cache = load.cache_dir
    assert not cache.exists() or list(cache.iterdir()) == []  # nothing half-written
    return msg


def test_not_gzip(tmp_path, load):
    bad = tmp_path / "aclImdb_v1.tar.gz"
    bad.write_text("<html>404 Not Found</html>")
    assert_archive_error(load, bad, "gzip")


def test_plain_tar_is_rejected(tmp_path, load):
    assert_archive_error(load, write_archive(tmp_path / "a.tar", compression=""), "gzip")


def test_truncated(tmp_path, load):
    good = write_archive(tmp_path / "good.tar.gz", random_reviews(per_folder=20))
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    assert_archive_error(load, cut, "cannot read", "EOFError")


def test_wrong_layout(tmp_path, load):
    other = write_archive(tmp_path / "other.tar.gz", {}, extra={"data/x.txt": "hi"})
    assert_archive_error(load, other, "aclImdb/train/pos: 0", "wrong number of reviews")
    no_test_neg = {k: v for k, v in HANDMADE.items() if k != ("test", "neg")}
    assert_archive_error(
        load, write_archive(tmp_path / "part.tar.gz", no_test_neg), "aclImdb/test/neg: 0"
    )


def test_wrong_counts(tiny, load):
    with pytest.raises(ArchiveError) as info:
        load.imdb(archive=tiny, reviews_per_folder=12500)
    assert "12500 reviews in each of" in str(info.value) and str(tiny) in str(info.value)
    load.imdb(archive=tiny, reviews_per_folder=3)  # right count: fine, cached
    with pytest.raises(ArchiveError, match="12500"):  # cached, still checked
        load.imdb(archive=tiny, reviews_per_folder=12500)


# ---------------------------------------------------------------- the real archive


@pytest.fixture(scope="session")
def real_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("imdb-cache")


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


def test_word_polarity_is_the_log_count_ratio():
    # word 5 in both positive reviews, word 6 in the negative one, word 7 everywhere
    x = np.array([[1, 5, 7, 0], [1, 5, 5, 7], [1, 6, 7, 0]])
    y = np.array([1, 1, 0])
    pol = word_polarity(x, y, num_words=8, smoothing=1.0)
    assert pol.shape == (8,) and pol.dtype == np.float32
    pos = np.ones(8)
    neg = np.ones(8)
    for ids in ([0, 1, 5, 7], [1, 5, 7]):  # documents, not counts: 5 once per review
        pos[ids] += 1
    neg[[0, 1, 6, 7]] += 1
    expected = np.log(pos / pos.sum()) - np.log(neg / neg.sum())
    np.testing.assert_allclose(pol[3:], expected[3:], rtol=1e-6)
    assert (pol[:3] == 0).all()  # padding, start, unknown word
    assert pol[5] > 0 > pol[6]
    with pytest.raises(ValueError, match="3 reviews but y has 2"):
        word_polarity(x, y[:2], num_words=8)
