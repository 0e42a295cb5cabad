"""GRU against LSTM on IMDB: matched sizes, learning-curve points, speed (notebook 05).

The tutorial behind this collection claims, without evidence, that GRUs
"need fewer data to generalise" and that an LSTM may win "when there is
enough data". This module trains what the benchmark
(``benchmarks/bench_claims.py``) and notebook 05 need to test both claims
under the protocol of :mod:`gru_edu.imdb.splits`:

* :func:`recurrent_parameters` and :func:`matched_lstm_units`: an LSTM with
  about as many weights as a GRU (the LSTM has 4 weight blocks, the GRU 3);
* :data:`EPOCH_BUDGET` and :func:`train_point`: one classifier of the
  notebook 03 recipe on a slice of the training part, trained for the same
  budget of epochs whatever the cell, ending on the weights of its best
  *validation* epoch, scored on the test reviews once, at the end;
* :func:`step_seconds`: seconds per training step of several cells, measured
  side by side (interleaved), so machine load hits them alike.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from gru_edu.imdb.training import TrainSettings

__all__ = [
    "CURVE_RECIPE",
    "CURVE_TEST_REVIEWS",
    "CURVE_UNITS",
    "curve_cells",
    "load_curve_parts",
    "EPOCH_BUDGET",
    "recurrent_parameters",
    "matched_lstm_units",
    "epochs_for",
    "best_epoch_callback",
    "train_point",
    "step_seconds",
    "MATRIX_BLOCKS",
]

#: The recipe of the learning curves: notebook 03's (:class:`TrainSettings`),
#: shortened to fit the benchmark's budget on 2 cores: reviews cut to their
#: last 100 words (not 300) and 1,000 validation reviews (not 2,500).
CURVE_RECIPE = replace(TrainSettings(), maxlen=100, val_size=1000)
#: Test reviews each learning-curve model is scored on (the first of the test set).
CURVE_TEST_REVIEWS = 5000
#: Units of the GRU and of the same-units LSTM in the learning curves.
CURVE_UNITS = 64

#: Weight blocks (input and recurrent matrices) per cell: the matrix work per step.
MATRIX_BLOCKS = {"simple_rnn": 1, "gru": 3, "lstm": 4}

#: Epochs per training-set size: small sets take more epochs, so that every
#: size gets a useful number of updates. The same for every cell; each run
#: ends on its best validation epoch within the budget.
EPOCH_BUDGET = {500: 10, 1000: 8, 2000: 6, 5000: 4, 10000: 3, 24000: 2}

def recurrent_parameters(kind: str, units: int, input_dim: int) -> int:
    """Weights of one Keras recurrent layer with default settings.

    SimpleRNN: ``u(d+u) + u``; LSTM: ``4(u(d+u) + u)``; GRU with
    ``reset_after=True`` (Keras's default, two bias vectors):
    ``3(u(d+u) + 2u)``.
    """
    if kind not in MATRIX_BLOCKS:
        raise ValueError(f"kind must be one of {sorted(MATRIX_BLOCKS)}, got {kind!r}")
    if units < 1 or input_dim < 1:
        raise ValueError("units and input_dim must be positive")
    per_block = units * (input_dim + units) + units
    if kind == "gru":
        per_block += units  # the second (recurrent) bias of reset_after=True
    return MATRIX_BLOCKS[kind] * per_block


def matched_lstm_units(gru_units: int, input_dim: int) -> int:
    """LSTM units whose layer has the parameter count closest to a GRU's."""
    target = recurrent_parameters("gru", gru_units, input_dim)
    return min(
        range(1, gru_units + 1),
        key=lambda u: abs(recurrent_parameters("lstm", u, input_dim) - target),
    )


def curve_cells() -> list[tuple[str, str, int]]:
    """``(name, kind, units)`` of the three cells of the learning curves:
    GRU, LSTM with the same units, LSTM with about the GRU's parameters."""
    input_dim = CURVE_RECIPE.embed_dim + 1  # word vector + polarity
    matched = matched_lstm_units(CURVE_UNITS, input_dim)
    return [("gru", "gru", CURVE_UNITS), ("lstm", "lstm", CURVE_UNITS),
            ("lstm_matched", "lstm", matched)]


def load_curve_parts(train_size: int | None, progress: bool = False) -> Any:
    """The three IMDB parts of one learning-curve point (:func:`gru_edu.imdb.load_splits`).

    ``train_size`` first reviews of the training part (vocabulary and
    polarity fitted on them), the validation part of :data:`CURVE_RECIPE`,
    the first :data:`CURVE_TEST_REVIEWS` test reviews.
    """
    from gru_edu.imdb.splits import load_splits

    r = CURVE_RECIPE
    return load_splits(num_words=r.num_words, maxlen=r.maxlen, val_size=r.val_size,
                       train_size=train_size, test_size=CURVE_TEST_REVIEWS,
                       progress=progress)


def epochs_for(train_size: int) -> int:
    """The epoch budget of :data:`EPOCH_BUDGET` for the nearest listed size."""
    sizes = sorted(EPOCH_BUDGET)
    nearest = min(sizes, key=lambda s: abs(math.log(s) - math.log(max(train_size, 1))))
    return EPOCH_BUDGET[nearest]


def best_epoch_callback() -> Any:
    """A Keras callback that keeps the weights of the best ``val_accuracy`` epoch.

    It restores them when training ends; its ``best_epoch`` (1-based) and
    ``best_val_accuracy`` say which epoch won. The choice of epoch is made on
    the validation part only. (Built on call, so importing this module does
    not import Keras.)
    """
    import keras

    class BestEpoch(keras.callbacks.Callback):
        def on_train_begin(self, logs: dict | None = None) -> None:
            self.best_val_accuracy = -1.0
            self.best_epoch = 0
            self._weights: list | None = None

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            acc = float((logs or {}).get("val_accuracy", -1.0))
            if acc > self.best_val_accuracy:
                self.best_val_accuracy = acc
                self.best_epoch = epoch + 1
                self._weights = self.model.get_weights()

        def on_train_end(self, logs: dict | None = None) -> None:
            if self._weights is not None:
                self.model.set_weights(self._weights)

    return BestEpoch()


def train_point(
    parts: Any,
    kind: str,
    units: int,
    seed: int,
    epochs: int,
    settings: TrainSettings | None = None,
    verbose: int = 0,
    jit_compile: bool = False,
) -> dict[str, Any]:
    """Train one classifier on ``parts`` (a :class:`gru_edu.imdb.ImdbSplits`).

    The recipe is ``settings`` (default :class:`TrainSettings` defaults: the
    notebook 03 recipe) with the cell ``kind``, ``units`` and ``epochs``
    swapped in. The cosine schedule decays over the ``epochs``; the weights
    of the best validation epoch are kept (:func:`best_epoch_callback`), then the
    test reviews in ``parts`` are scored once. Returns a JSON-ready dict.

    ``jit_compile=False`` by default: XLA compiles once per batch shape, and
    for the many small models of a learning curve those compiles cost more
    than they save (tens of seconds per model on 2 cores).
    """
    import keras

    from gru_edu.imdb.fitting import evaluate, fit

    s = replace(settings or TrainSettings(), kind=kind, units=units, epochs=epochs, seed=seed)
    keras.utils.set_random_seed(seed)
    model = _curve_model(parts, s, jit_compile)
    best = best_epoch_callback()
    start = time.perf_counter()
    hist = fit(
        model, parts.x_train, parts.y_train, epochs=s.epochs, batch_size=s.batch_size,
        validation_data=(parts.x_val, parts.y_val), verbose=verbose,
        callbacks=[best], buckets=s.buckets, seed=seed,
    )
    train_seconds = time.perf_counter() - start
    _, test_accuracy = evaluate(model, parts.x_test, parts.y_test, buckets=s.buckets)
    return {
        "model": kind,
        "units": units,
        "seed": seed,
        "train_reviews": int(len(parts.y_train)),
        "val_reviews": int(len(parts.y_val)),
        "test_reviews": int(len(parts.y_test)),
        "epochs": s.epochs,
        "best_epoch": best.best_epoch,
        "val_accuracy": best.best_val_accuracy,
        "val_accuracy_by_epoch": hist.get("val_accuracy", []),
        "seconds_by_epoch": hist["seconds"],
        "train_seconds": train_seconds,
        "test_accuracy": test_accuracy,
        "parameters": int(model.count_params()),
        "recurrent_parameters": int(model.get_layer(kind).count_params()),
    }


def _curve_model(parts: Any, s: TrainSettings, jit_compile: bool) -> Any:
    """The compiled classifier of recipe ``s`` for a run on ``parts``."""
    from gru_edu.imdb.features import word_polarity
    from gru_edu.imdb.models import build_classifier

    steps = -(-len(parts.x_train) // s.batch_size) * s.epochs
    return build_classifier(
        s.kind,
        num_words=s.num_words,
        maxlen=None if s.buckets else s.maxlen,
        embed_dim=s.embed_dim,
        units=s.units,
        dropout=s.dropout,
        learning_rate=s.learning_rate,
        decay_steps=steps if s.cosine else None,
        polarity=(
            word_polarity(parts.x_train, parts.y_train, s.num_words) if s.polarity else None
        ),
        jit_compile=jit_compile,
    )


def step_seconds(
    kinds: Sequence[str],
    units: int = 64,
    batch: int = 128,
    length: int = 300,
    input_dim: int = 65,
    steps: int = 20,
    rounds: int = 3,
    seed: int = 0,
    jit_compile: bool = False,
) -> dict[str, list[float]]:
    """Seconds per training step of each cell, timed side by side.

    One small model per cell (``Input → cell(units) → Dense(1)``) on the
    same random batch of ``length`` steps. After a warm-up step each, the
    cells take turns: ``rounds`` rounds of ``steps`` steps per cell, in a
    rotated order every round, so a change in machine load hits every cell
    alike. ``jit_compile``: XLA on (one shape, so one compile) or off.
    Returns ``{kind: [seconds per step, one per round]}``.
    """
    import keras
    import tensorflow as tf

    from gru_edu.imdb.models import RECURRENT_LAYERS

    rng = np.random.default_rng(seed)
    x = tf.constant(rng.standard_normal((batch, length, input_dim)).astype("float32"))
    y = tf.constant(rng.integers(0, 2, size=(batch, 1)).astype("float32"))
    nets = {}
    for kind in kinds:
        keras.utils.set_random_seed(seed)
        net = keras.Sequential([
            keras.Input((length, input_dim)),
            RECURRENT_LAYERS[kind](units),
            keras.layers.Dense(1, activation="sigmoid"),
        ])
        net.compile(optimizer="adam", loss="binary_crossentropy", jit_compile=jit_compile)
        net.train_on_batch(x, y)  # compile once, outside the clock
        nets[kind] = net
    out: dict[str, list[float]] = {k: [] for k in kinds}
    order = list(kinds)
    for r in range(rounds):
        for kind in order[r % len(order):] + order[: r % len(order)]:
            start = time.perf_counter()
            for _ in range(steps):
                nets[kind].train_on_batch(x, y)
            out[kind].append((time.perf_counter() - start) / steps)
    return out


