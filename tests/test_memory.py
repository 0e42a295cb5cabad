"""The memory task of notebook 02: its batches, training, and the gradient through time.

Oracles as in test_numpy_gru.py: keras.layers.SimpleRNN for the RNN forward pass,
central finite differences for every backward pass.
"""

import numpy as np
import pytest

from gru_edu.cell.gradcheck import numerical_gradient
from gru_edu.tasks import memory as M
from gru_edu.cell import rnn as R
from gru_edu.tasks import trainer as T
from gru_edu.cell import gru_backward, gru_forward


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
