"""The IMDB classifiers of gru_edu.imdb.models: the tutorial model as written, cuDNN-friendly classifiers, the polarity feature, weight averaging."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from gru_edu import imdb  # noqa: E402
from gru_edu.imdb import Vocabulary  # noqa: E402


def test_tutorial_model_is_as_written():
    model = imdb.tutorial_model(300)
    gru1, gru2 = model.layers
    assert isinstance(gru1, keras.layers.GRU) and gru1.units == 50 and gru1.return_sequences
    assert isinstance(gru2, keras.layers.GRU) and gru2.units == 1 and not gru2.return_sequences
    assert model.input_shape == (None, 300, 1)
    # 3(nm + n² + n) + 3n per layer (reset_after=True, the Keras 3 default)
    assert model.count_params() == (3 * (50 * 1 + 50 * 50 + 50) + 150) + (3 * (1 * 50 + 1 + 1) + 3)
    assert model.loss == "binary_crossentropy"
    x = imdb.tutorial_features(np.array([[5, 7, 0]]))
    assert x.shape == (1, 3, 1) and x.dtype == np.float32


@pytest.mark.parametrize("kind", ["gru", "lstm", "simple_rnn"])
def test_classifier_masks_padding_and_outputs_a_probability(kind):
    model = imdb.build_classifier(kind, num_words=50, maxlen=6, embed_dim=4, units=3)
    x = np.array([[1, 5, 9, 0, 0, 0], [1, 5, 9, 7, 0, 0]])
    p = np.asarray(model(x))
    assert p.shape == (2, 1) and np.all((p > 0) & (p < 1))
    # the mask makes trailing padding invisible: more padding, same answer
    longer = imdb.build_classifier(kind, num_words=50, maxlen=9, embed_dim=4, units=3)
    longer.set_weights(model.get_weights())
    padded = np.pad(x, ((0, 0), (0, 3)))
    np.testing.assert_allclose(np.asarray(longer(padded)), p, atol=1e-6)


def test_unknown_kind():
    with pytest.raises(ValueError, match="kind must be one of"):
        imdb.build_classifier("transformer")


def test_cudnn_compatibility_reasons():
    ok, reasons = imdb.cudnn_compatible(keras.layers.GRU(4))
    assert ok and reasons == []
    ok, reasons = imdb.cudnn_compatible(keras.layers.GRU(4, reset_after=False))
    assert not ok and "reset_after=False" in reasons[0]
    ok, reasons = imdb.cudnn_compatible(keras.layers.LSTM(4, recurrent_dropout=0.2))
    assert not ok and "recurrent_dropout" in reasons[0]
    ok, reasons = imdb.cudnn_compatible(keras.layers.GRU(4, activation="relu"))
    assert not ok and "'relu'" in reasons[0]
    ok, reasons = imdb.cudnn_compatible(keras.layers.SimpleRNN(4))
    assert not ok and "no cuDNN kernel" in reasons[0]


def test_polarity_feature_is_fixed_masked_and_saved(tmp_path):
    from gru_edu import gates

    polarity = np.linspace(-2, 2, 20).astype("float32")
    keras.utils.set_random_seed(0)
    model = imdb.build_classifier("gru", num_words=20, maxlen=None, embed_dim=3, units=2,
                                    polarity=polarity, dropout=0.3, average_weights=True)
    x = np.array([[1, 5, 9, 0, 0], [1, 7, 4, 11, 0]], dtype="int32")
    y = np.array([1, 0], dtype="int32")
    layer = model.get_layer("polarity")
    assert not layer.trainable_weights
    imdb.fit(model, np.repeat(x, 8, 0), np.repeat(y, 8, 0), epochs=2, batch_size=4,
               verbose=0)
    np.testing.assert_array_equal(np.asarray(layer.table), polarity)  # not trained
    # the GRU reads [learned vector, polarity[id]], with the padding masked
    (trace,) = gates.trace(model, x)
    np.testing.assert_allclose(trace.x[..., -1], polarity[x], rtol=1e-6)
    np.testing.assert_array_equal(trace.mask, x != 0)
    assert trace.max_abs_error <= gates.TOLERANCE
    bundle = imdb.TrainedModel(model, Vocabulary([f"w{i}" for i in range(16)]), 5)
    loaded = imdb.TrainedModel.load(bundle.save(tmp_path / "b"))
    np.testing.assert_allclose(loaded.model.predict(x, verbose=0),
                               model.predict(x, verbose=0), atol=1e-6)
    with pytest.raises(ValueError, match="one value per word id"):
        imdb.build_classifier("gru", num_words=30, polarity=polarity)


def test_weight_average_spans_a_short_training_too():
    """The moving average starts at the initial weights: for a short run its
    momentum drops so that they weigh < 1% at the end (0.99 for long runs)."""
    def momentum(steps):
        model = imdb.build_classifier("gru", num_words=20, maxlen=None, embed_dim=2,
                                        units=2, decay_steps=steps, average_weights=True)
        return float(model.optimizer.ema_momentum)

    assert momentum(784) == pytest.approx(0.99)  # the full IMDB run: 4 x 196 batches
    short = momentum(48)  # the fast setting: 3 x 16 batches
    assert short < 0.9 and short ** 48 < 0.01
    assert momentum(2) == 0.0  # a couple of batches: the last weights

