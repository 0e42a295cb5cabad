"""The matplotlib figures of the gru-edu explorers and notebooks.

The code lives in :mod:`gru_edu.explorers`, each figure in the module of the
explorer that draws it: :mod:`~gru_edu.explorers.base` (figure and PNG
helpers, colours), :mod:`~gru_edu.explorers.cell_explorer`,
:mod:`~gru_edu.explorers.memory_explorer`,
:mod:`~gru_edu.explorers.gate_explorer`,
:mod:`~gru_edu.explorers.gate_figures` and
:mod:`~gru_edu.explorers.unit_words`. This module re-exports them.
"""

from gru_edu.explorers.base import (
    uses_ipympl,
    new_figure,
    figure_png,
    GATE_COLOURS,
    OKABE_ITO,
    MIN_FONT_PT,
    use_readable_style,
    describe_figure,
    figure_problems,
)
from gru_edu.explorers.cell_explorer import (
    draw_cell_step,
    update_cell_step,
)
from gru_edu.explorers.memory_explorer import (
    draw_memory,
    update_memory,
    plot_gradient_through_time,
)
from gru_edu.explorers.gate_explorer import (
    GATE_CMAP,
    STATE_CMAP,
    draw_gate_explorer,
    gate_review_artists,
    gate_step_artists,
    bar_values,
    update_gate_review,
    update_gate_window,
    update_gate_step,
)
from gru_edu.explorers.gate_figures import (
    plot_sentiment_so_far,
    plot_gate_heatmaps,
    plot_unit_over_reviews,
)
from gru_edu.explorers.unit_words import (
    draw_unit_words,
    update_unit_words,
)

__all__ = [
    "uses_ipympl",
    "new_figure",
    "figure_png",
    "GATE_COLOURS",
    "OKABE_ITO",
    "MIN_FONT_PT",
    "use_readable_style",
    "describe_figure",
    "figure_problems",
    "draw_cell_step",
    "update_cell_step",
    "draw_memory",
    "update_memory",
    "plot_gradient_through_time",
    "GATE_CMAP",
    "STATE_CMAP",
    "draw_gate_explorer",
    "gate_review_artists",
    "gate_step_artists",
    "bar_values",
    "update_gate_review",
    "update_gate_window",
    "update_gate_step",
    "plot_sentiment_so_far",
    "plot_gate_heatmaps",
    "plot_unit_over_reviews",
    "draw_unit_words",
    "update_unit_words",
]
