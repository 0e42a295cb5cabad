"""Pre-training then fine-tuning: a sentiment classifier started from the language model.

The classifier is ``Embedding → GRU → Dense(1, sigmoid)`` with the language
model's vocabulary and size. *From scratch* its weights start random;
*pre-trained* its word vectors and GRU start as the language model's
(Dai & Le 2015), and ``frozen_epochs`` first trains the new output layer
alone with them held fixed (ULMFiT's gradual unfreezing, Howard & Ruder 2018)
so the untrained output layer's first large gradients do not wreck what the
language model learned. Everything else (data, seed, batches, epochs) is the
same for both, so a pair of runs with one seed differs in the start only.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from gru_edu import config

config.quiet_tensorflow()  # before keras: no start-up log lines

import keras  # noqa: E402
from keras import layers  # noqa: E402

from ..imdb.fitting import evaluate, fit  # noqa: E402
from ..imdb.models import adam_optimizer, device_record, xla_on_cpu  # noqa: E402
from .model import tied_embedding  # noqa: E402
from .pretrain import FinetuneSettings  # noqa: E402  (keras-free: the CLI's parser reads it)

__all__ = ["FinetuneSettings", "FinetuneResult", "finetune", "label_subset",
           "build_sentiment_classifier", "score_test", "summarize_curve",
           "train_from_language_model"]


@dataclass
class FinetuneResult:
    """The trained classifier, its per-epoch history and its training seconds."""

    model: keras.Model
    history: dict[str, list[float]]
    seconds: float
    settings: FinetuneSettings

    def row(self) -> dict[str, Any]:
        """What a log keeps: the settings, validation accuracy (per epoch if
        watched), training seconds (validation not included)."""
        return {**asdict(self.settings), "seconds": self.seconds,
                "val_accuracy_by_epoch": self.history.get("val_accuracy", [])}


def label_subset(y: np.ndarray, size: int, seed: int) -> np.ndarray:
    """Sorted positions of ``size`` labelled reviews, half of each label, drawn
    with ``seed`` (all of them when ``size >= len(y)``)."""
    y = np.asarray(y).reshape(-1)
    if size >= len(y):
        return np.arange(len(y))
    rng = np.random.default_rng(seed)
    picked = [rng.choice(np.flatnonzero(y == label), n, replace=False)
              for label, n in ((0, size // 2), (1, size - size // 2))]
    return np.sort(np.concatenate(picked))


def build_sentiment_classifier(lm: Any, pretrained: bool, dropout: float = 0.4) -> keras.Model:
    """``Embedding → GRU → Dense(1)`` of the language model's shape, uncompiled;
    with ``pretrained`` its word vectors and GRU weights copied from ``lm``."""
    lm_model = lm.model
    num_words, units = tied_embedding(lm_model).input_dim, lm.units
    inputs = keras.Input(shape=(None,), dtype="int32", name="word_ids")
    x = layers.Embedding(num_words, units, mask_zero=True, name="embedding")(inputs)
    x = layers.SpatialDropout1D(dropout, name="embedding_dropout")(x)
    x = layers.GRU(units, name="gru")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    model = keras.Model(inputs, layers.Dense(1, activation="sigmoid", name="sentiment")(x),
                        name="imdb_gru_" + ("pretrained" if pretrained else "scratch"))
    if pretrained:
        model.get_layer("embedding").set_weights([np.asarray(tied_embedding(lm_model).embeddings)])
        model.get_layer("gru").set_weights(lm_model.get_layer("gru").get_weights())
    return model


def _compile(model: keras.Model, learning_rate: float, steps: int | None) -> None:
    model.compile(optimizer=adam_optimizer(learning_rate, steps, average_weights=False),
                  loss="binary_crossentropy", metrics=["accuracy"], jit_compile=xla_on_cpu())


def _set_body_trainable(model: keras.Model, trainable: bool) -> None:
    for name in ("embedding", "gru"):
        model.get_layer(name).trainable = trainable


def finetune(lm: Any, x: np.ndarray, y: np.ndarray, x_val: np.ndarray, y_val: np.ndarray,
             settings: FinetuneSettings = FinetuneSettings(), verbose: int = 0,
             every_epoch: bool = False) -> FinetuneResult:
    """Train one classifier on ``(x, y)`` (right-padded ids of ``lm``'s
    vocabulary) and score the validation part after the last epoch, or after
    every epoch with ``every_epoch`` (slower: with few labels, scoring 2,500
    validation reviews costs more than an epoch)."""
    keras.utils.set_random_seed(settings.seed)
    model = build_sentiment_classifier(lm, settings.pretrained, settings.dropout)
    batch = min(settings.batch_size, len(y))
    watched = (x_val, y_val) if every_epoch else None
    common = dict(batch_size=batch, validation_data=watched, verbose=verbose,
                  buckets=True, seed=settings.seed)
    start = time.perf_counter()
    history: dict[str, list[float]] = {}
    frozen = settings.frozen_epochs if settings.pretrained else 0
    if frozen:
        _set_body_trainable(model, False)
        _compile(model, settings.learning_rate, None)
        history = fit(model, x, y, epochs=frozen, **common)
        _set_body_trainable(model, True)
    steps = -(-len(y) // batch) * (settings.epochs - frozen)
    _compile(model, settings.learning_rate, steps)
    if settings.epochs > frozen:
        rest = fit(model, x, y, epochs=settings.epochs - frozen, **common)
        history = {k: history.get(k, []) + v for k, v in rest.items()}
    seconds = time.perf_counter() - start
    if not every_epoch:
        history["val_accuracy"] = [evaluate(model, x_val, y_val, buckets=True)[1]]
    return FinetuneResult(model, history, seconds, settings)


def score_test(result: FinetuneResult, x_test: np.ndarray, y_test: np.ndarray) -> float:
    """Accuracy on the test reviews (score them once, at the end)."""
    return evaluate(result.model, x_test, y_test, buckets=True)[1]


def summarize_curve(rows: list[dict[str, Any]], recipe: str = "default") -> list[dict[str, Any]]:
    """Per number of labels: each start's mean accuracy with its 95 % t-interval
    (``(mean, half_width)``, validation and test), and the paired difference
    pre-trained minus scratch over the seeds both ran."""
    from ..claims.intervals import t_interval

    rows = [r for r in rows if r.get("recipe", "default") == recipe]
    table = []
    for size in sorted({r["labels"] for r in rows}):
        arm = {p: {r["seed"]: r for r in rows if r["labels"] == size and r["pretrained"] == p}
               for p in (False, True)}
        seeds = sorted(set(arm[False]) & set(arm[True]))
        if not seeds:
            continue
        entry: dict[str, Any] = {"labels": size, "seeds": len(seeds)}
        for name, p in (("scratch", False), ("pretrained", True)):
            for metric in ("val", "test"):
                entry[f"{name}_{metric}"] = t_interval(
                    [arm[p][s][f"{metric}_accuracy"] for s in seeds])
        entry["difference_test"] = t_interval(
            [arm[True][s]["test_accuracy"] - arm[False][s]["test_accuracy"] for s in seeds])
        entry["difference_val"] = t_interval(
            [arm[True][s]["val_accuracy"] - arm[False][s]["val_accuracy"] for s in seeds])
        entry["seconds"] = float(np.median([arm[True][s]["seconds"] for s in seeds]))
        table.append(entry)
    return table


def train_from_language_model(lm: Any, settings: FinetuneSettings = FinetuneSettings(),
                              train_size: int | None = None, test_size: int | None = None,
                              val_size: int = 2500, archive: Any = None,
                              verbose: int = 2) -> Any:
    """``python -m gru_edu train --pretrained``: a classifier fine-tuned from ``lm``.

    The collection's protocol (:func:`gru_edu.imdb.load_splits` with the
    language model's vocabulary): trained on the training part (its first
    ``train_size`` reviews if given), validation accuracy after every epoch,
    the test reviews scored once at the end. Returns a
    :class:`gru_edu.imdb.TrainedModel` ready to save, that the gate explorer
    shows like any classifier.
    """
    from ..imdb.bundle import TrainedModel
    from ..imdb.splits import load_splits

    parts = load_splits(maxlen=300, vocabulary=lm.vocab, train_size=train_size,
                        test_size=test_size, val_size=val_size, archive=archive,
                        progress=verbose > 0)
    result = finetune(lm, parts.x_train, parts.y_train, parts.x_val, parts.y_val, settings,
                      verbose=verbose, every_epoch=True)
    meta = {
        "settings": asdict(settings), "mode": config.mode_name(),
        "language_model": lm.meta.get("made_by", "a gru-edu language model"),
        "protocol": ("vocabulary and weights from the language model (trained on the "
                     "training text only); fine-tuned on the training part; val_* on the "
                     "validation part; test_* scored once, after training"),
        "val_accuracy": result.history["val_accuracy"][-1],
        "test_accuracy": score_test(result, parts.x_test, parts.y_test),
        "train_reviews": int(len(parts.y_train)), "val_reviews": int(len(parts.y_val)),
        "test_reviews": int(len(parts.y_test)), "train_seconds": result.seconds,
        "history": result.history, "parameters": int(result.model.count_params()),
        **device_record(result.model.get_layer("gru")),
    }
    return TrainedModel(result.model, lm.vocab, 300, "post", "pre", meta)

