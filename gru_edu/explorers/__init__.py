"""The slider explorers of the notebooks, each with the figure it draws.

* :mod:`.base` – :class:`Explorer` (figure built once, artists moved in the
  callback, errors shown), sliders, figure and PNG helpers, ``GATE_COLOURS``,
  :class:`LabelRow`
* :mod:`.cell_explorer` – notebook 01: one GRU step, slider by slider
* :mod:`.memory_explorer` – notebook 01: a remembered pulse and its
  half-life; the gradient through time
* :mod:`.gate_reviews` – notebook 04: the reviews the gate explorer shows,
  traced with :mod:`gru_edu.gates`
* :mod:`.gate_explorer` – notebook 04: the gates of a trained GRU, word by
  word, with the gradient row (what the prediction depends on)
* :mod:`.gate_drawing` – the gate explorer's figure, built once and moved
* :mod:`.gate_figures` – notebook 04: static figures of the gates
* :mod:`.unit_words` – notebook 04: the words at which one unit writes or
  keeps most
* :mod:`.counting_explorer` – notebook 05: one LSTM unit and one GRU unit
  counting aⁿbⁿ
* :mod:`.saturation_view` – notebook 06: gate saturation scatters, memory
  reach curves, the saturation explorer linked to a gate explorer
* :mod:`.pattern_explorer` – notebook 06: select and match (LSTMVis)

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
