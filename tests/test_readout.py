"""Sentiment so far (gru_edu.gates.readout): it ends at the prediction and refuses heads it cannot read."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

keras = pytest.importorskip("keras")
from keras import layers  # noqa: E402

from gru_edu import gates  # noqa: E402

from gate_models import VOCAB, WORDS, bundle_of, classifier, ids_batch, vocab_of  # noqa: E402


def test_sentiment_so_far_ends_at_the_prediction():
    model = classifier()
    trained = bundle_of(model, vocab_of(WORDS), maxlen=12)
    tt = gates.trace_text(trained, "the plot was boring but the film was great fun")
    s = gates.sentiment_so_far(trained, tt)
    assert s.shape == (1, 12, 1)
    last = tt.review.stop - 1
    assert s[0, last, 0] == pytest.approx(tt.prediction, abs=1e-6)
    # by hand: Dense(sigmoid) on each state
    w, b = model.get_layer("sentiment").get_weights()
    by_hand = 1 / (1 + np.exp(-(tt.trace.h[0] @ w + b)))
    np.testing.assert_allclose(s[0], by_hand, atol=1e-6)


def test_sentiment_so_far_refuses_bidirectional_and_pooling_heads():
    inp = keras.Input((None,), dtype="int32")
    x = layers.Embedding(VOCAB, 3)(inp)
    model = keras.Model(inp, layers.Dense(1)(layers.Bidirectional(layers.GRU(2))(x)))
    with pytest.raises(gates.UnsupportedModelError, match="bidirectional"):
        gates.sentiment_so_far(model, gates.trace(model, ids_batch()))
    x = layers.GRU(2, return_sequences=True)(layers.Embedding(VOCAB, 3)(inp))
    model = keras.Model(inp, layers.Dense(1)(layers.GlobalMaxPooling1D()(x)))
    with pytest.raises(gates.UnsupportedModelError, match="mixes time steps"):
        gates.sentiment_so_far(model, gates.trace(model, ids_batch()))



def test_sentiment_so_far_refuses_a_model_whose_output_is_the_states():
    inp = keras.Input((None,), dtype="int32")
    states = layers.GRU(3, return_sequences=True)(layers.Embedding(VOCAB, 3)(inp))
    model = keras.Model(inp, states)  # a language model's shape: no prediction head
    with pytest.raises(gates.UnsupportedModelError, match="no prediction to read"):
        gates.sentiment_so_far(model, gates.trace(model, ids_batch()))
