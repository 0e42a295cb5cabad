"""The train / validation / test protocol: carved, fitted and scored where it should be.

The tiny archives come from ``imdb_archives``; the oracle for the vocabulary is a
plain ``Counter`` over the tokenized texts of the training part, not the
package's own ranking code.
"""

from collections import Counter

import numpy as np
import pytest

from gru_edu import imdb
from gru_edu.imdb import OOV, START, pad_sequences, tokenize

from imdb_archives import random_reviews, write_archive


@pytest.fixture
def archive(tmp_path):
    return write_archive(tmp_path / "generated.tar.gz", random_reviews(per_folder=10))


@pytest.fixture
def opts(tmp_path, archive):
    return dict(archive=archive, cache_dir=tmp_path / "cache", reviews_per_folder=None,
                progress=False)


def test_validation_sample_is_balanced_sorted_and_fixed():
    y = np.array([0] * 30 + [1] * 70)
    idx = imdb.validation_indices(y, size=20, seed=5)
    assert len(idx) == 20 and len(set(idx.tolist())) == 20
    assert np.all(np.diff(idx) > 0)
    assert (y[idx] == 0).sum() == 10 and (y[idx] == 1).sum() == 10
    np.testing.assert_array_equal(idx, imdb.validation_indices(y, size=20, seed=5))
    assert not np.array_equal(idx, imdb.validation_indices(y, size=20, seed=6))
    odd = imdb.validation_indices(y, size=7, seed=5)
    assert (y[odd] == 0).sum() == 3 and (y[odd] == 1).sum() == 4


def test_validation_sample_refuses_impossible_sizes():
    y = np.array([0, 0, 1, 1, 1, 1])
    with pytest.raises(ValueError, match="only 2 exist"):
        imdb.validation_indices(y, size=6)
    with pytest.raises(ValueError, match="between 0 and 6"):
        imdb.validation_indices(y, size=7)


def test_parts_are_disjoint_and_cover_the_training_reviews(opts):
    parts = imdb.load_splits(num_words=30, maxlen=20, val_size=6, **opts)
    assert parts.sizes() == {"train": 14, "val": 6, "test": 20}
    assert not set(parts.train_index) & set(parts.val_index)
    assert sorted([*parts.train_index, *parts.val_index]) == list(range(20))
    (_, y_all), (_, y_test) = imdb.load_imdb(num_words=30, maxlen=20, **opts)
    np.testing.assert_array_equal(parts.y_val, y_all[parts.val_index])
    np.testing.assert_array_equal(parts.y_train, y_all[parts.train_index])
    np.testing.assert_array_equal(parts.y_test, y_test)
    assert parts.y_val.sum() == 3  # label-balanced


def test_vocabulary_is_ranked_on_the_training_part_only(opts):
    parts = imdb.load_splits(num_words=None, maxlen=40, val_size=6, **opts)
    texts, _ = imdb.load_texts(split="train", **opts)
    counts = Counter(w for i in parts.train_index for w in tokenize(texts[i]))
    expected = sorted(counts, key=lambda w: (-counts[w], w))
    assert list(parts.vocab.words) == expected
    # a word that only validation reviews use gets no id anywhere
    val_only = {w for i in parts.val_index for w in tokenize(texts[i])} - set(counts)
    for word in val_only:
        assert word not in parts.vocab


def test_every_part_is_encoded_with_the_fitted_vocabulary(opts):
    parts = imdb.load_splits(num_words=12, maxlen=40, val_size=6, **opts)
    train_texts, _ = imdb.load_texts(split="train", **opts)
    test_texts, _ = imdb.load_texts(split="test", **opts)

    def encoded(texts):
        return pad_sequences([parts.vocab.encode(t) for t in texts], maxlen=40,
                             padding="post")

    np.testing.assert_array_equal(parts.x_val, encoded([train_texts[i] for i in parts.val_index]))
    np.testing.assert_array_equal(parts.x_test, encoded(test_texts))
    assert parts.x_train.max() < 12 and (parts.x_train == START).sum() == len(parts.x_train)


def test_load_imdb_with_a_vocabulary_uses_its_ids(opts):
    vocab = imdb.Vocabulary(["good", "bad", "w3", "w1"], num_words=7)  # keeps good, bad, w3
    (x, _), (x_test, _) = imdb.load_imdb(maxlen=30, vocabulary=vocab, num_words=999, **opts)
    texts, _ = imdb.load_texts(split="test", **opts)
    np.testing.assert_array_equal(
        x_test, pad_sequences([vocab.encode(t) for t in texts], maxlen=30, padding="post"))
    assert set(np.unique(x)) <= {0, START, OOV, 4, 5, 6}


def test_train_size_and_test_size_slice_the_parts(opts):
    parts = imdb.load_splits(num_words=None, maxlen=20, val_size=4, train_size=5,
                               test_size=3, **opts)
    assert parts.sizes() == {"train": 5, "val": 4, "test": 3}
    texts, _ = imdb.load_texts(split="train", **opts)
    counts = Counter(w for i in parts.train_index for w in tokenize(texts[i]))
    assert set(parts.vocab.words) == set(counts)  # fitted on those 5 reviews


# ------------------------------------------------------------------ baseline


def test_distinct_words_marks_each_kept_word_once():
    x = np.array([[1, 5, 7, 5, 2, 9, 0, 0],
                  [1, 4, 4, 4, 8, 0, 0, 0]])
    mask = imdb.distinct_words(x, num_words=9)
    assert mask.tolist() == [
        [False, True, True, False, False, False, False, False],  # 9 >= num_words
        [False, True, False, False, True, False, False, False],
    ]


def test_bag_of_words_learns_word_signs_and_scores_by_hand():
    pos = [[1, 4, 5, 0], [1, 4, 6, 0], [1, 4, 4, 5]]
    neg = [[1, 7, 5, 0], [1, 7, 6, 0], [1, 7, 7, 0]]
    x = np.array(pos + neg)
    y = np.array([1, 1, 1, 0, 0, 0])
    model = imdb.BagOfWords(num_words=8, smoothing=1.0).fit(x, y)
    assert model.polarity_[4] > 0 > model.polarity_[7]
    assert model.accuracy(x, y) == 1.0
    row = np.array([[1, 4, 4, 7, 6, 0]])
    by_hand = model.polarity_[4] + model.polarity_[7] + model.polarity_[6] + model.prior_
    assert model.score(row)[0] == pytest.approx(by_hand)
    np.testing.assert_array_equal(model.predict(np.array([[1, 4, 0], [1, 7, 0]])), [1, 0])
