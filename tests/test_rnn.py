"""The vanilla RNN of gru_edu.cell.rnn: equal to Keras SimpleRNN, BPTT checked by finite differences."""

import numpy as np
import pytest

from gru_edu.cell import rnn as R
from gru_edu.cell.gradcheck import numerical_gradient, relative_error

# ----------------------------------------------------------- vanilla RNN


def test_rnn_forward_equals_keras_simple_rnn():
    keras = pytest.importorskip("keras")
    params = R.RNNParams.random(3, 5, seed=2, scale=0.5)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 7, 3))
    h0 = rng.standard_normal((4, 5))
    layer = keras.layers.SimpleRNN(5, return_sequences=True, dtype="float64")
    layer.build((None, None, 3))
    layer.set_weights([params.kernel, params.recurrent_kernel, params.bias])
    ref = np.asarray(layer(x, initial_state=[h0]))
    h, _ = R.rnn_forward(x, params, h0=h0)
    assert np.max(np.abs(h - ref)) <= 1e-6


def test_rnn_step_by_hand():
    p = R.RNNParams.random(2, 3, seed=1, scale=0.7)
    x = np.random.default_rng(3).standard_normal((1, 2, 2))
    h, _ = R.rnn_forward(x, p)
    h1 = np.tanh(x[:, 0] @ p.kernel + p.bias)
    h2 = np.tanh(x[:, 1] @ p.kernel + h1 @ p.recurrent_kernel + p.bias)
    np.testing.assert_allclose(h[:, 0], h1)
    np.testing.assert_allclose(h[:, 1], h2)


def test_rnn_backward_matches_finite_differences():
    rng = np.random.default_rng(42)
    batch, time, m, n = 2, 6, 3, 4
    params = R.RNNParams.random(m, n, seed=9, scale=0.6)
    x = rng.standard_normal((batch, time, m))
    h0 = rng.standard_normal((batch, n)) * 0.5
    weights = rng.standard_normal((batch, time, n))  # loss = sum(weights * h)

    def loss():
        h, _ = R.rnn_forward(x, params, h0=h0)
        return float(np.sum(weights * h))

    _, cache = R.rnn_forward(x, params, h0=h0)
    grads = R.rnn_backward(weights, cache)
    targets = {**params.as_dict(), "x": x, "h0": h0}
    for name, arr in targets.items():
        analytic = getattr(grads, name)
        assert analytic.shape == arr.shape, name
        err = relative_error(analytic, numerical_gradient(lambda _: loss(), arr))
        assert err < 1e-7, f"{name}: relative error {err:.2e}"


def test_rnn_backward_state_gradients():
    """``grads.h[:, t]`` is dL/dh_t through all later steps (loss on h_T only)."""
    rng = np.random.default_rng(5)
    params = R.RNNParams.random(2, 3, seed=4, scale=0.8)
    x = rng.standard_normal((2, 5, 2))
    w = rng.standard_normal((2, 3))
    h, cache = R.rnn_forward(x, params)
    dh = np.zeros_like(h)
    dh[:, -1] = w
    grads = R.rnn_backward(dh, cache)
    for t in range(4):
        start = h[:, t].copy()

        def loss():
            hs, _ = R.rnn_forward(x[:, t + 1:], params, h0=start)
            return float(np.sum(w * hs[:, -1]))

        num = numerical_gradient(lambda _: loss(), start)
        np.testing.assert_allclose(grads.h[:, t], num,
                                   rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(grads.h[:, -1], w)


def test_rnn_params_shapes_and_count():
    p = R.RNNParams.random(5, 32, seed=0)
    assert p.count() == 5 * 32 + 32 * 32 + 32
    np.testing.assert_allclose(p.recurrent_kernel.T @ p.recurrent_kernel,
                               np.eye(32), atol=1e-12)  # orthogonal init
    assert np.all(p.bias == 0)
    with pytest.raises(ValueError, match="recurrent_kernel"):
        R.RNNParams(np.zeros((2, 3)), np.zeros((2, 2)), np.zeros(3))
    with pytest.raises(ValueError, match="x: expected"):
        R.rnn_forward(np.zeros((2, 3)), p)
