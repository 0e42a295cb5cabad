"""Notebook 04: the reviews the gate explorer shows, traced.

:func:`trace_review` replays a trained GRU on one review with
:mod:`gru_edu.gates` (:class:`ReviewTrace`); :func:`gate_window` picks the
steps on screen; :data:`GATE_SORTS` and :data:`REVIEW_FILTERS` are the
explorer's menus.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ..imdb.bundle import TrainedModel


#: What the gate explorer's sort menu offers: label -> key.
GATE_SORTS = (
    ("unit number", "unit"),
    ("mean z, lowest first", "z"),
    ("mean r, lowest first", "r"),
    ("mean h, lowest first", "h"),
    ("corr(h, sentiment), highest first", "corr"),
)

#: What the review filter offers: label -> key.
REVIEW_FILTERS = (
    ("all reviews", "all"),
    ("label: positive", "positive"),
    ("label: negative", "negative"),
    ("predicted right", "correct"),
    ("predicted wrong", "incorrect"),
)


def gate_window(step: int, length: int, window: int | None) -> tuple[int, int]:
    """The steps ``(lo, hi)`` the heatmaps show when ``step`` is selected.

    A pure function of the step, so the same slider values always show the
    same picture. The view moves in pages of ``window // 2`` steps and the
    selected step always lies in the middle half of it (except near the
    ends of the review); ``window=None`` or a short review shows everything.
    """
    if window is None or length <= window:
        return 0, length
    half = max(1, window // 2)
    lo = (step // half) * half - (window - half) // 2
    lo = min(max(lo, 0), length - window)
    return lo, lo + window


def unit_order(key: str, values: Mapping[str, np.ndarray],
               sentiment: np.ndarray | None) -> np.ndarray:
    """Heatmap row order of the units for the sort ``key`` of :data:`GATE_SORTS`."""
    units = values["z"].shape[1]
    if key == "unit":
        return np.arange(units)
    if key in ("z", "r", "h"):
        return np.argsort(values[key].mean(axis=0), kind="stable")
    if key == "corr":
        from gru_edu.gates import unit_sentiment_correlation

        return np.argsort(-unit_sentiment_correlation(values["h"], sentiment),
                          kind="stable")
    raise ValueError(f"unknown sort {key!r}: one of "
                     f"{[k for _, k in GATE_SORTS]}")


@dataclass
class ReviewTrace:
    """Everything the gate explorer shows for one review (review steps only).

    ``traces`` are :func:`gru_edu.gates.trace`'s traces cropped to the
    steps that hold the review (padding excluded); ``words[t]`` is what the
    model read at step ``t``; ``sentiment`` is
    :func:`gru_edu.gates.sentiment_so_far` on the same steps (None, with
    ``sentiment_note``, for a model it cannot explain); ``gradient`` is
    ``|d logit / d v_t|`` at each step, the word vectors' gradient norms
    (:func:`gru_edu.gates.connectivity.gradient_connectivity`; None, with
    ``gradient_note``, where it cannot be taken).
    """

    key: tuple
    words: list[str]
    traces: list[Any]
    sentiment: np.ndarray | None
    prediction: float | None
    label: int | None = None
    index: int | None = None
    note: str = ""
    sentiment_note: str = ""
    text_trace: Any = None
    gradient: np.ndarray | None = None
    gradient_note: str = ""

    @property
    def length(self) -> int:
        return len(self.words)


def trace_review(trained: TrainedModel, *, ids: np.ndarray | None = None,
                 text: str | None = None, key: tuple = (),
                 gradient: bool = True) -> ReviewTrace:
    """Trace one review given as model input ``ids`` or typed ``text``.

    ``ids`` (one padded row of word ids, as :func:`gru_edu.imdb.load_imdb`
    returns) go to :func:`gru_edu.gates.trace` as they are; ``text`` goes
    through :func:`gru_edu.gates.trace_text` (encoded, truncated and padded
    as the training reviews were; a truncation is reported in ``note``).
    ``gradient=False`` leaves the gradient row out.
    """
    from gru_edu import gates

    model = trained.model
    text_trace = None
    note = ""
    if text is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", gates.TruncationWarning)
            text_trace = gates.trace_text(trained, text)
        traces = text_trace.traces
        review = text_trace.review
        words = list(text_trace.review_words)
        note = text_trace.note
    else:
        ids = np.asarray(ids)
        real = np.flatnonzero(ids != gates.PAD)
        if real.size == 0:
            raise gates.EmptyReviewError("this review has no word (all padding)")
        review = slice(int(real[0]), int(real[-1]) + 1)
        traces = gates.trace(model, ids[None])
        words = [trained.vocab.id_to_word(int(i)) for i in ids[review]]
    cropped = [t.crop(review) for t in traces]
    sentiment, why = None, ""
    try:
        sentiment = gates.sentiment_so_far(model, traces)[0, review, 0]
    except gates.GatesError as exc:
        why = f"sentiment so far not shown: {exc}"
    if text_trace is not None and np.ndim(text_trace.prediction) == 0:
        prediction = float(text_trace.prediction)
    elif sentiment is not None:
        prediction = float(sentiment[-1])
    else:
        row = text_trace.ids if text_trace is not None else ids
        out = np.asarray(model(np.asarray(row)[None], training=False))
        prediction = float(out.reshape(-1)[0]) if out.size == 1 else None
    grad, grad_why = None, "gradient row not asked for"
    if gradient:
        grad, grad_why = _gradient_row(
            model, text_trace.ids if text_trace is not None else ids, review)
    return ReviewTrace(key, words, cropped, sentiment, prediction, note=note,
                       sentiment_note=why, text_trace=text_trace,
                       gradient=grad, gradient_note=grad_why)


def _gradient_row(model: Any, ids: Any, review: slice) -> tuple:
    """``(|d logit / d v_t| over the review's steps, "")``, or ``(None, why)``."""
    from gru_edu import gates
    from gru_edu.gates.connectivity import gradient_connectivity

    try:
        con = gradient_connectivity(model, np.asarray(ids)[None])
    except (gates.GatesError, TypeError) as exc:
        return None, f"gradient row not shown: {exc}"
    return con.norm[0, review].astype(float), ""
