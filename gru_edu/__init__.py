"""gru-edu: the helper package behind the GRU teaching notebooks.

Modules, one per concern:

* :mod:`gru_edu.cell`    – the NumPy GRU: ``gru_step`` (the equations),
  ``gru_replay``, ``gru_forward``, ``gru_backward``; Keras weight layout
* :mod:`gru_edu.gradcheck` – central differences and the one relative error
* :mod:`gru_edu.memory`  – a long-memory task, a vanilla RNN, the trainer (notebook 02)
* :mod:`gru_edu.lstm`    – a NumPy LSTM in the Keras layout (notebook 05)
* :mod:`gru_edu.optim`   – Adam for the NumPy models
* :mod:`gru_edu.counting` – the aⁿbⁿ counting task (notebook 05)
* :mod:`gru_edu.claims`  – GRU vs LSTM on IMDB: learning curves, matched sizes,
  step timing, intervals (notebook 05)
* :mod:`gru_edu.segments` – a task where the reset gate matters (notebook 02)
* :mod:`gru_edu.data`    – the IMDB reviews (Maas et al. 2011), Keras conventions
* :mod:`gru_edu.splits`  – training / validation / test parts, the one protocol
* :mod:`gru_edu.baseline` – the bag-of-words baseline a GRU has to beat
* :mod:`gru_edu.training` – the IMDB recipe, trained the same way everywhere
* :mod:`gru_edu.models`  – Keras model builders and training
* :mod:`gru_edu.gates`   – gate activations replayed from trained Keras models
  and checked against them: ``keras_plumbing``, ``replay``, ``text``,
  ``readout`` (sentiment so far, crossings, correlations), ``stats``
* :mod:`gru_edu.explorers` – the slider explorers, each with its figure:
  ``base``, ``cell_explorer``, ``memory_explorer``, ``gate_reviews``,
  ``gate_explorer``, ``gate_figures``, ``unit_words``, ``counting_explorer`` (``plots`` and
  ``widgets`` are their old import paths)
* :mod:`gru_edu.grading` – assignment checks, feedback, call detector, otter
  commands (``checks``, ``guard``, ``assign`` are its old import paths)
* :mod:`gru_edu.config`  – run mode (full or fast/CI) and paths

TensorFlow is imported only by the modules that need it, so ``gru_edu.cell``
stays a pure-NumPy import.
"""

__version__ = "0.1.0"
