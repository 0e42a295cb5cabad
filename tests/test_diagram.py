"""The data-flow diagram of notebook 01 names every term of the equations."""

import matplotlib

matplotlib.use("Agg")

from gru_edu.cell import diagram  # noqa: E402


def test_diagram_labels_every_term_with_the_gate_words():
    fig = diagram.plot_gru_cell()
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    for term in ("h_{t-1}U_z", "h_{t-1}U_r", "(r_t\\odot h_{t-1})U_h",
                 "z_t \\odot h_{t-1}", "(1 - z_t) \\odot \\tilde h_t",
                 "(keep)", "(write)", "(read / ignore)", "$x_t$", "$h_t$"):
        assert term in texts, term
    assert "GRU step" in fig.axes[0].get_title()
