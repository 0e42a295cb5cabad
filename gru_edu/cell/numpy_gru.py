"""A GRU in NumPy: forward and backward (BPTT), in the Keras weight layout.

This is the one implementation of the GRU equations in gru-edu. The notebooks,
the gate explorer (:mod:`gru_edu.gates`), the widgets and the assignment
checkers all call it, so what a learner reads here is exactly what the rest of
the collection computes.

Weights follow ``keras.layers.GRU`` so that a trained Keras layer can be loaded
with :meth:`GRUParams.from_keras` and replayed step by step:

* ``kernel``            ``(input_dim, 3*units)``, column blocks ``[z | r | h]``
* ``recurrent_kernel``  ``(units, 3*units)``, same block order
* ``bias``              ``(3*units,)`` if ``reset_after=False`` (Cho et al. 2014),
                        ``(2, 3*units)`` if ``reset_after=True`` (cuDNN): row 0
                        is the input bias, row 1 the recurrent bias.

Equations (``*`` is element-wise, ``σ`` the logistic sigmoid)::

    z_t  = σ(x_t W_z + h_{t-1} U_z + b_z)
    r_t  = σ(x_t W_r + h_{t-1} U_r + b_r)
    h̃_t = tanh(x_t W_h + (r_t * h_{t-1}) U_h + b_h)          reset_after=False
    h̃_t = tanh(x_t W_h + r_t * (h_{t-1} U_h + b'_h) + b_h)   reset_after=True
    h_t  = z_t * h_{t-1} + (1 - z_t) * h̃_t

Note the convention of the last line: Keras, PyTorch and Cho et al. 2014
(eq. 7) keep the *old* state with weight ``z``; Chung et al. 2014 (eq. 5) and
many tutorials write ``h_t = (1 - z) h_{t-1} + z h̃_t``. Both are the same model
with ``z`` relabelled as ``1 - z``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "GRUParams",
    "GRUCache",
    "GRUGrads",
    "sigmoid",
    "gru_step",
    "gru_replay",
    "gru_forward",
    "gru_backward",
]


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function ``1 / (1 + e^-x)``, written ``(1 + tanh(x/2)) / 2``.

    The two are equal; the tanh form never overflows (``np.exp(-x)`` does
    for ``x < -709``) and is one fast pass over the array.
    """
    x = np.asarray(x)
    if x.dtype not in (np.float32, np.float64):
        x = x.astype(np.result_type(x, np.float32))
    return 0.5 * np.tanh(0.5 * x) + 0.5


def _shape_error(what: str, expected: Any, given: Any, hint: str = "") -> ValueError:
    msg = f"{what}: expected shape {expected}, got {given}"
    return ValueError(msg + (f". {hint}" if hint else ""))


@dataclass
class GRUParams:
    """Weights of one GRU layer in the Keras layout (see the module docstring).

    ``units`` and ``input_dim`` are read off the kernel; every other shape is
    checked against them, with an error that names expected and given shapes.
    """

    kernel: np.ndarray
    recurrent_kernel: np.ndarray
    bias: np.ndarray
    reset_after: bool = True

    def __post_init__(self) -> None:
        self.kernel = np.asarray(self.kernel)
        self.recurrent_kernel = np.asarray(self.recurrent_kernel)
        self.bias = np.asarray(self.bias)
        if self.kernel.ndim != 2 or self.kernel.shape[1] % 3:
            raise _shape_error(
                "kernel", "(input_dim, 3*units)", self.kernel.shape,
                "The last axis holds the three gate blocks [z | r | h].",
            )
        units = self.kernel.shape[1] // 3
        expected_rk = (units, 3 * units)
        if self.recurrent_kernel.shape != expected_rk:
            raise _shape_error(
                "recurrent_kernel", expected_rk, self.recurrent_kernel.shape,
                f"units={units} is read from the kernel's last axis (3*units)."
                " A transposed matrix has its axes the other way round.",
            )
        expected_b = (2, 3 * units) if self.reset_after else (3 * units,)
        if self.bias.shape != expected_b:
            other = "(3*units,)" if self.reset_after else "(2, 3*units)"
            hint = (
                f"reset_after={self.reset_after} uses bias {expected_b}; "
                f"{other} is the bias of reset_after={not self.reset_after}."
            )
            raise _shape_error("bias", expected_b, self.bias.shape, hint)

    @property
    def units(self) -> int:
        """Number of hidden units ``n``."""
        return self.kernel.shape[1] // 3

    @property
    def input_dim(self) -> int:
        """Number of input features ``m``."""
        return self.kernel.shape[0]

    @property
    def input_bias(self) -> np.ndarray:
        """The bias added to ``x W`` (all three gates), shape ``(3*units,)``."""
        return self.bias[0] if self.reset_after else self.bias

    @property
    def recurrent_bias(self) -> np.ndarray:
        """The bias added to ``h U`` (zero for ``reset_after=False``)."""
        if self.reset_after:
            return self.bias[1]
        return np.zeros_like(self.bias)

    def astype(self, dtype: Any) -> "GRUParams":
        """A copy with every weight cast to ``dtype``."""
        return GRUParams(
            self.kernel.astype(dtype),
            self.recurrent_kernel.astype(dtype),
            self.bias.astype(dtype),
            self.reset_after,
        )

    def count(self) -> int:
        """Number of scalar parameters: ``3(nm + n² + n)``, ``+3n`` if reset_after."""
        return int(self.kernel.size + self.recurrent_kernel.size + self.bias.size)

    @classmethod
    def from_keras(cls, layer: Any) -> "GRUParams":
        """Read the weights of a built ``keras.layers.GRU`` (or its ``GRUCell``).

        Raises ``ValueError`` for a layer whose activations differ from the
        standard ``tanh``/``sigmoid`` pair, since the NumPy cell computes those.
        """
        cell = getattr(layer, "cell", layer)
        for attr, want in (("activation", "tanh"), ("recurrent_activation", "sigmoid")):
            fn = getattr(cell, attr, None)
            name = getattr(fn, "__name__", str(fn))
            if fn is not None and name != want:
                raise ValueError(
                    f"{layer.name}: {attr} is {name!r}; gru_edu.cell computes "
                    f"the standard GRU with {attr}={want!r}."
                )
        weights = [np.asarray(w) for w in layer.get_weights()]
        if len(weights) != 3:
            raise ValueError(
                f"{getattr(layer, 'name', layer)}: expected 3 weight arrays "
                f"(kernel, recurrent_kernel, bias), got {len(weights)}. "
                "Is the layer built, and does it use a bias?"
            )
        kernel, recurrent_kernel, bias = weights
        return cls(kernel, recurrent_kernel, bias, bool(cell.reset_after))

    def to_keras_weights(self) -> list[np.ndarray]:
        """The weights as ``layer.set_weights`` takes them."""
        return [self.kernel, self.recurrent_kernel, self.bias]

    @classmethod
    def random(
        cls,
        input_dim: int,
        units: int,
        reset_after: bool = True,
        seed: int = 0,
        scale: float = 0.5,
        dtype: Any = np.float64,
    ) -> "GRUParams":
        """Reproducible random weights (normal, std ``scale``), biases included."""
        rng = np.random.default_rng(seed)
        bias_shape = (2, 3 * units) if reset_after else (3 * units,)
        return cls(
            (rng.standard_normal((input_dim, 3 * units)) * scale).astype(dtype),
            (rng.standard_normal((units, 3 * units)) * scale).astype(dtype),
            (rng.standard_normal(bias_shape) * scale).astype(dtype),
            reset_after,
        )


@dataclass
class GRUCache:
    """Everything the forward pass computed, kept for the backward pass and plots.

    Gate arrays are ``(batch, time, units)`` in the order the steps were run.
    ``mask`` is ``(batch, time)`` booleans; at a masked step the state is
    carried over unchanged (``h_t = h_{t-1}``), as Keras does.
    """

    x: np.ndarray
    h0: np.ndarray
    h: np.ndarray
    z: np.ndarray
    r: np.ndarray
    h_tilde: np.ndarray
    hu_h: np.ndarray  # h_{t-1} U_h + b'_h (reset_after) or (r*h_{t-1}) U_h
    mask: np.ndarray
    params: GRUParams = field(repr=False)

    @property
    def h_prev(self) -> np.ndarray:
        """``h_{t-1}`` for every step ``t``: ``(batch, time, units)``."""
        return np.concatenate([self.h0[:, None, :], self.h[:, :-1, :]], axis=1)


@dataclass
class GRUGrads:
    """Gradients of a scalar loss, shaped like what they differentiate."""

    kernel: np.ndarray
    recurrent_kernel: np.ndarray
    bias: np.ndarray
    x: np.ndarray
    h0: np.ndarray

    def as_dict(self) -> dict[str, np.ndarray]:
        """Name → array, in a fixed order (for tables and loops)."""
        return {
            "kernel": self.kernel,
            "recurrent_kernel": self.recurrent_kernel,
            "bias": self.bias,
            "x": self.x,
            "h0": self.h0,
        }


def gru_step(
    x_t: np.ndarray, h_prev: np.ndarray, params: GRUParams
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """One time step for a batch: ``x_t`` ``(batch, input_dim)``, ``h_prev`` ``(batch, units)``.

    The equations of the module docstring, one line each. Returns ``h_t`` and
    a dict with the gates ``z``, ``r``, ``h_tilde``. :func:`gru_forward` and
    :func:`gru_replay` compute the same for whole sequences.
    """
    x_t = np.atleast_2d(np.asarray(x_t))
    h_prev = np.atleast_2d(np.asarray(h_prev))
    dtype = np.result_type(x_t.dtype, h_prev.dtype, params.kernel.dtype, np.float32)
    p = params.astype(dtype)
    x_t, h_prev = x_t.astype(dtype, copy=False), h_prev.astype(dtype, copy=False)
    W_z, W_r, W_h = np.split(p.kernel, 3, axis=1)
    U_z, U_r, U_h = np.split(p.recurrent_kernel, 3, axis=1)
    b_z, b_r, b_h = np.split(p.input_bias, 3)
    c_z, c_r, c_h = np.split(p.recurrent_bias, 3)  # b' (zeros if not reset_after)

    z = sigmoid(x_t @ W_z + b_z + h_prev @ U_z + c_z)
    r = sigmoid(x_t @ W_r + b_r + h_prev @ U_r + c_r)
    if p.reset_after:
        h_tilde = np.tanh(x_t @ W_h + b_h + r * (h_prev @ U_h + c_h))
    else:
        h_tilde = np.tanh(x_t @ W_h + b_h + (r * h_prev) @ U_h)
    h_t = z * h_prev + (1.0 - z) * h_tilde
    return h_t, {"z": z, "r": r, "h_tilde": h_tilde}


def _fused_step(
    x_proj: np.ndarray, h_prev: np.ndarray, U: np.ndarray, b_rec: np.ndarray,
    n: int, reset_after: bool,
) -> tuple[np.ndarray, ...]:
    """The equations of :func:`gru_step` for any number of rows at once.

    ``x_proj`` is ``x_t W + b`` (``(rows, 3n)``, blocks ``[z | r | h]``),
    ``h_prev`` is ``(rows, n)``. Returns ``z, r, h̃, hu, h_t``, where ``hu``
    is ``h_{t-1} U_h + b'_h`` (reset_after) or ``(r * h_{t-1}) U_h``.
    :func:`gru_forward` calls it once per time step, :func:`gru_replay` once
    for all steps.
    """
    # Fused for speed: one product for the z and r blocks, one sigmoid over
    # both; tests check it equals gru_step to rounding.
    x_zr, x_h = x_proj[:, : 2 * n], x_proj[:, 2 * n:]
    if reset_after:
        inner = h_prev @ U + b_rec
        zr = sigmoid(x_zr + inner[:, : 2 * n])
        z, r = zr[:, :n], zr[:, n:]
        hu = inner[:, 2 * n:]
        h_tilde = np.tanh(x_h + r * hu)
    else:
        zr = sigmoid(x_zr + h_prev @ U[:, : 2 * n])
        z, r = zr[:, :n], zr[:, n:]
        hu = (r * h_prev) @ U[:, 2 * n:]
        h_tilde = np.tanh(x_h + hu)
    h_t = z * h_prev + (1.0 - z) * h_tilde
    return z, r, h_tilde, hu, h_t


def gru_replay(x: np.ndarray, h_prev: np.ndarray, params: GRUParams) -> GRUCache:
    """Every step of a sequence at once, each from a *given* previous state.

    Teacher-forced replay: ``x`` and ``h_prev`` are ``(batch, time,
    input_dim)`` and ``(batch, time, units)``, and step ``t`` reads
    ``x[:, t]`` and ``h_prev[:, t]`` instead of the state the previous step
    produced. When ``h_prev`` holds the states a Keras layer computed, this
    recomputes the gates of all its steps with a few matrix products instead
    of a loop over time (the gate explorer does this, :mod:`gru_edu.gates`).

    Returns a :class:`GRUCache` with ``h0 = h_prev[:, 0]`` and no mask.
    """
    x = np.asarray(x)
    h_prev = np.asarray(h_prev)
    if x.ndim != 3 or x.shape[-1] != params.input_dim:
        raise _shape_error("x", f"(batch, time, {params.input_dim})", x.shape)
    if h_prev.shape != x.shape[:2] + (params.units,):
        raise _shape_error("h_prev", x.shape[:2] + (params.units,), h_prev.shape,
                           "One previous state per step of x.")
    dtype = np.result_type(x.dtype, h_prev.dtype, params.kernel.dtype, np.float32)
    p = params.astype(dtype)
    batch, time, _ = x.shape
    n = p.units
    rows = batch * time
    x_proj = x.reshape(rows, -1).astype(dtype, copy=False) @ p.kernel + p.input_bias
    hp = h_prev.reshape(rows, n).astype(dtype, copy=False)
    z, r, h_tilde, hu, h = (
        a.reshape(batch, time, n)
        for a in _fused_step(x_proj, hp, p.recurrent_kernel, p.recurrent_bias,
                             n, p.reset_after)
    )
    mask = np.ones((batch, time), dtype=bool)
    return GRUCache(x.astype(dtype, copy=False), hp.reshape(batch, time, n)[:, 0],
                    h, z, r, h_tilde, hu, mask, p)


def _check_inputs(
    x: np.ndarray, params: GRUParams, h0: np.ndarray | None, mask: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not isinstance(params, GRUParams):
        raise TypeError(f"params must be GRUParams, got {type(params).__name__}")
    x = np.asarray(x)
    if x.ndim != 3:
        hint = ("For one sequence use x[None]; for one step use x[:, None, :]."
                if x.ndim in (1, 2) else "")
        raise _shape_error("x", f"(batch, time, {params.input_dim})", x.shape, hint)
    batch, time, features = x.shape
    if features != params.input_dim:
        raise _shape_error(
            "x", f"(batch, time, {params.input_dim})", x.shape,
            f"The kernel has input_dim={params.input_dim} rows.",
        )
    dtype = np.result_type(x.dtype, params.kernel.dtype, np.float32)
    if h0 is None:
        h0 = np.zeros((batch, params.units), dtype=dtype)
    else:
        h0 = np.asarray(h0, dtype=dtype)
        if h0.shape != (batch, params.units):
            raise _shape_error(
                "h0", (batch, params.units), h0.shape,
                "One initial state of `units` values per sequence in the batch.",
            )
    if mask is None:
        mask = np.ones((batch, time), dtype=bool)
    else:
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != (batch, time):
            raise _shape_error("mask", (batch, time), mask.shape)
    return x.astype(dtype, copy=False), h0, mask


def gru_forward(
    x: np.ndarray,
    params: GRUParams,
    h0: np.ndarray | None = None,
    mask: np.ndarray | None = None,
) -> tuple[np.ndarray, GRUCache]:
    """Run a GRU over a batch of sequences, exactly as ``keras.layers.GRU`` does.

    Args:
        x: inputs ``(batch, time, input_dim)``.
        params: the layer's weights.
        h0: initial state ``(batch, units)``; zeros if omitted.
        mask: optional ``(batch, time)`` booleans; where False the step is
            skipped and the state carried over (Keras masking semantics).

    Returns:
        ``h_seq`` ``(batch, time, units)`` and a :class:`GRUCache` holding
        every gate activation (``cache.z``, ``cache.r``, ``cache.h_tilde``).

    The input projection of all time steps is one matrix product; only the
    recurrence, which needs ``h_{t-1}``, loops over time.
    """
    x, h0, mask = _check_inputs(x, params, h0, mask)
    batch, time, _ = x.shape
    n = params.units
    p = params.astype(x.dtype)
    U, b_rec = p.recurrent_kernel, p.recurrent_bias
    # One matmul for every step's input contribution, stored time-major
    # (time, batch, 3n) so that each step reads one contiguous block.
    x_proj = np.ascontiguousarray((x @ p.kernel + p.input_bias).transpose(1, 0, 2))
    h, z, r, h_tilde, hu_h = (np.empty((time, batch, n), dtype=x.dtype) for _ in range(5))
    full = mask.all(axis=0)  # steps where no sequence is masked
    h_prev = h0
    for t in range(time):
        z_t, r_t, h_tilde_t, hu, h_t = _fused_step(
            x_proj[t], h_prev, U, b_rec, n, p.reset_after)
        if not full[t]:
            h_t = np.where(mask[:, t, None], h_t, h_prev)
        h[t], z[t], r[t], h_tilde[t], hu_h[t] = h_t, z_t, r_t, h_tilde_t, hu
        h_prev = h_t
    h, z, r, h_tilde, hu_h = (
        np.ascontiguousarray(a.transpose(1, 0, 2)) for a in (h, z, r, h_tilde, hu_h)
    )
    cache = GRUCache(x, h0, h, z, r, h_tilde, hu_h, mask, p)
    return h, cache


def gru_backward(dh_seq: np.ndarray, cache: GRUCache) -> GRUGrads:
    """Backpropagation through time for :func:`gru_forward`.

    ``dh_seq`` is ``dL/dh_t`` for every output, ``(batch, time, units)`` (zeros
    where the loss does not read ``h_t``; a loss on the last state only sets
    ``dh_seq[:, -1]``); ``cache`` is what :func:`gru_forward` returned. Returns
    :class:`GRUGrads`: ``kernel``, ``recurrent_kernel``, ``bias``, ``x``, ``h0``.
    """
    p = cache.params
    n = p.units
    dh_seq = np.asarray(dh_seq, dtype=cache.h.dtype)
    if dh_seq.shape != cache.h.shape:
        raise _shape_error("dh_seq", cache.h.shape, dh_seq.shape)
    batch, time, _ = dh_seq.shape
    U = p.recurrent_kernel
    Uz, Ur, Uh = U[:, :n], U[:, n: 2 * n], U[:, 2 * n:]
    h_prev_all = cache.h_prev

    d_proj = np.zeros((batch, time, 3 * n), dtype=dh_seq.dtype)  # dL/d(xW + b)
    dU = np.zeros_like(U)
    d_rec_bias = np.zeros(3 * n, dtype=dh_seq.dtype)
    dh_next = np.zeros((batch, n), dtype=dh_seq.dtype)
    for t in reversed(range(time)):
        dh = dh_seq[:, t] + dh_next
        m = cache.mask[:, t, None]
        h_prev = h_prev_all[:, t]
        z, r, ht, hu = cache.z[:, t], cache.r[:, t], cache.h_tilde[:, t], cache.hu_h[:, t]
        # A masked step is the identity: its gradient flows straight through.
        dh_active = np.where(m, dh, 0.0)
        dz = dh_active * (h_prev - ht)
        da_h = dh_active * (1.0 - z) * (1.0 - ht**2)
        da_z = dz * z * (1.0 - z)
        if p.reset_after:
            dr = da_h * hu
            d_hu = da_h * r  # gradient of (h_prev U_h + b'_h)
            da_r = dr * r * (1.0 - r)
            d_inner = np.concatenate([da_z, da_r, d_hu], axis=-1)
            dU += h_prev.T @ d_inner
            d_rec_bias += d_inner.sum(axis=0)
            dh_prev = d_inner @ U.T
        else:
            d_rh = da_h @ Uh.T  # gradient of r * h_prev
            dr = d_rh * h_prev
            da_r = dr * r * (1.0 - r)
            dU[:, :n] += h_prev.T @ da_z
            dU[:, n: 2 * n] += h_prev.T @ da_r
            dU[:, 2 * n:] += (r * h_prev).T @ da_h
            dh_prev = da_z @ Uz.T + da_r @ Ur.T + d_rh * r
        dh_prev = dh_prev + dh_active * z + np.where(m, 0.0, dh)
        d_proj[:, t] = np.concatenate([da_z, da_r, da_h], axis=-1)
        dh_next = dh_prev

    flat_x = cache.x.reshape(-1, p.input_dim)
    flat_d = d_proj.reshape(-1, 3 * n)
    d_kernel = flat_x.T @ flat_d
    d_in_bias = flat_d.sum(axis=0)
    d_bias = np.stack([d_in_bias, d_rec_bias]) if p.reset_after else d_in_bias
    dx = d_proj @ p.kernel.T
    return GRUGrads(d_kernel, dU, d_bias, dx, dh_next)
