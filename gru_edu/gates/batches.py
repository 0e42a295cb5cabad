"""Many sequences through a model, one fixed-shape batch at a time.

:func:`gate_statistics`, :func:`gate_saturation`, :func:`build_state_cache`
and :func:`memory_reach` read thousands of reviews. They go through the
model ``batch_size`` at a time, and a shorter last batch is filled up to the
same shape (:func:`fill_batch`), so the compiled Keras pass is not traced
again for it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Iterator

import numpy as np

from .. import config
from .errors import EmptyReviewError, UnsupportedModelError
from .keras_plumbing import gate_plan
from .replay import GATES, GateTrace, trace_and_predict


def fill_batch(chunk: np.ndarray, batch_size: int, first: bool) -> np.ndarray:
    """``chunk`` filled up to ``batch_size`` rows with copies of its first row.

    The first batch fixes the shape the model is compiled for; a shorter last
    batch is filled so nothing is traced again (the caller drops the extra
    rows). The first batch itself is left as it is.
    """
    if first or len(chunk) >= batch_size:
        return chunk
    return np.concatenate([chunk, np.repeat(chunk[:1], batch_size - len(chunk), 0)])


def sequences(model: Any, inputs: Any, caller: str) -> np.ndarray:
    """``inputs`` as a batch of sequences for the one-input Keras ``model``
    (one sequence gets its batch axis); ``caller`` names who refuses."""
    plan = gate_plan(model)
    if plan.n_inputs != 1:
        raise UnsupportedModelError(f"{caller} takes models with one input")
    data = np.asarray(inputs)
    if data.ndim == len(plan.input_specs[0][0]) - 1:
        data = data[None]
    if data.shape[0] == 0:
        raise EmptyReviewError("no sequences given")
    return data


def traced_batches(model: Any, data: np.ndarray, *, batch_size: int, tolerance: float,
                   progress: bool, desc: str) -> Iterator[tuple[int, list[GateTrace]]]:
    """``(start, traces)`` for each batch ``data[start:start + batch_size]``.

    Each batch is replayed and checked against Keras as
    :func:`gru_edu.gates.trace` does, skipping the padding steps; its traces
    hold the batch's own rows only. ``progress``: a bar labelled ``desc``.
    """
    batch_size = max(1, int(batch_size))
    starts: Any = range(0, len(data), batch_size)
    if progress:
        starts = config.progress_bar(starts, desc=desc, unit="batch")
    for s in starts:
        chunk = data[s:s + batch_size]
        n = len(chunk)
        traces, _ = trace_and_predict(model, fill_batch(chunk, batch_size, first=s == 0),
                                      tolerance, masked_steps=False)
        yield s, [t if n == t.batch else _first_rows(t, n) for t in traces]


def _first_rows(t: GateTrace, n: int) -> GateTrace:
    """The first ``n`` sequences of a trace (the filling rows dropped)."""
    return replace(t, **{g: getattr(t, g)[:n] for g in GATES}, mask=t.mask[:n], x=t.x[:n])
