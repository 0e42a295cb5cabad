"""Gate saturation per unit (gru_edu.gates.saturation), counted directly."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from gru_edu import gates  # noqa: E402
from gru_edu.gates.saturation import gate_saturation, saturation_kind  # noqa: E402

from tiny_models import padded, tiny_model  # noqa: E402


def test_saturation_matches_direct_count():
    model = tiny_model(dtype="float32")
    ids = padded(np.random.default_rng(4), 7, 10)
    (sat,) = gate_saturation(model, ids, batch_size=3, low=0.2, high=0.8)
    counts = {k: np.zeros(4) for k in ("zl", "zr", "rl", "rr")}
    steps = 0
    for row in ids:  # one review at a time, its real steps only
        (tr,) = gates.trace(model, row[None])
        n = int((row != 0).sum())
        z, r = tr.z[0, :n], tr.r[0, :n]
        steps += n
        for u in range(4):
            counts["zl"][u] += sum(1 for v in z[:, u] if v < 0.2)
            counts["zr"][u] += sum(1 for v in z[:, u] if v > 0.8)
            counts["rl"][u] += sum(1 for v in r[:, u] if v < 0.2)
            counts["rr"][u] += sum(1 for v in r[:, u] if v > 0.8)
    assert sat.n_steps == steps and sat.n_reviews == len(ids)
    np.testing.assert_allclose(sat.left["z"], counts["zl"] / steps)
    np.testing.assert_allclose(sat.right["z"], counts["zr"] / steps)
    np.testing.assert_allclose(sat.left["r"], counts["rl"] / steps)
    np.testing.assert_allclose(sat.right["r"], counts["rr"] / steps)
    assert (sat.left["z"] + sat.right["z"]).max() > 0  # not all zero


def test_saturation_kinds():
    kinds = saturation_kind(np.array([0.7, 0.1, 0.3, 0.0]),
                            np.array([0.1, 0.8, 0.4, 0.2]))
    assert list(kinds) == ["write", "keep", "switch", "free"]

