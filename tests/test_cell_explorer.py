"""Headless tests of the notebook-01 cell explorer (gru_edu.explorers.cell_explorer).

Each slider is moved the way a learner would (``controls[name].value = v``);
the plotted data must then equal what ``gru_edu.cell`` computes for the
parameters the sliders describe. The parameters are rebuilt here from the
slider values, independently of the explorer's own ``params()``.
"""


import base64
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from gru_edu.explorers import cell_explorer as ce  # noqa: E402
from gru_edu.explorers import memory_explorer as me  # noqa: E402
from gru_edu.cell import GRUParams, gru_step, sigmoid  # noqa: E402

from slider_helpers import new_value  # noqa: E402

QUANTITIES = ("h_prev", "z", "r", "h_tilde", "h")


# ------------------------------------------------------------------ helpers


def cell_reference(explorer):
    """gru_step on weights rebuilt from the slider values (tied weights)."""
    v = {k: c.value for k, c in explorer.controls.items()}
    n = explorer.units
    kernel = np.zeros((1, 3 * n))
    recurrent = np.zeros((n, 3 * n))
    bias = np.zeros((2, 3 * n)) if explorer.reset_after else np.zeros(3 * n)
    in_bias = bias[0] if explorer.reset_after else bias
    for k, g in enumerate("zrh"):
        block = slice(k * n, (k + 1) * n)
        kernel[0, block] = v[f"w_{g}"]
        recurrent[:, block] = v[f"u_{g}"] * np.eye(n)
        in_bias[block] = v[f"b_{g}"]
    if explorer.reset_after:
        bias[1, 2 * n:] = v["rb_h"]
    params = GRUParams(kernel, recurrent, bias, explorer.reset_after)
    x = np.array([[v["x"]]])
    h_prev = np.array([[v[f"h_prev_{u}"] for u in range(n)]])
    h, gates = gru_step(x, h_prev, params)
    return params, {"h_prev": h_prev[0], "z": gates["z"][0],
                    "r": gates["r"][0], "h_tilde": gates["h_tilde"][0],
                    "h": h[0]}


def plotted_cell(explorer):
    """What the cell figure shows: bar heights, label texts, mix markers."""
    art = explorer.artists
    bars = {q: np.array([b.get_height() for b in art["bars"][q]])
            for q in QUANTITIES}
    labels = {q: [t.get_text() for t in art["labels"][q]] for q in QUANTITIES}
    mix = {k: np.array([line.get_xdata()[0] for line in art["mix"][k]])
           for k in ("old", "candidate", "new")}
    return bars, labels, mix


# ------------------------------------------------------------ cell explorer


@pytest.mark.parametrize("reset_after", [False, True])
def test_cell_explorer_initial_plot_matches_gru_step(reset_after, fig_count):
    ex = ce.cell_explorer(units=2, reset_after=reset_after)
    params, ref = cell_reference(ex)
    bars, labels, mix = plotted_cell(ex)
    for q in QUANTITIES:
        np.testing.assert_allclose(bars[q], ref[q], atol=1e-12)
        np.testing.assert_allclose(ex.state[q], ref[q], atol=1e-12)
        assert labels[q] == [f"{v:.2f}" for v in ref[q]]
    np.testing.assert_allclose(mix["old"], ref["h_prev"])
    np.testing.assert_allclose(mix["candidate"], ref["h_tilde"])
    np.testing.assert_allclose(mix["new"], ref["h"])
    mine = ex.params()
    for a, b in zip(mine.to_keras_weights(), params.to_keras_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("reset_after", [False, True])
def test_every_cell_slider_updates_the_plot(reset_after, fig_count):
    ex = ce.cell_explorer(units=2, reset_after=reset_after)
    expected_names = {"x", "h_prev_0", "h_prev_1", "w_z", "u_z", "b_z", "w_r",
                      "u_r", "b_r", "w_h", "u_h", "b_h"}
    if reset_after:
        expected_names.add("rb_h")
    assert set(ex.controls) == expected_names
    n_artists = len(ex.figure.axes[0].patches) + len(ex.figure.axes[1].lines)
    for name, ctl in ex.controls.items():
        old_png = ex.view.value
        before = {q: np.copy(v) for q, v in ex.state.items()}
        ctl.value = new_value(ctl)
        _, ref = cell_reference(ex)
        bars, _, mix = plotted_cell(ex)
        for q in QUANTITIES:
            np.testing.assert_allclose(bars[q], ref[q], atol=1e-12,
                                       err_msg=f"{name} -> {q}")
        np.testing.assert_allclose(mix["new"], ref["h"], atol=1e-12)
        changed = any(not np.allclose(before[q], ex.state[q])
                      for q in QUANTITIES)
        # U_r does nothing when the candidate reads no state (never here):
        assert changed, f"moving {name} changed nothing"
        assert ex.view.value != old_png, f"{name}: image not re-rendered"
        assert ex.last_error is None and not ex.errors.outputs
    # updated in place: same figure, same number of axes and artists
    assert len(ex.figure.axes) == 2
    assert n_artists == (len(ex.figure.axes[0].patches)
                         + len(ex.figure.axes[1].lines))


def test_cell_explorer_three_units_and_extremes(fig_count):
    ex = ce.cell_explorer(units=3, h_prev=(0.9, 0.0, -0.9))
    ex.controls["b_z"].value = 4.0  # z ≈ 1: the state is copied
    ex.controls["u_z"].value = 0.0
    ex.controls["w_z"].value = 0.0
    _, ref = cell_reference(ex)
    np.testing.assert_allclose(ex.state["h"], ref["h"], atol=1e-12)
    np.testing.assert_allclose(ex.state["z"], sigmoid(np.full(3, 4.0)))
    assert np.max(np.abs(ex.state["h"] - ex.state["h_prev"])) < 0.05


def test_cell_explorer_rejects_bad_arguments():
    with pytest.raises(ValueError, match="units"):
        ce.cell_explorer(units=0)
    with pytest.raises(ValueError, match="h_prev"):
        ce.cell_explorer(units=2, h_prev=(0.1,))


def test_no_new_figures_per_update():
    before = plt.get_fignums()
    ex = ce.cell_explorer()
    mem = me.memory_explorer()
    after_build = plt.get_fignums()
    for v in (-1.5, 0.0, 1.5):
        ex.controls["x"].value = float(v)
        mem.controls["b_z"].value = float(v)
    assert plt.get_fignums() == after_build == before
    assert len(ex.figure.axes) == 2 and len(mem.figure.axes) == 2


# ---------------------------------------------------------- memory explorer


# ------------------------------------------------------------------- errors


def test_cell_callback_error_is_shown_then_cleared(monkeypatch):
    ex = ce.cell_explorer()
    good = dict(ex.state)

    def broken(*args, **kwargs):
        raise RuntimeError("simulated failure in gru_step")

    monkeypatch.setattr(ce, "gru_step", broken)
    ex.controls["x"].value = 0.5  # must not raise
    assert isinstance(ex.last_error, RuntimeError)
    text = "".join(o.get("text", "") for o in ex.errors.outputs)
    assert "simulated failure in gru_step" in text
    assert all(o["name"] == "stderr" for o in ex.errors.outputs)
    assert ex.errors.layout.border != "0px"  # visible
    assert ex.state == good  # the last good numbers are kept
    monkeypatch.undo()
    ex.controls["x"].value = 0.25
    assert ex.last_error is None and ex.errors.outputs == ()
    _, ref = cell_reference(ex)
    np.testing.assert_allclose(ex.state["h"], ref["h"])


# ------------------------------------------------------------ display parts


def test_widget_container_and_display(monkeypatch):
    ex = ce.cell_explorer()
    shown = []
    monkeypatch.setattr("IPython.display.display",
                        lambda obj, **kw: shown.append((obj, kw)))
    ex._ipython_display_()
    # one output: the widget, and a static PNG of its view for readers
    # without a kernel (rendered copy, PDF), with alt text
    (bundle, kw), = shown
    view = bundle["application/vnd.jupyter.widget-view+json"]
    assert view["model_id"] == ex.widget.model_id and kw["raw"]
    assert base64.b64decode(bundle["image/png"]) == bytes(ex.view.value)
    assert ex.figure.axes[0].get_title() in kw["metadata"]["image/png"]["alt"]

    def walk(w):
        yield w
        for child in getattr(w, "children", ()):
            yield from walk(child)

    inside = list(walk(ex.widget))
    assert all(any(c is w for w in inside) for c in ex.controls.values())
    assert any(w is ex.errors for w in inside)
    assert any(w is ex.view for w in inside)
    assert ex.view.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert all(c.continuous_update for c in ex.controls.values())
