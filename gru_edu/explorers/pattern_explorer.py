"""Notebook 06: select and match (LSTMVis, Strobelt et al. 2018), as a widget.

:func:`select_match_explorer` shows one cached test review. The learner
selects a span of its words (the ``span`` range slider) and a threshold;
the units whose state (or gate) is on across the span and off just outside
it are found (:func:`gru_edu.gates.pattern_search.select_units`), and every
span of the cached test set where those units show the same on/off pattern
is listed with its words (:func:`~gru_edu.gates.pattern_search.find_matches`).
A small figure draws the selected units across the review.
"""

from __future__ import annotations

import html
import time
from collections.abc import Mapping
from typing import Any

import ipywidgets as W
import numpy as np

from .base import Explorer, new_figure

#: CSS classes of the widget's text parts (stable: browser tests read them).
SELECTION_CLASS = "gru-edu-selection"
MATCHES_CLASS = "gru-edu-matches"


def _words(vocab: Any, ids: np.ndarray) -> list[str]:
    return [vocab.id_to_word(int(i)) for i in ids]


def match_words(cache: Any, vocab: Any, match: Any,
                context: int = 4) -> tuple[str, str, str]:
    """``(before, span, after)`` words of a match, ``context`` words around."""
    ids = cache.review_ids(match.row)
    lo = max(0, match.start - context)
    hi = min(len(ids), match.end + 1 + context)
    w = _words(vocab, ids[lo:hi])
    a, b = match.start - lo, match.end + 1 - lo
    return " ".join(w[:a]), " ".join(w[a:b]), " ".join(w[b:])


class SelectMatchExplorer(Explorer):
    """Select a span, find its units, match them over the cache; see
    :func:`select_match_explorer`."""

    def __init__(self, cache: Any, vocab: Any, review: int = 0,
                 span: tuple[int, int] = (1, 2), threshold: float = 0.5,
                 signal: str = "h", show: int = 25,
                 figsize: tuple[float, float] = (9.5, 2.6)) -> None:
        super().__init__()
        self.cache, self.vocab, self.show = cache, vocab, show
        wide = {"description_width": "5em"}
        c = self.controls
        c["review"] = W.IntSlider(
            value=review, min=0, max=cache.n_reviews - 1, description="review",
            continuous_update=False, style=wide, layout=W.Layout(width="30em"))
        n = self._length(review)
        lo, hi = min(span[0], n - 1), min(span[1], n - 1)
        c["span"] = W.IntRangeSlider(
            value=(lo, hi), min=0, max=n - 1, description="span (words)",
            continuous_update=False, style=wide, layout=W.Layout(width="40em"))
        c["threshold"] = W.FloatSlider(
            value=threshold, min=-0.9 if signal == "h" else 0.05, max=0.95,
            step=0.05, description="threshold", continuous_update=False,
            style=wide, readout_format=".2f", layout=W.Layout(width="22em"))
        c["signal"] = W.ToggleButtons(
            options=[(s, s) for s in cache.data], value=signal,
            description="signal", style={"description_width": "5em",
                                         "button_width": "3em"})
        c["slack"] = W.IntSlider(value=1, min=0, max=5, description="length ±",
                                 continuous_update=False, style=wide,
                                 layout=W.Layout(width="18em"))
        self.selection = W.HTML().add_class(SELECTION_CLASS)
        self.matches_view = W.HTML(layout=W.Layout(
            max_height="16em", overflow_y="auto", border="1px solid #ddd",
            padding="2px 4px")).add_class(MATCHES_CLASS)
        self.figure = new_figure(figsize, dpi=self.dpi)
        self._ax = self.figure.add_axes((0.07, 0.2, 0.9, 0.66))
        box = W.VBox([W.HBox([c["review"], c["signal"]]), c["span"],
                      W.HBox([c["threshold"], c["slack"]]), self.selection,
                      self.matches_view])
        self._finish(box, "Select and match (LSTMVis): select words, find "
                          "the units on across them, find the same pattern "
                          "in every test review")

    def _length(self, review: int) -> int:
        return int(self.cache.offsets[review + 1] - self.cache.offsets[review])

    def compute(self) -> dict[str, Any]:
        from gru_edu.gates.pattern_search import find_matches, select_units

        c = self.controls
        review = int(c["review"].value)
        n = self._length(review)
        if c["span"].max != n - 1:  # a new review: keep the span inside it
            lo, hi = c["span"].value
            c["span"].max = n - 1
            c["span"].value = (min(lo, n - 1), min(hi, n - 1))
        lo, hi = (min(int(v), n - 1) for v in c["span"].value)
        signal, threshold = c["signal"].value, float(c["threshold"].value)
        values = self.cache.values(signal, review)
        units = select_units(values, lo, hi, threshold)
        matches, seconds = None, 0.0
        if len(units):
            t = time.perf_counter()
            matches = find_matches(self.cache, units, threshold, hi - lo + 1,
                                   signal=signal, slack=int(c["slack"].value))
            seconds = time.perf_counter() - t
        ids = self.cache.review_ids(review)
        return {"review": review, "index": int(self.cache.reviews[review]),
                "span": (lo, hi), "signal": signal, "threshold": threshold,
                "units": units, "matches": matches, "seconds": seconds,
                "n_matches": 0 if matches is None else len(matches),
                "values": values, "words": _words(self.vocab, ids),
                "span_words": _words(self.vocab, ids[lo:hi + 1])}

    def draw(self, state: Mapping[str, Any]) -> None:
        ax = self._ax
        ax.clear()
        lo, hi = state["span"]
        values, units = state["values"], state["units"]
        ax.axvspan(lo - 0.5, hi + 0.5, color="#e377c2", alpha=0.25, linewidth=0)
        ax.axhline(state["threshold"], color="black", linestyle="--",
                   linewidth=0.8)
        for u in units[:12]:
            ax.plot(values[:, u], linewidth=1.0, label=f"unit {u}")
        ax.set_xlim(-0.5, len(values) - 0.5)
        ax.set_ylim(-1.05 if state["signal"] == "h" else -0.05, 1.05)
        ax.set_xlabel("step (word position)", fontsize=10)
        ax.set_ylabel(state["signal"], fontsize=10)
        ax.tick_params(labelsize=10)
        ax.set_title(f"the selected units' {state['signal']} across test review "
                     f"{state['index']} (span shaded, threshold dashed)",
                     fontsize=10, loc="left")
        if len(units):
            ax.legend(fontsize=10, ncol=6, loc="lower left", frameon=False)
        self.selection.value = self._selection_html(state)
        self.matches_view.value = self._matches_html(state)

    @staticmethod
    def _selection_html(state: Mapping[str, Any]) -> str:
        lo, hi = state["span"]
        words = html.escape(" ".join(state["span_words"]))
        units = state["units"]
        head = (f"selected words {lo}–{hi}: <b>'{words}'</b> · "
                f"{state['signal']} ≥ {state['threshold']:.2f} · ")
        if not len(units):
            return head + ("<b>no unit</b> is on across the span and off just "
                           "outside it: widen or move the span, or lower the "
                           "threshold")
        return head + (f"<b>{len(units)} units</b> on across it and off just "
                       f"outside: {', '.join(str(int(u)) for u in units)}")

    def _matches_html(self, state: Mapping[str, Any]) -> str:
        matches = state["matches"]
        if not len(state["units"]):
            return ""
        reviews = len(np.unique(matches.rows))
        out = [f"<b>{len(matches)} matches</b> in {reviews} of "
               f"{self.cache.n_reviews:,} reviews (search "
               f"{state['seconds'] * 1e3:.0f} ms); the first {self.show}:"]
        for m in matches[:self.show]:
            before, span, after = match_words(self.cache, self.vocab, m)
            out.append(f"review {m.review}, words {m.start}–{m.end}: "
                       f"{html.escape(before)} <b>[{html.escape(span)}]</b> "
                       f"{html.escape(after)}")
        return "<br>".join(out)


def select_match_explorer(cache: Any, vocab: Any, review: int = 0,
                          span: tuple[int, int] = (1, 2),
                          threshold: float = 0.5,
                          signal: str = "h") -> SelectMatchExplorer:
    """Select and match over a :class:`gru_edu.gates.pattern_search.StateCache`.

    Controls: ``review`` (a cached review), ``span`` (the selected words,
    inclusive), ``threshold``, ``signal`` (``h`` or a cached gate) and
    ``length ±`` (how much longer or shorter a matching span may be).
    ``explorer.state`` holds ``units`` (the selected units), ``matches``
    (:class:`~gru_edu.gates.pattern_search.Matches`, review order; None when
    no unit is selected), ``n_matches`` and ``seconds`` (the search time).
    ``vocab`` turns word ids into words.
    """
    return SelectMatchExplorer(cache, vocab, review=review, span=span,
                               threshold=threshold, signal=signal)
