"""Small trained-shape classifiers, vocabularies and bundles for the gates tests."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

keras = pytest.importorskip("keras")
from keras import layers  # noqa: E402

from gru_edu.imdb import TrainedModel, Vocabulary  # noqa: E402


VOCAB = 40
WORDS = "good bad film great awful plot a the was is boring fun".split()


def bundle_of(model, vocab, maxlen, padding="post", truncating="pre"):
    """A bundle around a small Keras model (no meta, nothing saved)."""
    return TrainedModel(model, vocab, maxlen, padding, truncating)


def vocab_of(words):
    """A tiny vocabulary with the Keras IMDB conventions (0 pad, 1 start, 2 OOV)."""
    return Vocabulary(words)


def classifier(maxlen=12, units=4, seed=12):
    keras.utils.set_random_seed(seed)
    inp = keras.Input((maxlen,), dtype="int32")
    x = layers.Embedding(len(WORDS) + 4, 5, mask_zero=True, name="embedding")(inp)
    x = layers.GRU(units, name="gru")(x)
    x = layers.Dropout(0.2)(x)
    out = layers.Dense(1, activation="sigmoid", name="sentiment")(x)
    return keras.Model(inp, out)


def ids_batch(seed: int = 0, batch: int = 4, time: int = 9, padding: str = "post"):
    """Word ids with varied lengths, padded with 0 (ids 1..VOCAB-1 inside)."""
    rng = np.random.default_rng(seed)
    out = np.zeros((batch, time), dtype=np.int32)
    for i, n in enumerate(rng.integers(2, time + 1, size=batch)):
        row = rng.integers(1, VOCAB, size=n)
        if padding == "post":
            out[i, :n] = row
        else:
            out[i, time - n:] = row
    out[0] = rng.integers(1, VOCAB, size=time)  # one full row
    return out
