"""A long-memory toy task (NumPy): recall the marked symbol after ``T`` steps.

Notebook 02 trains the NumPy GRU next to a vanilla ``tanh`` RNN on a task that
needs memory and nothing else. Every step shows one of ``n_symbols`` symbols
(one-hot); the first one carries a *marker* (an extra input that is 1 at
``t = 0`` only). After ``T`` steps the model must say which symbol was marked.
Chance is ``1 / n_symbols``; the only way to beat it is to carry the first
input across ``T - 1`` steps of random distractors. Notebook 05 adds an LSTM.
The model and its readout are :mod:`gru_edu.tasks.trainer`'s; everything is
seeded: the same arguments give the same history.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Collection

import numpy as np

from gru_edu.cell.lstm import lstm_backward
from gru_edu.cell.numpy_gru import gru_backward, gru_forward
from gru_edu.cell.optim import Adam
from gru_edu.cell.rnn import rnn_backward
from gru_edu.config import progress_bar

from .trainer import History, MemoryModel, make_model, softmax_cross_entropy

__all__ = ["memory_task", "train_memory_task", "evaluate", "state_gradient_norms"]


def memory_task(
    batch: int,
    T: int,
    n_symbols: int = 4,
    seed: int | np.random.Generator = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """A batch of the "recall the marked symbol" task.

    Every step shows one of ``n_symbols`` symbols (one-hot). The symbol at
    ``t = 0`` is *marked*: an extra input channel (the last one) is 1 there
    and 0 everywhere else. After all ``T`` steps the model must say which
    symbol was marked, so it must keep it across ``T - 1`` steps of random
    distractor symbols from the same alphabet. Chance is ``1 / n_symbols``.

    Args:
        batch: number of sequences.
        T: sequence length (the answer is read from the state after step
            ``T - 1``; the lag to bridge is ``T - 1``).
        n_symbols: alphabet size, at least 2.
        seed: an int, or a ``numpy.random.Generator`` to draw from (a
            training loop passes one generator so every batch is new).

    Returns:
        ``x`` ``(batch, T, n_symbols + 1)`` float64 and ``y`` ``(batch,)``
        int labels, with ``y == x[:, 0, :n_symbols].argmax(-1)``.
    """
    if T < 1:
        raise ValueError(f"T must be at least 1, got {T}")
    if n_symbols < 2:
        raise ValueError(f"n_symbols must be at least 2, got {n_symbols}")
    rng = np.random.default_rng(seed)
    symbols = rng.integers(0, n_symbols, size=(batch, T))
    x = np.zeros((batch, T, n_symbols + 1))
    b_idx, t_idx = np.meshgrid(np.arange(batch), np.arange(T), indexing="ij")
    x[b_idx, t_idx, symbols] = 1.0
    x[:, 0, n_symbols] = 1.0  # the marker
    return x, symbols[:, 0].copy()



def train_memory_task(
    model: str = "gru",
    T: int = 30,
    units: int = 16,
    steps: int = 300,
    batch: int = 32,
    lr: float = 1e-2,
    n_symbols: int = 4,
    update_bias: float = 0.0,
    clip_norm: float | None = 1.0,
    seed: int = 0,
    progress: bool = True,
    snapshot_at: Collection[int] = (),
) -> History:
    """Train a GRU (``model="gru"``), vanilla RNN (``"rnn"``) or LSTM on :func:`memory_task`.

    Each step draws a fresh batch of ``batch`` sequences of length ``T``,
    computes the loss on the last state's readout, backpropagates through
    time and takes one :class:`Adam` step. ``seed`` fixes the initial weights
    and the stream of batches, so the same call returns the same history.
    ``update_bias`` initialises the GRU's update gate (see :func:`init_gru`;
    ignored for the RNN). ``progress=False`` hides the tqdm bar.
    ``snapshot_at`` lists step counts after which a copy of the model is
    kept in ``History.snapshots``.
    """
    config = dict(
        model=model, T=T, units=units, steps=steps, batch=batch, lr=lr,
        n_symbols=n_symbols, update_bias=update_bias, clip_norm=clip_norm,
        seed=seed,
    )
    net = make_model(model, n_symbols + 1, units, n_symbols, seed=seed,
                     update_bias=update_bias)
    opt = Adam(lr=lr, clip_norm=clip_norm)
    rng = np.random.default_rng([seed, 1])
    hist = History(net, config)
    bar = progress_bar(range(steps), desc=f"{model.upper()} T={T}", disable=not progress,
                       mininterval=0.5)
    start = time.perf_counter()
    params = net.parameters()
    for i in bar:
        x, y = memory_task(batch, T, n_symbols, seed=rng)
        loss, acc, grads = net.loss_and_grads(x, y)
        hist.loss.append(loss)
        hist.accuracy.append(acc)
        hist.grad_norm.append(opt.step(params, grads))
        if i + 1 in snapshot_at:
            hist.snapshots[i + 1] = copy.deepcopy(net)
        if progress and (i % 10 == 0 or i == steps - 1):
            bar.set_postfix(loss=f"{loss:.3f}",
                            acc=f"{np.mean(hist.accuracy[-20:]):.2f}")
    hist.seconds = time.perf_counter() - start
    bar.close()
    return hist


def evaluate(
    model: MemoryModel, T: int, batch: int = 1000, seed: int = 12345
) -> float:
    """Accuracy on ``batch`` held-out sequences of length ``T`` (the default
    ``seed`` differs from every training stream)."""
    n_symbols = model.readout.kernel.shape[1]
    x, y = memory_task(batch, T, n_symbols, seed=seed)
    return float(np.mean(model.logits(x).argmax(-1) == y))


def state_gradient_norms(
    model: MemoryModel, x: np.ndarray, y: np.ndarray, relative: bool = True
) -> np.ndarray:
    """``‖dL/dh_t‖`` for ``t = 0 .. T-1``, averaged over the batch.

    ``L`` is each sequence's cross-entropy on the readout of the last state
    ``h_{T-1}``; entry ``t`` says how strongly the loss still reaches the
    state ``T-1-t`` steps before the end. With ``relative=True`` (default)
    each sequence's norms are divided by ``‖dL/dh_{T-1}‖``: the fraction of
    the gradient that survives the trip back, which stays meaningful when a
    trained model's loss (and so every gradient) is close to zero.

    For the vanilla RNN this is the ``h`` field of :func:`rnn_backward`; for
    the LSTM, whose state is the pair ``(h_t, c_t)``, it is the norm of both
    gradients together (fields ``h`` and ``c`` of
    :func:`gru_edu.cell.lstm.lstm_backward`).
    :func:`gru_edu.cell.gru_backward` returns the gradient with respect to
    the *initial* state only, so for the GRU we restart the recurrence from
    ``h_t`` (run steps ``t+1 .. T-1`` with ``h0 = h_t``) and read
    ``grads.h0``: the same number, from the one GRU implementation.
    """
    h, cache = model.run(x)
    _, dlogits = softmax_cross_entropy(model.readout(h[:, -1]), y)
    # per-sequence loss, not the batch mean: undo the 1/batch
    d_last = dlogits @ model.readout.kernel.T * x.shape[0]
    T = x.shape[1]
    if model.kind in ("rnn", "lstm"):
        dh_seq = np.zeros_like(h)
        dh_seq[:, -1] = d_last
        g = (rnn_backward if model.kind == "rnn" else lstm_backward)(dh_seq, cache)
        dh = g.h if model.kind == "rnn" else np.concatenate([g.h, g.c], axis=-1)
    else:
        dh = np.empty_like(h)
        dh[:, -1] = d_last
        for t in range(T - 1):
            h_suffix, c = gru_forward(x[:, t + 1:], model.cell, h0=h[:, t])
            dh_suffix = np.zeros_like(h_suffix)
            dh_suffix[:, -1] = d_last
            dh[:, t] = gru_backward(dh_suffix, c).h0
    norms = np.linalg.norm(dh, axis=-1)  # (batch, T)
    if relative:
        norms = norms / np.maximum(norms[:, -1:], 1e-300)
    return norms.mean(axis=0)
