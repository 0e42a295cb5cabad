"""Count-based baselines and perplexity: what a language model must beat.

Perplexity is ``exp`` of the mean negative log-probability a model gives each
word of a text, in nats: the number of equally likely words the model is, on
average, choosing between. A model that knows nothing about a 10,000-word
vocabulary scores 10,000; one that always knew the next word would score 1.

* :class:`Unigram` counts words and ignores context (add-one smoothing, so no
  word has probability 0);
* :class:`KneserNeyBigram` predicts from the previous word, with interpolated
  Kneser-Ney smoothing (Chen & Goodman 1998): a word seen after many
  different words gets more of the probability kept back for unseen pairs.

Both are fitted on the training stream and score exactly the targets a
language model scores: every word of a stream after the first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["perplexity", "Unigram", "KneserNeyBigram"]


def perplexity(log_probs: np.ndarray) -> float:
    """``exp(-mean(log_probs))``: the perplexity of natural-log probabilities."""
    log_probs = np.asarray(log_probs, dtype=np.float64)
    if log_probs.size == 0:
        raise ValueError("perplexity of no words is undefined")
    return float(np.exp(-log_probs.mean()))


@dataclass
class Unigram:
    """P(word) from counts, add-one smoothed over ``num_words`` ids (0 never occurs)."""

    counts: np.ndarray

    @classmethod
    def fit(cls, ids: np.ndarray, num_words: int) -> "Unigram":
        counts = np.bincount(np.asarray(ids), minlength=num_words).astype(np.float64)
        return cls(counts[:num_words])

    @property
    def probs(self) -> np.ndarray:
        smoothed = self.counts + 1.0
        smoothed[0] = 0.0  # the padding id is never a word
        return smoothed / smoothed.sum()

    def log_probs(self, ids: np.ndarray) -> np.ndarray:
        """log P of each word of the stream after the first."""
        return np.log(self.probs[np.asarray(ids)[1:]])

    def perplexity(self, ids: np.ndarray) -> float:
        return perplexity(self.log_probs(ids))


@dataclass
class KneserNeyBigram:
    """P(word | previous word), interpolated Kneser-Ney with one discount ``d``.

    ``P(w | v) = max(c(v, w) - d, 0) / c(v) + d * N(v) / c(v) * P_cont(w)``,
    where ``N(v)`` is the number of different words seen after ``v`` and
    ``P_cont(w)`` is the share of different word pairs that end in ``w``. A
    previous word never seen in training falls back to ``P_cont``.
    """

    pair_codes: np.ndarray  # sorted codes v * num_words + w of the seen pairs
    pair_counts: np.ndarray
    context_counts: np.ndarray  # c(v): pairs starting with v
    followers: np.ndarray  # N(v)
    continuation: np.ndarray  # P_cont(w), smoothed so no word is impossible
    num_words: int
    discount: float = 0.75

    @classmethod
    def fit(cls, ids: np.ndarray, num_words: int, discount: float = 0.75) -> "KneserNeyBigram":
        ids = np.asarray(ids, np.int64)
        codes, counts = np.unique(ids[:-1] * num_words + ids[1:], return_counts=True)
        first, second = codes // num_words, codes % num_words
        context = np.bincount(first, weights=counts, minlength=num_words)
        followers = np.bincount(first, minlength=num_words).astype(np.float64)
        ending = np.bincount(second, minlength=num_words).astype(np.float64)
        ending[1:] += 0.5  # every word (not padding) keeps a little probability
        return cls(codes, counts.astype(np.float64), context, followers,
                   ending / ending.sum(), num_words, discount)

    def _pair_count(self, prev: np.ndarray, word: np.ndarray) -> np.ndarray:
        code = prev * self.num_words + word
        at = np.clip(np.searchsorted(self.pair_codes, code), 0, len(self.pair_codes) - 1)
        return np.where(self.pair_codes[at] == code, self.pair_counts[at], 0.0)

    def log_probs(self, ids: np.ndarray) -> np.ndarray:
        """log P of each word of the stream given the word before it."""
        ids = np.asarray(ids, np.int64)
        return self.pair_log_probs(ids[:-1], ids[1:])

    def pair_log_probs(self, prev: np.ndarray, word: np.ndarray) -> np.ndarray:
        """log P(word | prev), element by element."""
        c_v = self.context_counts[prev]
        seen = c_v > 0
        safe = np.where(seen, c_v, 1.0)
        pair = np.maximum(self._pair_count(prev, word) - self.discount, 0.0) / safe
        back_off = np.where(seen, self.discount * self.followers[prev] / safe, 1.0)
        with np.errstate(divide="ignore"):  # the padding id: log 0 = -inf
            return np.log(np.where(seen, pair, 0.0) + back_off * self.continuation[word])

    def perplexity(self, ids: np.ndarray) -> float:
        return perplexity(self.log_probs(ids))

    def next_word_probs(self, prev: int) -> np.ndarray:
        """The whole distribution P(. | prev) over the ids (sums to 1)."""
        words = np.arange(self.num_words)
        return np.exp(self.pair_log_probs(np.full(self.num_words, prev), words))
