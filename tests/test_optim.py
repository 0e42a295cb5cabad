"""Adam of gru_edu.cell.optim: its first step, clipping, and a quadratic minimised."""

import numpy as np

from gru_edu.cell.optim import Adam

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
