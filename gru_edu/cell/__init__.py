"""The recurrent cells in NumPy, and the tools that check them.

* :mod:`.numpy_gru` – the GRU: ``gru_step`` (the equations), ``gru_replay``,
  ``gru_forward``, ``gru_backward``, in the Keras weight layout (exported here);
* :mod:`.lstm` and :mod:`.rnn` – the LSTM and the vanilla RNN it is compared with;
* :mod:`.initializers` – Keras's default initialisers; :mod:`.optim` – Adam;
* :mod:`.gradcheck` – central differences and the one relative error;
* :mod:`.conventions` – Keras ↔ PyTorch/cuDNN weights and each convention's step;
* :mod:`.diagram` – the GRU cell drawn.

Everything here is NumPy only (``diagram`` adds matplotlib).
"""

from .numpy_gru import (GRUCache, GRUGrads, GRUParams, gru_backward, gru_forward,
                        gru_replay, gru_step, sigmoid)

__all__ = ["GRUParams", "GRUCache", "GRUGrads", "sigmoid", "gru_step", "gru_replay",
           "gru_forward", "gru_backward"]
