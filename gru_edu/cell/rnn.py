"""A vanilla (Elman) RNN in NumPy: the baseline the GRU is compared with.

``h_t = tanh(x_t W + h_{t-1} U + b)``, weights in the Keras ``SimpleRNN``
layout. It is a different model from the GRU, so it has its own (three-line)
equations; the GRU is always :mod:`gru_edu.cell.numpy_gru`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .initializers import glorot_uniform, orthogonal

__all__ = ["RNNParams", "RNNCache", "RNNGrads", "rnn_forward", "rnn_backward"]

#: A vanishing gradient soon underflows to subnormal floats, which CPUs
#: process ~100x slower. Below this it is zero for every purpose.
FLUSH_TO_ZERO = 1e-200

@dataclass
class RNNParams:
    """Weights of a vanilla tanh RNN, laid out like ``keras.layers.SimpleRNN``.

    ``kernel`` ``(input_dim, units)``, ``recurrent_kernel`` ``(units, units)``,
    ``bias`` ``(units,)``.
    """

    kernel: np.ndarray
    recurrent_kernel: np.ndarray
    bias: np.ndarray

    def __post_init__(self) -> None:
        self.kernel = np.asarray(self.kernel)
        self.recurrent_kernel = np.asarray(self.recurrent_kernel)
        self.bias = np.asarray(self.bias)
        n = self.kernel.shape[1] if self.kernel.ndim == 2 else None
        if n is None:
            raise ValueError(
                f"kernel: expected shape (input_dim, units), got {self.kernel.shape}"
            )
        if self.recurrent_kernel.shape != (n, n):
            raise ValueError(
                f"recurrent_kernel: expected shape {(n, n)}, "
                f"got {self.recurrent_kernel.shape}"
            )
        if self.bias.shape != (n,):
            raise ValueError(f"bias: expected shape {(n,)}, got {self.bias.shape}")

    @property
    def units(self) -> int:
        return self.kernel.shape[1]

    @property
    def input_dim(self) -> int:
        return self.kernel.shape[0]

    def count(self) -> int:
        """Number of scalar parameters: ``nm + n² + n``."""
        return int(self.kernel.size + self.recurrent_kernel.size + self.bias.size)

    @classmethod
    def random(
        cls, input_dim: int, units: int, seed: int = 0, scale: float | None = None
    ) -> "RNNParams":
        """Keras ``SimpleRNN`` defaults: Glorot-uniform kernel, orthogonal
        recurrent kernel, zero bias. With ``scale`` every weight (bias too) is
        instead normal with that standard deviation (for gradient checks)."""
        rng = np.random.default_rng(seed)
        if scale is not None:
            return cls(
                rng.standard_normal((input_dim, units)) * scale,
                rng.standard_normal((units, units)) * scale,
                rng.standard_normal(units) * scale,
            )
        return cls(
            glorot_uniform(rng, input_dim, units),
            orthogonal(rng, units, units),
            np.zeros(units),
        )

    def as_dict(self) -> dict[str, np.ndarray]:
        return {
            "kernel": self.kernel,
            "recurrent_kernel": self.recurrent_kernel,
            "bias": self.bias,
        }


@dataclass
class RNNCache:
    """What :func:`rnn_forward` keeps for the backward pass."""

    x: np.ndarray
    h0: np.ndarray
    h: np.ndarray
    params: RNNParams = field(repr=False)

    @property
    def h_prev(self) -> np.ndarray:
        return np.concatenate([self.h0[:, None, :], self.h[:, :-1, :]], axis=1)


@dataclass
class RNNGrads:
    """Gradients of a scalar loss; ``h`` is ``dL/dh_t`` for every step
    (through all later steps), the quantity whose decay the notebook plots."""

    kernel: np.ndarray
    recurrent_kernel: np.ndarray
    bias: np.ndarray
    x: np.ndarray
    h0: np.ndarray
    h: np.ndarray

    def as_dict(self) -> dict[str, np.ndarray]:
        return {
            "kernel": self.kernel,
            "recurrent_kernel": self.recurrent_kernel,
            "bias": self.bias,
            "x": self.x,
            "h0": self.h0,
        }


def rnn_forward(
    x: np.ndarray, params: RNNParams, h0: np.ndarray | None = None
) -> tuple[np.ndarray, RNNCache]:
    """``h_t = tanh(x_t W + h_{t-1} U + b)`` over ``x`` ``(batch, time, input_dim)``."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 3 or x.shape[-1] != params.input_dim:
        raise ValueError(
            f"x: expected shape (batch, time, {params.input_dim}), got {x.shape}"
        )
    batch, time, _ = x.shape
    if h0 is None:
        h0 = np.zeros((batch, params.units))
    h0 = np.asarray(h0, dtype=np.float64)
    if h0.shape != (batch, params.units):
        raise ValueError(
            f"h0: expected shape {(batch, params.units)}, got {h0.shape}"
        )
    x_proj = x @ params.kernel + params.bias
    h = np.empty((batch, time, params.units))
    h_prev = h0
    for t in range(time):
        h_prev = np.tanh(x_proj[:, t] + h_prev @ params.recurrent_kernel)
        h[:, t] = h_prev
    return h, RNNCache(x, h0, h, params)


def rnn_backward(dh_seq: np.ndarray, cache: RNNCache) -> RNNGrads:
    """Backpropagation through time for :func:`rnn_forward`."""
    p = cache.params
    dh_seq = np.asarray(dh_seq, dtype=np.float64)
    if dh_seq.shape != cache.h.shape:
        raise ValueError(
            f"dh_seq: expected shape {cache.h.shape}, got {dh_seq.shape}"
        )
    U = p.recurrent_kernel
    h_prev = cache.h_prev
    d_pre = np.empty_like(dh_seq)  # dL/d(pre-activation) per step
    dh_total = np.empty_like(dh_seq)
    dW = np.zeros_like(p.kernel)
    dU = np.zeros_like(U)
    dh_next = np.zeros_like(cache.h0)
    for t in reversed(range(dh_seq.shape[1])):
        dh = dh_seq[:, t] + dh_next
        dh_total[:, t] = dh
        d = dh * (1.0 - cache.h[:, t] ** 2)
        d_pre[:, t] = d
        # per-step products: small matrices, fast on one core (one big
        # (units, batch*time) product is slow under multi-threaded BLAS)
        dW += cache.x[:, t].T @ d
        dU += h_prev[:, t].T @ d
        dh_next = d @ U.T
        # A vanishing gradient soon underflows to subnormal floats, which CPUs
        # process ~100x slower. Below 1e-200 it is zero for every purpose.
        dh_next[np.abs(dh_next) < FLUSH_TO_ZERO] = 0.0
    return RNNGrads(
        kernel=dW,
        recurrent_kernel=dU,
        bias=d_pre.sum(axis=(0, 1)),
        x=d_pre @ p.kernel.T,
        h0=dh_next,
        h=dh_total,
    )


