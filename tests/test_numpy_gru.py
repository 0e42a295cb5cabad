"""The NumPy GRU against its oracles: keras.layers.GRU and finite differences."""

import re

import numpy as np
import pytest

from gru_edu.cell import (GRUParams, gru_backward, gru_forward, gru_replay,
                          gru_step)
from gru_edu.cell.gradcheck import numerical_gradient, relative_error

keras = pytest.importorskip("keras")

SHAPES = [  # (batch, time, input_dim, units)
    (1, 1, 1, 1),
    (2, 5, 3, 4),
    (4, 9, 6, 2),
    (3, 12, 1, 7),
]


def keras_gru(params: GRUParams, return_sequences=True, go_backwards=False):
    """A float64 keras.layers.GRU holding ``params``."""
    layer = keras.layers.GRU(
        params.units,
        return_sequences=return_sequences,
        go_backwards=go_backwards,
        reset_after=params.reset_after,
        dtype="float64",
    )
    layer.build((None, None, params.input_dim))
    layer.set_weights(params.to_keras_weights())
    return layer


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("with_h0", [False, True])
def test_forward_equals_keras(reset_after, shape, with_h0):
    batch, time, m, n = shape
    params = GRUParams.random(m, n, reset_after=reset_after, seed=sum(shape))
    rng = np.random.default_rng(7)
    x = rng.standard_normal((batch, time, m))
    h0 = rng.standard_normal((batch, n)) if with_h0 else None
    layer = keras_gru(params)
    ref = np.asarray(layer(x, initial_state=[h0] if with_h0 else None))
    h, cache = gru_forward(x, params, h0=h0)
    assert h.shape == (batch, time, n)
    assert np.max(np.abs(h - ref)) <= 1e-6
    for gate in (cache.z, cache.r, cache.h_tilde):
        assert gate.shape == (batch, time, n)
    assert np.all((cache.z > 0) & (cache.z < 1)) and np.all((cache.r > 0) & (cache.r < 1))


@pytest.mark.parametrize("reset_after", [True, False])
def test_masked_steps_carry_the_state_like_keras(reset_after):
    params = GRUParams.random(3, 4, reset_after=reset_after, seed=3)
    x = np.random.default_rng(1).standard_normal((3, 8, 3))
    mask = np.ones((3, 8), bool)
    mask[0, 5:] = False  # right padding
    mask[1, :3] = False  # left padding
    ref = np.asarray(keras_gru(params)(x, mask=mask))
    h, _ = gru_forward(x, params, mask=mask)
    assert np.max(np.abs(h - ref)) <= 1e-6
    assert np.array_equal(h[0, 5], h[0, 7])  # state frozen after the last word


def test_gates_match_the_equations_by_hand():
    """z, r, h̃ of one step, written out from the equations of the module docstring."""
    p = GRUParams.random(2, 3, reset_after=False, seed=5)
    x = np.array([[0.3, -1.2]])
    h_prev = np.array([[0.5, -0.1, 0.2]])
    W, U, b = p.kernel, p.recurrent_kernel, p.bias
    sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    z = sig(x @ W[:, :3] + h_prev @ U[:, :3] + b[:3])
    r = sig(x @ W[:, 3:6] + h_prev @ U[:, 3:6] + b[3:6])
    hh = np.tanh(x @ W[:, 6:] + (r * h_prev) @ U[:, 6:] + b[6:])
    h_t, gates = gru_step(x, h_prev, p)
    np.testing.assert_allclose(gates["z"], z)
    np.testing.assert_allclose(gates["r"], r)
    np.testing.assert_allclose(gates["h_tilde"], hh)
    np.testing.assert_allclose(h_t, z * h_prev + (1 - z) * hh)


@pytest.mark.parametrize("reset_after", [True, False])
def test_from_keras_round_trip(reset_after):
    layer = keras.layers.GRU(5, reset_after=reset_after)
    layer.build((None, None, 3))
    params = GRUParams.from_keras(layer)
    assert params.reset_after is reset_after
    assert params.units == 5 and params.input_dim == 3
    for got, want in zip(params.to_keras_weights(), layer.get_weights()):
        np.testing.assert_array_equal(got, want)
    assert params.count() == layer.count_params()
    # and back: a second layer given these weights computes the same function
    other = keras_gru(params.astype(np.float32))
    x = np.random.default_rng(0).standard_normal((2, 4, 3)).astype("float32")
    np.testing.assert_allclose(np.asarray(other(x)[:, -1]), np.asarray(layer(x)), atol=1e-6)


def test_from_keras_rejects_other_activations():
    layer = keras.layers.GRU(2, activation="relu")
    layer.build((None, None, 1))
    with pytest.raises(ValueError, match="activation"):
        GRUParams.from_keras(layer)


def test_random_is_reproducible():
    a = GRUParams.random(3, 4, seed=11)
    b = GRUParams.random(3, 4, seed=11)
    c = GRUParams.random(3, 4, seed=12)
    assert np.array_equal(a.kernel, b.kernel) and np.array_equal(a.bias, b.bias)
    assert not np.array_equal(a.kernel, c.kernel)
    assert a.bias.shape == (2, 12) and GRUParams.random(3, 4, reset_after=False).bias.shape == (12,)


# ---------------------------------------------------------------- errors


def test_wrong_kernel_shape_names_shapes():
    with pytest.raises(ValueError, match=r"kernel: expected shape \(input_dim, 3\*units\), got \(3, 7\)"):
        GRUParams(np.zeros((3, 7)), np.zeros((2, 6)), np.zeros((2, 6)))


def test_transposed_recurrent_kernel():
    with pytest.raises(ValueError, match=r"recurrent_kernel: expected shape \(4, 12\), got \(12, 4\)"):
        GRUParams(np.zeros((3, 12)), np.zeros((12, 4)), np.zeros((2, 12)))


@pytest.mark.parametrize("reset_after,bias_shape", [(True, (12,)), (False, (2, 12))])
def test_bias_of_the_other_variant(reset_after, bias_shape):
    with pytest.raises(ValueError, match=rf"bias: expected shape .*got {re.escape(str(bias_shape))}.*reset_after={not reset_after}"):
        GRUParams(np.zeros((3, 12)), np.zeros((4, 12)), np.zeros(bias_shape), reset_after)


def test_2d_x_is_rejected_with_a_hint():
    p = GRUParams.random(3, 4)
    with pytest.raises(ValueError, match=r"x: expected shape \(batch, time, 3\), got \(5, 3\).*x\[None\]"):
        gru_forward(np.zeros((5, 3)), p)


def test_input_dim_mismatch():
    p = GRUParams.random(3, 4)
    with pytest.raises(ValueError, match=r"got \(2, 5, 2\)"):
        gru_forward(np.zeros((2, 5, 2)), p)


def test_units_mismatch_in_h0():
    p = GRUParams.random(3, 4)
    with pytest.raises(ValueError, match=r"h0: expected shape \(2, 4\), got \(2, 5\)"):
        gru_forward(np.zeros((2, 5, 3)), p, h0=np.zeros((2, 5)))


# ---------------------------------------------------------------- backward


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("masked", [False, True])
def test_bptt_matches_finite_differences(reset_after, masked):
    rng = np.random.default_rng(42)
    batch, time, m, n = 2, 5, 3, 4
    params = GRUParams.random(m, n, reset_after=reset_after, seed=9)
    x = rng.standard_normal((batch, time, m))
    h0 = rng.standard_normal((batch, n)) * 0.5
    mask = None
    if masked:
        mask = np.ones((batch, time), bool)
        mask[0, 3:] = False
        mask[1, 0] = False
    weights = rng.standard_normal((batch, time, n))  # loss = sum(weights * h)

    def loss():
        h, _ = gru_forward(x, params, h0=h0, mask=mask)
        return float(np.sum(weights * h))

    _, cache = gru_forward(x, params, h0=h0, mask=mask)
    grads = gru_backward(weights, cache)
    targets = {
        "kernel": params.kernel,
        "recurrent_kernel": params.recurrent_kernel,
        "bias": params.bias,
        "x": x,
        "h0": h0,
    }
    for name, arr in targets.items():
        analytic = getattr(grads, name)
        assert analytic.shape == arr.shape, name
        err = relative_error(analytic, numerical_gradient(lambda _: loss(), arr))
        assert err < 1e-7, f"{name}: relative error {err:.2e}"


def test_bptt_last_state_only():
    """The usual classifier loss reads only h_T: gradients still reach x_0."""
    params = GRUParams.random(2, 3, seed=1)
    x = np.random.default_rng(0).standard_normal((1, 6, 2))
    _, cache = gru_forward(x, params)
    dh = np.zeros_like(cache.h)
    dh[:, -1] = 1.0
    grads = gru_backward(dh, cache)
    assert np.abs(grads.x[0, 0]).sum() > 0


def test_backward_rejects_wrong_shape():
    params = GRUParams.random(2, 3, seed=1)
    _, cache = gru_forward(np.zeros((1, 4, 2)), params)
    with pytest.raises(ValueError, match="dh_seq"):
        gru_backward(np.zeros((1, 4, 2)), cache)


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_replay_from_given_states_equal_the_loop(reset_after):
    """gru_replay fed the loop's own h_{t-1} recomputes the loop's steps exactly."""
    params = GRUParams.random(3, 4, reset_after=reset_after, seed=5)
    x = np.random.default_rng(6).standard_normal((2, 7, 3))
    h0 = np.random.default_rng(7).standard_normal((2, 4))
    _, cache = gru_forward(x, params, h0=h0)
    steps = gru_replay(x, cache.h_prev, params)
    for name in ("z", "r", "h_tilde", "hu_h", "h"):
        np.testing.assert_allclose(getattr(steps, name), getattr(cache, name),
                                   rtol=0, atol=1e-13)
    np.testing.assert_array_equal(steps.h0, h0)
    # one step of gru_step is the same function
    h1, gates = gru_step(x[:, 3], cache.h_prev[:, 3], params)
    np.testing.assert_allclose(h1, cache.h[:, 3], rtol=0, atol=1e-13)
    np.testing.assert_allclose(gates["z"], cache.z[:, 3], rtol=0, atol=1e-13)
    np.testing.assert_allclose(gates["r"], cache.r[:, 3], rtol=0, atol=1e-13)
    np.testing.assert_allclose(gates["h_tilde"], cache.h_tilde[:, 3],
                               rtol=0, atol=1e-13)



def test_gru_replay_shape_errors_name_the_shapes():
    params = GRUParams.random(3, 4)
    with pytest.raises(ValueError, match=r"h_prev: expected shape \(2, 5, 4\), got \(2, 5, 3\)"):
        gru_replay(np.zeros((2, 5, 3)), np.zeros((2, 5, 3)), params)
    with pytest.raises(ValueError, match=r"x: expected shape \(batch, time, 3\)"):
        gru_replay(np.zeros((2, 5, 2)), np.zeros((2, 5, 4)), params)
