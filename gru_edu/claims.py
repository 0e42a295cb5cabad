"""GRU against LSTM on IMDB: learning curves, matched sizes, speed (notebook 05).

The tutorial behind this collection claims, without evidence, that GRUs
"need fewer data to generalise" and that an LSTM may win "when there is
enough data". This module holds what the benchmark
(``benchmarks/bench_claims.py``) and notebook 05 need to put both claims to
the test under the protocol of :mod:`gru_edu.imdb.splits`:

* :func:`recurrent_parameters` and :func:`matched_lstm_units`: an LSTM with
  about as many weights as a GRU (the LSTM has 4 weight blocks, the GRU 3);
* :data:`EPOCH_BUDGET` and :func:`train_point`: one classifier of the
  notebook 03 recipe on a slice of the training part, trained for the same
  budget of epochs whatever the cell, ending on the weights of its best
  *validation* epoch (the one choice made per run, on validation only), and
  scored on the test reviews once, at the end;
* :func:`t_interval`: mean and 95 % t-interval over seeds;
* :func:`equivalence_test`: two one-sided tests (TOST) of "no difference
  larger than a margin", and the number of seeds that would decide it;
* :func:`ratio_interval`: a ratio of paired timings with its 95 % interval;
* :func:`step_seconds`: seconds per training step of several cells, measured
  side by side (interleaved), so machine load hits them alike;
* :func:`load_log`, :func:`curve`, :func:`paired_difference`,
  :func:`prediction_interval`: reading the committed logs in notebook 05, and
  the noise a live re-run is allowed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from .imdb.training import TrainSettings

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
    "t_interval",
    "equivalence_test",
    "ratio_interval",
    "best_epoch_callback",
    "train_point",
    "step_seconds",
    "MATRIX_BLOCKS",
    "load_log",
    "unique_runs",
    "curve",
    "paired_difference",
    "paired_values",
    "prediction_interval",
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

# Two-sided 95 % quantiles of Student's t for 1..30 degrees of freedom.
_T975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)


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
    from .imdb.splits import load_splits

    r = CURVE_RECIPE
    return load_splits(num_words=r.num_words, maxlen=r.maxlen, val_size=r.val_size,
                       train_size=train_size, test_size=CURVE_TEST_REVIEWS,
                       progress=progress)


def epochs_for(train_size: int) -> int:
    """The epoch budget of :data:`EPOCH_BUDGET` for the nearest listed size."""
    sizes = sorted(EPOCH_BUDGET)
    nearest = min(sizes, key=lambda s: abs(math.log(s) - math.log(max(train_size, 1))))
    return EPOCH_BUDGET[nearest]


def t_interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float]:
    """``(mean, half_width)`` of the two-sided 95 % Student-t interval.

    With one value the half-width is ``nan`` (no interval from one run).
    """
    if level != 0.95:
        raise ValueError("only the 95 % interval is tabulated")
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        raise ValueError("t_interval needs at least one value")
    mean = float(x.mean())
    if x.size == 1:
        return mean, float("nan")
    df = x.size - 1
    q = _T975[df - 1] if df <= len(_T975) else 1.960
    return mean, float(q * x.std(ddof=1) / math.sqrt(x.size))


# One-sided 95 % quantiles of Student's t for 1..30 degrees of freedom (the
# 90 % two-sided interval of the two one-sided tests).
_T95 = (
    6.314, 2.920, 2.353, 2.132, 2.015, 1.943, 1.895, 1.860, 1.833, 1.812,
    1.796, 1.782, 1.771, 1.761, 1.753, 1.746, 1.740, 1.734, 1.729, 1.725,
    1.721, 1.717, 1.714, 1.711, 1.708, 1.706, 1.703, 1.701, 1.699, 1.697,
)


def _t95(df: int) -> float:
    return _T95[df - 1] if df <= len(_T95) else 1.645


def equivalence_test(differences: Sequence[float], margin: float) -> dict[str, Any]:
    """Two one-sided tests (TOST, 5 % each) that ``|mean difference| < margin``.

    Equivalence is shown when the 90 % t-interval of the mean lies inside
    ``(-margin, margin)``. Returns ``{"mean", "low", "high", "n",
    "equivalent", "n_needed"}``: ``n_needed`` is the number of paired runs at
    which the same mean and spread would show equivalence (``None`` when the
    mean itself is outside the margin, so no number of runs would).
    """
    if margin <= 0:
        raise ValueError("the margin must be positive")
    x = np.asarray(differences, dtype=float)
    if x.size < 2:
        raise ValueError("an equivalence test needs at least two differences")
    mean, sd = float(x.mean()), float(x.std(ddof=1))
    half = _t95(x.size - 1) * sd / math.sqrt(x.size)
    n_needed = None
    if abs(mean) < margin:
        n_needed = next((n for n in range(2, 10_001)
                         if _t95(n - 1) * sd / math.sqrt(n) < margin - abs(mean)), None)
    return {"mean": mean, "low": mean - half, "high": mean + half, "n": int(x.size),
            "equivalent": bool(-margin < mean - half and mean + half < margin),
            "n_needed": n_needed}


def ratio_interval(a: Sequence[float], b: Sequence[float]) -> tuple[float, float, float]:
    """``(ratio, low, high)``: the geometric-mean ratio ``a / b`` of paired
    timings (round ``i`` of ``a`` with round ``i`` of ``b``, measured side by
    side) and its 95 % t-interval, computed on the log scale."""
    la, lb = np.log(np.asarray(a, dtype=float)), np.log(np.asarray(b, dtype=float))
    if la.shape != lb.shape or la.size < 2:
        raise ValueError("ratio_interval needs two paired lists of at least two timings")
    mean, half = t_interval(la - lb)
    return math.exp(mean), math.exp(mean - half), math.exp(mean + half)


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

    from .imdb.features import word_polarity
    from .imdb.fitting import evaluate, fit
    from .imdb.models import build_classifier

    s = replace(settings or TrainSettings(), kind=kind, units=units, epochs=epochs, seed=seed)
    keras.utils.set_random_seed(seed)
    steps = -(-len(parts.x_train) // s.batch_size) * s.epochs
    model = build_classifier(
        kind,
        num_words=s.num_words,
        maxlen=None if s.buckets else s.maxlen,
        embed_dim=s.embed_dim,
        units=units,
        dropout=s.dropout,
        learning_rate=s.learning_rate,
        decay_steps=steps if s.cosine else None,
        polarity=(
            word_polarity(parts.x_train, parts.y_train, s.num_words) if s.polarity else None
        ),
        jit_compile=jit_compile,
    )
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

    from .imdb.models import RECURRENT_LAYERS

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


def load_log(name: str) -> dict[str, Any]:
    """A committed benchmark log, ``benchmarks/logs/bench_claims_<name>.json``."""
    import json

    from .config import repo_root

    path = repo_root() / "benchmarks" / "logs" / f"bench_claims_{name}.json"
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: run python benchmarks/bench_claims.py --part {name}"
        )
    return json.loads(path.read_text())


def unique_runs(runs: Sequence[dict]) -> list[dict]:
    """One run per (cell, training size, seed): the last one logged."""
    return list({(r["cell"], r["train_reviews"], r["seed"]): r for r in runs}.values())


def curve(runs: Sequence[dict], cell: str, key: str = "test_accuracy") -> dict[int, dict]:
    """Per training size: ``{"mean", "half", "n", "values"}`` of ``key`` for one cell."""
    out: dict[int, dict] = {}
    rows = [r for r in unique_runs(runs) if r["cell"] == cell]
    for size in sorted({r["train_reviews"] for r in rows}):
        values = [r[key] for r in rows if r["train_reviews"] == size]
        mean, half = t_interval(values)
        out[size] = {"mean": mean, "half": half, "n": len(values), "values": values}
    return out


def paired_values(runs: Sequence[dict], a: str, b: str, size: int) -> list[float]:
    """Test accuracy of cell ``a`` minus cell ``b`` at one training size, one
    value per seed both cells ran (paired by seed, in seed order)."""
    acc = {(r["cell"], r["train_reviews"], r["seed"]): r["test_accuracy"]
           for r in unique_runs(runs)}
    seeds = sorted(s for (c, n, s) in acc if c == a and n == size and (b, size, s) in acc)
    return [acc[(a, size, s)] - acc[(b, size, s)] for s in seeds]


def paired_difference(runs: Sequence[dict], a: str, b: str) -> dict[int, dict]:
    """Test accuracy of cell ``a`` minus cell ``b``, paired by seed, per size.

    Runs with the same seed and size share the training reviews, the batch
    order and the dropout stream; only the cell differs. Returns per size
    ``{"mean", "half", "n"}`` (95 % t-interval of the paired differences).
    """
    rows = unique_runs(runs)
    acc = {(r["cell"], r["train_reviews"], r["seed"]): r["test_accuracy"] for r in rows}
    out: dict[int, dict] = {}
    for size in sorted({r["train_reviews"] for r in rows}):
        diffs = [acc[(a, size, s)] - acc[(b, size, s)]
                 for (c, n, s) in acc if c == a and n == size and (b, size, s) in acc]
        if diffs:
            mean, half = t_interval(diffs)
            out[size] = {"mean": mean, "half": half, "n": len(diffs)}
    return out


def prediction_interval(values: Sequence[float]) -> tuple[float, float]:
    """``(low, high)``: where one more run should land, 95 % (Student t).

    ``mean ± t · sd · sqrt(1 + 1/n)`` over the logged runs: the noise a
    single re-run is allowed. Needs at least two values.
    """
    x = np.asarray(values, dtype=float)
    if x.size < 2:
        raise ValueError("a prediction interval needs at least two runs")
    q = _T975[x.size - 2] if x.size - 1 <= len(_T975) else 1.960
    half = q * x.std(ddof=1) * math.sqrt(1 + 1 / x.size)
    return float(x.mean() - half), float(x.mean() + half)
