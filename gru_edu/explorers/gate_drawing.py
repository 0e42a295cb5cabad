"""Notebook 04: the figure of the gate explorer, built once and moved.

:func:`draw_gate_explorer` builds every artist of the gate explorer's figure
once; :func:`update_gate_review` shows a new review (heatmaps, words,
sentiment curve, gradient row), :func:`update_gate_window` the page of words
on screen and :func:`update_gate_step` moves the step and unit markers.
:class:`gru_edu.explorers.gate_explorer.GateExplorer` drives them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib import patches
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .base import GATE_COLOURS, LabelRow

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


#: Colour of the gradient row's bars.
GRADIENT_COLOUR = "#8c564b"

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
    it; then the gradient row, ``|d logit / d v_t|`` per word (which words
    the prediction depends on, :mod:`gru_edu.gates.connectivity`); then,
    over the whole review, ``z``, ``r`` and ``h`` of one unit.

    The artists that move with the step and unit sliders are built with
    ``animated=animated``: an explorer on the inline backend renders the
    figure without them once, keeps that image, and draws only them on top
    of it after a slider move (blitting). See :func:`gate_step_artists`.
    """
    widths = [8, 0.16, 0.62, 1.6]  # heatmap, colour bar, gap, bars
    top = fig.add_gridspec(
        4, 4, height_ratios=[2, 2, 2, 1.15], width_ratios=widths,
        left=0.07, right=0.985, top=0.94, bottom=0.395, hspace=0.62,
        wspace=0.04,
    )
    middle = fig.add_gridspec(1, 4, width_ratios=widths, left=0.07,
                              right=0.985, top=0.272, bottom=0.222,
                              wspace=0.04)
    bottom = fig.add_gridspec(1, 4, width_ratios=widths, left=0.07,
                              right=0.985, top=0.172, bottom=0.05, wspace=0.04)
    art: dict[str, Any] = {name: {} for name in (
        "heat_axes", "images", "colorbars", "bar_axes", "bars", "bar_titles",
        "unit_boxes", "unit_labels")}
    art["step_boxes"] = []
    for row, spec in enumerate(GATE_HEATMAPS):
        _draw_heatmap_row(fig, top, row, spec, units, animated, art)
    _draw_sentiment_row(fig, top, animated, art)
    _draw_gradient_row(fig, middle, animated, art)
    _draw_unit_row(fig, bottom, animated, art)
    art["header"] = fig.text(0.07, 0.985, "", fontsize=10, va="top", ha="left",
                             weight="bold")
    art["units"], art["words"] = units, []
    return art


def _step_box(ax: Any, animated: bool) -> Any:
    """The outline that marks the selected step on a row sharing the word axis."""
    box = patches.Rectangle((-0.5, 0.0), 1.0, 1.0,
                            transform=ax.get_xaxis_transform(),
                            fill=False, edgecolor="#e377c2",
                            linewidth=1.6, animated=animated, zorder=5)
    ax.add_patch(box)
    return box


def _draw_heatmap_row(fig: Figure, grid: Any, row: int, spec: tuple, units: int,
                      animated: bool, art: dict[str, Any]) -> None:
    """One row of :data:`GATE_HEATMAPS`: the heatmap, its colour bar, the bars at
    the step, and the step and unit markers."""
    key, title, label, (lo, hi) = spec
    # no shared x axis: the word ticks live on the sentiment row only
    ax = fig.add_subplot(grid[row, 0])
    cmap = STATE_CMAP if key == "h" else GATE_CMAP
    image = ax.imshow(np.zeros((units, 1)), aspect="auto",
                      interpolation="nearest", cmap=cmap, vmin=lo, vmax=hi)
    ax.set_title(title, fontsize=10, loc="left", pad=3)
    # unit numbers and words are plain texts, not tick labels (below)
    ax.set_ylabel("unit", fontsize=10, labelpad=13)
    ax.set_xticks([])
    ax.set_yticks([])
    art["unit_labels"][key] = LabelRow(ax, ax.get_yaxis_transform(), 10,
                                       ha="right", va="center")
    cax = fig.add_subplot(grid[row, 1])
    cbar = fig.colorbar(image, cax=cax)
    cbar.ax.tick_params(labelsize=10)
    cbar.set_label(label, fontsize=10, labelpad=2)
    bax = fig.add_subplot(grid[row, 3])
    art["bars"][key] = _hbars(bax, units, GATE_COLOURS[key], animated)
    bax.set_xlim(lo, hi)
    bax.set_ylim(units - 0.5, -0.5)
    bax.set_yticks([])
    bax.tick_params(labelsize=10, length=2)
    bax.set_xlabel("value", fontsize=10, labelpad=1)
    if lo < 0:
        bax.axvline(0.0, color="black", linewidth=0.6)
    bax.grid(axis="x", alpha=0.3)
    art["bar_titles"][key] = bax.set_title(f"{key} at the step", fontsize=10,
                                           loc="left", pad=3)
    art["step_boxes"].append(_step_box(ax, animated))
    ubox = patches.Rectangle((0.0, -0.5), 1.0, 1.0,
                             transform=ax.get_yaxis_transform(),
                             fill=False, edgecolor="white",
                             linestyle="--", linewidth=1.0,
                             animated=animated, zorder=5)
    ax.add_patch(ubox)
    art["unit_boxes"][key] = ubox
    art["images"][key], art["colorbars"][key] = image, cbar
    art["heat_axes"][key], art["bar_axes"][key] = ax, bax


def _draw_sentiment_row(fig: Figure, grid: Any, animated: bool,
                        art: dict[str, Any]) -> None:
    """The sentiment so far, its flips, the step's dot and the words under it."""
    ax_s = fig.add_subplot(grid[3, 0])
    (art["sentiment_line"],) = ax_s.plot([], [], "-", color="black", linewidth=1.4,
                                         label="P(positive) after word $t$")
    ax_s.axhline(0.5, color="0.5", linestyle="--", linewidth=0.8)
    (art["crossings"],) = ax_s.plot([], [], "v", color="#9467bd", markersize=7,
                                    label="prediction flips here")
    (art["sentiment_dot"],) = ax_s.plot([], [], "o", color="#e377c2", markersize=6,
                                        markeredgecolor="black", animated=animated,
                                        zorder=6)
    ax_s.set_ylim(-0.02, 1.02)
    ax_s.set_yticks([0, 0.5, 1])
    ax_s.set_ylabel("P(pos.)", fontsize=10, labelpad=1)
    ax_s.set_xticks([])
    ax_s.tick_params(axis="y", labelsize=10, length=2)
    ax_s.grid(axis="y", alpha=0.3)
    art["sentiment_title"] = ax_s.text(0.0, 1.04, "", fontsize=10, ha="left",
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
    art["step_boxes"].append(word_box)
    art["word_labels"] = LabelRow(ax_s, ax_s.get_xaxis_transform(), 10)
    art["sentiment_axes"] = ax_s
    legend_ax = fig.add_subplot(grid[3, 3])
    legend_ax.axis("off")
    legend_ax.legend(*ax_s.get_legend_handles_labels(), loc="center left",
                     fontsize=10, frameon=False, borderaxespad=0.0)


def _draw_gradient_row(fig: Figure, grid: Any, animated: bool,
                       art: dict[str, Any]) -> None:
    """The gradient row: one bar per word, ``|d logit / d v_t|``."""
    ax_g = fig.add_subplot(grid[0, 0])
    grad_bars = PolyCollection(np.zeros((0, 4, 2)), facecolors=GRADIENT_COLOUR,
                               edgecolors="none")
    ax_g.add_collection(grad_bars)
    ax_g.set_ylabel("|grad|", fontsize=10, labelpad=1)
    ax_g.set_xticks([])
    ax_g.set_ylim(0, 1)
    ax_g.tick_params(axis="y", labelsize=10, length=2)
    ax_g.grid(axis="y", alpha=0.3)
    art["gradient_title"] = ax_g.text(0.0, 1.06, "", fontsize=10, ha="left",
                                      va="bottom", transform=ax_g.transAxes)
    art["step_boxes"].append(_step_box(ax_g, animated))
    art["gradient_axes"], art["gradient_bars"] = ax_g, grad_bars


def _draw_unit_row(fig: Figure, grid: Any, animated: bool, art: dict[str, Any]) -> None:
    """``z``, ``r`` and ``h`` of one unit over the whole review, the window shown."""
    ax_u = fig.add_subplot(grid[0, 0])
    unit_lines = {}
    for key, label in (("z", "$z_t$"), ("r", "$r_t$"), ("h", "$h_t$")):
        (unit_lines[key],) = ax_u.plot([], [], "-", color=GATE_COLOURS[key],
                                       linewidth=1.2, label=label,
                                       animated=animated)
    art["window_span"] = ax_u.axvspan(0, 1, color="0.6", alpha=0.3, zorder=0,
                                      linewidth=0, label="words shown above")
    art["step_line"] = ax_u.axvline(0.0, color="#e377c2", linewidth=1.5,
                                    animated=animated)
    ax_u.axhline(0.0, color="black", linewidth=0.5)
    ax_u.set_ylim(-1.05, 1.05)
    ax_u.set_xlabel("step $t$ (word position in the review)", fontsize=10,
                    labelpad=11)
    ax_u.set_ylabel("value", fontsize=10, labelpad=1)
    ax_u.set_xticks([])
    ax_u.tick_params(labelsize=10, length=2)
    ax_u.grid(axis="y", alpha=0.3)
    art["step_labels"] = LabelRow(ax_u, ax_u.get_xaxis_transform(), 10)
    art["unit_title"] = ax_u.text(0.0, 1.03, "", transform=ax_u.transAxes,
                                  fontsize=10, va="bottom", ha="left",
                                  animated=animated)
    leg_u = fig.add_subplot(grid[0, 3])
    leg_u.axis("off")
    leg_u.legend(*ax_u.get_legend_handles_labels(), loc="center left",
                 fontsize=10, frameon=False, borderaxespad=0.0)
    art["unit_axes"], art["unit_lines"] = ax_u, unit_lines


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


def _column_verts(values: np.ndarray) -> np.ndarray:
    """Vertical bars, one per step ``t`` (``t - 0.4 .. t + 0.4``)."""
    x = np.arange(len(values), dtype=float)
    v = np.asarray(values, dtype=float)
    zero = np.zeros_like(v)
    return np.stack([np.stack([x - 0.4, zero], 1), np.stack([x - 0.4, v], 1),
                     np.stack([x + 0.4, v], 1), np.stack([x + 0.4, zero], 1)],
                    axis=1)


def column_values(coll: Any) -> np.ndarray:
    """The bar heights of the gradient row, step 0 first."""
    return np.array([p.vertices[1, 1] for p in coll.get_paths()])


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
            artists["header"], artists["gradient_bars"],
            artists["gradient_title"]]
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
                       sentiment_title: str = "",
                       gradient: np.ndarray | None = None,
                       gradient_title: str = "") -> None:
    """Show a new review: heatmaps, word labels, sentiment curve (in place).

    ``values`` maps ``"z"``, ``"r"``, ``"h"`` to ``(time, units)`` arrays;
    row ``i`` of each heatmap is unit ``order[i]``. ``sentiment`` is the
    ``(time,)`` curve (None: not available for this model). The words are
    tick labels at every step; the view (:func:`update_gate_window`) decides
    which of them are drawn. ``gradient`` is the ``(time,)`` gradient row
    (None: not available), drawn as one bar per word.
    """
    n = len(words)
    _show_heatmaps(artists, values, order, n)
    artists["words"] = list(words)
    _show_sentiment(artists, sentiment, n)
    artists["sentiment_title"].set_text(sentiment_title)
    ax_u = artists["unit_axes"]
    ax_u.set_xlim(-0.5, n - 0.5)
    ticks = [t for t in MaxNLocator(nbins=10, integer=True).tick_values(0, n - 1)
             if 0 <= t <= n - 1]
    artists["step_labels"].set(ticks, -0.03, [f"{int(t)}" for t in ticks])
    artists["header"].set_text(header)
    _show_gradient(artists, gradient)
    artists["gradient_title"].set_text(gradient_title)


def _show_heatmaps(artists: Mapping[str, Any], values: Mapping[str, np.ndarray],
                   order: np.ndarray, n: int) -> None:
    """The heatmaps of ``n`` steps, rows in ``order``, each on its own colour range."""
    units = len(order)
    for key, image in artists["images"].items():
        shown = np.asarray(values[key], dtype=float)[:, order].T
        image.set_data(shown)
        image.set_extent((-0.5, n - 0.5, units - 0.5, -0.5))
        # each heatmap on this review's own range (its colour bar says which):
        # on the gate's full 0..1 a gate that varies little looks uniform
        top = float(np.abs(shown).max()) if shown.size else 1.0
        lo, hi = ((-top, top) if key == "h" else
                  (float(shown.min()), float(shown.max())) if shown.size else (0.0, 1.0))
        image.set_clim(lo, hi if hi - lo > 1e-6 else lo + 1e-6)
    every = max(1, int(np.ceil(units / 8)))
    rows = np.arange(0, units, every)
    for key, ax in artists["heat_axes"].items():
        artists["unit_labels"][key].set(
            np.full(len(rows), -0.006), rows, [str(int(order[i])) for i in rows])
        ax.set_ylim(units - 0.5, -0.5)
        artists["bar_axes"][key].set_ylim(units - 0.5, -0.5)


def _show_sentiment(artists: Mapping[str, Any], sentiment: np.ndarray | None,
                    n: int) -> None:
    """The sentiment curve and where the prediction flips (nothing without one)."""
    if sentiment is None:
        artists["sentiment_line"].set_data([], [])
        artists["crossings"].set_data([], [])
        return
    from gru_edu.gates import sentiment_crossings

    s = np.asarray(sentiment, dtype=float)
    artists["sentiment_line"].set_data(np.arange(n), s)
    cross = sentiment_crossings(s)
    artists["crossings"].set_data(cross, np.full(len(cross), 0.5))


def _show_gradient(artists: Mapping[str, Any], gradient: np.ndarray | None) -> None:
    """One bar per word, scaled to the largest (an empty row without a gradient)."""
    bars = artists["gradient_bars"]
    if gradient is None:
        bars.set_verts(np.zeros((0, 4, 2)))
        top = 1.0
    else:
        g = np.asarray(gradient, dtype=float)
        bars.set_verts(_column_verts(g))
        top = float(g.max()) * 1.08 if g.size and g.max() > 0 else 1.0
    artists["gradient_axes"].set_ylim(0.0, top)


def update_gate_window(artists: Mapping[str, Any], lo: int, hi: int) -> None:
    """Show the steps ``lo .. hi - 1`` in the heatmaps and sentiment rows.

    Only the words of the window are labelled (a label per step of a
    300-word review would cost more to draw than the rest of the figure).
    """
    ax_s = artists["sentiment_axes"]
    for ax in (*artists["heat_axes"].values(), ax_s,
               artists["gradient_axes"]):
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
