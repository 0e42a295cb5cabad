"""Tiny Keras GRU models and padded reviews for the gates tests, with a NumPy logit to check them against."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from keras import layers  # noqa: E402

from gru_edu.cell import GRUParams, gru_forward  # noqa: E402
from gru_edu.gates.pattern_search import StateCache, build_state_cache  # noqa: E402


WORDS = ("the film was good bad not but great awful plot fun boring acting "
         "story a very").split()


MAXLEN = 20


def tiny_model(dtype="float64", units=4, dim=3, seed=0, maxlen=None, words=12):
    """Embedding -> GRU -> Dense(sigmoid), weights scaled up so that the
    gradient differs clearly from step to step."""
    keras.utils.set_random_seed(seed)
    inp = keras.Input((maxlen,), dtype="int32")
    x = layers.Embedding(words, dim, mask_zero=True, name="embedding",
                         dtype=dtype)(inp)
    x = layers.GRU(units, name="gru", dtype=dtype)(x)
    out = layers.Dense(1, activation="sigmoid", name="out", dtype=dtype)(x)
    model = keras.Model(inp, out)
    rng = np.random.default_rng(seed)
    model.set_weights([w + rng.normal(0, 0.6, w.shape) for w in model.get_weights()])
    return model


def padded(rng, n, width, lo=2):
    ids = rng.integers(3, 12, size=(n, width))
    lengths = rng.integers(lo, width + 1, size=n)
    ids[np.arange(width)[None] >= lengths[:, None]] = 0
    return ids.astype("int32")


def numpy_logit(model, vectors):
    """The tiny model's logit from word vectors, float64 NumPy (gru_edu.cell)."""
    params = GRUParams.from_keras(model.get_layer("gru"))
    hs, _ = gru_forward(vectors[None], params)
    h = hs[0, -1]
    dense = model.get_layer("out")
    return float(h @ np.asarray(dense.kernel)[:, 0] + np.asarray(dense.bias)[0])


@pytest.fixture(scope="module")
def state_cache(tmp_path_factory):
    """A StateCache of a tiny model on 30 padded reviews, saved and loaded back."""
    model = tiny_model(dtype="float32", units=5)
    ids = padded(np.random.default_rng(6), 30, 14)
    ids[3] = 0  # an empty review is left out of the cache
    built = build_state_cache(model, ids, signals=("h", "z"), batch_size=8)
    folder = built.save(tmp_path_factory.mktemp("states"))
    assert not any(p.suffix == ".pkl" for p in folder.iterdir())
    return StateCache.load(folder), model, ids
