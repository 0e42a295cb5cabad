"""Train / validation / test: the one protocol every IMDB model here follows.

The official IMDB archive has a training set and a test set of 25,000 reviews
each. :func:`load_splits` turns them into three parts:

* **training**: the training reviews less the validation part; the only data
  anything is *fitted* on: the model's weights, the vocabulary's word ranks
  (:func:`fit_vocabulary`) and the word polarity feature;
* **validation**: a fixed, label-balanced, seeded sample of the training
  reviews (:func:`validation_indices`, 2,500 by default); every choice
  (epochs, recipe, thresholds) and every per-epoch number is made on it;
* **test**: the official test reviews, scored once, at the end.

The validation sample depends only on ``val_size`` and ``val_seed``, never on
the training seed, so every run of a recipe search is judged on the same
reviews.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from .archive import REVIEWS_PER_FOLDER
from .dataset import load_imdb, load_vocabulary
from .vocab import INDEX_FROM, Vocabulary

__all__ = [
    "VAL_SIZE",
    "VAL_SEED",
    "ImdbSplits",
    "validation_indices",
    "fit_vocabulary",
    "load_splits",
]

#: Validation reviews carved from the 25,000 training reviews (half of each label).
VAL_SIZE = 2500
#: Seed of the validation sample: fixed, so every run sees the same one.
VAL_SEED = 20110619  # ACL 2011, the IMDB paper's conference


@dataclass(frozen=True)
class ImdbSplits:
    """The three parts, padded word ids and labels, and the fitted vocabulary.

    ``val_index`` and ``train_index`` are positions in the training reviews
    of :func:`gru_edu.imdb.load_imdb` (same default ``seed``), so a row of
    ``x_val`` can be traced back to its review text
    (:func:`gru_edu.imdb.load_texts` with ``split="train"``).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    vocab: Vocabulary
    train_index: np.ndarray
    val_index: np.ndarray

    def sizes(self) -> dict[str, int]:
        """Reviews in each part, e.g. ``{"train": 22500, "val": 2500, "test": 25000}``."""
        return {"train": len(self.y_train), "val": len(self.y_val), "test": len(self.y_test)}


def validation_indices(y: np.ndarray, size: int = VAL_SIZE, seed: int = VAL_SEED) -> np.ndarray:
    """Sorted positions of a label-balanced random sample of ``size`` reviews.

    ``size // 2`` reviews of each label (the odd one, if any, from label 1),
    drawn with ``np.random.default_rng(seed)``: the same ``y``, ``size`` and
    ``seed`` always give the same sample.
    """
    y = np.asarray(y).reshape(-1)
    if size < 0 or size > len(y):
        raise ValueError(f"validation size must be between 0 and {len(y)}, got {size}")
    rng = np.random.default_rng(seed)
    wanted = {0: size // 2, 1: size - size // 2}
    picked = []
    for label, count in wanted.items():
        pool = np.flatnonzero(y == label)
        if count > len(pool):
            raise ValueError(
                f"asked for {count} validation reviews with label {label}, "
                f"only {len(pool)} exist"
            )
        picked.append(rng.choice(pool, size=count, replace=False))
    return np.sort(np.concatenate(picked)).astype(np.int64)


def fit_vocabulary(reviews: np.ndarray, words: list[str] | tuple[str, ...],
                   num_words: int | None) -> Vocabulary:
    """The vocabulary ranked by word frequency in ``reviews`` only.

    ``reviews`` are id sequences with every word's own id (``load_imdb(
    num_words=None)``), ``words`` the word of each such id
    (``load_vocabulary(None).words``). Words are ranked most frequent first,
    ties alphabetically, as :mod:`gru_edu.imdb.dataset` ranks the whole training set;
    a word that never occurs in ``reviews`` gets no id (it reads as OOV).
    """
    flat = np.concatenate([np.asarray(r) for r in reviews]) if len(reviews) else np.zeros(0)
    flat = flat[flat > INDEX_FROM].astype(np.int64) - (INDEX_FROM + 1)
    counts = np.bincount(flat, minlength=len(words))
    seen = np.flatnonzero(counts)
    names = np.asarray(words, dtype=object)[seen]
    order = sorted(range(len(seen)), key=lambda k: (-counts[seen[k]], names[k]))
    return Vocabulary([names[k] for k in order], num_words)


def load_splits(
    num_words: int | None = 10000,
    maxlen: int = 300,
    val_size: int = VAL_SIZE,
    val_seed: int = VAL_SEED,
    train_size: int | None = None,
    test_size: int | None = None,
    archive: str | os.PathLike | None = None,
    progress: bool = True,
    *,
    cache_dir: str | os.PathLike | None = None,
    reviews_per_folder: int | None = REVIEWS_PER_FOLDER,
    vocabulary: Vocabulary | None = None,
) -> ImdbSplits:
    """IMDB as training, validation and test parts (see the module docstring).

    Args:
        num_words: id bound of the vocabulary fitted on the training part.
        maxlen: row length; reviews are right-padded (``padding="post"``, the
            cuDNN-friendly side) and long ones lose their start.
        val_size, val_seed: the validation sample (:func:`validation_indices`).
        train_size: keep only the first ``train_size`` reviews of the training
            part (the fast setting); the vocabulary is fitted on those.
        test_size: keep only the first ``test_size`` test reviews.
        archive: path of ``aclImdb_v1.tar.gz`` (else found as
            :func:`gru_edu.imdb.find_archive` finds it).
        progress: progress bars if the archive must be read the first time.
        cache_dir, reviews_per_folder: as for :func:`gru_edu.imdb.load_imdb`.
        vocabulary: use this vocabulary (one fitted on the same training
            part before, e.g. a language model's) instead of fitting one;
            ``num_words`` is then ignored.
    """
    where = dict(archive=archive, cache_dir=cache_dir, reviews_per_folder=reviews_per_folder)
    (raw_train, y_all), _ = load_imdb(num_words=None, maxlen=None, progress=progress, **where)
    val_index = validation_indices(y_all, val_size, val_seed)
    train_index = np.setdiff1d(np.arange(len(y_all)), val_index)[:train_size]
    vocab = vocabulary or fit_vocabulary(
        raw_train[train_index], load_vocabulary(None, progress=False, **where).words, num_words)

    (x_all, y_all), (x_test, y_test) = load_imdb(
        maxlen=maxlen, padding="post", progress=False, vocabulary=vocab, **where
    )
    return ImdbSplits(
        x_train=x_all[train_index],
        y_train=y_all[train_index],
        x_val=x_all[val_index],
        y_val=y_all[val_index],
        x_test=x_test[:test_size],
        y_test=y_test[:test_size],
        vocab=vocab,
        train_index=train_index,
        val_index=val_index,
    )
