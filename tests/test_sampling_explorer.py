"""Notebook 07's sampling explorer and the gate explorer on the language model."""

import numpy as np
import pytest

pytest.importorskip("keras")

from gru_edu.explorers.base import figure_problems  # noqa: E402
from gru_edu.explorers.gate_explorer import gate_explorer  # noqa: E402
from gru_edu.explorers.sampling_explorer import sampling_explorer  # noqa: E402
from gru_edu.lm.bundle import LanguageModel, shipped_lm_dir  # noqa: E402
from gru_edu.lm.sampling import generate  # noqa: E402


@pytest.fixture(scope="module")
def lm():
    return LanguageModel.load(shipped_lm_dir())


def test_sliders_drive_the_bars_and_the_text(lm, fig_count):
    ex = sampling_explorer(lm, prefix="this movie was", temperature=0.8, top_k=40, seed=3)
    try:
        assert ex.last_error is None and figure_problems(ex.figure) == []
        state = ex.state
        assert np.allclose(state["probs"], lm.next_word_probs("this movie was"))
        assert np.count_nonzero(state["shaped"]) == 40
        assert state["sample"].words == generate(lm, "this movie was", 30, 0.8, 40, 3).words
        ex.controls["temperature"].value = 0.0
        greedy = ex.state["shaped"]
        assert greedy.max() == 1.0 and ex.state["top_word"] == lm.vocab.id_to_word(
            int(np.argmax(greedy)))
        ex.controls["prefix"].value = "the worst"
        assert ex.state["sample"].prefix == ["the", "worst"]
        assert ex.state["sample"].words == generate(lm, "the worst", 30, 0.0, 40, 3).words
        assert "the worst" in ex.text.value
    finally:
        ex.close()


def test_gate_explorer_opens_the_language_model_without_a_sentiment_row(lm, fig_count):
    ex = gate_explorer(lm.trained, texts=["I did not like it", "Tom was great"])
    try:
        assert ex.last_error is None
        assert ex.state["sentiment"] is None and ex.state["prediction"] is None
        assert ex.state["trace"].units == lm.units
        assert "no prediction to read" in ex.state["review"].sentiment_note
    finally:
        ex.close()
