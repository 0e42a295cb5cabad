"""Fitting and scoring a Keras classifier: seconds per epoch, length batches.

:func:`fit` is ``model.fit`` that also records the wall time of each epoch
(:class:`EpochTimer`) and can train on batches of reviews of similar length
(:func:`gru_edu.imdb.dataset.length_batches`), reshuffled every epoch;
:func:`evaluate` scores the same way. Used by :func:`gru_edu.imdb.training.
train_classifier` and by notebook 03's live experiments.
"""

from __future__ import annotations

import time
from typing import Any, Sequence

import numpy as np

from gru_edu import config

config.quiet_tensorflow()  # before keras: no start-up log lines

import keras  # noqa: E402

from .dataset import length_batches  # noqa: E402

__all__ = ["EpochTimer", "fit", "evaluate"]


class EpochTimer(keras.callbacks.Callback):
    """Records wall-clock seconds per epoch in ``self.seconds``."""

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.seconds.append(time.perf_counter() - self._start)


def _batch_dataset(x: np.ndarray, y: np.ndarray, batch_size: int, seed: int | None) -> Any:
    """A tf.data pipeline over :func:`length_batches`, reshuffled every epoch."""
    import tensorflow as tf

    count = -(-len(x) // batch_size)
    epoch = [0]

    def batches() -> Any:
        s = None if seed is None else seed + epoch[0]
        epoch[0] += 1
        yield from length_batches(x, y, batch_size, seed=s)

    spec = (
        tf.TensorSpec((None, None), tf.as_dtype(x.dtype)),
        tf.TensorSpec((None,), tf.as_dtype(y.dtype)),
    )
    ds = tf.data.Dataset.from_generator(batches, output_signature=spec)
    return ds.apply(tf.data.experimental.assert_cardinality(count)).prefetch(2)


def fit(
    model: keras.Model,
    x: np.ndarray,
    y: np.ndarray,
    epochs: int,
    batch_size: int = 64,
    validation_data: tuple[np.ndarray, np.ndarray] | None = None,
    verbose: int | str = 2,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    buckets: bool = False,
    seed: int = 0,
) -> dict[str, list[float]]:
    """``model.fit`` that also records seconds per epoch; returns the history dict.

    ``verbose=2`` prints one line per epoch (readable in a notebook and in CI
    logs); ``verbose=1`` shows Keras's progress bar.

    ``buckets=True`` trains on :func:`length_batches` (reviews of similar
    length together, padding columns dropped), reshuffled each epoch with
    ``seed``: the same reviews and updates, fewer padded steps to compute.
    The model must take any length (``build_classifier(maxlen=None)``).
    Needs the TensorFlow backend.
    """
    timer = EpochTimer()
    if buckets:
        data: dict[str, Any] = {"x": _batch_dataset(x, y, batch_size, seed), "shuffle": False}
        if validation_data is not None:
            validation_data = _batch_dataset(*validation_data, 512, None)
    else:
        data = {"x": x, "y": y, "batch_size": batch_size}
    history = model.fit(
        **data,
        epochs=epochs,
        validation_data=validation_data,
        verbose=verbose,
        callbacks=[timer, *callbacks],
    )
    hist = {k: [float(v) for v in vals] for k, vals in history.history.items()}
    hist["seconds"] = timer.seconds
    return hist


def evaluate(
    model: keras.Model, x: np.ndarray, y: np.ndarray, buckets: bool = False
) -> tuple[float, float]:
    """``(loss, accuracy)`` on ``(x, y)``; ``buckets=True`` as in :func:`fit`."""
    if buckets:
        loss, accuracy = model.evaluate(_batch_dataset(x, y, 512, None), verbose=0)
    else:
        loss, accuracy = model.evaluate(x, y, batch_size=512, verbose=0)
    return float(loss), float(accuracy)
