"""The memory task, the vanilla RNN baseline and the trainer of notebook 02.

Oracles as in test_cell.py: keras.layers.SimpleRNN for the RNN forward pass,
central finite differences for every backward pass.
"""

import numpy as np
import pytest

from gru_edu.cell.gradcheck import numerical_gradient, relative_error
from gru_edu.tasks import memory as M
from gru_edu.cell import rnn as R
from gru_edu.cell.initializers import init_gru
from gru_edu.tasks import trainer as T
from gru_edu.cell.optim import Adam
from gru_edu.cell import GRUParams, gru_backward, gru_forward


# ------------------------------------------------------------------ task


def test_task_shapes_and_labels():
    x, y = M.memory_task(64, 9, n_symbols=3, seed=0)
    assert x.shape == (64, 9, 4) and x.dtype == np.float64
    assert y.shape == (64,) and y.dtype.kind == "i"
    symbols = x[..., :3]
    marker = x[..., 3]
    # exactly one symbol per step, one-hot
    assert np.array_equal(symbols.sum(-1), np.ones((64, 9)))
    assert set(np.unique(symbols)) == {0.0, 1.0}
    # the marker is on at t = 0 only
    assert np.all(marker[:, 0] == 1) and np.all(marker[:, 1:] == 0)
    # the label is the marked symbol
    assert np.array_equal(y, symbols[:, 0].argmax(-1))


def test_task_is_deterministic():
    a = M.memory_task(8, 5, seed=3)
    b = M.memory_task(8, 5, seed=3)
    c = M.memory_task(8, 5, seed=4)
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    assert not np.array_equal(a[0], c[0])


def test_task_stream_from_one_generator():
    """A training loop passes one generator: each batch new, the stream repeatable."""
    g1, g2 = np.random.default_rng(7), np.random.default_rng(7)
    first = M.memory_task(16, 6, seed=g1)
    second = M.memory_task(16, 6, seed=g1)
    assert not np.array_equal(first[0], second[0])
    assert np.array_equal(first[0], M.memory_task(16, 6, seed=g2)[0])
    assert np.array_equal(second[0], M.memory_task(16, 6, seed=g2)[0])


def test_task_distractors_carry_no_information():
    """Labels are uniform and the later symbols independent of them."""
    x, y = M.memory_task(20000, 4, n_symbols=4, seed=1)
    assert np.allclose(np.bincount(y, minlength=4) / len(y), 0.25, atol=0.02)
    last = x[:, -1, :4].argmax(-1)
    assert abs(np.mean(last == y) - 0.25) < 0.02


def test_task_length_one():
    x, y = M.memory_task(3, 1, seed=0)
    assert x.shape == (3, 1, 5)
    assert np.array_equal(y, x[:, 0, :4].argmax(-1))


@pytest.mark.parametrize("kwargs", [dict(T=0), dict(T=5, n_symbols=1)])
def test_task_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        M.memory_task(2, **kwargs)


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


# --------------------------------------------------------- init, readout


@pytest.mark.parametrize("reset_after", [True, False])
def test_init_gru_update_bias(reset_after):
    p = init_gru(5, 4, reset_after=reset_after, seed=0, update_bias=3.0)
    assert isinstance(p, GRUParams) and p.reset_after is reset_after
    b = p.input_bias
    assert np.all(b[:4] == 3.0) and np.all(b[4:] == 0)
    assert np.all(p.recurrent_bias == 0)
    _, cache = gru_forward(np.zeros((1, 1, 5)), p)
    np.testing.assert_allclose(cache.z, 1 / (1 + np.exp(-3.0)))


def test_softmax_cross_entropy_gradient():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((5, 4)) * 3
    y = rng.integers(0, 4, size=5)
    loss, grad = T.softmax_cross_entropy(logits, y)
    num = numerical_gradient(lambda _: T.softmax_cross_entropy(logits, y)[0], logits)
    assert relative_error(grad, num) < 1e-7
    # uniform logits: loss is log(classes)
    assert np.isclose(T.softmax_cross_entropy(np.zeros((3, 4)), [0, 1, 2])[0],
                      np.log(4))


def test_softmax_does_not_overflow():
    p = T.softmax(np.array([[1000.0, 0.0, -1000.0]]))
    assert np.all(np.isfinite(p)) and np.isclose(p.sum(), 1.0)


@pytest.mark.parametrize("kind", ["gru", "rnn"])
def test_model_gradients_match_finite_differences(kind):
    """The whole model: cell, readout of the last state, cross-entropy."""
    net = T.make_model(kind, 5, 3, 4, seed=1, update_bias=1.0)
    x, y = M.memory_task(3, 4, seed=2)
    _, _, grads = net.loss_and_grads(x, y)
    params = net.parameters()
    assert set(grads) == set(params)
    for name, arr in params.items():
        num = numerical_gradient(lambda _: net.loss_and_grads(x, y)[0], arr)
        err = relative_error(grads[name], num)
        assert err < 1e-7, f"{kind} {name}: relative error {err:.2e}"


def test_make_model_rejects_unknown_kind():
    with pytest.raises(ValueError, match="model must be one of"):
        T.make_model("transformer", 5, 3, 4)


# ------------------------------------------------------------------ Adam


def test_adam_first_step_and_clipping():
    p = {"w": np.array([1.0, -2.0])}
    opt = Adam(lr=0.1, clip_norm=None)
    norm = opt.step(p, {"w": np.array([3.0, -4.0])})
    assert norm == 5.0
    # bias-corrected first step is lr * sign(g)
    np.testing.assert_allclose(p["w"], [0.9, -1.9], atol=1e-7)
    # clipping rescales the gradient but Adam's first step is still lr * sign(g)
    q = {"w": np.array([0.0])}
    clipped = Adam(lr=0.1, clip_norm=1.0)
    assert clipped.step(q, {"w": np.array([10.0])}) == 10.0
    np.testing.assert_allclose(clipped.m["w"], [0.1])  # (1 - beta1) * 1.0


def test_adam_minimises_a_quadratic():
    p = {"w": np.array([3.0, -1.0, 0.5])}
    opt = Adam(lr=0.05)
    for _ in range(500):
        opt.step(p, {"w": 2 * p["w"]})
    assert np.abs(p["w"]).max() < 1e-2


# -------------------------------------------------------------- training


def test_training_is_deterministic():
    a = M.train_memory_task("rnn", T=4, units=4, steps=5, seed=3, progress=False)
    b = M.train_memory_task("rnn", T=4, units=4, steps=5, seed=3, progress=False)
    c = M.train_memory_task("rnn", T=4, units=4, steps=5, seed=4, progress=False)
    assert a.loss == b.loss and a.accuracy == b.accuracy
    assert a.loss != c.loss
    assert len(a.loss) == len(a.accuracy) == len(a.grad_norm) == 5
    assert list(a.steps) == [1, 2, 3, 4, 5]
    assert a.config["model"] == "rnn" and a.config["T"] == 4


def test_gru_learns_a_short_memory():
    hist = M.train_memory_task("gru", T=5, units=8, steps=150, lr=0.02,
                               update_bias=1.0, seed=0, progress=False)
    assert hist.loss[-1] < hist.loss[0]
    assert M.evaluate(hist.model, T=5, batch=500) > 0.9


def test_smoothed_is_a_trailing_mean():
    h = T.History(model=None, config={}, accuracy=[0.0, 1.0, 1.0, 0.0])
    np.testing.assert_allclose(h.smoothed("accuracy", window=2), [0, 0.5, 1, 0.5])


# --------------------------------------------------- gradient through time


@pytest.mark.parametrize("kind", ["gru", "rnn"])
def test_state_gradient_norms_match_finite_differences(kind):
    net = T.make_model(kind, 5, 3, 4, seed=2)
    x, y = M.memory_task(2, 5, seed=6)
    absolute = M.state_gradient_norms(net, x, y, relative=False)
    relative = M.state_gradient_norms(net, x, y)
    assert absolute.shape == relative.shape == (5,)
    assert np.isclose(relative[-1], 1.0)
    h, _ = net.run(x)
    for t in (0, 2, 4):
        norms = []
        for b in range(2):
            start = h[b: b + 1, t].copy()

            run = gru_forward if kind == "gru" else R.rnn_forward

            def loss():
                last = start
                if t < 4:  # run the remaining steps from h_t = start
                    last = run(x[b: b + 1, t + 1:], net.cell, h0=start)[0][:, -1]
                return T.softmax_cross_entropy(net.readout(last), y[b: b + 1])[0]

            norms.append(np.linalg.norm(numerical_gradient(lambda _: loss(), start)))
        np.testing.assert_allclose(absolute[t], np.mean(norms), rtol=1e-6)


def test_gru_backward_is_the_one_used():
    """The GRU gradients of the trainer are gru_edu.cell's, not a re-derivation."""
    net = T.make_model("gru", 5, 3, 4, seed=0)
    x, y = M.memory_task(2, 3, seed=0)
    _, _, grads = net.loss_and_grads(x, y)
    h, cache = gru_forward(x, net.cell)
    _, dlogits = T.softmax_cross_entropy(net.readout(h[:, -1]), y)
    dh = np.zeros_like(h)
    dh[:, -1] = dlogits @ net.readout.kernel.T
    ref = gru_backward(dh, cache)
    np.testing.assert_array_equal(grads["recurrent_kernel"], ref.recurrent_kernel)


def test_snapshots_are_copies_at_the_asked_steps():
    hist = M.train_memory_task("gru", T=4, units=4, steps=6, progress=False,
                               snapshot_at=(2, 6))
    assert sorted(hist.snapshots) == [2, 6]
    # the last snapshot is the final model; the earlier one is a frozen copy
    assert np.array_equal(hist.snapshots[6].cell.kernel, hist.model.cell.kernel)
    assert not np.array_equal(hist.snapshots[2].cell.kernel, hist.model.cell.kernel)
