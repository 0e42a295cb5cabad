"""Writing with the language model: temperature, top-k and one word at a time.

The model gives a distribution over the next word; sampling draws from it.
Two knobs shape that distribution first (:func:`reshape`):

* **temperature** ``T`` divides the log-probabilities: ``T < 1`` sharpens
  (``T → 0`` always takes the most likely word: greedy), ``T > 1`` flattens
  (``T → ∞``: every allowed word equally likely);
* **top-k** keeps the ``k`` most likely words only (Fan et al. 2018).

Sampling is seeded (``numpy.random.default_rng(seed)``), so the same
settings always write the same text: a notebook's saved view is stable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..imdb.vocab import OOV, START

__all__ = ["reshape", "sample_next", "generate", "Sample", "GREEDY_BELOW"]

#: Temperatures below this are treated as 0: the most likely word, always.
GREEDY_BELOW = 1e-3


def reshape(probs: np.ndarray, temperature: float = 1.0, top_k: int | None = None,
            banned: tuple[int, ...] = ()) -> np.ndarray:
    """The distribution after ``banned`` ids, ``top_k`` and ``temperature``.

    Returns probabilities that sum to 1. ``temperature`` below
    :data:`GREEDY_BELOW` gives all the mass to the most likely allowed word.
    """
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    if top_k is not None and top_k < 1:
        raise ValueError(f"top_k must be >= 1 (or None for all words), got {top_k}")
    p = np.asarray(probs, dtype=np.float64).copy()
    p[list(banned)] = 0.0
    if p.sum() <= 0:
        raise ValueError("every word is banned or has probability 0")
    if top_k is not None and top_k < np.count_nonzero(p):
        p[np.argsort(p)[:-top_k]] = 0.0
    if temperature < GREEDY_BELOW:
        greedy = np.zeros_like(p)
        greedy[np.argmax(p)] = 1.0
        return greedy
    with np.errstate(divide="ignore"):
        logp = np.log(p) / temperature
    logp -= logp.max()
    out = np.exp(logp)
    return out / out.sum()


def sample_next(probs: np.ndarray, rng: np.random.Generator, temperature: float = 1.0,
                top_k: int | None = None, banned: tuple[int, ...] = ()) -> int:
    """One word id drawn from :func:`reshape`'s distribution."""
    p = reshape(probs, temperature, top_k, banned)
    return int(rng.choice(len(p), p=p))


@dataclass
class Sample:
    """Generated text: the prefix's words, the new words, and each new word's
    probability under the model (before temperature and top-k)."""

    prefix: list[str]
    words: list[str]
    probs: list[float]

    @property
    def text(self) -> str:
        return " ".join(self.prefix + self.words)


def generate(lm: Any, prefix: str = "", words: int = 25, temperature: float = 1.0,
             top_k: int | None = 40, seed: int = 0, unknown: bool = False) -> Sample:
    """Continue ``prefix`` by ``words`` words with :class:`gru_edu.lm.bundle.LanguageModel` ``lm``.

    The model reads the prefix once, then one word at a time (NumPy). It stops
    early if it predicts the start of a new review. ``unknown=False`` never
    writes ``<unk>`` (the one id for every rare word).
    """
    rng = np.random.default_rng(seed)
    ids = lm.vocab.encode(prefix)
    state = lm.read(ids)[-1]
    banned = () if unknown else (OOV,)
    out, probs = [], []
    for _ in range(words):
        p = lm.probs_after(state)
        nxt = sample_next(p, rng, temperature, top_k, banned)
        if nxt == START:
            break
        out.append(lm.vocab.id_to_word(nxt))
        probs.append(float(p[nxt]))
        state = lm.step(nxt, state)
    return Sample(lm.vocab.decode(ids[1:]), out, probs)
