"""The segment-sum task of notebook 02 (section 10): the reset gate at work."""

import numpy as np
import pytest

from gru_edu.tasks import segments
from gru_edu.tasks.memory import make_model
from gru_edu.cell.gradcheck import numerical_gradient, relative_error


def test_task_labels_are_the_class_of_the_current_segment_sum():
    x, y = segments.segment_sum_task(batch=50, T=30, seed=3)
    assert x.shape == (50, 30, 2) and y.shape == (50, 30)
    assert (x[:, 0, 1] == 1).all()  # every sequence starts a segment
    k = segments.steps_since_boundary(x)
    for b in range(50):
        for t in range(30):
            start = t - k[b, t]
            assert x[b, start, 1] == 1
            s = x[b, start:t + 1, 0].sum()
            assert y[b, t] == np.searchsorted(segments.EDGES, s)


def test_task_is_seeded():
    a = segments.segment_sum_task(4, seed=1)
    b = segments.segment_sum_task(4, seed=1)
    assert all(np.array_equal(p, q) for p, q in zip(a, b))


@pytest.mark.parametrize("reset_after", [True, False])
def test_every_step_gradients_match_finite_differences(reset_after):
    net = make_model("gru", 2, 3, 3, seed=2, reset_after=reset_after)
    net.cell.bias[...] = np.random.default_rng(0).normal(
        size=net.cell.bias.shape)
    x, y = segments.segment_sum_task(batch=3, T=6, seed=4)
    _, _, grads = segments.loss_and_grads_every_step(net, x, y)
    for name, arr in net.parameters().items():
        num = numerical_gradient(
            lambda _: segments.loss_and_grads_every_step(net, x, y)[0], arr)
        assert relative_error(grads[name], num) < 1e-6, name


def test_fixed_reset_gate_stays_at_one():
    hist = segments.train_segment_task(units=2, steps=20, fix_reset=True)
    x, _ = segments.segment_sum_task(batch=8, seed=9)
    _, cache = segments.predict(hist.model, x)
    assert cache.r.min() > 1 - 1e-9
    n = hist.model.cell.units
    assert np.all(hist.model.cell.kernel[:, n:2 * n] == 0)
    assert np.all(hist.model.cell.recurrent_kernel[:, n:2 * n] == 0)


def test_the_reset_gate_acts_at_boundaries_and_the_ablation_fails():
    # What notebook 02 shows, on one seed: r drops at every boundary, and
    # with r fixed at 1 the unit is wrong at the flagged step.
    x, y = segments.segment_sum_task(batch=1000, seed=123)
    k = segments.steps_since_boundary(x)
    free = segments.train_segment_task(units=1, seed=0).model
    fixed = segments.train_segment_task(units=1, seed=0,
                                        fix_reset=True).model
    _, cache = segments.predict(free, x)
    assert cache.r[k == 0].mean() < 0.1 and cache.r[k > 0].mean() > 0.3
    acc_free = segments.accuracy_by_position(free, x, y, 3)
    acc_fixed = segments.accuracy_by_position(fixed, x, y, 3)
    assert acc_free[0] > 0.9 and acc_fixed[0] < 0.75
    assert np.all(acc_free > acc_fixed + 0.1)
