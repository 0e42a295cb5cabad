"""Word features computed from labelled training reviews (no Keras).

:func:`word_polarity` is each word's log-count ratio, the Naive Bayes feature
the fixed classifier reads next to its word vectors and the bag-of-words
baseline sums.
"""

from __future__ import annotations

import numpy as np

from .vocab import OOV

__all__ = ["word_polarity"]


def word_polarity(
    x: np.ndarray, y: np.ndarray, num_words: int, smoothing: float = 1.0
) -> np.ndarray:
    """How positive each word is in labelled reviews: the log-count ratio.

    For word ``w``, with ``p_w`` the number of positive reviews that contain
    it and ``q_w`` the number of negative ones (plus ``smoothing`` each)::

        polarity[w] = log(p_w / sum(p)) - log(q_w / sum(q))

    This is the Naive Bayes feature of Wang & Manning (2012, "Baselines and
    bigrams"): above 0 a word is more frequent in positive reviews
    ("wonderful" +1.5 in the IMDB training reviews), below 0 in negative
    ones ("worst" -2.2). Compute it on *training* reviews only. The reserved ids (padding, start, unknown
    word) get 0.

    Args:
        x: word ids ``(reviews, time)`` (padded) or a sequence of id arrays.
        y: labels, 1 = positive.
        num_words: id bound (the vocabulary size of the model).

    Returns:
        ``(num_words,)`` float32 array.
    """
    y = np.asarray(y).astype(bool).reshape(-1)
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} reviews but y has {len(y)} labels")
    counts = np.full((2, num_words), float(smoothing))
    for row, label in zip(x, y):
        ids = np.unique(np.asarray(row))
        counts[int(label), ids[(ids >= 0) & (ids < num_words)]] += 1
    neg, pos = counts
    polarity = np.log(pos / pos.sum()) - np.log(neg / neg.sum())
    polarity[: min(OOV + 1, num_words)] = 0.0
    return polarity.astype(np.float32)
