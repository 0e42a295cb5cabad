"""The language model's text and windows (gru_edu.lm.corpus): training text only,
train/unsup when the archive has it, never validation or test reviews."""

import numpy as np
import pytest

from gru_edu.imdb import START
from gru_edu.lm.corpus import load_corpus, windows
from imdb_archives import HANDMADE, write_archive

UNSUP = {
    "aclImdb/train/unsup/0_0.txt": "an unlabeled review about zebras",
    "aclImdb/train/unsup/1_0.txt": "zebras again, and a great movie",
}


def _corpus(path, tmp_path, **kw):
    return load_corpus(num_words=None, archive=path, val_size=2, progress=False,
                       cache_dir=tmp_path / "cache", reviews_per_folder=None, **kw)


def _words(corpus, ids):
    return set(corpus.vocab.decode(ids))


def test_training_text_is_the_training_part_only(tiny, tmp_path):
    corpus = _corpus(tiny, tmp_path)
    assert corpus.sources == {"training part": 4, "validation part": 2}
    assert (corpus.train == START).sum() == 4 and (corpus.val == START).sum() == 2
    test_only = {"gem", "ever", "zzz"}  # words of the test reviews alone
    assert not test_only & _words(corpus, corpus.train)
    train_texts = [t for (split, _), ts in HANDMADE.items() if split == "train" for t in ts]
    assert len(corpus.train) + len(corpus.val) == sum(
        1 + len(corpus.vocab.tokenize(t)) for t in train_texts)


def test_unsup_reviews_are_added_when_present(tmp_path):
    path = write_archive(tmp_path / "official.tar.gz", extra=UNSUP)
    corpus = _corpus(path, tmp_path)
    assert corpus.sources["train/unsup"] == 2
    assert (corpus.train == START).sum() == 6
    # the vocabulary is ranked on the training part: 'zebras' is not in it
    assert "zebras" not in corpus.vocab and "<unk>" in _words(corpus, corpus.train)
    again = _corpus(path, tmp_path)  # read back from the cache
    assert np.array_equal(again.train, corpus.train)
    without = _corpus(path, tmp_path, unsup=False)
    assert "train/unsup" not in without.sources and (without.train == START).sum() == 4


def test_windows_cover_every_target_once():
    ids = np.arange(1, 22)
    x, y = windows(ids, batch_size=2, seq_len=5)
    assert x.shape == y.shape == (4, 5)
    assert np.array_equal(y[:, :-1], x[:, 1:])  # targets are the next words
    assert np.array_equal(np.concatenate(y), np.arange(2, 22))
    xs, ys = windows(ids, batch_size=2, seq_len=5, seed=0)
    assert len(xs) % 2 == 0 and sorted(map(tuple, xs)) == sorted(map(tuple, x))
    with pytest.raises(ValueError, match="no window"):
        windows(ids[:3], 2, 5)
