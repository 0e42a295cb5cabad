"""A trained model's bundle: the Keras model with what it needs to read raw text.

:class:`TrainedModel` bundles a Keras model with its vocabulary, ``maxlen``
and padding, and saves/loads them together, so a model trained on a GPU box
opens on a laptop and reads typed reviews with no retraining. It is the one
path from text to the ids a model takes (:meth:`TrainedModel.encode`).
:func:`load_explorer_model` picks the model the gate explorer shows.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from gru_edu import config

config.quiet_tensorflow()  # before keras: no start-up log lines

import keras  # noqa: E402

from . import models as _models  # noqa: E402,F401  (registers AppendPolarity for loading)
from .dataset import pad_sequences  # noqa: E402
from .vocab import Vocabulary  # noqa: E402

__all__ = [
    "TrainedModel",
    "EncodedReview",
    "default_model_dir",
    "shipped_model_dir",
    "load_explorer_model",
]


@dataclass
class EncodedReview:
    """One review as a model reads it (see :meth:`TrainedModel.encode_review`)."""

    ids: np.ndarray  # (maxlen,) the padded input row
    typed: list[str]  # the word as typed at each step ("<start>", "" on padding)
    review: slice  # the steps that hold the review
    dropped: int  # tokens cut off because the review is longer than maxlen


@dataclass
class TrainedModel:
    """A trained Keras model plus what it needs to read raw text.

    Saved as a folder: ``model.keras`` (Keras's own format), ``vocab.json``
    (the vocabulary, :class:`gru_edu.imdb.Vocabulary`) and ``meta.json``
    (maxlen, padding, truncating, and how it was trained: model kind, epochs,
    test accuracy, device, versions). Nothing is pickled.
    """

    model: keras.Model
    vocab: Vocabulary
    maxlen: int
    padding: str = "post"
    truncating: str = "pre"
    meta: dict[str, Any] = field(default_factory=dict)

    MODEL_FILE = "model.keras"
    VOCAB_FILE = "vocab.json"
    META_FILE = "meta.json"

    def encode(self, texts: str | Sequence[str]) -> np.ndarray:
        """Raw review text(s) → padded id matrix ``(n, maxlen)`` the model takes."""
        if isinstance(texts, str):
            texts = [texts]
        seqs = [self.vocab.encode(t) for t in texts]
        return pad_sequences(
            seqs, maxlen=self.maxlen, padding=self.padding, truncating=self.truncating
        )

    def encode_review(self, text: str) -> EncodedReview:
        """One review → the model's input row, with the word read at each step.

        The same ids as :meth:`encode` (same truncation and padding), plus the
        words as typed aligned to the steps (``""`` on padding) and the slice
        of steps that hold the review.
        """
        ids = self.vocab.encode(text)
        row = self.encode([text])[0]
        kept = min(len(ids), self.maxlen)
        tokens = ["<start>"] + self.vocab.tokenize(text)
        if len(tokens) != len(ids):  # a vocabulary whose tokenizer differs
            tokens = self.vocab.decode(ids)
        cut = slice(len(ids) - kept, None) if self.truncating == "pre" else slice(0, kept)
        tokens = tokens[cut]
        pad = self.maxlen - kept
        if self.padding == "pre":
            review, typed = slice(pad, self.maxlen), [""] * pad + tokens
        else:
            review, typed = slice(0, kept), tokens + [""] * pad
        return EncodedReview(row, typed, review, len(ids) - kept)

    def predict_text(self, texts: str | Sequence[str]) -> np.ndarray:
        """Probability that each review is positive, shape ``(n,)``."""
        ids = self.encode(texts)
        return np.asarray(self.model.predict(ids, verbose=0)).reshape(-1)

    def save(self, path: str | os.PathLike, optimizer: bool = True) -> Path:
        """Write the bundle folder (created if needed); returns its path.

        ``optimizer=False`` leaves out the optimizer's state (Adam's moments:
        twice the weights again), for a bundle that is only read, never
        trained further: what is saved is an uncompiled model over the same
        layers.
        """
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        model = self.model
        if not optimizer:
            model = keras.Model(model.inputs, model.outputs, name=model.name)
        model.save(path / self.MODEL_FILE)
        self.vocab.save(path / self.VOCAB_FILE)
        meta = dict(self.meta)
        meta.update(
            maxlen=int(self.maxlen),
            padding=self.padding,
            truncating=self.truncating,
            keras_version=keras.__version__,
        )
        tmp = path / (self.META_FILE + ".tmp")
        tmp.write_text(json.dumps(meta, indent=2, default=_jsonable))
        os.replace(tmp, path / self.META_FILE)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> "TrainedModel":
        """Open a bundle saved by :meth:`save` — on any machine, GPU-trained or not."""
        path = Path(path)
        missing = [
            f for f in (cls.MODEL_FILE, cls.VOCAB_FILE, cls.META_FILE)
            if not (path / f).exists()
        ]
        if missing:
            raise FileNotFoundError(
                f"{path} is not a saved gru-edu model: missing {', '.join(missing)}. "
                "Train one with `python -m gru_edu train --out "
                f"{path}` or run notebook 03."
            )
        meta = json.loads((path / cls.META_FILE).read_text())
        model = keras.saving.load_model(path / cls.MODEL_FILE)
        vocab = Vocabulary.load(path / cls.VOCAB_FILE)
        return cls(
            model,
            vocab,
            int(meta["maxlen"]),
            meta.get("padding", "post"),
            meta.get("truncating", "pre"),
            meta,
        )


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)


def default_model_dir(kind: str = "gru") -> Path:
    """Where notebook 03 and the CLI save, and notebook 04 looks: ``artifacts/imdb_<kind>``."""
    return config.artifacts_dir() / f"imdb_{kind}"


def shipped_model_dir(kind: str = "gru") -> Path:
    """The trained bundle that ships with the collection: ``gru_edu/shipped/imdb_<kind>``.

    Made by ``python -m gru_edu train --scratch --ship`` (notebook 03's recipe, full
    setting, seed 0, saved without optimizer state); its ``meta.json`` and
    ``train_log.txt`` say how.
    """
    return config.repo_root() / "gru_edu" / "shipped" / f"imdb_{kind}"


def load_explorer_model(kind: str = "gru") -> tuple["TrainedModel", str]:
    """The model the gate explorer and assignment 3 show, and a line saying which.

    A model you trained in the full setting (notebook 03's full run or
    ``python -m gru_edu train``, saved in :func:`default_model_dir`) comes
    first; otherwise the shipped one (:func:`shipped_model_dir`). A model
    trained in the fast setting is never preferred: a few dozen batches leave
    its gates near 0.5, with nothing to see.
    """
    local = default_model_dir(kind)
    note = ""
    try:
        trained = TrainedModel.load(local)
    except FileNotFoundError:
        pass
    else:
        if str(trained.meta.get("mode", "")).startswith("full"):
            return trained, f"your model, trained in the full setting ({local})"
        note = f"; {local} holds a model trained in the {trained.meta.get('mode', '?')} mode"
    shipped = shipped_model_dir(kind)
    return TrainedModel.load(shipped), f"the model shipped with gru-edu ({shipped}){note}"
