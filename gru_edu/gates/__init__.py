"""Gate activations of a trained Keras GRU, replayed step by step with
:mod:`gru_edu.cell`.

``keras.layers.GRU`` returns hidden states only; the update gate ``z``, the
reset gate ``r`` and the candidate ``h̃`` are never seen. This package
recomputes them from each GRU layer's own weights and what the layer really
received inside the model, and checks every replay against the layer.

Modules, one per stage:

* :mod:`.keras_plumbing` – each GRU layer's inputs, mask, states and weights
  from one compiled Keras pass
* :mod:`.replay` – :func:`trace`: one self-checked :class:`GateTrace` per GRU
  layer and direction
* :mod:`.text` – :func:`trace_text`: the same for a typed review
  (:class:`TextTrace`)
* :mod:`.readout` – :func:`sentiment_so_far`, :func:`sentiment_crossings`,
  :func:`unit_sentiment_correlation`
* :mod:`.stats` – :func:`gate_statistics` over many reviews (:class:`GateStats`)
* :mod:`.errors` – :class:`GatesError` (a ``ValueError``) and its kinds

Everything public is importable from ``gru_edu.gates``.
"""

from .errors import (
    EmptyReviewError,
    GatesError,
    NoGRULayerError,
    ReplayError,
    TruncationWarning,
    UnknownWordsError,
    UnsupportedModelError,
)
from .keras_plumbing import clear_cache
from .readout import (
    sentiment_crossings,
    sentiment_so_far,
    unit_sentiment_correlation,
)
from ..imdb.vocab import OOV, PAD, START
from .replay import GATES, TOLERANCE, GateTrace, trace
from .stats import GateStats, gate_statistics
from .text import TextTrace, trace_text

__all__ = [
    "TOLERANCE",
    "PAD",
    "START",
    "OOV",
    "GATES",
    "GatesError",
    "NoGRULayerError",
    "UnsupportedModelError",
    "EmptyReviewError",
    "UnknownWordsError",
    "ReplayError",
    "TruncationWarning",
    "GateTrace",
    "TextTrace",
    "GateStats",
    "trace",
    "trace_text",
    "sentiment_so_far",
    "sentiment_crossings",
    "unit_sentiment_correlation",
    "gate_statistics",
    "clear_cache",
]
