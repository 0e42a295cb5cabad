"""The slider explorers of the notebooks, each module an explorer with the figure it
draws (a line each: ``docs/architecture.md``).

Import from the module, e.g.
``from gru_edu.explorers.cell_explorer import cell_explorer``. The public
names are the modules: none is imported with the package, so a notebook
loads only the explorers it uses.
"""

__all__ = [
    "base", "cell_explorer", "memory_explorer", "gate_reviews", "gate_explorer",
    "gate_drawing", "gate_figures", "unit_words", "counting_explorer",
    "saturation_view", "pattern_explorer",
]
