"""Notebook 04: the gates of a trained GRU, word by word.

:func:`gate_explorer` shows heatmaps of ``z``, ``r``, ``h̃`` and ``h`` over
the words of a real or typed review, a time-step slider, the sentiment so
far, which words the prediction depends on (the gradient row) and one unit
across the review. The figure (:mod:`.gate_drawing`) is built once and moved
in two layers: per review and per step.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any

import ipywidgets as W
import numpy as np

from .base import Explorer, canvas_png
from .gate_drawing import (  # noqa: F401 - re-exported: callers import them here
    GATE_CMAP,
    GATE_HEATMAPS,
    READOUT_CLASS,
    REVIEW_INFO_CLASS,
    STATE_CMAP,
    WORDS_CLASS,
    bar_values,
    draw_gate_explorer,
    gate_review_artists,
    gate_step_artists,
    update_gate_review,
    update_gate_step,
    update_gate_window,
)
from .gate_reviews import (
    GATE_SORTS,
    REVIEW_FILTERS,
    ReviewTrace,
    gate_window,
    trace_review,
    unit_order,
)


#: Width of the controls' descriptions.
_WIDE = {"description_width": "4em"}


class GateExplorer(Explorer):
    """The gates of a trained GRU on real or typed reviews; see
    :func:`gate_explorer`."""

    dpi = 72

    def __init__(self, trained: Any, texts: Sequence[str] | None = None,
                 labels: Sequence[int] | None = None,
                 x: np.ndarray | None = None,
                 predictions: Sequence[float] | None = None,
                 text: str | None = None, window: int | None = 48,
                 figsize: tuple[float, float] = (11.0, 11.0),
                 title: str = "") -> None:
        super().__init__()
        self.trained = trained
        self.window = window
        self._set_reviews(texts, labels, x, predictions)
        self._reviews: dict[tuple, ReviewTrace] = {}
        self._orders: dict[tuple, np.ndarray] = {}
        self._drawn: tuple | None = None
        self._pending_key: tuple | None = None
        self._change: Any = None
        self._background: Any = None
        self._chrome: Any = None
        self._busy = False
        self._level = "full"
        self.timings: list[tuple[str, float]] = []
        self.initial_text = text or ("this film was not good, but the actors "
                                     "were great")
        self._add_review_controls()
        self._filtered = np.arange(self.n_reviews)
        first = self._review()
        units = max(t.units for t in first.traces)
        self._add_step_controls(first, units)
        self.info = W.HTML().add_class(REVIEW_INFO_CLASS)
        self.readout = W.HTML().add_class(READOUT_CLASS)
        self.words_view = W.HTML(layout=W.Layout(
            max_height="6.5em", overflow_y="auto", border="1px solid #ddd",
            padding="2px 4px")).add_class(WORDS_CLASS)
        self.figure = self._figure_with_canvas(figsize)
        self.artists = draw_gate_explorer(self.figure, units, animated=not self.live)
        self._finish(self._control_box(), title or "Gate explorer: the update and reset "
                                                   "gates of the trained GRU, word by word")

    def _set_reviews(self, texts: Sequence[str] | None, labels: Sequence[int] | None,
                     x: np.ndarray | None, predictions: Sequence[float] | None) -> None:
        """The reviews to pick from, their labels and the model's predictions."""
        self.x = None if x is None else np.asarray(x)
        self.texts = None if texts is None else list(texts)
        sizes = {len(a) for a in (self.x, self.texts) if a is not None}
        if len(sizes) > 1:
            raise ValueError(f"texts and x differ in length: {sorted(sizes)}")
        self.n_reviews = sizes.pop() if sizes else 0
        self.labels = None if labels is None else np.asarray(labels).astype(int)
        if self.labels is not None and len(self.labels) != self.n_reviews:
            raise ValueError(f"{len(self.labels)} labels for "
                             f"{self.n_reviews} reviews")
        if predictions is None and self.labels is not None and self.n_reviews:
            ids = self.x if self.x is not None else self.trained.encode(self.texts)
            predictions = np.asarray(self.trained.model.predict(
                ids, batch_size=256, verbose=0)).reshape(-1)
        self.predictions = (None if predictions is None
                            else np.asarray(predictions, dtype=float))

    def _add_review_controls(self) -> None:
        """``source``, ``filter`` and ``review`` (with reviews given), ``text``."""
        c = self.controls
        if self.n_reviews:
            c["source"] = W.ToggleButtons(
                options=[("test review", "review"), ("typed text", "text")],
                value="review", description="show",
                style={"description_width": "4em", "button_width": "7em"})
            c["filter"] = W.Dropdown(
                options=list(REVIEW_FILTERS if self.labels is not None
                             else REVIEW_FILTERS[:1]),
                value="all", description="filter", style=_WIDE,
                layout=W.Layout(width="15em"))
            c["review"] = W.IntSlider(
                value=0, min=0, max=self.n_reviews - 1, description="review",
                continuous_update=False, style=_WIDE,
                layout=W.Layout(width="24em"))
        else:
            c["source"] = W.ToggleButtons(
                options=[("typed text", "text")], value="text",
                description="show", style=_WIDE)
        c["text"] = W.Text(value=self.initial_text, description="type",
                           continuous_update=False, style=_WIDE,
                           placeholder="type a review and press Enter",
                           layout=W.Layout(width="40em"))

    def _add_step_controls(self, first: ReviewTrace, units: int) -> None:
        """``step``, ``unit``, ``sort`` and, for several GRU layers, ``layer``."""
        c = self.controls
        c["step"] = W.IntSlider(value=0, min=0, max=first.length - 1,
                                description="step", continuous_update=True,
                                style=_WIDE, layout=W.Layout(width="36em"))
        c["unit"] = W.IntSlider(value=0, min=0, max=units - 1,
                                description="unit", continuous_update=True,
                                style=_WIDE, layout=W.Layout(width="22em"))
        c["sort"] = W.Dropdown(options=list(GATE_SORTS), value="unit",
                               description="sort units", style=_WIDE,
                               layout=W.Layout(width="20em"))
        if len(first.traces) > 1:
            c["layer"] = W.Dropdown(
                options=[(f"{t.layer_name} ({t.direction})", k)
                         for k, t in enumerate(first.traces)],
                value=0, description="layer", style=_WIDE)

    def _control_box(self) -> W.VBox:
        """The controls in rows, then the review info, the readout and the words."""
        c = self.controls
        rows = [W.HBox([c["source"], c["filter"], c["review"]]) if self.n_reviews
                else c["source"], c["text"]]
        second = [c["step"], c["unit"], c["sort"]]
        if "layer" in c:
            second.append(c["layer"])
        rows.append(W.HBox(second))
        return W.VBox(rows + [self.info, self.readout, self.words_view])

    #: traces kept per explorer, typed or from the data (oldest dropped
    #: first), so memory stays bounded however long a student browses
    max_cached_reviews = 64

    def _release(self) -> None:
        """Forget the traces, the compiled gate extraction and the model."""
        from gru_edu import gates

        self._reviews.clear()
        self._orders.clear()
        if self.trained is not None:
            gates.clear_cache(self.trained.model)
        self.trained = None

    def _remember(self, key: tuple, trace: ReviewTrace) -> ReviewTrace:
        self._reviews[key] = trace
        while len(self._reviews) > self.max_cached_reviews:
            old = next(iter(self._reviews))
            del self._reviews[old]
            for okey in [k for k in self._orders if k[0] == old]:
                del self._orders[okey]
        return trace

    # --- which review ---------------------------------------------------------
    def _review(self) -> ReviewTrace:
        """The current review's trace, computed once per review (cached)."""
        c = self.controls
        if c["source"].value == "text":
            text = c["text"].value
            key = ("text", text)
            if key not in self._reviews:
                self._remember(key, trace_review(self.trained, text=text,
                                                 key=key))
            return self._reviews[key]
        if not len(self._filtered):
            raise ValueError(
                f"no review matches the filter {c['filter'].value!r} "
                f"among the {self.n_reviews} reviews given: choose another")
        index = int(self._filtered[min(c["review"].value,
                                       len(self._filtered) - 1)])
        key = ("review", index)
        if key not in self._reviews:
            if self.x is not None:
                rt = trace_review(self.trained, ids=self.x[index], key=key)
            else:
                rt = trace_review(self.trained, text=self.texts[index], key=key)
            rt.index = index
            rt.label = None if self.labels is None else int(self.labels[index])
            self._remember(key, rt)
        return self._reviews[key]

    def filtered(self, key: str) -> np.ndarray:
        """Indices of the reviews that pass the filter ``key``."""
        idx = np.arange(self.n_reviews)
        if key == "all" or self.labels is None:
            return idx
        if key in ("positive", "negative"):
            return idx[self.labels == (key == "positive")]
        right = (self.predictions >= 0.5) == (self.labels == 1)
        if key == "correct":
            return idx[right]
        if key == "incorrect":
            return idx[~right]
        raise ValueError(f"unknown filter {key!r}")

    # --- machinery ------------------------------------------------------------
    def update(self, change: Any = None) -> None:
        """React to one control; nested control changes are absorbed."""
        if self._busy:
            return
        self._busy = True
        self._change = change
        start = time.perf_counter()
        try:
            super().update(change)
        finally:
            self._busy = False
            self._change = None
        if self.last_error is None:
            self.timings.append((self._level, time.perf_counter() - start))
            if len(self.timings) > 5000:
                del self.timings[:2500]

    def _sync(self, change: Any) -> None:
        """Source switching and slider ranges, before the new values are read."""
        c = self.controls
        owner = getattr(change, "owner", None) if change is not None else None
        if owner is None and isinstance(change, dict):
            owner = change.get("owner")
        if owner is c.get("text") and c["source"].value != "text":
            c["source"].value = "text"
        elif self.n_reviews and owner in (c["review"], c["filter"]):
            c["source"].value = "review"
        if self.n_reviews:
            self._filtered = self.filtered(c["filter"].value)
            if owner is c["filter"]:
                c["review"].value = 0
            c["review"].max = max(len(self._filtered) - 1, 0)
            c["review"].disabled = len(self._filtered) <= 1

    def compute(self) -> dict[str, Any]:
        from gru_edu.gates import sentiment_crossings

        c = self.controls
        self._sync(self._change)
        rt = self._review()
        layer = c["layer"].value if "layer" in c else 0
        tr = rt.traces[layer]
        n = rt.length
        if c["step"].max != n - 1:
            c["step"].max = n - 1
        if c["unit"].max != tr.units - 1:
            c["unit"].max = tr.units - 1
        step = min(int(c["step"].value), n - 1)
        unit = min(int(c["unit"].value), tr.units - 1)
        values = {g: tr.gate(g)[0] for g in ("z", "r", "h_tilde", "h")}
        sort = c["sort"].value
        okey = (rt.key, layer, sort)
        if okey not in self._orders:
            self._orders[okey] = unit_order(sort, values, rt.sentiment)
        order = self._orders[okey]
        row = int(np.flatnonzero(order == unit)[0])
        window = gate_window(step, n, self.window)
        s = rt.sentiment
        return {
            "review": rt, "trace": tr, "words": rt.words, "layer": layer,
            **values, "sentiment": s, "prediction": rt.prediction,
            "label": rt.label, "index": rt.index, "order": order,
            "step": step, "unit": unit, "row": row, "window": window,
            "word": rt.words[step],
            "crossings": (sentiment_crossings(s) if s is not None
                          else np.zeros(0, dtype=int)),
            "gate_vectors": {g: values[g][step] for g in values},
            "unit_series": {g: values[g][:, unit] for g in values},
            "sentiment_at_step": None if s is None else float(s[step]),
            "gradient": rt.gradient,
            "gradient_at_step": (None if rt.gradient is None
                                 else float(rt.gradient[step])),
            "view_key": (rt.key, layer, sort, window),
        }

    def draw(self, state: Mapping[str, Any]) -> None:
        art = self.artists
        full = state["view_key"] != self._drawn
        self._level = "full" if full else "step"
        self._pending_key = state["view_key"]
        if full:
            self._drawn = None
            rt = state["review"]
            update_gate_review(
                art, rt.words, state, state["order"], state["sentiment"],
                header=self._header(state),
                sentiment_title=self._sentiment_title(state),
                gradient=state["gradient"],
                gradient_title=self._gradient_title(state))
            update_gate_window(art, *state["window"])
        order, step = state["order"], state["step"]
        update_gate_step(
            art, step, state["row"], state["word"], state["unit"],
            {g: state[g][step, order] for g in ("z", "r", "h")},
            state["unit_series"], state["sentiment"])
        readout = self._readout(state)
        state["readout"] = readout  # type: ignore[index]
        self.readout.value = readout
        self.info.value = self._info(state)
        self.words_view.value = self._words_html(state)

    def _render(self) -> None:
        """Inline backend: three layers, blitted.

        1. the *chrome* — axes, colour bars, legends — rendered once;
        2. the *review layer* (:func:`gate_review_artists`: heatmaps,
           word labels, sentiment curve), drawn on a copy of the chrome when
           the review, sort, layer or page of words changed;
        3. the *step layer* (:func:`gate_step_artists`: highlights,
           gate-vector bars, unit lines), drawn on a copy of layers 1-2 after
           every move.

        Every image is composed the same way, so the same control values give
        the same pixels whatever moves led there. ipympl: ``draw_idle``.
        """
        if self.live:
            self.figure.canvas.draw_idle()
            self._drawn = self._pending_key
            return
        canvas, bbox = self.figure.canvas, self.figure.bbox
        review = gate_review_artists(self.artists)
        step = gate_step_artists(self.artists)
        if self._chrome is None:
            for artist in review + step:
                artist.set_visible(False)
            try:
                canvas.draw()
            finally:
                for artist in review + step:
                    artist.set_visible(True)
            self._chrome = canvas.copy_from_bbox(bbox)
        if self._level == "full" or self._background is None:
            canvas.restore_region(self._chrome)
            for artist in review:
                self.figure.draw_artist(artist)
            self._background = canvas.copy_from_bbox(bbox)
        else:
            canvas.restore_region(self._background)
        for artist in step:
            self.figure.draw_artist(artist)
        self.view.value = canvas_png(canvas)
        self._drawn = self._pending_key

    # --- text -----------------------------------------------------------------
    def _header(self, state: Mapping[str, Any]) -> str:
        rt = state["review"]
        where = (f"test review {rt.index}" if rt.index is not None
                 else "typed review")
        bits = [where, f"{rt.length} steps"]
        if rt.label is not None:
            bits.append(f"label {'positive' if rt.label else 'negative'}")
        if rt.prediction is not None:
            bits.append(f"model {rt.prediction:.2f}")
        tr = state["trace"]
        if len(rt.traces) > 1:
            bits.append(f"layer {tr.layer_name} ({tr.direction})")
        return " · ".join(bits)

    @staticmethod
    def _sentiment_title(state: Mapping[str, Any]) -> str:
        rt = state["review"]
        if state["sentiment"] is None:
            return "sentiment so far: not available for this model"
        cross = state["crossings"]
        flips = ", ".join(f"'{rt.words[t]}' ({t})" for t in cross[:4])
        more = f" +{len(cross) - 4}" if len(cross) > 4 else ""
        return ("sentiment so far: the output layer applied to every h_t"
                f" — final {rt.prediction:.2f}; flips at: "
                f"{flips or 'none'}{more}")

    @staticmethod
    def _gradient_title(state: Mapping[str, Any]) -> str:
        rt = state["review"]
        g = state["gradient"]
        if g is None:
            return rt.gradient_note or "gradient row: not available"
        top = np.argsort(-g, kind="stable")[:3]
        words = ", ".join(f"'{rt.words[t]}' ({t})" for t in top)
        return ("|d logit / d word vector|: the words the prediction depends "
                f"on — largest at {words}")

    @staticmethod
    def _readout(state: Mapping[str, Any]) -> str:
        v = state["gate_vectors"]
        u = state["unit"]
        word = html.escape(state["word"])
        parts = [
            f"step <b>{state['step']}</b> · word <b>'{word}'</b> ·",
            f"unit <b>{u}</b>:",
        ]
        for g, name in (("z", "z"), ("r", "r"), ("h_tilde", "h_tilde"),
                        ("h", "h")):
            parts.append(f'<span class="gru-edu-{g.replace("_", "-")}">'
                         f"{name}={v[g][u]:.4f}</span>")
        if state["sentiment_at_step"] is not None:
            parts.append('· <span class="gru-edu-sentiment">sentiment so '
                         f"far={state['sentiment_at_step']:.4f}</span>")
        if state["gradient_at_step"] is not None:
            parts.append('· <span class="gru-edu-gradient">|d logit/d v|='
                         f"{state['gradient_at_step']:.4f}</span>")
        return " ".join(parts)

    def readout_text(self) -> str:
        """The readout line as plain text (what the learner reads)."""
        return html.unescape(re.sub(r"<[^>]+>", "", self.readout.value))

    def _info(self, state: Mapping[str, Any]) -> str:
        rt = state["review"]
        c = self.controls
        if rt.index is None:
            where = "typed review"
        else:
            where = (f"test review #{rt.index} ({c['review'].value + 1} of "
                     f"{len(self._filtered)}, filter: {c['filter'].value})")
        bits = [where, f"{rt.length} steps"]
        if rt.label is not None:
            bits.append(f"label: {'positive' if rt.label else 'negative'}")
        if rt.prediction is not None:
            verdict = "positive" if rt.prediction >= 0.5 else "negative"
            bits.append(f"model: {rt.prediction:.3f} ({verdict})")
            if rt.label is not None:
                right = (rt.prediction >= 0.5) == bool(rt.label)
                bits.append("right" if right else "<b>wrong</b>")
        text = " · ".join(bits)
        notes = [n for n in (rt.note, rt.sentiment_note) if n]
        if notes:
            text += "<br><i>" + html.escape("; ".join(notes)) + "</i>"
        return text

    @staticmethod
    def _words_html(state: Mapping[str, Any]) -> str:
        s = state["sentiment"]
        step = state["step"]
        out = []
        for t, w in enumerate(state["words"]):
            style = ""
            if s is not None:
                d = float(s[t]) - 0.5
                colour = "44,160,44" if d >= 0 else "214,39,40"
                style = f"background:rgba({colour},{min(abs(d) * 1.4, 0.7):.2f});"
            if t == step:
                style += "outline:2px solid #e377c2;font-weight:bold;"
            out.append(f'<span title="step {t}" style="{style}">'
                       f"{html.escape(w)}</span>")
        return ('<span style="font-size:85%">words as the model read them, '
                "coloured by the sentiment so far (green positive, red "
                "negative):</span><br>" + " ".join(out))

    def __repr__(self) -> str:
        s = self.state
        if not s:
            return "GateExplorer(no review shown)"
        return (f"GateExplorer({s['review'].length} steps, step={s['step']}, "
                f"unit={s['unit']}, sort={self.controls['sort'].value!r})")


def gate_explorer(trained: Any, texts: Sequence[str] | None = None,
                  labels: Sequence[int] | None = None,
                  x: np.ndarray | None = None,
                  predictions: Sequence[float] | None = None,
                  text: str | None = None, window: int | None = 48,
                  figsize: tuple[float, float] = (11.0, 11.0)) -> GateExplorer:
    """Explore the gates of a trained GRU on real and typed reviews.

    Args:
        trained: a :class:`gru_edu.imdb.TrainedModel` (``.model``,
            ``.vocab``, ``.maxlen``, ``.padding``, ``.encode``).
        texts: raw review texts to pick from, traced as typed text.
        labels: their labels (1 positive): enables the label filters and,
            with the model's predictions, "predicted right / wrong".
        x: the same reviews as padded word ids (``load_imdb``'s ``x_test``);
            when given, these exact model inputs are traced. ``texts`` may
            then be left out.
        predictions: the model's outputs for the reviews (default: computed
            once here with ``model.predict``).
        text: the review in the "type" box at the start.
        window: words shown at once in the heatmaps (None: all).

    Controls (``explorer.controls``): ``source`` (``"review"`` or
    ``"text"``), ``filter`` (``all``, ``positive``, ``negative``,
    ``correct``, ``incorrect``), ``review`` (position among the filtered
    reviews), ``text`` (typing switches to it), ``step`` (the word), ``unit``,
    ``sort`` (heatmap row order, :data:`GATE_SORTS`) and ``layer`` (only for
    a model with several GRU layers or directions).

    Every number shown comes from :func:`gru_edu.gates.trace` (or
    :func:`~gru_edu.gates.trace_text`), which replays the layer with
    :mod:`gru_edu.cell` and checks itself against Keras; the sentiment row is
    :func:`gru_edu.gates.sentiment_so_far`; the gradient row under the
    words is :func:`gru_edu.gates.connectivity.gradient_connectivity`
    (``|d logit / d v_t|``, state ``gradient``). A review is traced once and
    cached: the step and unit sliders only move artists. ``explorer.state``
    holds what is plotted (``z``, ``r``, ``h_tilde``, ``h`` as ``(steps,
    units)``, ``sentiment``, ``order``, ``step``, ``unit``, ``window``,
    ``readout``...). The readout line has the CSS class
    :data:`READOUT_CLASS` and reads ``step T · word 'W' · unit U: z=...
    r=... h_tilde=... h=... · sentiment so far=... · |d logit/d v|=...``
    (4 decimals).
    """
    return GateExplorer(trained, texts=texts, labels=labels, x=x,
                        predictions=predictions, text=text, window=window,
                        figsize=figsize)
