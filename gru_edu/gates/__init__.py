"""Gate activations of a trained Keras GRU, replayed step by step with
:mod:`gru_edu.cell`.

``keras.layers.GRU`` returns hidden states only; the update gate ``z``, the
reset gate ``r`` and the candidate ``h̃`` are never seen. This package
recomputes them from each GRU layer's own weights and what the layer really
received inside the model, and checks every replay against the layer.
Everything public is importable from ``gru_edu.gates``; its modules, a line
each: ``docs/architecture.md``.
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
from .saturation import Saturation, gate_saturation
from .connectivity import gradient_connectivity, memory_reach
from .pattern_search import (
    StateCache,
    build_state_cache,
    find_matches,
    select_units,
)
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
    "Saturation",
    "gate_saturation",
    "gradient_connectivity",
    "memory_reach",
    "StateCache",
    "build_state_cache",
    "select_units",
    "find_matches",
]
