"""Every figure the package draws is readable on a projector.

Each drawing entry point of :mod:`gru_edu` (explorers, static figures, the
cell diagram) is called on small inputs; :func:`gru_edu.explorers.base.figure_problems`
must find nothing: no text under 10 pt, a title, a label on every axis that
shows tick labels. ``GRU_EDU_FIGURES=folder`` also saves each figure as PNG,
to look at them.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from gru_edu import gates  # noqa: E402
from gru_edu.explorers.base import MIN_FONT_PT, figure_problems  # noqa: E402

TESTS = Path(__file__).resolve().parent


def _helpers(name: str):
    spec = importlib.util.spec_from_file_location(f"_{name}", TESTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check(fig, name: str) -> None:
    folder = os.environ.get("GRU_EDU_FIGURES")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        fig.savefig(Path(folder) / f"{name}.png", dpi=80)
    problems = figure_problems(fig)
    plt.close("all")
    assert not problems, f"{name}: {problems}"


def test_the_check_finds_small_text_and_missing_labels():
    fig, ax = plt.subplots()
    ax.plot([0, 1])
    ax.set_title("t", fontsize=MIN_FONT_PT - 2)
    problems = figure_problems(fig)
    assert any("at 8.0 pt" in p for p in problems)
    assert any("x axis without a label" in p for p in problems)
    ax.set_title("rising", fontsize=MIN_FONT_PT)
    ax.set(xlabel="step", ylabel="value")
    assert figure_problems(fig) == []
    plt.close(fig)


def test_notebook_01_and_05_explorers_and_diagram():
    from gru_edu.cell.diagram import plot_gru_cell
    from gru_edu.explorers.cell_explorer import cell_explorer
    from gru_edu.explorers.counting_explorer import counting_explorer
    from gru_edu.explorers.memory_explorer import memory_explorer, plot_gradient_through_time

    check(cell_explorer().figure, "cell_explorer")
    check(memory_explorer().figure, "memory_explorer")
    check(counting_explorer().figure, "counting_explorer")
    check(plot_gru_cell(), "gru_cell_diagram")
    check(plot_gradient_through_time([1, 2, 4, 8], {"GRU": [1, 0.5, 0.2, 0.1],
                                                     "RNN": [1, 0.1, 0.01, 1e-4]}),
          "gradient_through_time")


@pytest.fixture(scope="module")
def small():
    g = _helpers("test_gate_explorer")
    trained = g.small_trained()
    texts = g.review_texts()
    return g, trained, texts, trained.encode(texts)


def test_notebook_04_explorers_and_figures(small):
    from gru_edu.explorers import gate_explorer as ge
    from gru_edu.explorers import gate_figures, unit_words

    g, trained, texts, x = small
    labels = np.arange(len(texts)) % 2
    check(ge.gate_explorer(trained, x=x, labels=labels, window=10).figure, "gate_explorer")
    check(unit_words.unit_words_explorer(trained, x, top_k=3, min_count=2).figure,
          "unit_words")
    words = texts[0].split()
    tt = gates.trace_text(trained, texts[0])
    tr = tt.traces[-1]
    values = {k: getattr(tr, k)[0, tt.review] for k in ("z", "r", "h")}
    check(gate_figures.plot_gate_heatmaps(words, values), "gate_heatmaps")
    sentiment = np.linspace(0.3, 0.7, len(words))
    check(gate_figures.plot_sentiment_so_far({"review 0": (words, sentiment)}),
          "sentiment_so_far")
    check(gate_figures.plot_unit_over_reviews([values["h"][:, 0], values["h"][:, 1]],
                                              ["a", "b"], unit=0, title="unit 0"),
          "unit_over_reviews")


def test_notebook_06_views(small):
    from gru_edu.explorers.gate_explorer import gate_explorer
    from gru_edu.explorers.saturation_view import (plot_memory_reach,
                                                   plot_saturation_epochs,
                                                   saturation_explorer)

    g, trained, texts, x = small
    (sat,) = gates.gate_saturation(trained, x)
    ge = gate_explorer(trained, x=x, labels=np.arange(len(texts)) % 2)
    check(saturation_explorer(sat, ge).figure, "saturation_explorer")
    fig = plt.figure(figsize=(10, 3.6))
    plot_saturation_epochs(fig, [sat, sat], [0, 1])
    check(fig, "saturation_epochs")
    reach = gates.memory_reach(trained, x)
    fig, ax = plt.subplots(figsize=(7, 3.6))
    plot_memory_reach(ax, {"gru": reach}, max_distance=20)
    check(fig, "memory_reach")


def test_notebook_06_pattern_explorer():
    from gru_edu.explorers.pattern_explorer import select_match_explorer
    from gru_edu.gates import StateCache, build_state_cache
    from gru_edu.imdb import Vocabulary

    d = _helpers("tiny_models")
    model = d.tiny_model(dtype="float32", units=5)
    ids = d.padded(np.random.default_rng(6), 30, 14)
    cache = build_state_cache(model, ids, signals=("h", "z"), batch_size=8)
    ex = select_match_explorer(cache, Vocabulary(d.WORDS), review=0, span=(1, 2),
                               threshold=0.0)
    check(ex.figure, "pattern_explorer")
