"""A bag-of-words baseline for IMDB: the bar a recurrent model has to clear.

:class:`BagOfWords` is the Naive Bayes classifier of Wang & Manning (2012,
"Baselines and bigrams"): each word's log-count ratio in the training reviews
(:func:`gru_edu.imdb.word_polarity`), summed over the distinct words of a
review, plus the log ratio of the label counts. It reads no word order, trains
in a second and reaches about 83 % on IMDB: a GRU that does not beat it has
learned nothing that needs a recurrent network. Notebook 03 uses it twice:
as the bar its fixed GRU must clear, and, because dozens of variants train in
seconds, to measure how much choosing on the test set overstates accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .features import word_polarity
from .vocab import OOV

__all__ = ["BagOfWords", "distinct_words"]


def distinct_words(x: np.ndarray, num_words: int) -> np.ndarray:
    """``(reviews, maxlen)`` mask: True at the first occurrence of each kept word.

    Reserved ids (padding, start, unknown word) and ids ``>= num_words`` are
    never marked, so summing a per-word value over the mask counts each word
    of a review once.
    """
    x = np.asarray(x)
    order = np.argsort(x, axis=1, kind="stable")
    sorted_ids = np.take_along_axis(x, order, axis=1)
    first = np.ones_like(sorted_ids, dtype=bool)
    first[:, 1:] = sorted_ids[:, 1:] != sorted_ids[:, :-1]
    first &= (sorted_ids > OOV) & (sorted_ids < num_words)
    mask = np.zeros_like(first)
    np.put_along_axis(mask, order, first, axis=1)
    return mask


@dataclass
class BagOfWords:
    """Naive Bayes on word presence: ``fit`` on training reviews, ``accuracy`` elsewhere.

    ``num_words``: only ids below it count (ids are frequency ranks, so this
    keeps the most frequent words). ``smoothing``: added to every word's
    count per label before the ratio (larger: rare words count less).
    """

    num_words: int = 10000
    smoothing: float = 1.0

    def fit(self, x: np.ndarray, y: np.ndarray) -> "BagOfWords":
        """Learn each word's polarity and the label prior from ``(x, y)``."""
        y = np.asarray(y).reshape(-1)
        self.polarity_ = word_polarity(x, y, self.num_words, self.smoothing).astype(np.float64)
        positives = max(int(y.sum()), 1)
        negatives = max(int(len(y) - y.sum()), 1)
        self.prior_ = float(np.log(positives / negatives))
        return self

    def score(self, x: np.ndarray) -> np.ndarray:
        """Log-odds that each review is positive, ``(reviews,)``."""
        x = np.asarray(x)
        ids = np.where(x < self.num_words, x, 0)
        return (self.polarity_[ids] * distinct_words(x, self.num_words)).sum(axis=1) + self.prior_

    def predict(self, x: np.ndarray) -> np.ndarray:
        """1 (positive) or 0 for each review."""
        return (self.score(x) > 0).astype(np.int32)

    def accuracy(self, x: np.ndarray, y: np.ndarray) -> float:
        """Share of reviews whose label ``predict`` gets right."""
        return float(np.mean(self.predict(x) == np.asarray(y).reshape(-1)))
