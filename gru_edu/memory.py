"""A long-memory toy task, a vanilla RNN baseline and a tiny trainer (NumPy).

Notebook 02 trains the NumPy GRU of :mod:`gru_edu.cell` next to a vanilla
``tanh`` RNN on a task that needs memory and nothing else:

* **The task** (:func:`memory_task`). Every step shows one of ``n_symbols``
  symbols (one-hot); the first one carries a *marker* (an extra input that
  is 1 at ``t = 0`` only). After ``T`` steps the model must say which symbol
  was marked. Chance is ``1 / n_symbols``; the only way to beat it is to
  carry the first input across ``T - 1`` steps of random distractors.
* **The baseline** (:func:`rnn_forward`, :func:`rnn_backward`). An Elman RNN,
  ``h_t = tanh(x_t W + h_{t-1} U + b)``, weights in the Keras ``SimpleRNN``
  layout. It is a different model, so it has its own (three-line) equations;
  the GRU is always :mod:`gru_edu.cell`.
* **The readout** (:func:`softmax_cross_entropy`): logits ``h_T V + c``, mean
  cross-entropy over the batch.
* **The trainer** (:class:`gru_edu.optim.Adam`, :func:`train_memory_task`): plain Adam with
  gradient-norm clipping, a fresh batch every step, a tqdm progress bar.

Notebook 05 adds an LSTM (``model="lstm"``, :mod:`gru_edu.lstm`) beside
the two. Everything is seeded: the same arguments give the same history.
"""

from __future__ import annotations

import copy
import time as _time
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gru_edu.cell import GRUParams, gru_backward, gru_forward
from gru_edu.lstm import LSTMParams, lstm_backward, lstm_forward
from gru_edu.optim import Adam

__all__ = [
    "memory_task",
    "RNNParams",
    "RNNCache",
    "RNNGrads",
    "rnn_forward",
    "rnn_backward",
    "init_gru",
    "softmax",
    "softmax_cross_entropy",
    "Readout",
    "Adam",
    "MemoryModel",
    "make_model",
    "History",
    "train_memory_task",
    "evaluate",
    "state_gradient_norms",
]

MODELS = ("gru", "rnn", "lstm")
_FLUSH_TO_ZERO = 1e-200


# --------------------------------------------------------------------- task


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


# ------------------------------------------------------------ vanilla RNN


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
            _glorot_uniform(rng, input_dim, units),
            _orthogonal(rng, units, units),
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
        dh_next[np.abs(dh_next) < _FLUSH_TO_ZERO] = 0.0
    return RNNGrads(
        kernel=dW,
        recurrent_kernel=dU,
        bias=d_pre.sum(axis=(0, 1)),
        x=d_pre @ p.kernel.T,
        h0=dh_next,
        h=dh_total,
    )


# ------------------------------------------------------- initialisation


def _glorot_uniform(rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out))


def _orthogonal(rng: np.random.Generator, rows: int, cols: int) -> np.ndarray:
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
    kernel = _glorot_uniform(rng, input_dim, 3 * units)
    recurrent = _orthogonal(rng, units, 3 * units)
    bias = np.zeros((2, 3 * units) if reset_after else 3 * units)
    (bias[0] if reset_after else bias)[:units] = update_bias
    return GRUParams(kernel, recurrent, bias, reset_after)


# ---------------------------------------------------------------- readout


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, shifted by the row maximum so ``exp`` cannot overflow."""
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def softmax_cross_entropy(
    logits: np.ndarray, y: np.ndarray
) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of integer labels ``y`` and its gradient w.r.t. ``logits``."""
    logits = np.asarray(logits, dtype=np.float64)
    y = np.asarray(y)
    batch = logits.shape[0]
    probs = softmax(logits)
    loss = -np.mean(np.log(probs[np.arange(batch), y] + 1e-300))
    dlogits = probs.copy()
    dlogits[np.arange(batch), y] -= 1.0
    return float(loss), dlogits / batch


@dataclass
class Readout:
    """A linear layer from the last state to the class logits: ``h_T V + c``."""

    kernel: np.ndarray
    bias: np.ndarray

    @classmethod
    def random(cls, units: int, classes: int, seed: int = 0) -> "Readout":
        rng = np.random.default_rng(seed)
        return cls(_glorot_uniform(rng, units, classes), np.zeros(classes))

    def __call__(self, h_last: np.ndarray) -> np.ndarray:
        return h_last @ self.kernel + self.bias


# ------------------------------------------------------------ the model


@dataclass
class MemoryModel:
    """A recurrent cell (GRU, vanilla RNN or LSTM) and a softmax readout."""

    kind: str
    cell: GRUParams | RNNParams | LSTMParams
    readout: Readout

    def count(self) -> int:
        return self.cell.count() + self.readout.kernel.size + self.readout.bias.size

    def parameters(self) -> dict[str, np.ndarray]:
        """Name → array; Adam updates these arrays in place."""
        return {
            "kernel": self.cell.kernel,
            "recurrent_kernel": self.cell.recurrent_kernel,
            "bias": self.cell.bias,
            "readout_kernel": self.readout.kernel,
            "readout_bias": self.readout.bias,
        }

    def run(self, x: np.ndarray) -> tuple[np.ndarray, Any]:
        """States ``(batch, T, units)`` and the cache for the backward pass."""
        forward = {"gru": gru_forward, "lstm": lstm_forward}.get(self.kind, rnn_forward)
        return forward(x, self.cell)

    def logits(self, x: np.ndarray) -> np.ndarray:
        h, _ = self.run(x)
        return self.readout(h[:, -1])

    def loss_and_grads(
        self, x: np.ndarray, y: np.ndarray
    ) -> tuple[float, float, dict[str, np.ndarray]]:
        """Loss, accuracy and the gradient of every parameter for one batch."""
        h, cache = self.run(x)
        h_last = h[:, -1]
        logits = self.readout(h_last)
        loss, dlogits = softmax_cross_entropy(logits, y)
        acc = float(np.mean(logits.argmax(-1) == y))
        dh_seq = np.zeros_like(h)
        dh_seq[:, -1] = dlogits @ self.readout.kernel.T
        back = {"gru": gru_backward, "lstm": lstm_backward}.get(self.kind, rnn_backward)
        g = back(dh_seq, cache)
        grads = {
            "kernel": g.kernel,
            "recurrent_kernel": g.recurrent_kernel,
            "bias": g.bias,
            "readout_kernel": h_last.T @ dlogits,
            "readout_bias": dlogits.sum(axis=0),
        }
        return loss, acc, grads


def make_model(
    model: str,
    input_dim: int,
    units: int,
    classes: int,
    seed: int = 0,
    reset_after: bool = True,
    update_bias: float = 0.0,
) -> MemoryModel:
    """A freshly initialised GRU, vanilla RNN or LSTM with a readout (Keras
    init; ``update_bias`` is passed to :func:`init_gru`; for the LSTM it is
    the forget-gate bias, 0 meaning Keras's default of 1; the RNN has none)."""
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    if model == "gru":
        cell: GRUParams | RNNParams = init_gru(
            input_dim, units, reset_after, seed, update_bias
        )
    elif model == "lstm":
        cell = LSTMParams.random(input_dim, units, seed=seed,
                                 forget_bias=update_bias or 1.0)
    else:
        cell = RNNParams.random(input_dim, units, seed=seed)
    return MemoryModel(model, cell, Readout.random(units, classes, seed=seed + 1))


# --------------------------------------------------------------- training


@dataclass
class History:
    """What :func:`train_memory_task` recorded, one entry per training step.

    ``loss`` and ``accuracy`` are measured on each step's fresh batch before
    the update (so they estimate performance on unseen sequences);
    ``grad_norm`` is the global gradient norm before clipping.
    ``snapshots`` maps a step count to a copy of the model after that many
    steps (only the steps asked for with ``snapshot_at``), so a budget of
    steps can be chosen on validation data from one run.
    """

    model: MemoryModel
    config: dict[str, Any]
    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    seconds: float = 0.0
    snapshots: dict[int, MemoryModel] = field(default_factory=dict)

    @property
    def steps(self) -> np.ndarray:
        return np.arange(1, len(self.loss) + 1)

    def smoothed(self, name: str = "accuracy", window: int = 20) -> np.ndarray:
        """A trailing moving average of ``loss`` or ``accuracy`` (for plots)."""
        values = np.asarray(getattr(self, name), dtype=float)
        window = max(1, min(window, len(values)))
        csum = np.cumsum(np.insert(values, 0, 0.0))
        out = np.empty_like(values)
        for i in range(len(values)):
            lo = max(0, i + 1 - window)
            out[i] = (csum[i + 1] - csum[lo]) / (i + 1 - lo)
        return out


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
    from .config import progress_bar

    bar = progress_bar(range(steps), desc=f"{model.upper()} T={T}", disable=not progress,
                       mininterval=0.5)
    start = _time.perf_counter()
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
    hist.seconds = _time.perf_counter() - start
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
    :func:`gru_edu.lstm.lstm_backward`).
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
