"""The NumPy LSTM (gru_edu.cell.lstm), its use in the memory task, and gru_edu.claims.

Oracles: keras.layers.LSTM for the forward pass, central finite differences
for the backward pass, Keras's own parameter count for the matching rule.
"""

import numpy as np
import pytest

from gru_edu import claims
from gru_edu.tasks import memory as M
from gru_edu.tasks import trainer as T
from gru_edu.cell.gradcheck import numerical_gradient, relative_error
from gru_edu.cell.lstm import LSTMParams, lstm_backward, lstm_forward


def test_forward_matches_keras():
    import keras

    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 7, 4)).astype("float32")
    layer = keras.layers.LSTM(5, return_sequences=True, return_state=True)
    keras_h, _, keras_c = layer(x)
    params = LSTMParams.from_keras(layer)
    h, cache = lstm_forward(x, params)
    np.testing.assert_allclose(h, np.asarray(keras_h), atol=1e-5)
    np.testing.assert_allclose(cache.c[:, -1], np.asarray(keras_c), atol=1e-5)


def test_random_init_has_the_forget_bias_and_shapes():
    p = LSTMParams.random(3, 4, seed=1)
    assert p.kernel.shape == (3, 16) and p.recurrent_kernel.shape == (4, 16)
    assert np.all(p.bias[4:8] == 1.0) and np.all(p.bias[:4] == 0) and np.all(p.bias[8:] == 0)
    assert p.count() == claims.recurrent_parameters("lstm", 4, 3)
    # orthogonal recurrent kernel: its rows are orthonormal
    np.testing.assert_allclose(p.recurrent_kernel @ p.recurrent_kernel.T, np.eye(4), atol=1e-12)


def test_bad_shapes_are_named():
    with pytest.raises(ValueError, match="recurrent_kernel"):
        LSTMParams(np.zeros((3, 8)), np.zeros((3, 8)), np.zeros(8))
    with pytest.raises(ValueError, match="x: expected"):
        lstm_forward(np.zeros((1, 2, 5)), LSTMParams.random(3, 2))


def test_backward_matches_finite_differences():
    rng = np.random.default_rng(1)
    p = LSTMParams.random(3, 4, seed=2, scale=0.5)
    x = rng.standard_normal((2, 5, 3))
    h0, c0 = rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    w = rng.standard_normal((2, 5, 4))  # loss = sum(w * h)

    def loss() -> float:
        h, _ = lstm_forward(x, p, h0, c0)
        return float(np.sum(w * h))

    _, cache = lstm_forward(x, p, h0, c0)
    g = lstm_backward(w, cache)
    for name, analytic in (("kernel", g.kernel), ("recurrent_kernel", g.recurrent_kernel),
                           ("bias", g.bias)):
        numeric = numerical_gradient(lambda _: loss(), getattr(p, name))
        assert relative_error(analytic, numeric) < 1e-7, name
    for arr, analytic in ((x, g.x), (h0, g.h0), (c0, g.c0)):
        assert relative_error(analytic, numerical_gradient(lambda _: loss(), arr)) < 1e-7


def test_memory_model_trains_an_lstm():
    hist = M.train_memory_task("lstm", T=5, units=8, steps=150, seed=0, progress=False)
    assert hist.model.kind == "lstm"
    # chance is 1/4; a 5-step lag is easy for an LSTM
    assert M.evaluate(hist.model, T=5, batch=500) > 0.9


def test_lstm_loss_gradients_match_finite_differences():
    net = T.make_model("lstm", 5, 3, 4, seed=0)
    x, y = M.memory_task(4, 6, seed=1)
    _, _, grads = net.loss_and_grads(x, y)
    params = net.parameters()
    for name in ("kernel", "recurrent_kernel", "bias", "readout_kernel"):
        numeric = numerical_gradient(lambda _: net.loss_and_grads(x, y)[0], params[name])
        assert relative_error(grads[name], numeric) < 1e-6, name


def test_state_gradient_norms_lstm_counts_both_states():
    net = T.make_model("lstm", 5, 3, 4, seed=0)
    x, y = M.memory_task(8, 10, seed=2)
    norms = M.state_gradient_norms(net, x, y)
    assert norms.shape == (10,) and norms[-1] == pytest.approx(1.0)
    # the same number by hand: perturb nothing, backprop (h, c) from the last readout
    h, cache = net.run(x)
    _, dlogits = T.softmax_cross_entropy(net.readout(h[:, -1]), y)
    dh_seq = np.zeros_like(h)
    dh_seq[:, -1] = dlogits @ net.readout.kernel.T * 8
    g = lstm_backward(dh_seq, cache)
    full = np.linalg.norm(np.concatenate([g.h, g.c], -1), axis=-1)
    np.testing.assert_allclose(norms, (full / full[:, -1:]).mean(0))


# ------------------------------------------------------------- claims


def _run(cell, size, seed, acc):
    return {"cell": cell, "train_reviews": size, "seed": seed, "test_accuracy": acc}
