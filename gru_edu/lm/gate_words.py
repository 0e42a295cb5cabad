"""The language model's update gate at kinds of words: negations, names, the start.

In a Keras GRU ``h_t = z_t * h_{t-1} + (1 - z_t) * candidate``: a unit whose
update gate ``z`` is near 1 keeps its state at that word, near 0 writes the
word in. :func:`update_gate_by_group` replays the GRU on many reviews
(:func:`gru_edu.gates.trace`, checked against Keras) and averages ``z`` over
the units at the words of each group, with every word as the reference.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..gates.replay import trace

__all__ = ["GroupGate", "update_gate_by_group", "NEGATIONS"]

#: Negations as the tokenizer writes them (punctuation is dropped, apostrophes kept).
NEGATIONS = ("not", "no", "never", "nothing", "don't", "didn't", "doesn't", "isn't",
             "wasn't", "can't", "won't", "couldn't", "wouldn't", "aren't", "nor")


@dataclass
class GroupGate:
    """Mean update gate (over units and occurrences) at one group's words."""

    name: str
    mean_z: float
    occurrences: int
    per_unit: np.ndarray  # (units,) mean z of each unit at these words


def update_gate_by_group(model: Any, x: np.ndarray, groups: Mapping[str, Iterable[int]],
                         batch_size: int = 64) -> dict[str, GroupGate]:
    """Mean ``z`` at the word ids of each group, and at ``"every word"``.

    ``x``: right-padded word ids; ``groups``: a name and the ids of its words.
    """
    x = np.asarray(x)
    ids = {name: np.asarray(sorted(set(map(int, g)))) for name, g in groups.items()}
    sums: dict[str, Any] = {}
    counts: dict[str, int] = {}
    for start in range(0, len(x), batch_size):
        xb = x[start:start + batch_size]
        width = max(1, int((xb != 0).sum(axis=1).max()))
        z = trace(model, xb[:, :width])[0].z  # (batch, time, units)
        real = xb[:, :width] != 0
        for name, where in [("every word", real)] + [
                (n, real & np.isin(xb[:, :width], i)) for n, i in ids.items()]:
            sums[name] = sums.get(name, 0.0) + z[where].sum(axis=0)
            counts[name] = counts.get(name, 0) + int(where.sum())
    out = {}
    for name, total in sums.items():
        n = counts[name]
        per_unit = total / n if n else np.full(np.shape(total), np.nan)
        out[name] = GroupGate(name, float(np.mean(per_unit)), n, np.asarray(per_unit))
    return out
