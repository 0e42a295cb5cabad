"""A NumPy LSTM in the Keras layout: forward, backpropagation through time.

Notebook 05 sets an LSTM next to the GRU of :mod:`gru_edu.cell` and the
vanilla RNN of :mod:`gru_edu.tasks.memory` on notebook 02's long-memory task, and
reads an LSTM's cell state on the counting task (:mod:`gru_edu.tasks.counting`).
The equations, with Keras's gate order ``[i | f | c | o]`` in every weight::

    i_t = σ(x_t W_i + h_{t-1} U_i + b_i)         input gate
    f_t = σ(x_t W_f + h_{t-1} U_f + b_f)         forget gate
    g_t = tanh(x_t W_c + h_{t-1} U_c + b_c)      candidate
    o_t = σ(x_t W_o + h_{t-1} U_o + b_o)         output gate
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t              cell state (the memory)
    h_t = o_t ⊙ tanh(c_t)                        hidden state (the output)

The cell state ``c`` is updated by addition: with ``f ≈ 1`` and ``i ≈ 0`` it
is carried unchanged and its gradient flows back undiminished. Unlike the
GRU's ``h`` (a convex mix of ``h_{t-1}`` and a ``tanh`` in [-1, 1]), ``c``
is not bounded, which is what lets an LSTM count (Weiss et al. 2018).

Weights match ``keras.layers.LSTM`` exactly (``kernel (input_dim, 4u)``,
``recurrent_kernel (u, 4u)``, ``bias (4u,)``), so a trained Keras layer's
``get_weights()`` can be replayed here; ``tests/test_lstm.py`` checks the
forward pass against Keras and the backward pass against finite differences.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .numpy_gru import sigmoid

__all__ = ["LSTMParams", "LSTMCache", "LSTMGrads", "lstm_forward", "lstm_backward"]

_FLUSH_TO_ZERO = 1e-200


@dataclass
class LSTMParams:
    """Weights of one LSTM layer in the Keras layout (gate order i, f, c, o)."""

    kernel: np.ndarray
    recurrent_kernel: np.ndarray
    bias: np.ndarray

    def __post_init__(self) -> None:
        self.kernel = np.asarray(self.kernel, dtype=np.float64)
        self.recurrent_kernel = np.asarray(self.recurrent_kernel, dtype=np.float64)
        self.bias = np.asarray(self.bias, dtype=np.float64)
        if self.kernel.ndim != 2 or self.kernel.shape[1] % 4:
            raise ValueError(
                f"kernel: expected shape (input_dim, 4*units), got {self.kernel.shape}"
            )
        u = self.kernel.shape[1] // 4
        if self.recurrent_kernel.shape != (u, 4 * u):
            raise ValueError(
                f"recurrent_kernel: expected shape {(u, 4 * u)}, "
                f"got {self.recurrent_kernel.shape}"
            )
        if self.bias.shape != (4 * u,):
            raise ValueError(f"bias: expected shape {(4 * u,)}, got {self.bias.shape}")

    @property
    def units(self) -> int:
        return self.kernel.shape[1] // 4

    @property
    def input_dim(self) -> int:
        return self.kernel.shape[0]

    def count(self) -> int:
        """Number of scalar parameters: ``4(nm + n² + n)``."""
        return int(self.kernel.size + self.recurrent_kernel.size + self.bias.size)

    @classmethod
    def random(cls, input_dim: int, units: int, seed: int = 0,
               scale: float | None = None, forget_bias: float = 1.0) -> "LSTMParams":
        """Keras ``LSTM`` defaults: Glorot-uniform kernel, orthogonal recurrent
        kernel, bias 0 except the forget gate's ``forget_bias`` (Keras:
        ``unit_forget_bias``, 1). With ``scale`` every weight is instead
        normal with that standard deviation."""
        rng = np.random.default_rng(seed)
        if scale is not None:
            return cls(rng.standard_normal((input_dim, 4 * units)) * scale,
                       rng.standard_normal((units, 4 * units)) * scale,
                       rng.standard_normal(4 * units) * scale)
        limit = np.sqrt(6.0 / (input_dim + 4 * units))
        kernel = rng.uniform(-limit, limit, size=(input_dim, 4 * units))
        a = rng.standard_normal((4 * units, units))
        q, r = np.linalg.qr(a)
        recurrent = (q * np.sign(np.diag(r))).T
        bias = np.zeros(4 * units)
        bias[units:2 * units] = forget_bias
        return cls(kernel, recurrent, bias)

    @classmethod
    def from_keras(cls, layer: object) -> "LSTMParams":
        """The weights of a built ``keras.layers.LSTM``."""
        kernel, recurrent, bias = layer.get_weights()  # type: ignore[attr-defined]
        return cls(kernel, recurrent, bias)


@dataclass
class LSTMCache:
    """Everything :func:`lstm_forward` computed, per step: gates and both states.

    ``i, f, g, o, c, h`` are ``(batch, time, units)``; ``c`` is the cell
    state, ``h`` the hidden state (the output).
    """

    x: np.ndarray
    h0: np.ndarray
    c0: np.ndarray
    i: np.ndarray
    f: np.ndarray
    g: np.ndarray
    o: np.ndarray
    c: np.ndarray
    h: np.ndarray
    params: LSTMParams = field(repr=False)


@dataclass
class LSTMGrads:
    """Gradients from :func:`lstm_backward`.

    ``h`` and ``c`` are the total gradients with respect to every step's
    hidden and cell state (from the loss at that step and from all later
    steps); ``h0`` and ``c0`` those of the initial states.
    """

    kernel: np.ndarray
    recurrent_kernel: np.ndarray
    bias: np.ndarray
    x: np.ndarray
    h0: np.ndarray
    c0: np.ndarray
    h: np.ndarray
    c: np.ndarray


def lstm_forward(
    x: np.ndarray,
    params: LSTMParams,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
) -> tuple[np.ndarray, LSTMCache]:
    """Run the LSTM over ``x`` ``(batch, time, input_dim)``; hidden states and cache."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 3 or x.shape[-1] != params.input_dim:
        raise ValueError(f"x: expected shape (batch, time, {params.input_dim}), got {x.shape}")
    batch, time, _ = x.shape
    u = params.units
    h_prev = np.zeros((batch, u)) if h0 is None else np.asarray(h0, dtype=np.float64)
    c_prev = np.zeros((batch, u)) if c0 is None else np.asarray(c0, dtype=np.float64)
    for name, s in (("h0", h_prev), ("c0", c_prev)):
        if s.shape != (batch, u):
            raise ValueError(f"{name}: expected shape {(batch, u)}, got {s.shape}")
    h_init, c_init = h_prev, c_prev
    proj = x @ params.kernel + params.bias
    out = {k: np.empty((batch, time, u)) for k in "ifgoch"}
    for t in range(time):
        z = proj[:, t] + h_prev @ params.recurrent_kernel
        i = sigmoid(z[:, :u])
        f = sigmoid(z[:, u:2 * u])
        g = np.tanh(z[:, 2 * u:3 * u])
        o = sigmoid(z[:, 3 * u:])
        c_prev = f * c_prev + i * g
        h_prev = o * np.tanh(c_prev)
        for k, v in zip("ifgoch", (i, f, g, o, c_prev, h_prev)):
            out[k][:, t] = v
    cache = LSTMCache(x, h_init, c_init, params=params, **out)
    return out["h"], cache


def lstm_backward(
    dh_seq: np.ndarray, cache: LSTMCache, dc_last: np.ndarray | None = None
) -> LSTMGrads:
    """Backpropagation through time for :func:`lstm_forward`.

    ``dh_seq`` ``(batch, time, units)`` is the loss gradient with respect to
    each step's output ``h_t``; ``dc_last`` optionally one for the last cell
    state.
    """
    p, cc = cache.params, cache
    dh_seq = np.asarray(dh_seq, dtype=np.float64)
    if dh_seq.shape != cc.h.shape:
        raise ValueError(f"dh_seq: expected shape {cc.h.shape}, got {dh_seq.shape}")
    batch, time, u = dh_seq.shape
    U = p.recurrent_kernel
    dz = np.empty((batch, time, 4 * u))
    dh_total = np.empty_like(dh_seq)
    dc_total = np.empty_like(dh_seq)
    dU = np.zeros_like(U)
    dh_next = np.zeros((batch, u))
    dc_next = np.zeros((batch, u)) if dc_last is None else np.asarray(dc_last, float)
    for t in reversed(range(time)):
        h_prev = cc.h[:, t - 1] if t else cc.h0
        c_prev = cc.c[:, t - 1] if t else cc.c0
        dh = dh_seq[:, t] + dh_next
        tc = np.tanh(cc.c[:, t])
        dc = dc_next + dh * cc.o[:, t] * (1.0 - tc**2)
        dh_total[:, t], dc_total[:, t] = dh, dc
        i, f, g, o = cc.i[:, t], cc.f[:, t], cc.g[:, t], cc.o[:, t]
        d = dz[:, t]
        d[:, :u] = dc * g * i * (1.0 - i)
        d[:, u:2 * u] = dc * c_prev * f * (1.0 - f)
        d[:, 2 * u:3 * u] = dc * i * (1.0 - g**2)
        d[:, 3 * u:] = dh * tc * o * (1.0 - o)
        dU += h_prev.T @ d
        dh_next = d @ U.T
        dc_next = dc * f
        for arr in (dh_next, dc_next):  # subnormal floats are ~100x slower
            arr[np.abs(arr) < _FLUSH_TO_ZERO] = 0.0
    flat_x = cc.x.reshape(-1, p.input_dim)
    flat_dz = dz.reshape(-1, 4 * u)
    return LSTMGrads(
        kernel=flat_x.T @ flat_dz,
        recurrent_kernel=dU,
        bias=flat_dz.sum(axis=0),
        x=dz @ p.kernel.T,
        h0=dh_next,
        c0=dc_next,
        h=dh_total,
        c=dc_total,
    )
