"""The model and trainer the NumPy tasks share: a recurrent cell with a softmax readout.

* :func:`make_model` builds a GRU (:mod:`gru_edu.cell.numpy_gru`), vanilla RNN
  (:mod:`gru_edu.cell.rnn`) or LSTM (:mod:`gru_edu.cell.lstm`) with a linear
  readout ``h_T V + c``, initialised as Keras would;
* :func:`softmax_cross_entropy` is the loss and its gradient;
* :class:`History` is what a training run records, one entry per step.

The tasks (:mod:`.memory`, :mod:`.segments`) draw their own batches and train
with :class:`gru_edu.cell.optim.Adam`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gru_edu.cell.initializers import glorot_uniform, init_gru
from gru_edu.cell.lstm import LSTMParams, lstm_backward, lstm_forward
from gru_edu.cell.numpy_gru import GRUParams, gru_backward, gru_forward
from gru_edu.cell.rnn import RNNParams, rnn_backward, rnn_forward

__all__ = ["MODELS", "softmax", "softmax_cross_entropy", "Readout", "MemoryModel",
           "make_model", "History"]

MODELS = ("gru", "rnn", "lstm")


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
        return cls(glorot_uniform(rng, units, classes), np.zeros(classes))

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
