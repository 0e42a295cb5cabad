"""Notebook 04: the gates of a trained GRU, word by word.

:func:`gate_explorer` shows heatmaps of ``z``, ``r``, ``h̃`` and ``h`` over
the words of a real or typed review, a time-step slider, the sentiment so
far and one unit across the review. The figure is built once
(:func:`draw_gate_explorer`) and moved in two layers: per review
(:func:`update_gate_review`) and per step (:func:`update_gate_step`).
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any

import ipywidgets as W
import numpy as np
from matplotlib import patches
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .base import GATE_COLOURS, Explorer, LabelRow, _canvas_png, new_figure
from .gate_reviews import (
    GATE_SORTS,
    REVIEW_FILTERS,
    ReviewTrace,
    _unit_order,
    gate_window,
    trace_review,
)


#: Colour maps of the gate explorer: gates lie in [0, 1], states in [-1, 1].
GATE_CMAP = "viridis"
STATE_CMAP = "RdBu_r"

#: The heatmaps of the gate explorer: key, title, colour-bar label, range.
GATE_HEATMAPS = (
    ("z", r"update gate $z$ (units $\times$ words)",
     "$z$: 1 keep $h_{t-1}$\n0 write $\\tilde h_t$", (0.0, 1.0)),
    ("r", r"reset gate $r$ (units $\times$ words)",
     "$r$: 1 read $h_{t-1}$\n0 ignore $h_{t-1}$", (0.0, 1.0)),
    ("h", r"state $h_t$ (units $\times$ words)", "$h_t$", (-1.0, 1.0)),
)


#: CSS classes of the explorer's text readouts (stable: browser tests use them).
READOUT_CLASS = "gru-edu-readout"
REVIEW_INFO_CLASS = "gru-edu-review-info"
WORDS_CLASS = "gru-edu-words"


def draw_gate_explorer(fig: Figure, units: int,
                       animated: bool = False) -> dict[str, Any]:
    """Build the artists of the gate explorer once; return them by name.

    Rows, sharing the word axis: heatmaps of ``z``, ``r`` and ``h`` (units
    × words, rows in a chosen unit order) with a colour bar and, on the
    right, the gate vector at the selected step as bars; then the sentiment
    so far (the model's output read after every word) with the words under
    it; then, over the whole review, ``z``, ``r`` and ``h`` of one unit.

    The artists that move with the step and unit sliders are built with
    ``animated=animated``: an explorer on the inline backend renders the
    figure without them once, keeps that image, and draws only them on top
    of it after a slider move (blitting). See :func:`gate_step_artists`.
    """
    widths = [8, 0.16, 0.62, 1.6]  # heatmap, colour bar, gap, bars
    top = fig.add_gridspec(
        4, 4, height_ratios=[2, 2, 2, 1.15], width_ratios=widths,
        left=0.07, right=0.985, top=0.935, bottom=0.345, hspace=0.42,
        wspace=0.04,
    )
    bottom = fig.add_gridspec(1, 4, width_ratios=widths, left=0.07,
                              right=0.985, top=0.2, bottom=0.055, wspace=0.04)
    heat: dict[str, Any] = {}
    images: dict[str, Any] = {}
    cbars: dict[str, Any] = {}
    bar_axes: dict[str, Any] = {}
    bars: dict[str, Any] = {}
    bar_titles: dict[str, Any] = {}
    step_boxes: list[Any] = []
    unit_boxes: dict[str, Any] = {}
    unit_labels: dict[str, LabelRow] = {}
    for row, (key, title, label, (lo, hi)) in enumerate(GATE_HEATMAPS):
        # no shared x axis: the word ticks live on the sentiment row only
        ax = fig.add_subplot(top[row, 0])
        cmap = STATE_CMAP if key == "h" else GATE_CMAP
        images[key] = ax.imshow(np.zeros((units, 1)), aspect="auto",
                                interpolation="nearest", cmap=cmap,
                                vmin=lo, vmax=hi)
        ax.set_title(title, fontsize=9, loc="left", pad=3)
        # unit numbers and words are plain texts, not tick labels (below)
        ax.set_ylabel("unit", fontsize=8, labelpad=13)
        ax.set_xticks([])
        ax.set_yticks([])
        unit_labels[key] = LabelRow(ax, ax.get_yaxis_transform(), 7,
                                    ha="right", va="center")
        cax = fig.add_subplot(top[row, 1])
        cbars[key] = fig.colorbar(images[key], cax=cax)
        cbars[key].ax.tick_params(labelsize=7)
        cbars[key].set_label(label, fontsize=7.5, labelpad=2)
        bax = fig.add_subplot(top[row, 3])
        bars[key] = _hbars(bax, units, GATE_COLOURS[key], animated)
        bax.set_xlim(lo, hi)
        bax.set_ylim(units - 0.5, -0.5)
        bax.set_yticks([])
        bax.tick_params(labelsize=7, length=2)
        if lo < 0:
            bax.axvline(0.0, color="black", linewidth=0.6)
        bax.grid(axis="x", alpha=0.3)
        bar_titles[key] = bax.set_title(f"{key} at the step", fontsize=8,
                                        loc="left", pad=3)
        box = patches.Rectangle((-0.5, 0.0), 1.0, 1.0,
                                transform=ax.get_xaxis_transform(),
                                fill=False, edgecolor="#e377c2",
                                linewidth=1.6, animated=animated, zorder=5)
        ax.add_patch(box)
        step_boxes.append(box)
        ubox = patches.Rectangle((0.0, -0.5), 1.0, 1.0,
                                 transform=ax.get_yaxis_transform(),
                                 fill=False, edgecolor="white",
                                 linestyle="--", linewidth=1.0,
                                 animated=animated, zorder=5)
        ax.add_patch(ubox)
        unit_boxes[key] = ubox
        heat[key] = ax
        bar_axes[key] = bax

    ax_s = fig.add_subplot(top[3, 0])
    (sent_line,) = ax_s.plot([], [], "-", color="black", linewidth=1.4,
                             label="P(positive) after word $t$")
    ax_s.axhline(0.5, color="0.5", linestyle="--", linewidth=0.8)
    (crossings,) = ax_s.plot([], [], "v", color="#9467bd", markersize=7,
                             label="prediction flips here")
    (sent_dot,) = ax_s.plot([], [], "o", color="#e377c2", markersize=6,
                            markeredgecolor="black", animated=animated,
                            zorder=6)
    ax_s.set_ylim(-0.02, 1.02)
    ax_s.set_yticks([0, 0.5, 1])
    ax_s.set_ylabel("P(pos.)", fontsize=8, labelpad=1)
    ax_s.set_xticks([])
    ax_s.tick_params(axis="y", labelsize=7, length=2)
    ax_s.grid(axis="y", alpha=0.3)
    sent_title = ax_s.text(0.0, 1.04, "", fontsize=9, ha="left",
                           va="bottom", transform=ax_s.transAxes)
    # the step box of the sentiment row reaches down over the word labels
    _, height = fig.get_size_inches()
    axes_h = ax_s.get_position().height * height
    word_depth = 0.95 / max(axes_h, 1e-3)
    word_box = patches.Rectangle(
        (-0.5, -word_depth), 1.0, 1.0 + word_depth,
        transform=ax_s.get_xaxis_transform(), clip_on=False,
        facecolor="#e377c2", alpha=0.22, edgecolor="#e377c2",
        linewidth=1.2, animated=animated, zorder=0,
    )
    ax_s.add_patch(word_box)
    step_boxes.append(word_box)
    legend_ax = fig.add_subplot(top[3, 3])
    legend_ax.axis("off")
    legend_ax.legend(*ax_s.get_legend_handles_labels(), loc="center left",
                     fontsize=7, frameon=False, borderaxespad=0.0)

    ax_u = fig.add_subplot(bottom[0, 0])
    unit_lines = {}
    for key, label in (("z", "$z_t$"), ("r", "$r_t$"), ("h", "$h_t$")):
        (unit_lines[key],) = ax_u.plot([], [], "-", color=GATE_COLOURS[key],
                                       linewidth=1.2, label=label,
                                       animated=animated)
    window_span = ax_u.axvspan(0, 1, color="0.6", alpha=0.3, zorder=0,
                               linewidth=0, label="words shown above")
    step_line = ax_u.axvline(0.0, color="#e377c2", linewidth=1.5,
                             animated=animated)
    ax_u.axhline(0.0, color="black", linewidth=0.5)
    ax_u.set_ylim(-1.05, 1.05)
    ax_u.set_xlabel("step $t$ (word position in the review)", fontsize=8,
                    labelpad=11)
    ax_u.set_ylabel("value", fontsize=8, labelpad=1)
    ax_u.set_xticks([])
    ax_u.tick_params(labelsize=7, length=2)
    ax_u.grid(axis="y", alpha=0.3)
    step_labels = LabelRow(ax_u, ax_u.get_xaxis_transform(), 7)
    unit_title = ax_u.text(0.0, 1.03, "", transform=ax_u.transAxes,
                           fontsize=9, va="bottom", ha="left",
                           animated=animated)
    leg_u = fig.add_subplot(bottom[0, 3])
    leg_u.axis("off")
    leg_u.legend(*ax_u.get_legend_handles_labels(), loc="center left",
                 fontsize=7, frameon=False, borderaxespad=0.0)
    header = fig.text(0.07, 0.985, "", fontsize=9.5, va="top", ha="left",
                      weight="bold")
    return {
        "heat_axes": heat, "images": images, "colorbars": cbars,
        "bar_axes": bar_axes, "bars": bars, "bar_titles": bar_titles,
        "step_boxes": step_boxes, "unit_boxes": unit_boxes,
        "sentiment_axes": ax_s, "sentiment_line": sent_line,
        "sentiment_dot": sent_dot, "crossings": crossings,
        "sentiment_title": sent_title, "unit_axes": ax_u,
        "unit_lines": unit_lines, "unit_title": unit_title,
        "window_span": window_span, "step_line": step_line,
        "header": header, "units": units, "unit_labels": unit_labels,
        "word_labels": LabelRow(ax_s, ax_s.get_xaxis_transform(), 7.5),
        "step_labels": step_labels, "words": [],
    }


def _hbars(ax: Any, n: int, colour: str, animated: bool) -> Any:
    """``n`` horizontal bars as one collection (one artist: fast to redraw)."""
    coll = PolyCollection(_bar_verts(np.zeros(n)), facecolors=colour,
                          edgecolors="black", linewidths=0.0,
                          animated=animated)
    ax.add_collection(coll)
    return coll


def _bar_verts(values: np.ndarray) -> np.ndarray:
    y = np.arange(len(values), dtype=float)
    v = np.asarray(values, dtype=float)
    zero = np.zeros_like(v)
    return np.stack([np.stack([zero, y - 0.4], 1), np.stack([v, y - 0.4], 1),
                     np.stack([v, y + 0.4], 1), np.stack([zero, y + 0.4], 1)],
                    axis=1)


def _set_hbars(coll: Any, values: np.ndarray, selected: int) -> None:
    coll.set_verts(_bar_verts(values))
    widths = np.zeros(len(values))
    if 0 <= selected < len(values):
        widths[selected] = 1.4
    coll.set_linewidths(widths)


def bar_values(coll: Any) -> np.ndarray:
    """The bar lengths a gate-vector bar collection shows, top row first."""
    return np.array([p.vertices[1, 0] for p in coll.get_paths()])


def gate_review_artists(artists: Mapping[str, Any]) -> list[Any]:
    """What changes with the review, unit order or page of words, in drawing
    order: the heatmaps and their unit labels, the sentiment curve, the word
    labels, the window span and the titles. Everything else of
    :func:`draw_gate_explorer` (axes, colour bars, legends) never changes."""
    out: list[Any] = list(artists["images"].values())
    out += [labels.collection for labels in artists["unit_labels"].values()]
    out += [artists["sentiment_line"], artists["crossings"],
            artists["word_labels"].collection, artists["sentiment_title"],
            artists["window_span"], artists["step_labels"].collection,
            artists["header"]]
    return out


def gate_step_artists(artists: Mapping[str, Any]) -> list[Any]:
    """The artists :func:`update_gate_step` moves (drawn last, on top)."""
    out: list[Any] = list(artists["step_boxes"])
    out += list(artists["unit_boxes"].values())
    out += list(artists["bars"].values())
    out += [artists["sentiment_dot"], artists["step_line"],
            artists["unit_title"], *artists["unit_lines"].values()]
    return out


def update_gate_review(artists: Mapping[str, Any], words: Sequence[str],
                       values: Mapping[str, np.ndarray], order: np.ndarray,
                       sentiment: np.ndarray | None, header: str = "",
                       sentiment_title: str = "") -> None:
    """Show a new review: heatmaps, word labels, sentiment curve (in place).

    ``values`` maps ``"z"``, ``"r"``, ``"h"`` to ``(time, units)`` arrays;
    row ``i`` of each heatmap is unit ``order[i]``. ``sentiment`` is the
    ``(time,)`` curve (None: not available for this model). The words are
    tick labels at every step; the view (:func:`update_gate_window`) decides
    which of them are drawn.
    """
    n = len(words)
    units = len(order)
    for key, image in artists["images"].items():
        image.set_data(np.asarray(values[key], dtype=float)[:, order].T)
        image.set_extent((-0.5, n - 0.5, units - 0.5, -0.5))
    every = max(1, int(np.ceil(units / 8)))
    rows = np.arange(0, units, every)
    for key, ax in artists["heat_axes"].items():
        artists["unit_labels"][key].set(
            np.full(len(rows), -0.006), rows, [str(int(order[i])) for i in rows])
        ax.set_ylim(units - 0.5, -0.5)
        artists["bar_axes"][key].set_ylim(units - 0.5, -0.5)
    artists["words"] = list(words)
    if sentiment is None:
        artists["sentiment_line"].set_data([], [])
        artists["crossings"].set_data([], [])
    else:
        from gru_edu.gates import sentiment_crossings

        s = np.asarray(sentiment, dtype=float)
        artists["sentiment_line"].set_data(np.arange(n), s)
        cross = sentiment_crossings(s)
        artists["crossings"].set_data(cross, np.full(len(cross), 0.5))
    artists["sentiment_title"].set_text(sentiment_title)
    ax_u = artists["unit_axes"]
    ax_u.set_xlim(-0.5, n - 0.5)
    ticks = [t for t in MaxNLocator(nbins=10, integer=True).tick_values(0, n - 1)
             if 0 <= t <= n - 1]
    artists["step_labels"].set(ticks, -0.03, [f"{int(t)}" for t in ticks])
    artists["header"].set_text(header)


def update_gate_window(artists: Mapping[str, Any], lo: int, hi: int) -> None:
    """Show the steps ``lo .. hi - 1`` in the heatmaps and sentiment rows.

    Only the words of the window are labelled (a label per step of a
    300-word review would cost more to draw than the rest of the figure).
    """
    ax_s = artists["sentiment_axes"]
    for ax in (*artists["heat_axes"].values(), ax_s):
        ax.set_xlim(lo - 0.5, hi - 0.5)
    words = artists["words"]
    upright = hi - lo <= 8
    artists["word_labels"].set(
        np.arange(lo, hi), -0.04, words[lo:hi], rotation=0 if upright else 90,
        ha="center" if upright else "right", va="top" if upright else "center")
    span = artists["window_span"]
    span.set_x(lo - 0.5)
    span.set_width(hi - lo)


def update_gate_step(artists: Mapping[str, Any], step: int, row: int,
                     word: str, unit: int, vectors: Mapping[str, np.ndarray],
                     unit_series: Mapping[str, np.ndarray],
                     sentiment: np.ndarray | None) -> None:
    """Move the step and unit markers, the gate-vector bars and unit lines.

    ``vectors`` maps ``"z"``, ``"r"``, ``"h"`` to the ``(units,)`` values at
    ``step`` in heatmap row order; ``row`` is the selected unit's row.
    ``unit_series`` maps the same keys to the unit's ``(time,)`` values.
    """
    for box in artists["step_boxes"]:
        box.set_x(step - 0.5)
    for box in artists["unit_boxes"].values():
        box.set_y(row - 0.5)
    label = word if len(word) <= 14 else word[:13] + "…"
    for key, bars in artists["bars"].items():
        _set_hbars(bars, vectors[key], row)
    t = np.arange(len(next(iter(unit_series.values()))))
    for key, line in artists["unit_lines"].items():
        line.set_data(t, np.asarray(unit_series[key], dtype=float))
    artists["step_line"].set_xdata([step, step])
    if sentiment is None:
        artists["sentiment_dot"].set_data([], [])
    else:
        artists["sentiment_dot"].set_data([step], [float(sentiment[step])])
    artists["unit_title"].set_text(
        f"unit {unit} across the whole review: z, r, h "
        f"(line: step {step}, '{label}')")


class GateExplorer(Explorer):
    """The gates of a trained GRU on real or typed reviews; see
    :func:`gate_explorer`."""

    dpi = 72

    def __init__(self, trained: Any, texts: Sequence[str] | None = None,
                 labels: Sequence[int] | None = None,
                 x: np.ndarray | None = None,
                 predictions: Sequence[float] | None = None,
                 text: str | None = None, window: int | None = 48,
                 figsize: tuple[float, float] = (11.0, 9.6),
                 title: str = "") -> None:
        super().__init__()
        self.trained = trained
        self.window = window
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
            ids = self.x if self.x is not None else trained.encode(self.texts)
            predictions = np.asarray(trained.model.predict(
                ids, batch_size=256, verbose=0)).reshape(-1)
        self.predictions = (None if predictions is None
                            else np.asarray(predictions, dtype=float))
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

        c = self.controls
        wide = {"description_width": "4em"}
        if self.n_reviews:
            c["source"] = W.ToggleButtons(
                options=[("test review", "review"), ("typed text", "text")],
                value="review", description="show",
                style={"description_width": "4em", "button_width": "7em"})
            c["filter"] = W.Dropdown(
                options=list(REVIEW_FILTERS if self.labels is not None
                             else REVIEW_FILTERS[:1]),
                value="all", description="filter", style=wide,
                layout=W.Layout(width="15em"))
            c["review"] = W.IntSlider(
                value=0, min=0, max=self.n_reviews - 1, description="review",
                continuous_update=False, style=wide,
                layout=W.Layout(width="24em"))
        else:
            c["source"] = W.ToggleButtons(
                options=[("typed text", "text")], value="text",
                description="show", style=wide)
        c["text"] = W.Text(value=self.initial_text, description="type",
                           continuous_update=False, style=wide,
                           placeholder="type a review and press Enter",
                           layout=W.Layout(width="40em"))
        self._filtered = np.arange(self.n_reviews)
        first = self._review()
        units = max(t.units for t in first.traces)
        c["step"] = W.IntSlider(value=0, min=0, max=first.length - 1,
                                description="step", continuous_update=True,
                                style=wide, layout=W.Layout(width="36em"))
        c["unit"] = W.IntSlider(value=0, min=0, max=units - 1,
                                description="unit", continuous_update=True,
                                style=wide, layout=W.Layout(width="22em"))
        c["sort"] = W.Dropdown(options=list(GATE_SORTS), value="unit",
                               description="sort units", style=wide,
                               layout=W.Layout(width="20em"))
        if len(first.traces) > 1:
            c["layer"] = W.Dropdown(
                options=[(f"{t.layer_name} ({t.direction})", k)
                         for k, t in enumerate(first.traces)],
                value=0, description="layer", style=wide)

        self.info = W.HTML().add_class(REVIEW_INFO_CLASS)
        self.readout = W.HTML().add_class(READOUT_CLASS)
        self.words_view = W.HTML(layout=W.Layout(
            max_height="6.5em", overflow_y="auto", border="1px solid #ddd",
            padding="2px 4px")).add_class(WORDS_CLASS)
        if self.live:
            self.figure = new_figure(figsize)
        else:  # an Agg canvas of its own, at the resolution shown (blitting)
            from matplotlib.backends.backend_agg import FigureCanvasAgg

            self.figure = new_figure(figsize, dpi=self.dpi)
            FigureCanvasAgg(self.figure)
        self.artists = draw_gate_explorer(self.figure, units,
                                                animated=not self.live)
        rows = []
        if self.n_reviews:
            rows.append(W.HBox([c["source"], c["filter"], c["review"]]))
        else:
            rows.append(c["source"])
        rows.append(c["text"])
        second = [c["step"], c["unit"], c["sort"]]
        if "layer" in c:
            second.append(c["layer"])
        rows.append(W.HBox(second))
        box = W.VBox(rows + [self.info, self.readout, self.words_view])
        self._finish(box, title or "Gate explorer: the update and reset "
                                   "gates of the trained GRU, word by word")

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
            self._orders[okey] = _unit_order(sort, values, rt.sentiment)
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
                sentiment_title=self._sentiment_title(state))
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
        self.view.value = _canvas_png(canvas)
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
                  figsize: tuple[float, float] = (11.0, 9.6)) -> GateExplorer:
    """Explore the gates of a trained GRU on real and typed reviews.

    Args:
        trained: a :class:`gru_edu.models.TrainedModel` (``.model``,
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
    :func:`gru_edu.gates.sentiment_so_far`. A review is traced once and
    cached: the step and unit sliders only move artists. ``explorer.state``
    holds what is plotted (``z``, ``r``, ``h_tilde``, ``h`` as ``(steps,
    units)``, ``sentiment``, ``order``, ``step``, ``unit``, ``window``,
    ``readout``...). The readout line has the CSS class
    :data:`READOUT_CLASS` and reads ``step T · word 'W' · unit U: z=...
    r=... h_tilde=... h=... · sentiment so far=...`` (4 decimals).
    """
    return GateExplorer(trained, texts=texts, labels=labels, x=x,
                        predictions=predictions, text=text, window=window,
                        figsize=figsize)
