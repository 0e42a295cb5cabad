"""Headless tests of notebook 05's counting explorer (gru_edu.explorers).

Sliders are moved as a learner moves them; the plotted lines must equal what
gru_edu.cell.lstm and gru_edu.cell compute for the units the sliders describe,
rebuilt here from the equations, not from the explorer's own helpers.
"""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from gru_edu.cell import sigmoid  # noqa: E402
from gru_edu.explorers import counting_explorer as ce  # noqa: E402


def reference(n, keep, w):
    """LSTM c_t and GRU h_t on aⁿbⁿ, written out from the equations."""
    f, i, o = sigmoid(keep), sigmoid(10.0), sigmoid(10.0)
    z, r = sigmoid(keep), sigmoid(10.0)
    c = h_l = h = 0.0
    cs, hs = [], []
    for t in range(2 * n):
        s = w if t < n else -w
        c = f * c + i * np.tanh(s + 0.0 * h_l)  # LSTM: no recurrent weights
        h_l = o * np.tanh(c)
        h = z * h + (1 - z) * np.tanh(s + r * h)
        cs.append(c)
        hs.append(h)
    return np.array(cs), np.array(hs)


def plotted(ex):
    return ex.artists["c"].get_ydata(), ex.artists["h"].get_ydata()


@pytest.mark.parametrize("n, keep, w", [(10, 8.0, 0.2), (30, 2.0, 0.5), (1, -2.0, 1.5)])
def test_lines_match_the_equations(n, keep, w):
    ex = ce.counting_explorer()
    ex.controls["n"].value = n
    ex.controls["keep"].value = keep
    ex.controls["w"].value = w
    c_ref, h_ref = reference(n, keep, w)
    c, h = plotted(ex)
    np.testing.assert_allclose(c, c_ref, atol=1e-12)
    np.testing.assert_allclose(h, h_ref, atol=1e-12)
    assert ex.last_error is None
    assert f"n = {n}:" in ex.state["title"]


def test_every_slider_changes_the_picture():
    ex = ce.counting_explorer()
    for name, value in (("n", 25), ("keep", 3.0), ("w", 0.9)):
        before = ex.view.value
        ex.controls[name].value = value
        assert ex.view.value != before, name


def test_the_lstm_counts_and_the_gru_saturates():
    ex = ce.counting_explorer()
    ex.controls["keep"].value = 10.0
    peaks = {}
    for n in (10, 20, 40):
        ex.controls["n"].value = n
        peaks[n] = (ex.state["c_peak"], ex.state["h_peak"], ex.state["c_end"])
    # the LSTM's count doubles with n and returns to 0 at the end
    assert peaks[20][0] == pytest.approx(2 * peaks[10][0], rel=0.01)
    assert peaks[40][0] == pytest.approx(4 * peaks[10][0], rel=0.02)
    assert all(abs(p[2]) < 0.02 for p in peaks.values())
    # whatever keep is, the GRU state stays inside [-1, 1]
    for keep in (-2.0, 0.0, 2.0, 10.0):
        ex.controls["keep"].value = keep
        assert np.abs(ex.state["h"]).max() < 1.0
