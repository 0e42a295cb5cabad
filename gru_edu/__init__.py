"""gru-edu: the helper package behind the GRU teaching notebooks.

Modules, one per concern:

* :mod:`gru_edu.cell`    – the NumPy GRU: ``gru_step`` (the equations),
  ``gru_replay``, ``gru_forward``, ``gru_backward``; Keras weight layout
* :mod:`gru_edu.cell.gradcheck` – central differences and the one relative error
* :mod:`gru_edu.cell.conventions` – Keras ↔ PyTorch/cuDNN converters, the
  ``(1 − z)`` flip, each convention's equations as a NumPy reference
* :mod:`gru_edu.tasks.memory`  – a long-memory task, a vanilla RNN, the trainer (notebook 02)
* :mod:`gru_edu.cell.lstm`    – a NumPy LSTM in the Keras layout (notebook 05)
* :mod:`gru_edu.cell.optim`   – Adam for the NumPy models
* :mod:`gru_edu.tasks.counting` – the aⁿbⁿ counting task (notebook 05)
* :mod:`gru_edu.claims`  – GRU vs LSTM on IMDB: learning curves, matched sizes,
  step timing, intervals (notebook 05)
* :mod:`gru_edu.tasks.segments` – a task where the reset gate matters (notebook 02)
* :mod:`gru_edu.imdb`    – IMDB sentiment, one module per stage: ``vocab``,
  ``archive``, ``cache``, ``dataset``, ``splits`` (the one protocol),
  ``features``, ``baseline``, ``models``, ``fitting``, ``training``,
  ``checkpoints``, ``bundle`` (``data``, ``splits``, ``baseline``, ``training`` and ``models`` are its old
  import paths)
* :mod:`gru_edu.gates`   – gate activations replayed from trained Keras models
  and checked against them: ``keras_plumbing``, ``replay``, ``text``,
  ``readout`` (sentiment so far, crossings, correlations), ``stats``,
  ``saturation``, ``connectivity`` (memory reach), ``pattern_search``
* :mod:`gru_edu.explorers` – the slider explorers, each with its figure:
  ``base``, ``cell_explorer``, ``memory_explorer``, ``gate_reviews``,
  ``gate_explorer``, ``gate_drawing``, ``gate_figures``, ``unit_words``,
  ``counting_explorer``, ``saturation_view``, ``pattern_explorer`` (``plots`` and ``widgets`` are
  their old import paths)
* :mod:`gru_edu.grading` – assignment checks, feedback, call detector, otter
  commands, autograders for containers (``checks``, ``guard``, ``assign`` are
  its old import paths)
* :mod:`gru_edu.imdb.distribute` – ``tf.distribute`` plans for ``train_classifier``
* :mod:`gru_edu.tools.hub`     – nbgitpuller links and the data baked into a hub image
* :mod:`gru_edu.tools.render`  – the collection executed to static HTML
* :mod:`gru_edu.config`  – run mode (full or fast/CI) and paths

TensorFlow is imported only by the modules that need it, so ``gru_edu.cell``
stays a pure-NumPy import.
"""

__version__ = "0.1.0"
