"""A trained language model, saved and opened like the classifiers, read in NumPy.

:class:`LanguageModel` holds a :class:`gru_edu.imdb.TrainedModel` (the Keras
model ``ids → states``, its vocabulary and how it was trained), so it is saved
as the same folder (``model.keras``, ``vocab.json``, ``meta.json``) and the
gate explorer shows it like any bundle. Reading one word at a time (sampling,
the next-word chart) runs the NumPy GRU of notebook 02 on its weights:
no TensorFlow call per word.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from gru_edu import config

config.quiet_tensorflow()  # before keras: no start-up log lines

import keras  # noqa: E402

from ..cell.numpy_gru import GRUParams, gru_step  # noqa: E402
from ..imdb.bundle import TrainedModel  # noqa: E402
from ..imdb.vocab import START  # noqa: E402
from .model import tied_embedding  # noqa: E402

__all__ = ["LanguageModel", "shipped_lm_dir", "default_lm_dir", "load_language_model"]


@dataclass
class LanguageModel:
    """A GRU language model with its vocabulary (see the module docstring)."""

    trained: TrainedModel

    @property
    def model(self) -> Any:
        return self.trained.model

    @property
    def vocab(self) -> Any:
        return self.trained.vocab

    @property
    def meta(self) -> dict[str, Any]:
        return self.trained.meta

    @property
    def units(self) -> int:
        return int(self.model.get_layer("gru").units)

    @cached_property
    def numpy_weights(self) -> tuple[np.ndarray, np.ndarray, GRUParams]:
        """The word vectors ``(num_words, units)``, the output bias and the GRU's weights."""
        emb = tied_embedding(self.model)
        return (np.asarray(emb.embeddings), np.asarray(emb.output_bias),
                GRUParams.from_keras(self.model.get_layer("gru")))

    def step(self, word_id: int, state: np.ndarray | None = None) -> np.ndarray:
        """The state after reading one more word (``state=None``: the start)."""
        vectors, _, params = self.numpy_weights
        h = np.zeros((1, self.units), np.float32) if state is None else state[None]
        return gru_step(vectors[int(word_id)][None], h, params)[0][0]

    def read(self, ids: list[int] | np.ndarray) -> np.ndarray:
        """The GRU's state after each of ``ids``, ``(len(ids), units)`` (NumPy)."""
        states, state = [], None
        for i in ids:
            state = self.step(i, state)
            states.append(state)
        return np.asarray(states)

    def next_word_probs(self, prefix: str | list[int]) -> np.ndarray:
        """P(next word | prefix) over every id, ``(num_words,)``.

        ``prefix`` is text (encoded with the vocabulary, the start mark first)
        or ids. The padding id has probability 0.
        """
        ids = self.vocab.encode(prefix) if isinstance(prefix, str) else list(prefix)
        return self.probs_after(self.read(ids or [START])[-1])

    def probs_after(self, state: np.ndarray) -> np.ndarray:
        """The softmax of the tied scores of one state."""
        vectors, bias, _ = self.numpy_weights
        scores = vectors @ state + bias
        scores[0] = -np.inf
        scores = scores - scores.max()
        p = np.exp(scores)
        return p / p.sum()

    def save(self, path: str | os.PathLike) -> Path:
        return self.trained.save(path, optimizer=False)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "LanguageModel":
        trained = TrainedModel.load(path)
        tied_embedding(trained.model)  # a clear error if this is a classifier
        m = trained.model  # saved with a list of one input: take one array again
        trained.model = keras.Model(m.inputs[0], m.outputs[0], name=m.name)
        return cls(trained)


def shipped_lm_dir() -> Path:
    """``gru_edu/shipped/imdb_lm``: the language model that ships with the collection."""
    return Path(__file__).resolve().parent.parent / "shipped" / "imdb_lm"


def default_lm_dir() -> Path:
    """``artifacts/imdb_lm``: where ``python -m gru_edu pretrain`` saves by default."""
    return config.artifacts_dir() / "imdb_lm"


def load_language_model(path: str | os.PathLike | None = None) -> LanguageModel:
    """The language model at ``path``; else one you trained in the full setting
    (``artifacts/imdb_lm``); else the shipped one.

    A model trained in the fast setting (``GRU_EDU_FAST=1``: a tiny one, to see
    the loop run) is never picked by itself: pass its path to use it.
    """
    if path is not None:
        return LanguageModel.load(path)
    mine = default_lm_dir() / TrainedModel.META_FILE
    if mine.exists() and json.loads(mine.read_text()).get("mode") == "full":
        return LanguageModel.load(mine.parent)
    return LanguageModel.load(shipped_lm_dir())
