"""The language model's update gate at kinds of words: negations, names, sentence ends.

In a Keras GRU ``h_t = z_t * h_{t-1} + (1 - z_t) * candidate``: a unit whose
update gate ``z`` is near 1 keeps its state at that word, near 0 writes the
word in. :func:`update_gate_by_group` replays the GRU on many reviews
(:func:`gru_edu.gates.trace`, checked against Keras) and averages ``z`` over
the units at the words of each group, with every word as the reference.
The tokenizer drops punctuation, so a sentence end is no word of its own:
:func:`sentence_end_mask` finds, in the raw text, the last word of each
sentence, and ``update_gate_by_group(..., at=...)`` averages ``z`` there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..gates.replay import trace

__all__ = ["GroupGate", "update_gate_by_group", "sentence_end_mask", "NEGATIONS"]

_SENTENCE_END = re.compile(r"[.!?]+")

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


def sentence_end_mask(texts: Sequence[str], vocab: Any,
                      maxlen: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """Word ids of ``texts`` and where their sentences end.

    Returns ``(x, ends)``: ``x`` is ``vocab.encode`` of each text (the start
    id, then one id per word), cut after ``maxlen`` ids and right-padded;
    ``ends`` is True at the last word before each ``.``, ``!`` or ``?``. The
    tokenizer never puts punctuation inside a word, so the words of the text
    split at those marks are, in order, the words of the whole text.
    """
    x = np.zeros((len(texts), maxlen), dtype="int32")
    ends = np.zeros((len(texts), maxlen), dtype=bool)
    for row, text in enumerate(texts):
        ids = vocab.encode(text)[:maxlen]
        x[row, :len(ids)] = ids
        pieces = _SENTENCE_END.split(text)
        position = 0  # the start id
        for piece in pieces[:-1]:  # the last piece is not followed by a mark
            position += len(vocab.tokenize(piece))
            if position and position < len(ids):
                ends[row, position] = True
    return x, ends


def update_gate_by_group(model: Any, x: np.ndarray, groups: Mapping[str, Iterable[int]],
                         batch_size: int = 64,
                         at: Mapping[str, np.ndarray] | None = None) -> dict[str, GroupGate]:
    """Mean ``z`` at the word ids of each group, and at ``"every word"``.

    ``x``: right-padded word ids; ``groups``: a name and the ids of its words;
    ``at``: a name and a boolean mask of ``x``'s shape (e.g. the sentence ends
    of :func:`sentence_end_mask`), for groups defined by position.
    """
    x = np.asarray(x)
    ids = {name: np.asarray(sorted(set(map(int, g)))) for name, g in groups.items()}
    masks = {name: np.asarray(m, dtype=bool) for name, m in (at or {}).items()}
    sums: dict[str, Any] = {}
    counts: dict[str, int] = {}
    for start in range(0, len(x), batch_size):
        xb = x[start:start + batch_size]
        width = max(1, int((xb != 0).sum(axis=1).max()))
        z = trace(model, xb[:, :width])[0].z  # (batch, time, units)
        real = xb[:, :width] != 0
        rows = slice(start, start + batch_size)
        for name, where in [("every word", real)] + [
                (n, real & np.isin(xb[:, :width], i)) for n, i in ids.items()] + [
                (n, real & m[rows, :width]) for n, m in masks.items()]:
            sums[name] = sums.get(name, 0.0) + z[where].sum(axis=0)
            counts[name] = counts.get(name, 0) + int(where.sum())
    out = {}
    for name, total in sums.items():
        n = counts[name]
        per_unit = total / n if n else np.full(np.shape(total), np.nan)
        out[name] = GroupGate(name, float(np.mean(per_unit)), n, np.asarray(per_unit))
    return out
