"""The recurrent cells in NumPy (the GRU of ``numpy_gru``, exported here; the LSTM and
the plain RNN beside it) and the tools that check them. NumPy only (``diagram`` adds
matplotlib). Its modules, a line each: ``docs/architecture.md``.
"""

from .numpy_gru import (GRUCache, GRUGrads, GRUParams, gru_backward, gru_forward,
                        gru_replay, gru_step, sigmoid)

__all__ = ["GRUParams", "GRUCache", "GRUGrads", "sigmoid", "gru_step", "gru_replay",
           "gru_forward", "gru_backward"]
