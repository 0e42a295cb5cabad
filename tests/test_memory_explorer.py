"""Headless tests of the notebook-01 memory explorer (gru_edu.explorers.memory_explorer).

Each slider is moved the way a learner would (``controls[name].value = v``);
the plotted data must then equal what ``gru_edu.cell`` computes for the
parameters the sliders describe."""

import math
import os
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from gru_edu.cell import GRUParams, gru_forward, sigmoid  # noqa: E402
from gru_edu.explorers import memory_explorer as me  # noqa: E402

from slider_helpers import new_value  # noqa: E402


# ------------------------------------------------------------------ helpers


def memory_reference(explorer):
    """gru_forward on the 1-unit cell rebuilt from the slider values."""
    v = {k: c.value for k, c in explorer.controls.items()}
    params = GRUParams(np.array([[v["w_z"], 0.0, v["w_h"]]]),
                       np.array([[0.0, 0.0, v["u_h"]]]),
                       np.array([v["b_z"], 0.0, 0.0]), reset_after=False)
    x = np.zeros((1, explorer.steps, 1))
    x[0, explorer.pulse_at, 0] = 1.0
    h_seq, cache = gru_forward(x, params)
    h = h_seq[0, :, 0]
    p = explorer.pulse_at
    half = None
    for k in range(1, explorer.steps - p):  # plain loop: independent of half_life()
        if abs(h[p]) >= 1e-6 and abs(h[p + k]) <= 0.5 * abs(h[p]):
            half = k
            break
    return x[0, :, 0], h, cache.z[0, :, 0], half


# ------------------------------------------------------------ cell explorer


# ---------------------------------------------------------- memory explorer


def plotted_memory(ex):
    art = ex.artists
    h = np.asarray(art["h_line"].get_ydata())
    z = np.asarray(art["z_line"].get_ydata())
    x = np.array([b.get_height() for b in art["x_bars"]])
    mx, my = art["half_marker"].get_data()
    return x, h, z, (np.asarray(mx), np.asarray(my))


def check_memory_plot(ex, where=""):
    x, h, z, half = memory_reference(ex)
    px, ph, pz, (mx, my) = plotted_memory(ex)
    np.testing.assert_allclose(ph, h, atol=1e-12, err_msg=where)
    np.testing.assert_allclose(pz, z, atol=1e-12, err_msg=where)
    np.testing.assert_allclose(px, x, err_msg=where)
    assert ex.state["half_life"] == half, where
    title = ex.artists["title"].get_text()
    if half is None:
        assert mx.size == 0 and not ex.artists["half_vline"].get_visible()
    else:
        t_half = ex.pulse_at + half
        np.testing.assert_allclose(mx, [t_half])
        np.testing.assert_allclose(my, [h[t_half]])
        assert ex.artists["half_vline"].get_visible()
        assert f"half-life: {half} steps" in title, (where, title)
    half_level = ex.artists["half_lines"][0].get_ydata()[0]
    np.testing.assert_allclose(half_level, 0.5 * h[ex.pulse_at])


def test_memory_explorer_initial_plot(fig_count):
    ex = me.memory_explorer()
    check_memory_plot(ex, "initial")
    assert ex.state["half_life"] is not None


@pytest.mark.parametrize("name", ["b_z", "w_z", "w_h", "u_h"])
@pytest.mark.parametrize("frac", [0.1, 0.8])
def test_every_memory_slider_updates_the_plot(name, frac, fig_count):
    ex = me.memory_explorer(steps=30, pulse_at=3)
    ctl = ex.controls[name]
    old_png = ex.view.value
    ctl.value = new_value(ctl, frac)
    check_memory_plot(ex, f"{name}={ctl.value}")
    assert ex.view.value != old_png
    assert ex.last_error is None


@pytest.mark.parametrize("b_z", [-1.0, 0.0, 1.0, 2.0, 3.0])
def test_half_life_matches_theory_when_candidate_is_zero(b_z):
    """With U_h = 0 and x = 0 after the pulse, h decays as z^k, z = σ(b_z)."""
    ex = me.memory_explorer(steps=60)
    ex.controls["u_h"].value = 0.0
    ex.controls["b_z"].value = b_z
    z = float(sigmoid(np.array(b_z)))
    theory = math.log(0.5) / math.log(z)
    assert ex.state["z_after"] == pytest.approx(z)
    assert ex.state["half_life_theory"] == pytest.approx(theory)
    assert ex.state["half_life"] == math.ceil(theory - 1e-9)


def test_half_life_not_reached_and_nothing_written():
    ex = me.memory_explorer(steps=20)
    ex.controls["b_z"].value = 7.0  # z = 0.999: no decay within 20 steps
    assert ex.state["half_life"] is None
    assert "not reached" in ex.artists["title"].get_text()
    check_memory_plot(ex, "not reached")
    ex.controls["w_h"].value = 0.0  # the pulse writes nothing
    assert ex.state["half_life"] is None
    assert "nothing written" in ex.artists["title"].get_text()


def test_half_life_helper():
    h = np.array([0.0, 0.8, 0.6, 0.41, 0.39, 0.1])
    assert me.half_life(h, 1) == 3
    assert me.half_life(-h, 1) == 3  # sign does not matter
    assert me.half_life(h, 0) is None  # nothing written
    assert me.half_life(np.array([1.0, 0.9, 0.8]), 0) is None


def test_memory_explorer_rejects_bad_pulse():
    with pytest.raises(ValueError, match="pulse_at"):
        me.memory_explorer(steps=10, pulse_at=9)


# ------------------------------------------------------------------- errors


def test_memory_callback_error_is_shown(monkeypatch):
    ex = me.memory_explorer()

    def broken(*args, **kwargs):
        raise FloatingPointError("simulated failure in gru_forward")

    monkeypatch.setattr(me, "gru_forward", broken)
    ex.controls["b_z"].value = 1.0
    assert isinstance(ex.last_error, FloatingPointError)
    text = "".join(o.get("text", "") for o in ex.errors.outputs)
    assert "FloatingPointError" in text and "gru_forward" in text


# ------------------------------------------------------------ display parts


def test_ipympl_backend_uses_the_live_canvas():
    """With %matplotlib widget the canvas itself is shown and redrawn."""
    code = (
        "import matplotlib; matplotlib.use('module://ipympl.backend_nbagg')\n"
        "import matplotlib.pyplot as plt\n"
        "from gru_edu.explorers.memory_explorer import memory_explorer\n"
        "ex = memory_explorer()\n"
        "assert ex.live and ex.view is ex.figure.canvas\n"
        "ex.controls['b_z'].value = 0.5\n"
        "assert ex.last_error is None, ex.last_error\n"
        "n = len(plt.get_fignums())\n"
        "ex.controls['b_z'].value = 1.5\n"
        "assert len(plt.get_fignums()) == n\n"
        "print('ok')\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "ok" in out.stdout
