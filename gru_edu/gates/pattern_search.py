"""Select and match (LSTMVis, Strobelt et al. 2018) over cached GRU states.

The learner selects a span of words in one review and a threshold.
:func:`select_units` finds the units whose state (or gate) is *on*
(``>= threshold``) at every word of the span and *off* just outside it;
:func:`find_matches` lists every span of the test set where all those units
are on together, and off just before and after, with about the same length.

The states of the whole test set are computed once with the replay of
:mod:`gru_edu.gates` and kept in a :class:`StateCache`: plain ``.npy``
arrays (no pickle), one row per unit and one column per unmasked step of
every review, rounded to 8 bits (``h`` in steps of 1/127, gates in steps
of 1/255). A search reads only the selected units' rows (contiguous
memory), so it is a handful of vectorised NumPy passes: well under a
second for 25,000 reviews.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .. import config
from .batches import traced_batches
from .errors import EmptyReviewError, GatesError
from .keras_plumbing import keras_model
from ..imdb.vocab import PAD
from .replay import TOLERANCE

__all__ = [
    "SIGNALS",
    "StateCache",
    "Match",
    "Matches",
    "build_state_cache",
    "select_units",
    "find_matches",
    "default_cache_dir",
]

#: What can be searched: the state ``h`` and the gates ``z``, ``r``.
SIGNALS = ("h", "z", "r")

#: 8-bit storage: value = q / scale (``h`` in [-1, 1], gates in [0, 1]).
_SCALE = {"h": 127.0, "z": 255.0, "r": 255.0}
_DTYPE = {"h": np.int8, "z": np.uint8, "r": np.uint8}


@dataclass(repr=False)
class StateCache:
    """States of one GRU layer over many reviews, unmasked steps only.

    ``data[s]`` is ``(units, steps)`` 8-bit integers for signal ``s``;
    ``offsets[i]:offsets[i+1]`` are review ``i``'s columns; ``ids`` the word
    id read at each column; ``reviews[i]`` the review's index in the data
    it came from (e.g. the test set). :meth:`values` gives floats.
    """

    data: dict[str, np.ndarray]
    ids: np.ndarray
    offsets: np.ndarray
    reviews: np.ndarray
    meta: dict[str, Any]

    @property
    def units(self) -> int:
        return next(iter(self.data.values())).shape[0]

    @property
    def n_reviews(self) -> int:
        return len(self.offsets) - 1

    @property
    def n_steps(self) -> int:
        return int(self.offsets[-1])

    def values(self, signal: str, review: int | None = None) -> np.ndarray:
        """Float values ``(steps, units)`` of one cached review (or all)."""
        q = self.data[_signal(self, signal)]
        if review is not None:
            q = q[:, self.offsets[review]:self.offsets[review + 1]]
        return (np.asarray(q, dtype=np.float64) / _SCALE[signal]).T

    def review_ids(self, review: int) -> np.ndarray:
        return np.asarray(self.ids[self.offsets[review]:self.offsets[review + 1]])

    def save(self, folder: str | os.PathLike) -> Path:
        """Write ``<signal>.npy``, ``ids.npy``, ``offsets.npy``,
        ``reviews.npy`` and ``meta.json`` into ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for s, a in self.data.items():
            np.save(folder / f"{s}.npy", np.ascontiguousarray(a))
        np.save(folder / "ids.npy", np.asarray(self.ids))
        np.save(folder / "offsets.npy", np.asarray(self.offsets))
        np.save(folder / "reviews.npy", np.asarray(self.reviews))
        (folder / "meta.json").write_text(json.dumps(self.meta, indent=1))
        return folder

    @classmethod
    def load(cls, folder: str | os.PathLike, mmap: bool = True) -> "StateCache":
        """Open a saved cache (memory-mapped: pages are read when searched)."""
        folder = Path(folder)
        meta_file = folder / "meta.json"
        if not meta_file.exists():
            raise FileNotFoundError(f"{folder} holds no state cache (no meta.json)")
        meta = json.loads(meta_file.read_text())
        mode = "r" if mmap else None

        def load(name: str) -> np.ndarray:
            return np.load(folder / f"{name}.npy", mmap_mode=mode,
                           allow_pickle=False)

        data = {s: load(s) for s in meta["signals"]}
        return cls(data, load("ids"), np.asarray(load("offsets")),
                   np.asarray(load("reviews")), meta)

    def __repr__(self) -> str:
        return (f"StateCache(reviews={self.n_reviews}, steps={self.n_steps}, "
                f"units={self.units}, signals={list(self.data)})")


def _signal(cache: StateCache, signal: str) -> str:
    if signal not in cache.data:
        raise GatesError(f"signal {signal!r} is not cached: the cache holds "
                         f"{list(cache.data)}")
    return signal


def _quantise(values: np.ndarray, signal: str) -> np.ndarray:
    lo = -127 if signal == "h" else 0
    hi = 127 if signal == "h" else 255
    q = np.clip(np.rint(values * _SCALE[signal]), lo, hi)
    return q.astype(_DTYPE[signal])


def default_cache_dir(name: str) -> Path:
    """``artifacts/cache/states/<name>``: where notebook 06 keeps its cache."""
    return config.artifacts_dir() / "cache" / "states" / name


def build_state_cache(model: Any, ids: Any, *, signals: Sequence[str] = ("h", "z"),
                      layer: int = 0, batch_size: int = 64,
                      reviews: Sequence[int] | None = None,
                      tolerance: float = TOLERANCE,
                      progress: bool = False) -> StateCache:
    """Trace ``ids`` (padded word ids) and keep ``signals`` of GRU ``layer``.

    Each batch is replayed and checked against Keras as in
    :func:`gru_edu.gates.trace`. ``reviews``: the index of each row in the
    data it came from (default ``0..n-1``).
    """
    for s in signals:
        if s not in SIGNALS:
            raise ValueError(f"signals must be among {SIGNALS}, got {s!r}")
    model = keras_model(model)
    ids = np.asarray(ids)
    if ids.ndim != 2 or len(ids) == 0:
        raise EmptyReviewError(f"expected (reviews, time) word ids, got {ids.shape}")
    keep = (ids != PAD).any(axis=1)
    rows = np.flatnonzero(keep)
    index = np.arange(len(ids)) if reviews is None else np.asarray(reviews)
    kept = ids if keep.all() else ids[rows]
    parts: dict[str, list[np.ndarray]] = {s: [] for s in signals}
    id_parts, lengths = [], []
    for s, traces in traced_batches(model, kept, batch_size=batch_size, tolerance=tolerance,
                                    progress=progress, desc="caching states"):
        t = traces[layer]
        mask = t.mask
        for sig in signals:
            parts[sig].append(_quantise(t.gate(sig)[mask], sig).T)
        id_parts.append(kept[s:s + t.batch][mask].astype(np.int32))
        lengths.append(mask.sum(axis=1))
    offsets = np.concatenate([[0], np.cumsum(np.concatenate(lengths))])
    data = {sig: np.ascontiguousarray(np.concatenate(parts[sig], axis=1))
            for sig in signals}
    meta = {"signals": list(signals), "model": model.name,
            "units": int(next(iter(data.values())).shape[0]),
            "reviews": int(len(rows)), "layer": int(layer),
            "scale": {s: _SCALE[s] for s in signals}}
    return StateCache(data, np.concatenate(id_parts), offsets.astype(np.int64),
                      index[rows].astype(np.int64), meta)


def select_units(values: np.ndarray, start: int, end: int,
                 threshold: float) -> np.ndarray:
    """Units on (``>= threshold``) at every step ``start..end`` (inclusive)
    of ``values`` ``(steps, units)``, and off at ``start - 1`` and
    ``end + 1`` (where those steps exist)."""
    values = np.asarray(values)
    steps = values.shape[0]
    if not 0 <= start <= end < steps:
        raise ValueError(f"span {start}..{end} is not inside the review "
                         f"(steps 0..{steps - 1})")
    on = (values[start:end + 1] >= threshold).all(axis=0)
    if start > 0:
        on &= values[start - 1] < threshold
    if end + 1 < steps:
        on &= values[end + 1] < threshold
    return np.flatnonzero(on)


@dataclass(frozen=True)
class Match:
    """A span ``start..end`` (inclusive, steps of the review's cached words)
    of cached review ``row`` (``review``: its index in the original data)."""

    row: int
    review: int
    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1


@dataclass(repr=False)
class Matches:
    """The matches of one search, as arrays (one entry per match, review
    order): cached ``rows``, original ``reviews`` indices, ``starts`` and
    ``ends`` (inclusive, steps of the review). Indexing or iterating gives
    :class:`Match` objects; ``len`` counts them."""

    rows: np.ndarray
    reviews: np.ndarray
    starts: np.ndarray
    ends: np.ndarray

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        return Match(int(self.rows[i]), int(self.reviews[i]),
                     int(self.starts[i]), int(self.ends[i]))

    def __iter__(self) -> Any:
        return (self[k] for k in range(len(self)))

    def spans(self) -> set[tuple[int, int, int]]:
        """``{(row, start, end)}``: the matches as a set (for comparisons)."""
        return set(zip(self.rows.tolist(), self.starts.tolist(),
                       self.ends.tolist()))

    def __repr__(self) -> str:
        return (f"Matches({len(self)} spans in "
                f"{len(np.unique(self.rows))} reviews)")


def find_matches(cache: StateCache, units: Sequence[int], threshold: float,
                 length: int, *, signal: str = "h", slack: int = 0,
                 limit: int | None = None) -> Matches:
    """Every span where all ``units`` are on together, off just outside.

    A match is a maximal run of steps (inside one review) at which every
    selected unit's ``signal`` is ``>= threshold``, whose length is within
    ``slack`` of ``length``. Values are compared as cached (8-bit).
    Returns :class:`Matches` in review order (at most ``limit``).
    """
    units = np.asarray(units, dtype=int)
    if units.size == 0:
        raise GatesError("no unit selected: choose a span or a threshold at "
                         "which some unit is on across it and off outside")
    q = cache.data[_signal(cache, signal)]
    if units.min() < 0 or units.max() >= q.shape[0]:
        raise GatesError(f"units must be in 0..{q.shape[0] - 1}")
    q_min = int(np.ceil(threshold * _SCALE[signal] - 1e-9))
    on = np.asarray(q[units[0]]) >= q_min
    for u in units[1:]:
        on &= np.asarray(q[u]) >= q_min
    n = on.size
    first = np.zeros(n, dtype=bool)
    first[cache.offsets[:-1][cache.offsets[:-1] < n]] = True
    last = np.zeros(n, dtype=bool)
    last[cache.offsets[1:] - 1] = True
    prev_on = np.concatenate([[False], on[:-1]]) & ~first
    next_on = np.concatenate([on[1:], [False]]) & ~last
    starts = np.flatnonzero(on & ~prev_on)
    ends = np.flatnonzero(on & ~next_on)
    keep = np.abs((ends - starts + 1) - int(length)) <= int(slack)
    starts, ends = starts[keep], ends[keep]
    if limit is not None:
        starts, ends = starts[:limit], ends[:limit]
    rows = np.searchsorted(cache.offsets, starts, side="right") - 1
    base = cache.offsets[rows]
    return Matches(rows, np.asarray(cache.reviews)[rows], starts - base,
                   ends - base)
