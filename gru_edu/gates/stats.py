"""Per-unit gate statistics over many reviews.

:func:`gate_statistics` returns one :class:`GateStats` per GRU layer and
direction: the spread of each gate, and the words at which each unit
writes (lowest z) and keeps (highest z) most.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import config  # noqa: E402

config.quiet_tensorflow()  # before keras: no start-up log lines

import keras  # noqa: E402

from .batches import sequences, traced_batches
from .errors import GatesError
from .keras_plumbing import keras_model
from .replay import GATES, TOLERANCE, GateTrace
from .text import word_of


@dataclass(repr=False)
class GateStats:
    """Per-unit statistics of one GRU layer (one direction) over many reviews.

    ``mean``, ``std``, ``min``, ``max`` map each of ``z``, ``r``, ``h_tilde``,
    ``h`` to a ``(units,)`` array over every unmasked step of every review.
    ``frac_write`` is the fraction of those steps with ``z < 0.5`` (the unit
    writes more of the candidate than it keeps of its old state).

    Word statistics (when the model reads word ids): in each review, the step
    at which unit ``j``'s update gate is lowest (it *writes* most: ``1 - z``,
    the weight of the new candidate, is largest) and highest (it *keeps*
    most of its memory). ``writes_at[j]`` / ``keeps_at[j]`` list the
    ``top_k`` words found there most often, as ``(word, count)`` — "in
    ``count`` reviews, unit ``j`` wrote most at this word".
    ``mean_z_by_word(j)`` ranks words by their average ``z`` instead.
    """

    layer_name: str
    direction: str
    units: int
    n_reviews: int
    n_steps: int
    mean: dict[str, np.ndarray]
    std: dict[str, np.ndarray]
    min: dict[str, np.ndarray]
    max: dict[str, np.ndarray]
    frac_write: np.ndarray
    writes_at: list[list[tuple[Any, int]]] | None
    keeps_at: list[list[tuple[Any, int]]] | None
    max_abs_error: float
    word_counts: np.ndarray | None = field(default=None, repr=False)
    z_sum_by_word: np.ndarray | None = field(default=None, repr=False)  # (units, V)
    vocab: Any = field(default=None, repr=False)

    def mean_z_by_word(
        self, unit: int, k: int = 10, min_count: int = 20, lowest: bool = True
    ) -> list[tuple[Any, float, int]]:
        """Words with the lowest (or highest) average ``z`` at ``unit``.

        Only words read at least ``min_count`` times count. Returns
        ``(word, mean z, count)`` triples.
        """
        if self.z_sum_by_word is None:
            raise GatesError(
                "word statistics need a model that reads word ids (integers)"
            )
        counts = self.word_counts
        ok = np.flatnonzero(counts >= min_count)
        means = self.z_sum_by_word[unit, ok] / counts[ok]
        order = np.argsort(means if lowest else -means, kind="stable")[:k]
        return [
            (word_of(self.vocab, ok[i]), float(means[i]), int(counts[ok[i]]))
            for i in order
        ]

    def __repr__(self) -> str:
        return (
            f"GateStats({self.layer_name!r}, {self.direction}, units={self.units}, "
            f"reviews={self.n_reviews}, steps={self.n_steps}, "
            f"max_abs_error={self.max_abs_error:.1e})"
        )


class _Accumulator:
    """Running sums for one GateStats."""

    def __init__(self, units: int, vocab_size: int | None) -> None:
        self.n = 0
        self.reviews = 0
        self.err = 0.0
        self.sum = {g: np.zeros(units) for g in GATES}
        self.sq = {g: np.zeros(units) for g in GATES}
        self.min = {g: np.full(units, np.inf) for g in GATES}
        self.max = {g: np.full(units, -np.inf) for g in GATES}
        self.write = np.zeros(units)
        self.vocab_size = vocab_size
        if vocab_size:
            self.writes_at = np.zeros((units, vocab_size), dtype=np.int64)
            self.keeps_at = np.zeros((units, vocab_size), dtype=np.int64)
            self.z_by_word = np.zeros((units, vocab_size))
            self.words = np.zeros(vocab_size, dtype=np.int64)

    def add(self, t: GateTrace, ids: np.ndarray | None) -> None:
        mask = t.mask
        valid = mask.any(axis=1)
        self.reviews += int(valid.sum())
        self.err = max(self.err, t.max_abs_error)
        self.n += int(mask.sum())
        for g in GATES:
            v = t.gate(g)[mask]  # (n_valid, units)
            self.sum[g] += v.sum(axis=0)
            self.sq[g] += np.einsum("ij,ij->j", v, v)
            if len(v):
                np.minimum(self.min[g], v.min(axis=0), out=self.min[g])
                np.maximum(self.max[g], v.max(axis=0), out=self.max[g])
        z_valid = t.z[mask]
        self.write += (z_valid < 0.5).sum(axis=0)
        if ids is None or not self.vocab_size:
            return
        units = t.units
        z = t.z
        lo = np.where(mask[..., None], z, np.inf).argmin(axis=1)  # (batch, units)
        hi = np.where(mask[..., None], z, -np.inf).argmax(axis=1)
        rows = np.flatnonzero(valid)
        unit_idx = np.broadcast_to(np.arange(units), (len(rows), units))
        np.add.at(self.writes_at, (unit_idx, ids[rows[:, None], lo[rows]]), 1)
        np.add.at(self.keeps_at, (unit_idx, ids[rows[:, None], hi[rows]]), 1)
        w = ids[mask]
        V = self.vocab_size
        self.words += np.bincount(w, minlength=V)
        flat = (np.arange(units)[None, :] * V + w[:, None]).ravel()
        self.z_by_word += np.bincount(
            flat, weights=z_valid.ravel(), minlength=units * V
        ).reshape(units, V)

    def result(self, t: GateTrace, top_k: int, vocab: Any) -> GateStats:
        n = max(self.n, 1)
        mean = {g: self.sum[g] / n for g in GATES}
        std = {g: np.sqrt(np.maximum(self.sq[g] / n - mean[g] ** 2, 0.0)) for g in GATES}

        def top(counts: np.ndarray) -> list[list[tuple[Any, int]]]:
            result = []
            for row in counts:
                order = np.argsort(-row, kind="stable")[:top_k]
                result.append([(word_of(vocab, i), int(row[i])) for i in order if row[i]])
            return result

        has_words = bool(self.vocab_size)
        return GateStats(
            layer_name=t.layer_name,
            direction=t.direction,
            units=t.units,
            n_reviews=self.reviews,
            n_steps=self.n,
            mean=mean,
            std=std,
            min=self.min,
            max=self.max,
            frac_write=self.write / n,
            writes_at=top(self.writes_at) if has_words else None,
            keeps_at=top(self.keeps_at) if has_words else None,
            max_abs_error=self.err,
            word_counts=self.words if has_words else None,
            z_sum_by_word=self.z_by_word if has_words else None,
            vocab=vocab,
        )


def gate_statistics(
    model: Any,
    inputs: Any,
    *,
    batch_size: int = 64,
    top_k: int = 10,
    vocab: Any = None,
    tolerance: float = TOLERANCE,
    progress: bool = False,
) -> list[GateStats]:
    """Per-unit gate statistics of every GRU layer over many sequences.

    The sequences are traced ``batch_size`` at a time (each batch checks
    itself against Keras, as :func:`trace` does); only running sums are
    kept, so memory does not grow with the number of reviews.

    Args:
        model: the Keras model (or a trained bundle: its ``.vocab`` is then
            used to turn word ids into words).
        inputs: ``(n, time)`` word ids (or ``(n, time, features)``).
        batch_size: sequences per Keras call and per replay.
        top_k: words listed per unit in ``writes_at`` / ``keeps_at``.
        vocab: turns ids into words (``decode``); ids are reported without.
        progress: show a tqdm progress bar.

    Returns:
        One :class:`GateStats` per GRU layer and direction, as :func:`trace`.
    """
    if vocab is None and not isinstance(model, keras.Model):
        vocab = getattr(model, "vocab", None)
    model = keras_model(model)
    data = sequences(model, inputs, "gate_statistics")
    ids = data if np.issubdtype(data.dtype, np.integer) and data.ndim == 2 else None
    vocab_size = None if ids is None else int(data.max()) + 1
    accs: list[_Accumulator] | None = None
    last: list[GateTrace] = []
    for s, traces in traced_batches(model, data, batch_size=batch_size, tolerance=tolerance,
                                    progress=progress, desc="gate statistics"):
        if accs is None:
            accs = [_Accumulator(t.units, vocab_size) for t in traces]
        for acc, t in zip(accs, traces):
            acc.add(t, None if ids is None else ids[s: s + t.batch])
        last = traces
    assert accs is not None
    return [acc.result(t, top_k, vocab) for acc, t in zip(accs, last)]
