"""Per-epoch checkpoints of a training run, as loadable bundles.

:class:`EpochCheckpoints` is a Keras callback that saves the model as a
:class:`gru_edu.imdb.TrainedModel` bundle before training (``epoch_0``:
the initial weights) and after every epoch (``epoch_1``, ``epoch_2``...),
without optimizer state. ``train_classifier(..., checkpoint_dir=...)`` adds
it; :func:`load_checkpoints` opens them in epoch order. Notebook 06 reads
them to show how the gates saturate as training goes on.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from gru_edu import config  # noqa: E402

config.quiet_tensorflow()  # before keras: no start-up log lines

import keras  # noqa: E402

from .bundle import TrainedModel  # noqa: E402

__all__ = [
    "EpochCheckpoints",
    "checkpoint_paths",
    "load_checkpoints",
]


class EpochCheckpoints(keras.callbacks.Callback):
    """Saves ``folder/epoch_<k>`` bundles: ``k = 0`` before training, then
    after every epoch. ``vocab``, ``maxlen``, ``meta`` go into each bundle
    (``meta["epoch"]`` says which)."""

    def __init__(self, folder: str | os.PathLike, vocab: Any, maxlen: int,
                 meta: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.folder = Path(folder)
        self.vocab = vocab
        self.maxlen = int(maxlen)
        self.meta = dict(meta or {})
        self.saved: list[Path] = []

    def _save(self, epoch: int) -> None:
        meta = {**self.meta, "epoch": epoch}
        bundle = TrainedModel(self.model, self.vocab, self.maxlen, "post",
                              "pre", meta)
        self.saved.append(bundle.save(self.folder / f"epoch_{epoch}",
                                      optimizer=False))

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._save(0)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self._save(epoch + 1)


def checkpoint_paths(folder: str | os.PathLike) -> list[Path]:
    """The ``epoch_<k>`` bundles in ``folder``, in epoch order."""
    found = []
    for p in Path(folder).glob("epoch_*"):
        m = re.fullmatch(r"epoch_(\d+)", p.name)
        if m and (p / "model.keras").exists():
            found.append((int(m.group(1)), p))
    return [p for _, p in sorted(found)]


def load_checkpoints(folder: str | os.PathLike) -> list[Any]:
    """Every checkpoint in ``folder`` as a ``TrainedModel``, epoch 0 first."""
    paths = checkpoint_paths(folder)
    if not paths:
        raise FileNotFoundError(
            f"no epoch_<k> checkpoints in {folder}: train with "
            "train_classifier(settings, checkpoint_dir=...) first")
    return [TrainedModel.load(p) for p in paths]
