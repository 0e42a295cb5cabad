"""Counting: the language aⁿbⁿ, which an LSTM can learn and a GRU cannot quite.

Weiss, Goldberg & Yahav (2018, "On the practical computational power of
finite precision RNNs") showed that an LSTM can count: its cell state
``c_t = f_t c_{t-1} + i_t g_t`` is a sum, so a unit with ``f ≈ 1`` can add 1
per ``a`` and subtract 1 per ``b``, without bound. A GRU's state is a convex
mix of the old state and a ``tanh`` in [-1, 1], so it stays in [-1, 1] and
can count only as far as that finite range resolves; trained on short
strings, it does not generalise to longer ones. Notebook 05 tests this.

**The task** (:func:`anbn_batch`). The string ``a…a b…b`` (``n`` of each)
is read one symbol per step; after every symbol the model says whether the
string is complete (a sigmoid per step). The only hard step is the last
``b``: to say "complete" there, and not one ``b`` earlier or later, the model
must have counted the ``a``'s. A string of length ``n`` is *recognised* when
every one of its ``2n`` answers is right (threshold 0.5).

**The experiment** (:func:`train_counter`, :func:`recognised`). Train a
small Keras model (one recurrent layer, a ``Dense(1)`` per step) on
``n = 1 … N``; test on ``n = 1 … n_max``; report the largest ``n`` up to which
every string is recognised (:func:`generalises_to`).

**The inside view** (:func:`inside_states`): the LSTM's cell states replayed
in NumPy with :mod:`gru_edu.cell.lstm`, the GRU's states and update gates with
:mod:`gru_edu.cell`, both from the trained Keras weights.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "KINDS",
    "anbn_batch",
    "build_counter",
    "CounterResult",
    "train_counter",
    "recognised",
    "generalises_to",
    "inside_states",
]

KINDS = ("simple_rnn", "gru", "lstm")


def anbn_batch(ns: Sequence[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Strings aⁿbⁿ for each ``n`` in ``ns``, right-padded to the longest.

    Returns ``x`` ``(len(ns), 2 max(ns), 2)`` one-hot (channel 0 = ``a``,
    1 = ``b``; padding all zero), ``y`` ``(…, 2 max(ns), 1)`` with 1 exactly
    at step ``2n - 1`` (the string is complete), and ``w`` ``(…, 2 max(ns))``
    1 on the string's steps and 0 on padding (the loss weights).
    """
    ns = [int(n) for n in ns]
    if not ns or min(ns) < 1:
        raise ValueError(f"every n must be at least 1, got {ns}")
    T = 2 * max(ns)
    x = np.zeros((len(ns), T, 2), dtype="float32")
    y = np.zeros((len(ns), T, 1), dtype="float32")
    w = np.zeros((len(ns), T), dtype="float32")
    for row, n in enumerate(ns):
        x[row, :n, 0] = 1.0
        x[row, n:2 * n, 1] = 1.0
        y[row, 2 * n - 1, 0] = 1.0
        w[row, :2 * n] = 1.0
    return x, y, w


def build_counter(kind: str, units: int = 8, learning_rate: float = 0.01) -> Any:
    """``Input(None, 2) → cell(units, return_sequences) → Dense(1, sigmoid)``."""
    import keras

    from gru_edu.imdb.models import RECURRENT_LAYERS

    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    model = keras.Sequential([
        keras.Input((None, 2)),
        RECURRENT_LAYERS[kind](units, return_sequences=True, name=kind),
        keras.layers.Dense(1, activation="sigmoid", name="complete"),
    ], name=f"anbn_{kind}")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss="binary_crossentropy", jit_compile=False)
    return model


def recognised(model: Any, ns: Sequence[int]) -> np.ndarray:
    """For each ``n``: is every answer on aⁿbⁿ right? (booleans, one per ``n``)."""
    x, y, w = anbn_batch(ns)
    p = np.asarray(model.predict(x, batch_size=len(ns), verbose=0))
    right = ((p > 0.5) == (y > 0.5))[..., 0] | (w == 0)
    return right.all(axis=1)


def generalises_to(ok: Sequence[bool], ns: Sequence[int]) -> int:
    """The largest ``n`` such that every listed ``n' <= n`` is recognised (0: none)."""
    best = 0
    for n, good in sorted(zip(ns, ok)):
        if not good:
            break
        best = n
    return best


@dataclass
class CounterResult:
    """One trained counter: settings, training curve, what it recognises."""

    kind: str
    seed: int
    units: int
    train_max: int
    steps: int
    test_ns: list[int]
    recognised: list[bool]
    generalises_to: int
    train_all_recognised: bool
    loss: list[float] = field(default_factory=list)
    seconds: float = 0.0
    model: Any = field(default=None, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, without the model."""
        out = {k: v for k, v in self.__dict__.items() if k != "model"}
        out["loss"] = [round(v, 5) for v in self.loss]
        return out


def train_counter(
    kind: str,
    train_max: int = 20,
    test_max: int = 80,
    units: int = 8,
    steps: int = 1500,
    learning_rate: float = 0.01,
    seed: int = 0,
    progress: bool = True,
) -> CounterResult:
    """Train one counter on n = 1 … ``train_max``, test on n = 1 … ``test_max``.

    Every step is one Adam step on the whole training set (``train_max``
    strings). The same ``steps`` for every cell: the same training budget.
    ``seed`` fixes the initial weights.
    """
    import keras

    from gru_edu.config import progress_bar

    keras.utils.set_random_seed(seed)
    model = build_counter(kind, units, learning_rate)
    train_ns = list(range(1, train_max + 1))
    x, y, w = anbn_batch(train_ns)
    losses = []
    start = time.perf_counter()
    bar = progress_bar(range(steps), desc=f"{kind} seed {seed}", disable=not progress,
                       mininterval=0.5)
    for i in bar:
        loss = float(model.train_on_batch(x, y, sample_weight=w))
        losses.append(loss)
        if progress and i % 50 == 0:
            bar.set_postfix(loss=f"{loss:.4f}")
    bar.close()
    seconds = time.perf_counter() - start
    test_ns = list(range(1, test_max + 1))
    ok = recognised(model, test_ns)
    return CounterResult(
        kind=kind, seed=seed, units=units, train_max=train_max, steps=steps,
        test_ns=test_ns, recognised=[bool(v) for v in ok],
        generalises_to=generalises_to(ok, test_ns),
        train_all_recognised=bool(ok[:train_max].all()),
        loss=losses[:: max(1, steps // 100)], seconds=seconds, model=model,
    )


def inside_states(model: Any, n: int) -> dict[str, np.ndarray]:
    """The trained cell's states on aⁿbⁿ, replayed in NumPy from its weights.

    LSTM: ``{"c": cell states, "h": hidden states}``; GRU: ``{"h": states,
    "z": update gates}``; SimpleRNN: ``{"h": states}``; each ``(2n, units)``,
    plus ``"p"``: the model's probability "complete" per step.
    """
    from gru_edu.cell.numpy_gru import GRUParams, gru_forward
    from gru_edu.cell.lstm import LSTMParams, lstm_forward

    x, _, _ = anbn_batch([n])
    layer = model.layers[0]
    kind = layer.name
    p = np.asarray(model.predict(x, verbose=0))[0, :, 0]
    if kind == "lstm":
        h, cache = lstm_forward(x.astype(np.float64), LSTMParams.from_keras(layer))
        return {"c": cache.c[0], "h": h[0], "p": p}
    if kind == "gru":
        kernel, recurrent, bias = layer.get_weights()
        h, cache = gru_forward(x.astype(np.float64), GRUParams(kernel, recurrent, bias))
        return {"h": h[0], "z": cache.z[0], "p": p}
    kernel, recurrent, bias = layer.get_weights()
    h = np.zeros((2 * n, kernel.shape[1]))
    prev = np.zeros(kernel.shape[1])
    for t in range(2 * n):
        prev = np.tanh(x[0, t] @ kernel + prev @ recurrent + bias)
        h[t] = prev
    return {"h": h, "p": p}
