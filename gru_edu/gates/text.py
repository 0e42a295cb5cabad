"""The gates of a typed review, with the word read at every step.

:func:`trace_text` encodes a review with the model's vocabulary, replays
it (:func:`gru_edu.gates.replay.trace`) and returns a :class:`TextTrace`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from .errors import EmptyReviewError, TruncationWarning, UnknownWordsError
from .keras_plumbing import keras_model
from ..imdb.vocab import OOV, PAD, START
from .replay import TOLERANCE, GateTrace, trace_and_predict

if TYPE_CHECKING:
    from ..imdb.bundle import TrainedModel


@dataclass(repr=False)
class TextTrace:
    """The gates of a typed review, with the word read at each time step.

    The review is padded (and, if too long, truncated) exactly as the model's
    training data were, so ``ids`` is the model's real input, ``(maxlen,)``.
    ``words[t]`` is what the model read at step ``t`` (a vocabulary word,
    ``<start>``, ``<unk>`` or ``<pad>``); ``typed[t]`` is the word as typed.
    ``review`` is the slice of steps that hold the review (padding excluded);
    ``review_traces`` crops every trace to it.
    """

    text: str
    ids: np.ndarray
    words: list[str]
    typed: list[str]
    traces: list[GateTrace]
    review: slice
    prediction: Any  # the model's output for this review (float if one number)
    truncated: bool = False
    note: str = ""

    @property
    def trace(self) -> GateTrace:
        """The first trace (the first GRU layer, forward direction)."""
        return self.traces[0]

    @property
    def review_traces(self) -> list[GateTrace]:
        return [t.crop(self.review) for t in self.traces]

    @property
    def review_words(self) -> list[str]:
        return self.words[self.review]

    def __repr__(self) -> str:
        n = self.review.stop - self.review.start
        extra = f", truncated ({self.note})" if self.truncated else ""
        return (
            f"TextTrace({n} tokens, prediction={self.prediction!r}, "
            f"{len(self.traces)} traces{extra})"
        )


def word_of(vocab: Any, i: int) -> Any:
    """The word of id ``i`` by ``vocab`` (anything with ``decode``; ``"<pad>"``
    for padding), or the id itself when there is no vocabulary."""
    if vocab is None:
        return int(i)
    words = vocab.decode([int(i)]) if int(i) != PAD else ["<pad>"]
    return words[0] if words else str(int(i))


def _decode_each(vocab: Any, ids: Sequence[int]) -> list[str]:
    real = [i for i in ids if i != PAD]
    words = list(vocab.decode(real))
    if len(words) != len(real):  # a decode that drops markers: one at a time
        words = [word_of(vocab, i) for i in real]
    it = iter(words)
    return ["<pad>" if i == PAD else next(it) for i in ids]


def trace_text(trained: TrainedModel, text: str, *, tolerance: float = TOLERANCE) -> TextTrace:
    """Trace the gates while the model reads a typed review.

    The review is encoded, truncated and padded by
    :meth:`TrainedModel.encode_review`, exactly as the training reviews were.

    A review longer than ``maxlen`` is truncated with a
    :class:`TruncationWarning`, and the result says so (``.truncated``,
    ``.note``). An empty review raises :class:`EmptyReviewError`; one made only
    of words the vocabulary does not know raises :class:`UnknownWordsError`.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    model = keras_model(trained)
    vocab = trained.vocab
    ids = [int(i) for i in vocab.encode(text)]
    words_only = [i for i in ids if i not in (PAD, START)]
    if not text.strip() or not words_only:
        raise EmptyReviewError(
            "the review is empty: there is no word for the model to read. "
            "Type a sentence, e.g. 'a wonderful film with a moving story'."
        )
    if all(i == OOV for i in words_only):
        raise UnknownWordsError(
            f"none of the {len(words_only)} word(s) of this review is in the "
            f"model's vocabulary ({len(vocab)} words), so the model would read "
            "only the unknown-word marker <unk>. Try common English words."
        )
    encoded = trained.encode_review(text)
    note = ""
    if encoded.dropped:
        where = "first" if trained.truncating == "pre" else "last"
        note = (
            f"the review has {len(ids)} tokens (start marker included) but the "
            f"model reads at most {trained.maxlen}: the {where} {encoded.dropped} "
            f"were dropped (truncating={trained.truncating!r}, as for the "
            "training reviews)"
        )
        warnings.warn(note, TruncationWarning, stacklevel=2)
    arr = encoded.ids.astype(np.int64)
    traces, outputs = trace_and_predict(model, arr[None], tolerance)
    pred = np.asarray(outputs[0])[0] if outputs else None
    if pred is not None and pred.size == 1:
        pred = float(pred.reshape(-1)[0])
    return TextTrace(
        text=text,
        ids=arr,
        words=_decode_each(vocab, arr),
        typed=encoded.typed,
        traces=traces,
        review=encoded.review,
        prediction=pred,
        truncated=bool(encoded.dropped),
        note=note,
    )
