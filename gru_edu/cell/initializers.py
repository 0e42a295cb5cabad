"""Keras's default initialisers in NumPy, and a GRU initialised with them.

The NumPy models of :mod:`gru_edu.cell` and :mod:`gru_edu.tasks` start from
the same weights a fresh ``keras.layers.GRU`` / ``SimpleRNN`` would, so a
from-scratch run and a Keras run begin alike.
"""

from __future__ import annotations

import numpy as np

from .numpy_gru import GRUParams

__all__ = ["glorot_uniform", "orthogonal", "init_gru"]

def glorot_uniform(rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
    """Keras's default kernel initialiser: uniform in ``±sqrt(6 / (fan_in + fan_out))``."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out))


def orthogonal(rng: np.random.Generator, rows: int, cols: int) -> np.ndarray:
    """Keras's default recurrent initialiser: a random matrix with orthonormal rows or columns."""
    a = rng.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q = q * np.sign(np.diag(r))
    return q if rows >= cols else q.T


def init_gru(
    input_dim: int,
    units: int,
    reset_after: bool = True,
    seed: int = 0,
    update_bias: float = 0.0,
) -> GRUParams:
    """GRU weights initialised as ``keras.layers.GRU`` does by default:
    Glorot-uniform kernel, orthogonal recurrent kernel, zero bias.

    ``update_bias`` is the initial input bias of the update gate ``z``
    (Keras: 0, so ``z ≈ 0.5`` and the state half-forgets at every step). A
    positive value starts the cell *remembering*: with ``h_t = z h_{t-1} +
    (1-z) h̃_t``, ``update_bias=3`` gives ``z ≈ σ(3) ≈ 0.95``, a memory of
    about ``1/(1-z) ≈ 20`` steps, which training can then stretch or shrink
    per unit. It is the GRU form of the LSTM forget-gate bias of
    Jozefowicz et al. (2015).
    """
    rng = np.random.default_rng(seed)
    kernel = glorot_uniform(rng, input_dim, 3 * units)
    recurrent = orthogonal(rng, units, 3 * units)
    bias = np.zeros((2, 3 * units) if reset_after else 3 * units)
    (bias[0] if reset_after else bias)[:units] = update_bias
    return GRUParams(kernel, recurrent, bias, reset_after)


