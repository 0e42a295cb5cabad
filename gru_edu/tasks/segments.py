"""A task where the reset gate matters, and its ablation (NumPy).

Notebook 02 shows the reset gate at work on the **segment-sum task**
(:func:`segment_sum_task`): every step brings a number ``v_t`` and a
*boundary flag*; a flagged step starts a new segment, and that step's
number is the segment's first. At every step the model must say whether
the sum of the current segment so far is low (< -1), middling or high
(> 1). Everything before the last boundary is irrelevant.

The flag arrives *with* the first number of the new segment, so at that
step the unit must do two things at once: forget the old sum and read the
new number. The update gate alone cannot do both: with ``z = 0`` the unit
writes the candidate ``tanh(x W_h + b_h + r (h U_h + b'_h))``, and unless
``r`` drops the old state leaks into it through ``U_h`` — the same weight
that adds the numbers up inside a segment. The reset gate removes it.

The model is a GRU of :mod:`gru_edu.cell` with a softmax readout at every
step; training reuses :mod:`gru_edu.tasks.memory` (model, Adam, history).
:func:`train_segment_task` with ``fix_reset=True`` trains the ablation: the
reset gate's weights are zeroed and frozen, its bias set to
:data:`RESET_FIXED_BIAS`, so ``r = σ(30) ≈ 1`` at every step.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from gru_edu.cell.numpy_gru import GRUParams, gru_backward, gru_forward
from gru_edu.cell.optim import Adam

from .trainer import History, MemoryModel, make_model, softmax_cross_entropy

__all__ = [
    "EDGES",
    "CLASSES",
    "RESET_FIXED_BIAS",
    "segment_sum_task",
    "steps_since_boundary",
    "fix_reset_gate",
    "loss_and_grads_every_step",
    "train_segment_task",
    "predict",
    "accuracy_by_position",
]

#: Class boundaries on the segment sum: low (< -1), middle, high (> 1).
EDGES = (-1.0, 1.0)
CLASSES = ("low (< -1)", "middle", "high (> 1)")
#: The reset-gate bias of the ablation: ``σ(30) = 1 - 1e-13``.
RESET_FIXED_BIAS = 30.0


def segment_sum_task(
    batch: int,
    T: int = 40,
    p_boundary: float = 0.15,
    seed: int | np.random.Generator = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """A batch of the segment-sum task.

    ``x[..., 0]`` is a standard-normal number, ``x[..., 1]`` the boundary
    flag (1 with probability ``p_boundary``, always at ``t = 0``). ``y[b, t]``
    is the class of the sum of ``x[b, s, 0]`` from the last flagged step
    ``s <= t`` to ``t``: 0 below -1, 2 above 1, 1 in between.

    Returns ``x`` ``(batch, T, 2)`` float64 and ``y`` ``(batch, T)`` ints.
    """
    if T < 1:
        raise ValueError(f"T must be at least 1, got {T}")
    rng = np.random.default_rng(seed)
    v = rng.standard_normal((batch, T))
    flag = rng.random((batch, T)) < p_boundary
    flag[:, 0] = True
    y = np.empty((batch, T), dtype=np.int64)
    s = np.zeros(batch)
    for t in range(T):
        s = np.where(flag[:, t], v[:, t], s + v[:, t])
        y[:, t] = np.searchsorted(EDGES, s)
    return np.stack([v, flag.astype(float)], axis=-1), y


def steps_since_boundary(x: np.ndarray) -> np.ndarray:
    """``(batch, T)`` ints: 0 at a flagged step, then 1, 2, ... until the next."""
    flag = x[..., 1] > 0.5
    k = np.zeros(flag.shape, dtype=np.int64)
    for t in range(1, flag.shape[1]):
        k[:, t] = np.where(flag[:, t], 0, k[:, t - 1] + 1)
    return k


def _reset_columns(params: GRUParams) -> slice:
    n = params.units
    return slice(n, 2 * n)  # the r block of [z | r | h]


def fix_reset_gate(params: GRUParams) -> None:
    """Set ``r ≈ 1`` for good: zero ``W_r``, ``U_r``, ``b'_r``, ``b_r = 30``."""
    cols = _reset_columns(params)
    params.kernel[:, cols] = 0.0
    params.recurrent_kernel[:, cols] = 0.0
    if params.reset_after:
        params.bias[:, cols] = 0.0
        params.bias[0, cols] = RESET_FIXED_BIAS
    else:
        params.bias[cols] = RESET_FIXED_BIAS


def loss_and_grads_every_step(
    net: MemoryModel, x: np.ndarray, y: np.ndarray
) -> tuple[float, float, dict[str, np.ndarray]]:
    """Mean cross-entropy of the readout of every ``h_t``, its accuracy and
    the gradient of every parameter (BPTT with :func:`gru_backward`)."""
    h, cache = gru_forward(x, net.cell)
    batch, T, n = h.shape
    logits = (h @ net.readout.kernel + net.readout.bias).reshape(batch * T, -1)
    loss, dlogits = softmax_cross_entropy(logits, y.ravel())
    acc = float(np.mean(logits.argmax(-1) == y.ravel()))
    dh = (dlogits @ net.readout.kernel.T).reshape(batch, T, n)
    g = gru_backward(dh, cache)
    grads = {
        "kernel": g.kernel,
        "recurrent_kernel": g.recurrent_kernel,
        "bias": g.bias,
        "readout_kernel": h.reshape(batch * T, n).T @ dlogits,
        "readout_bias": dlogits.sum(axis=0),
    }
    return loss, acc, grads


def train_segment_task(
    units: int = 1,
    steps: int = 600,
    fix_reset: bool = False,
    T: int = 40,
    batch: int = 32,
    lr: float = 1e-2,
    p_boundary: float = 0.15,
    seed: int = 0,
) -> History:
    """Train a GRU on :func:`segment_sum_task` with Adam (a fresh batch each
    step, gradient norm clipped at 1). ``fix_reset=True``: the ablation, the
    reset gate held at ``r ≈ 1`` (its gradients are discarded)."""
    config: dict[str, Any] = dict(
        units=units, steps=steps, fix_reset=fix_reset, T=T, batch=batch,
        lr=lr, p_boundary=p_boundary, seed=seed,
    )
    net = make_model("gru", 2, units, len(CLASSES), seed=seed)
    cols = _reset_columns(net.cell)
    if fix_reset:
        fix_reset_gate(net.cell)
    opt = Adam(lr=lr, clip_norm=1.0)
    rng = np.random.default_rng([seed, 2])
    hist = History(net, config)
    params = net.parameters()
    start = time.perf_counter()
    for _ in range(steps):
        x, y = segment_sum_task(batch, T, p_boundary, seed=rng)
        loss, acc, grads = loss_and_grads_every_step(net, x, y)
        if fix_reset:
            for name in ("kernel", "recurrent_kernel"):
                grads[name][:, cols] = 0.0
            grads["bias"][..., cols] = 0.0
        hist.loss.append(loss)
        hist.accuracy.append(acc)
        hist.grad_norm.append(opt.step(params, grads))
    hist.seconds = time.perf_counter() - start
    return hist


def predict(net: MemoryModel, x: np.ndarray) -> tuple[np.ndarray, Any]:
    """Class predictions ``(batch, T)`` and the :class:`GRUCache` (gates)."""
    h, cache = gru_forward(x, net.cell)
    return (h @ net.readout.kernel + net.readout.bias).argmax(-1), cache


def accuracy_by_position(
    net: MemoryModel, x: np.ndarray, y: np.ndarray, max_k: int = 6
) -> np.ndarray:
    """Accuracy at ``k = 0 .. max_k - 1`` steps after a boundary."""
    pred, _ = predict(net, x)
    k = steps_since_boundary(x)
    return np.array([np.mean(pred[k == j] == y[k == j]) for j in range(max_k)])
