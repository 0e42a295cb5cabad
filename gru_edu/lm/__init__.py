"""A GRU language model of review text: what a GRU learns without labels
(notebook 07; a line per module in ``docs/architecture.md``).

``corpus``, ``ngram`` and ``sampling`` import NumPy only; the others import
Keras: import them by name, e.g. ``from gru_edu.lm.bundle import
load_language_model``.
"""

__all__ = ["corpus", "ngram", "model", "bundle", "pretrain", "cli", "sampling",
           "gate_words", "probe", "finetune"]
