"""The ipywidgets explorers of the gru-edu notebooks.

The code lives in :mod:`gru_edu.explorers`, one module per explorer with the
figure it draws: :mod:`~gru_edu.explorers.base` (:class:`Explorer`),
:mod:`~gru_edu.explorers.cell_explorer`,
:mod:`~gru_edu.explorers.memory_explorer`,
:mod:`~gru_edu.explorers.gate_reviews`,
:mod:`~gru_edu.explorers.gate_explorer` and
:mod:`~gru_edu.explorers.unit_words`. This module re-exports them.
"""

from gru_edu.explorers.base import (
    Explorer,
)
from gru_edu.explorers.cell_explorer import (
    CellExplorer,
    cell_explorer,
)
from gru_edu.explorers.memory_explorer import (
    MemoryExplorer,
    memory_explorer,
    half_life,
)
from gru_edu.explorers.gate_reviews import (
    GATE_SORTS,
    REVIEW_FILTERS,
    gate_window,
    ReviewTrace,
    trace_review,
)
from gru_edu.explorers.gate_explorer import (
    READOUT_CLASS,
    REVIEW_INFO_CLASS,
    WORDS_CLASS,
    GateExplorer,
    gate_explorer,
)
from gru_edu.explorers.unit_words import (
    cached_gate_statistics,
    WORD_RANKINGS,
    UnitWordsExplorer,
    unit_words_explorer,
)

__all__ = [
    "Explorer",
    "CellExplorer",
    "cell_explorer",
    "MemoryExplorer",
    "memory_explorer",
    "half_life",
    "GATE_SORTS",
    "REVIEW_FILTERS",
    "READOUT_CLASS",
    "REVIEW_INFO_CLASS",
    "WORDS_CLASS",
    "gate_window",
    "ReviewTrace",
    "trace_review",
    "GateExplorer",
    "gate_explorer",
    "cached_gate_statistics",
    "WORD_RANKINGS",
    "UnitWordsExplorer",
    "unit_words_explorer",
]
