"""The gates of a Keras GRU replayed with :mod:`gru_edu.cell`, and the
self-check.

:func:`trace` recomputes ``z_t``, ``r_t``, ``h̃_t`` and ``h_t`` of every GRU
layer from the layer's own inputs and states (:mod:`.keras_plumbing`)
and returns one :class:`GateTrace` per layer and direction. The replayed
``h_t`` must equal the layer's at every step to within
:data:`TOLERANCE`, else :class:`ReplayError` is raised.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field, replace
from typing import Any, Iterator

import numpy as np

from ..cell.numpy_gru import GRUCache, GRUParams, gru_replay
from .errors import EmptyReviewError, GatesError, ReplayError
from .keras_plumbing import GatePlan, GRUEntry, direction_state, gate_plan, keras_model


#: Largest accepted ``max |h_replay - h_keras|``. The replay runs in float64
#: from the float32 inputs and weights the layer used; what is left is the
#: rounding of Keras's float32 arithmetic (about 1e-7 per step, not growing
#: for trained or Keras-initialised weights: see tests/test_replay.py).
TOLERANCE = 1e-5

#: The arrays a :class:`GateTrace` holds, one per GRU quantity.
GATES = ("z", "r", "h_tilde", "h")


@dataclass(repr=False)
class GateTrace:
    """Gates of one GRU layer (one direction) over a batch of sequences.

    ``z``, ``r``, ``h_tilde``, ``h`` are ``(batch, time, units)`` float64
    arrays and ``mask`` is ``(batch, time)``, all in input time order: index
    ``t`` is the ``t``-th input step whichever direction the layer read.
    ``h`` is the state after step ``t``; at a masked step it is the state
    carried over (as Keras carries it). ``x`` is what the layer received.
    """

    layer_name: str
    direction: str  # "forward" or "backward"
    z: np.ndarray
    r: np.ndarray
    h_tilde: np.ndarray
    h: np.ndarray
    mask: np.ndarray
    x: np.ndarray
    params: GRUParams
    max_abs_error: float  # max |replayed h - the layer's own output|
    go_backwards: bool  # True: the steps ran from the last input to the first
    return_sequences: bool
    cache: GRUCache = field(repr=False)  # the replay's cache, in run order

    @property
    def units(self) -> int:
        return self.params.units

    @property
    def batch(self) -> int:
        return self.h.shape[0]

    @property
    def time(self) -> int:
        return self.h.shape[1]

    @property
    def h_prev(self) -> np.ndarray:
        """The state each step read (``h_{t-1}`` in run order), input order."""
        return _to_input_order(self.cache.h_prev, self.go_backwards)

    @property
    def final_state(self) -> np.ndarray:
        """The state after the last step run, ``(batch, units)``."""
        return self.cache.h[:, -1]

    def gate(self, name: str) -> np.ndarray:
        """``"z"``, ``"r"``, ``"h_tilde"`` or ``"h"`` by name."""
        if name not in GATES:
            raise ValueError(f"gate must be one of {GATES}, got {name!r}")
        return getattr(self, name)

    def crop(self, steps: slice) -> "GateTrace":
        """The same trace restricted to the time steps ``steps`` (input order)."""
        return replace(
            self,
            **{g: getattr(self, g)[:, steps] for g in GATES},
            mask=self.mask[:, steps],
            x=self.x[:, steps],
        )

    def __repr__(self) -> str:
        return (
            f"GateTrace({self.layer_name!r}, {self.direction}, batch={self.batch}, "
            f"time={self.time}, units={self.units}, "
            f"max_abs_error={self.max_abs_error:.1e})"
        )


_BLAS = None


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the per-step products on one BLAS thread.

    The replay's products are small (one review: 300 rows of ``units``
    values) and run right after Keras's own threaded pass; on a busy machine
    OpenBLAS's threads then spend more time waiting for each other than
    computing. ``threadpoolctl`` is optional; without it nothing changes.
    """
    global _BLAS
    if _BLAS is None:
        try:
            from threadpoolctl import ThreadpoolController

            _BLAS = ThreadpoolController()
        except ImportError:  # pragma: no cover - optional dependency
            _BLAS = False
    if _BLAS is False:
        yield
        return
    with _BLAS.limit(limits=1, user_api="blas"):
        yield


def _to_input_order(a: np.ndarray, backwards: bool) -> np.ndarray:
    return a[:, ::-1] if backwards else a


def _prepare(plan: GatePlan, inputs: Any) -> list[np.ndarray]:
    seq = inputs if plan.n_inputs > 1 else [inputs]
    if len(seq) != plan.n_inputs:
        raise GatesError(f"the model takes {plan.n_inputs} inputs, got {len(seq)}")
    arrays = []
    for a, (shape, dtype) in zip(seq, plan.input_specs):
        a = np.asarray(a)
        if a.ndim == len(shape) - 1 and all(  # one sequence: add the batch axis
            d is None or d == s for d, s in zip(shape[2:], a.shape[1:])
        ):
            a = a[None]
        if a.ndim != len(shape) or any(
            d is not None and d != s for d, s in zip(shape[2:], a.shape[2:])
        ):
            raise GatesError(
                f"the model takes inputs of shape {_shape_str(shape)}, got an "
                f"array of shape {a.shape}"
            )
        if a.shape[0] == 0 or a.shape[1] == 0:
            raise EmptyReviewError(
                f"nothing to trace: the input has shape {a.shape} "
                "(no sequence, or no time step)"
            )
        if shape[1] is not None and a.shape[1] != shape[1]:
            raise GatesError(
                f"this model reads sequences of exactly {shape[1]} steps (its "
                f"Input shape is {_shape_str(shape)}), got {a.shape[1]}: pad or "
                f"cut them to {shape[1]} first (keras.utils.pad_sequences(..., "
                f"maxlen={shape[1]})), or use gates.trace_text for a typed review"
            )
        arrays.append(a.astype(dtype, copy=False))
    return arrays


def _shape_str(shape: tuple) -> str:
    dims = ["batch", "time" if shape[1] is None else str(shape[1])]
    dims += ["?" if d is None else str(d) for d in shape[2:]]
    return "(" + ", ".join(dims) + ")"


def _last_unmasked(mask: np.ndarray, before: bool) -> np.ndarray:
    """Index of the last unmasked step up to each step (-1: none yet), run order.

    ``before=False`` counts the step itself, ``before=True`` only the steps
    before it (the state a step reads).
    """
    batch, time = mask.shape
    last = np.maximum.accumulate(np.where(mask, np.arange(time), -1), axis=1)
    if before:
        last = np.concatenate([np.full((batch, 1), -1), last[:, :-1]], axis=1)
    return last


def _carried(
    states: np.ndarray, mask: np.ndarray, h0: np.ndarray, before: bool
) -> np.ndarray:
    """States with masked steps carrying the state, as Keras carries it (run order).

    Each step gets the state after the last *unmasked* step up to it
    (``before=False``: the step itself included) or strictly before it
    (``before=True``: the ``h_{t-1}`` the step reads), or ``h0`` when there is
    none yet.
    """
    last = _last_unmasked(mask, before)
    picked = np.take_along_axis(states, np.maximum(last, 0)[..., None], axis=1)
    return np.where(last[..., None] >= 0, picked, h0[:, None, :])


def _replay_direction(
    sub: Any, x: np.ndarray, mask: np.ndarray, h0: Any, states: np.ndarray,
    weights: list[np.ndarray], masked_steps: bool = True,
) -> tuple:
    """Every step of one direction, replayed from the state Keras had before it.

    ``states`` are the layer's own ``h_t`` (run order). Each step ``t`` is
    recomputed with :func:`gru_edu.cell.gru_replay` from the input ``x_t`` and
    the layer's ``h_{t-1}``: all steps at once, so the gates cost a few
    matrix products instead of a loop of ``time`` small ones. The replayed
    ``h_t`` is then checked against the layer's ``h_t`` at every unmasked
    step, so the error cannot hide in an average or pile up over the review.

    ``masked_steps=False`` skips masked steps (padding), which
    :func:`gate_statistics` never reads: their gates and states are NaN then.
    """
    params = GRUParams(*weights, reset_after=bool(sub.cell.reset_after))
    back = bool(getattr(sub, "go_backwards", False))
    xp = np.asarray(_to_input_order(x, back), dtype=np.float64)
    mp = np.ascontiguousarray(_to_input_order(mask, back))
    batch, time = mp.shape
    h0 = np.zeros((batch, params.units)) if h0 is None else np.asarray(h0, np.float64)
    keras_h = np.asarray(states, dtype=np.float64)
    if masked_steps or mp.all():
        h_prev = _carried(keras_h, mp, h0, before=True)
        step = gru_replay(xp, h_prev, params)
        z, r, h_tilde, hu_h, h_new = step.z, step.r, step.h_tilde, step.hu_h, step.h
    else:  # only the unmasked steps, gathered into one sequence
        b_idx = np.nonzero(mp)[0]
        t_prev = _last_unmasked(mp, before=True)[mp]
        hp = np.where(
            (t_prev >= 0)[:, None], keras_h[b_idx, np.maximum(t_prev, 0)], h0[b_idx]
        )
        step = gru_replay(xp[mp][None], hp[None], params)
        z, r, h_tilde, hu_h, h_new = (np.full(keras_h.shape, np.nan) for _ in range(5))
        for full, part in zip(
            (z, r, h_tilde, hu_h, h_new),
            (step.z[0], step.r[0], step.h_tilde[0], step.hu_h[0], step.h[0]),
        ):
            full[mp] = part
    step_err = _err(h_new[mp], keras_h[mp])
    h = _carried(h_new, mp, h0, before=False) if masked_steps else h_new
    cache = GRUCache(xp, h0, h, z, r, h_tilde, hu_h, mp, step.params)
    # The layer's own output as the replay gives it, for the second check.
    if getattr(sub, "return_sequences", False):
        out = h if masked_steps else _carried(h_new, mp, h0, before=False)
        if getattr(sub, "zero_output_for_mask", False):
            out = np.where(mp[..., None], out, 0.0)
    elif masked_steps or mp[:, -1].all():
        out = h[:, -1]
    else:
        final = np.flatnonzero(mp.any(axis=1))
        last_step = time - 1 - np.argmax(mp[:, ::-1], axis=1)
        out = h0.copy()
        out[final] = h_new[final, last_step[final]]
    return params, back, cache, out, step_err


def _err(a: np.ndarray, b: np.ndarray) -> float:
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return float("inf")
    d = np.abs(a - b)
    return float(d.max()) if d.size else 0.0


def _merge(mode: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return {"sum": a + b, "ave": (a + b) / 2, "mul": a * b}[mode]


def _replay_entry(
    entry: GRUEntry, values: list[np.ndarray], params: list[np.ndarray], tolerance: float,
    masked_steps: bool = True,
) -> list[GateTrace]:
    """The checked :class:`GateTrace` of each direction of one GRU layer."""
    x = values[entry.x]
    batch, time = x.shape[:2]
    mask = (
        np.ones((batch, time), dtype=bool)
        if entry.mask is None
        else np.asarray(values[entry.mask], dtype=bool).reshape(batch, time)
    )
    h0s = [np.asarray(values[i], dtype=np.float64) for i in entry.h0]
    replays = [
        _replay_direction(
            sub, x, mask, direction_state(h0s, k, len(entry.directions)),
            values[entry.states[k]], [params[i] for i in entry.weights[k]], masked_steps,
        )
        for k, (_, sub) in enumerate(entry.directions)
    ]
    errors = _output_errors(entry.layer, replays, [values[i] for i in entry.out])
    traces = []
    for (direction, sub), (params_k, back, cache, _, step_err), err in zip(
        entry.directions, replays, errors
    ):
        err = max(err, step_err)
        if not err <= tolerance:
            raise ReplayError(_replay_message(entry.layer, direction, sub, err, tolerance))
        traces.append(
            GateTrace(
                layer_name=entry.layer.name,
                direction=direction,
                z=_to_input_order(cache.z, back),
                r=_to_input_order(cache.r, back),
                h_tilde=_to_input_order(cache.h_tilde, back),
                h=_to_input_order(cache.h, back),
                mask=mask,
                x=x,
                params=params_k,
                max_abs_error=err,
                go_backwards=back,
                return_sequences=bool(getattr(sub, "return_sequences", False)),
                cache=cache,
            )
        )
    return traces


def _output_errors(layer: Any, replays: list[tuple], outs: list[np.ndarray]) -> list[float]:
    """Per direction, ``max |replay - layer|`` over the layer's own output(s),
    laid out as Keras lays them out (``return_state``, Bidirectional merge)."""
    if len(replays) == 1:
        _, _, cache, out, _ = replays[0]
        err = _err(out, outs[0])
        for state in outs[1:]:  # return_state=True
            err = max(err, _err(cache.h[:, -1], state))
        return [err]
    (_, _, cf, yf, _), (_, _, cb, yb, _) = replays
    if layer.return_sequences:
        yb = yb[:, ::-1]  # Bidirectional flips the backward output back
    mode = layer.merge_mode
    states = outs[2:] if mode is None else outs[1:]
    if mode == "concat":
        nf = yf.shape[-1]
        errors = [_err(yf, outs[0][..., :nf]), _err(yb, outs[0][..., nf:])]
    elif mode is None:
        errors = [_err(yf, outs[0]), _err(yb, outs[1])]
    else:
        e = _err(_merge(mode, yf, yb), outs[0])
        errors = [e, e]
    if len(states) == 2:
        errors = [
            max(errors[0], _err(cf.h[:, -1], states[0])),
            max(errors[1], _err(cb.h[:, -1], states[1])),
        ]
    return errors


def _replay_message(layer: Any, direction: str, sub: Any, err: float, tol: float) -> str:
    msg = (
        f"the NumPy replay of GRU layer {layer.name!r} ({direction}) does not "
        f"reproduce the layer's own output: max |h_replay - h_keras| = {err:.3g} "
        f"> {tol:g}. Its gate values would be wrong, so they are not shown."
    )
    dtype = str(getattr(sub, "compute_dtype", "float32"))
    if dtype not in ("float32", "float64"):
        return msg + f" The layer computes in {dtype}; trace a float32 copy of the model."
    return msg + (
        " Did the weights change during the trace, or does the layer use a "
        "setting gru_edu.cell does not model? (Weights far from trained or "
        "Keras-initialised ones can amplify float32 rounding over hundreds of "
        "steps; then the layer itself drifts, and a larger tolerance= accepts it.)"
    )


def trace_and_predict(
    model: Any, inputs: Any, tolerance: float, masked_steps: bool = True
) -> tuple[list[GateTrace], list[np.ndarray]]:
    """:func:`trace` of a Keras ``model``, and the model's outputs from the
    same pass. ``masked_steps=False`` leaves the gates of masked (padding)
    steps out, as NaN: faster, for callers that read unmasked steps only."""
    plan = gate_plan(model)
    arrays = _prepare(plan, inputs)
    values, weights = plan.run(arrays)
    traces: list[GateTrace] = []
    with one_blas_thread():
        for entry in plan.entries:
            traces += _replay_entry(entry, values, weights, tolerance, masked_steps)
    return traces, [values[i] for i in plan.model_out]


# ---------------------------------------------------------------- public API


def trace(model: Any, inputs: Any, *, tolerance: float = TOLERANCE) -> list[GateTrace]:
    """Replay every GRU layer of ``model`` on ``inputs`` and return its gates.

    Args:
        model: a built Keras model (Sequential or functional; a trained
            bundle with a ``.model`` works too) with one or more ``GRU`` or
            ``Bidirectional(GRU)`` layers.
        inputs: what the model takes: word ids ``(batch, time)`` for a model
            that starts with an ``Embedding``, or features
            ``(batch, time, features)``. One sequence without the batch axis
            is accepted too.
        tolerance: largest accepted ``max |h_replay - h_keras|``.

    Returns:
        One :class:`GateTrace` per GRU layer in model order, two for a
        ``Bidirectional`` layer (forward, then backward).

    Raises:
        NoGRULayerError: the model has no GRU layer.
        ReplayError: the replay does not reproduce the layer's output.
    """
    return trace_and_predict(keras_model(model), inputs, tolerance)[0]
