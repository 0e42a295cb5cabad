"""Notebook 06 views: the saturation explorer linked to a gate explorer, and the gate explorer gradient row (gru_edu.explorers.saturation_view)."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from gru_edu.imdb import Vocabulary  # noqa: E402
from gru_edu.gates.connectivity import gradient_connectivity  # noqa: E402
from gru_edu.gates.saturation import gate_saturation  # noqa: E402
from gru_edu.imdb import TrainedModel  # noqa: E402

from tiny_models import MAXLEN, WORDS, tiny_model  # noqa: E402


def test_gate_explorer_gradient_row():
    from gru_edu.explorers import gate_explorer as ge
    from gru_edu.explorers.gate_drawing import column_values

    model = tiny_model(dtype="float32", units=6, maxlen=MAXLEN,
                       words=len(Vocabulary(WORDS)))
    trained = TrainedModel(model, Vocabulary(WORDS), MAXLEN, "post")
    ids = trained.encode(["the film was good but the plot was awful",
                          "not bad"])
    ex = ge.gate_explorer(trained, x=ids, labels=[1, 0])
    for review in (0, 1):
        ex.controls["review"].value = review
        ex.controls["step"].value = 1
        n = int((ids[review] != 0).sum())
        want = gradient_connectivity(trained, ids[review]).norm[0, :n]
        np.testing.assert_allclose(ex.state["gradient"], want, rtol=1e-5)
        np.testing.assert_allclose(column_values(ex.artists["gradient_bars"]),
                                   want, rtol=1e-5)
        assert f"|d logit/d v|={want[1]:.4f}" in ex.readout_text()


def test_saturation_explorer_links_units():
    from gru_edu.explorers.gate_explorer import gate_explorer
    from gru_edu.explorers.saturation_view import saturation_explorer

    model = tiny_model(dtype="float32", units=6, maxlen=MAXLEN,
                       words=len(Vocabulary(WORDS)))
    trained = TrainedModel(model, Vocabulary(WORDS), MAXLEN, "post")
    ids = trained.encode(["the film was good", "a very boring plot"])
    (sat,) = gate_saturation(trained, ids)
    ge = gate_explorer(trained, x=ids, labels=[1, 0])
    se = saturation_explorer(sat, ge)
    se.controls["unit"].value = 4
    assert ge.controls["unit"].value == 4 and ge.state["unit"] == 4
    ge.controls["unit"].value = 2
    assert se.controls["unit"].value == 2 and se.state["unit"] == 2
    assert se.state["z_right"] == pytest.approx(sat.right["z"][2])

