"""gru-edu: the helper package behind the GRU teaching notebooks.

Its rooms: ``cell`` (the NumPy cells), ``tasks``, ``imdb``, ``gates``,
``explorers``, ``claims``, ``grading``, ``tools``, and ``config`` for settings.
The map, a line per module: ``docs/architecture.md``. TensorFlow is imported
only by the modules that need it, so ``gru_edu.cell`` stays a NumPy-only import.
"""

__version__ = "0.1.0"
