"""The shared model and loss of gru_edu.tasks.trainer: gradients, softmax, history."""

import numpy as np
import pytest

from gru_edu.cell.gradcheck import numerical_gradient, relative_error
from gru_edu.tasks import memory as M
from gru_edu.tasks import trainer as T

# --------------------------------------------------------- init, readout


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


# -------------------------------------------------------------- training


def test_smoothed_is_a_trailing_mean():
    h = T.History(model=None, config={}, accuracy=[0.0, 1.0, 1.0, 0.0])
    np.testing.assert_allclose(h.smoothed("accuracy", window=2), [0, 0.5, 1, 0.5])
