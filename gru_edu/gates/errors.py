"""The errors of :mod:`gru_edu.gates`: each says what to do.

Every error is a :class:`GatesError`, a ``ValueError``.
"""


class GatesError(ValueError):
    """A model or review this module cannot explain; the message says why."""


class NoGRULayerError(GatesError):
    """The model has no GRU layer (it may have other recurrent layers)."""


class UnsupportedModelError(GatesError):
    """A GRU set-up the replay does not cover (stateful, nested model, ...)."""


class EmptyReviewError(GatesError):
    """There is no word to read."""


class UnknownWordsError(GatesError):
    """Every word of the review is unknown to the model's vocabulary."""


class ReplayError(GatesError):
    """The NumPy replay does not reproduce the layer's own output."""


class TruncationWarning(UserWarning):
    """A review was longer than the model reads; the rest was dropped."""
