"""Matplotlib figures for the gru-edu notebooks and widgets.

The module is organised in sections, one per notebook or concern. Every
figure is labelled (title, axis labels, legend) and is drawn from numbers the
caller computed with :mod:`gru_edu.cell` — nothing here re-derives the GRU.

Sections:

* **Figures that work everywhere** — :func:`new_figure` and friends: one
  figure object that works with the inline backend (tests, nbval, static
  notebooks) and with ipympl (``%matplotlib widget``, live canvases).
* **Notebook 01, the GRU equations** — the artists of the slider explorers in
  :mod:`gru_edu.widgets` (built once, updated in place) and the
  gradient-through-time figure.
* **Notebook 04, the gate explorer** — heatmaps of the gates of a trained
  GRU over the words of a review, the sentiment so far, one unit across a
  review or many reviews, and the words at which a unit writes or keeps.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib
import numpy as np
from matplotlib import patches
from matplotlib.collections import PathCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.path import Path
from matplotlib.textpath import TextPath
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import Affine2D

__all__ = [
    "uses_ipympl",
    "new_figure",
    "figure_png",
    "GATE_COLOURS",
    "draw_cell_step",
    "update_cell_step",
    "draw_memory",
    "update_memory",
    "plot_gradient_through_time",
    "GATE_CMAP",
    "STATE_CMAP",
    "draw_gate_explorer",
    "gate_review_artists",
    "gate_step_artists",
    "bar_values",
    "update_gate_review",
    "update_gate_window",
    "update_gate_step",
    "plot_sentiment_so_far",
    "plot_gate_heatmaps",
    "plot_unit_over_reviews",
    "draw_unit_words",
    "update_unit_words",
]


# ------------------------------------------------ figures that work everywhere


def uses_ipympl() -> bool:
    """True when matplotlib draws on ipympl canvases (``%matplotlib widget``)."""
    backend = str(matplotlib.get_backend()).lower()
    return "ipympl" in backend or backend == "widget"


def new_figure(figsize: tuple[float, float], **kwargs: Any) -> Figure:
    """A figure for a widget: an ipympl canvas if active, else a free ``Figure``.

    With ipympl the figure comes from pyplot (its canvas *is* the widget) but
    is created with interactive mode off, so it is not shown a second time.
    Otherwise it is a ``matplotlib.figure.Figure`` that pyplot does not know
    about: the inline backend never displays it on its own, and however often
    a widget redraws it, ``plt.get_fignums()`` does not grow.
    """
    if uses_ipympl():
        import matplotlib.pyplot as plt

        with plt.ioff():
            fig = plt.figure(figsize=figsize, **kwargs)
        canvas = fig.canvas
        for attr, value in (("header_visible", False), ("toolbar_visible", False),
                            ("resizable", False)):
            if hasattr(canvas, attr):
                setattr(canvas, attr, value)
        return fig
    return Figure(figsize=figsize, **kwargs)


def figure_png(fig: Figure, dpi: int = 80) -> bytes:
    """The figure rendered to PNG bytes (for an ``ipywidgets.Image``)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


# ------------------------------------------- notebook 01: the GRU equations

#: One colour per GRU quantity, shared by every figure of the collection.
GATE_COLOURS = {
    "h_prev": "#7f7f7f",   # grey: the old state
    "z": "#1f77b4",        # blue: update gate
    "r": "#ff7f0e",        # orange: reset gate
    "h_tilde": "#2ca02c",  # green: candidate
    "h": "#d62728",        # red: new state
}

#: The quantities one GRU step shows, in reading order, with their labels.
CELL_QUANTITIES = (
    ("h_prev", "$h_{t-1}$"),
    ("z", "$z_t$"),
    ("r", "$r_t$"),
    ("h_tilde", r"$\tilde h_t$"),
    ("h", "$h_t$"),
)


def draw_cell_step(fig: Figure, units: int) -> dict[str, Any]:
    """Build the artists of one GRU step (zero values); return them by name.

    Left: grouped bars of ``h_{t-1}, z, r, h̃, h_t``, one bar per unit, with
    value labels. Right: for every unit a number line on which ``h_t`` sits
    between ``h_{t-1}`` and ``h̃`` — the picture of
    ``h_t = z·h_{t-1} + (1 − z)·h̃``.

    Returns a dict with ``"bars"`` (quantity -> ``BarContainer``),
    ``"labels"`` (quantity -> list of ``Text``) and ``"mix"`` (a dict of
    ``Line2D``/``Text`` lists per unit) for :func:`update_cell_step`.
    """
    ax_bar, ax_mix = fig.subplots(
        1, 2, gridspec_kw={"width_ratios": [1.5, 1]}
    )
    n_q = len(CELL_QUANTITIES)
    width = 0.8 / units
    bars: dict[str, Any] = {}
    labels: dict[str, list[Any]] = {}
    for k, (name, _) in enumerate(CELL_QUANTITIES):
        pos = k + (np.arange(units) - (units - 1) / 2) * width
        bars[name] = ax_bar.bar(
            pos, np.zeros(units), width * 0.9, color=GATE_COLOURS[name],
            edgecolor="black", linewidth=0.5,
        )
        for u, bar in enumerate(bars[name]):
            bar.set_alpha(1.0 - 0.35 * u / max(units - 1, 1))
        labels[name] = [
            ax_bar.text(p, 0.0, "", ha="center", va="bottom", fontsize=8)
            for p in pos
        ]
    ax_bar.axhline(0.0, color="black", linewidth=0.8)
    ax_bar.set_xticks(range(n_q), [lab for _, lab in CELL_QUANTITIES])
    ax_bar.set_ylim(-1.2, 1.2)
    ax_bar.set_ylabel("value")
    ax_bar.set_xlabel("quantity (bars left to right: unit 0, 1, ...)")
    ax_bar.set_title("One GRU step: gates and states")
    ax_bar.grid(axis="y", alpha=0.3)

    seg, old, cand, new, ztext = [], [], [], [], []
    for u in range(units):
        seg.append(ax_mix.plot([0, 0], [u, u], color="0.6", linewidth=3,
                               zorder=1)[0])
        old.append(ax_mix.plot([0], [u], "o", color=GATE_COLOURS["h_prev"],
                               markersize=9, zorder=2)[0])
        cand.append(ax_mix.plot([0], [u], "s", color=GATE_COLOURS["h_tilde"],
                                markersize=9, zorder=2)[0])
        new.append(ax_mix.plot([0], [u], "*", color=GATE_COLOURS["h"],
                               markersize=16, markeredgecolor="black",
                               zorder=3)[0])
        ztext.append(ax_mix.text(1.12, u + 0.22, "", ha="right", fontsize=8))
    ax_mix.legend(
        [old[0], cand[0], new[0]],
        ["$h_{t-1}$ (old)", r"$\tilde h_t$ (candidate)", "$h_t$ (new)"],
        loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=3,
        fontsize=8, frameon=False,
    )
    ax_mix.set_xlim(-1.15, 1.15)
    ax_mix.set_ylim(-0.6, units - 0.4)
    ax_mix.set_yticks(range(units), [f"unit {u}" for u in range(units)])
    ax_mix.set_xlabel("state value")
    ax_mix.set_title(r"$h_t = z\,h_{t-1} + (1-z)\,\tilde h_t$", fontsize=10)
    ax_mix.grid(axis="x", alpha=0.3)
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.25, top=0.9,
                        wspace=0.25)
    return {"axes": (ax_bar, ax_mix), "bars": bars, "labels": labels,
            "mix": {"segment": seg, "old": old, "candidate": cand,
                    "new": new, "z_text": ztext}}


def update_cell_step(artists: Mapping[str, Any],
                     values: Mapping[str, np.ndarray]) -> None:
    """Move the artists of :func:`draw_cell_step` to new values in place.

    ``values`` maps ``h_prev, z, r, h_tilde, h`` to arrays of shape ``(units,)``.
    """
    for name, _ in CELL_QUANTITIES:
        vals = np.asarray(values[name], dtype=float)
        for bar, text, v in zip(artists["bars"][name], artists["labels"][name],
                                vals):
            bar.set_height(v)
            text.set_y(v + (0.03 if v >= 0 else -0.03))
            text.set_va("bottom" if v >= 0 else "top")
            text.set_text(f"{v:.2f}")
    mix = artists["mix"]
    for u, (hp, ht, hn, z) in enumerate(zip(values["h_prev"],
                                            values["h_tilde"], values["h"],
                                            values["z"])):
        mix["segment"][u].set_data([hp, ht], [u, u])
        mix["old"][u].set_data([hp], [u])
        mix["candidate"][u].set_data([ht], [u])
        mix["new"][u].set_data([hn], [u])
        mix["z_text"][u].set_text(f"z = {z:.2f}")


def draw_memory(fig: Figure, steps: int, pulse_at: int) -> dict[str, Any]:
    """Artists of the memory explorer: ``h_t`` over time, gates below.

    Top: the state ``h_t`` with dashed lines at half the written value and a
    marker where the state has fallen to half (the memory half-life).
    Bottom: the input pulse ``x_t`` and the update gate ``z_t``.
    """
    ax_h, ax_g = fig.subplots(2, 1, sharex=True,
                              gridspec_kw={"height_ratios": [2, 1]})
    t = np.arange(steps)
    zeros = np.zeros(steps)
    (h_line,) = ax_h.plot(t, zeros, "-o", color=GATE_COLOURS["h"],
                          markersize=3, label="$h_t$")
    half_lines = [ax_h.axhline(0.0, color="0.4", linestyle="--",
                               linewidth=0.8) for _ in range(2)]
    half_lines[0].set_label(r"$\pm\frac{1}{2}h_{\mathrm{pulse}}$")
    (half_marker,) = ax_h.plot([], [], "D", color="black", markersize=8,
                               label="half-life reached")
    half_vline = ax_h.axvline(0.0, color="black", linewidth=0.8, alpha=0.6)
    ax_h.axvline(pulse_at, color="0.8", linewidth=6, zorder=0,
                 label="input pulse")
    ax_h.set_ylim(-1.05, 1.05)
    ax_h.set_ylabel("state $h_t$")
    ax_h.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    ax_h.grid(alpha=0.3)

    x_bars = ax_g.bar(t, zeros, 0.6, color="0.5", label="input $x_t$")
    (z_line,) = ax_g.plot(t, zeros, "-", color=GATE_COLOURS["z"],
                          label="update gate $z_t$")
    ax_g.set_ylim(-0.05, 1.1)
    ax_g.set_xlim(-0.5, steps - 0.5)
    ax_g.set_xlabel("time step $t$")
    ax_g.set_ylabel("gate / input")
    ax_g.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    ax_g.grid(alpha=0.3)
    fig.subplots_adjust(left=0.08, right=0.78, bottom=0.12, top=0.9,
                        hspace=0.12)
    return {"axes": (ax_h, ax_g), "h_line": h_line, "half_lines": half_lines,
            "half_marker": half_marker, "half_vline": half_vline,
            "x_bars": x_bars, "z_line": z_line, "title": ax_h.title}


def update_memory(artists: Mapping[str, Any], x: np.ndarray, h: np.ndarray,
                  z: np.ndarray, pulse_at: int, half_life: int | None,
                  title: str) -> None:
    """Move the artists of :func:`draw_memory` to a new run, in place.

    ``x``, ``h`` and ``z`` are 1-D over time; ``half_life`` is the number of
    steps after the pulse at which ``|h|`` first fell to half (None: never).
    """
    t = np.arange(len(h))
    artists["h_line"].set_data(t, h)
    artists["z_line"].set_data(t, z)
    x_max = max(1.0, float(np.max(np.abs(x))))
    for bar, v in zip(artists["x_bars"], x):
        bar.set_height(v / x_max)
    half = 0.5 * float(h[pulse_at])
    artists["half_lines"][0].set_ydata([half, half])
    artists["half_lines"][1].set_ydata([-half, -half])
    if half_life is None:
        artists["half_marker"].set_data([], [])
        artists["half_vline"].set_visible(False)
    else:
        t_half = pulse_at + half_life
        artists["half_marker"].set_data([t_half], [h[t_half]])
        artists["half_vline"].set_xdata([t_half, t_half])
        artists["half_vline"].set_visible(True)
    artists["title"].set_text(title)


def plot_gradient_through_time(
    steps: Sequence[int],
    norms: Mapping[str, Sequence[float]],
    ax: Any = None,
    title: str = r"How much of $h_0$ reaches $h_T$: "
                 r"$\|\partial h_T / \partial h_0\|$",
) -> Figure:
    """Log-scale curves of a Jacobian norm against the number of steps ``T``.

    ``norms`` maps a legend label (e.g. ``"b_z = 4"``) to one norm per entry
    of ``steps``. Returns the figure (a pyplot figure when ``ax`` is None).
    """
    if ax is None:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 3.8))
    else:
        fig = ax.figure
    for label, values in norms.items():
        ax.semilogy(steps, values, "-o", markersize=3, label=label)
    ax.set_xlabel("steps between $h_0$ and $h_T$ ($T$)")
    ax.set_ylabel(r"$\|\partial h_T / \partial h_0\|_2$ (log scale)")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


# -------------------------------------------- notebook 04: the gate explorer

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


def _outline_box(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Lower-left and upper-right corner of a glyph outline's control points.

    ``Path.get_extents`` finds the exact extrema of every Bezier piece (about
    4 ms for a word); the control points of glyph outlines lie on or just
    outside the curve, which is all the label alignment needs.
    """
    v = path.vertices
    if len(v) == 0:
        return np.zeros(2), np.zeros(2)
    return v.min(axis=0), v.max(axis=0)


class LabelRow:
    """Many short labels (words, unit numbers) drawn as one artist.

    Matplotlib lays out and rasterises every ``Text`` on its own, about a
    millisecond each: a page of 48 word labels cost some 50 ms per redraw of
    the gate explorer. Here the outline of each distinct label
    (:class:`~matplotlib.textpath.TextPath`) is made once and kept, and all
    labels are one :class:`~matplotlib.collections.PathCollection`, drawn in
    one call. ``texts`` and ``x`` / ``y`` say what is shown where.

    Positions are in ``offset_transform`` coordinates (e.g. data x, axes y);
    ``ha`` / ``va`` anchor each label as ``Text`` does with
    ``rotation_mode="anchor"``; sizes are in points, so the labels scale
    with the figure's dpi like text.
    """

    def __init__(self, ax: Any, offset_transform: Any, fontsize: float,
                 ha: str = "center", va: str = "top",
                 animated: bool = False) -> None:
        self.fontsize = fontsize
        self.ha, self.va, self.rotation = ha, va, 0
        self.texts: list[str] = []
        self.x: list[float] = []
        self.y: list[float] = []
        self._prop = FontProperties(size=fontsize)
        (_, self._bottom), (_, self._top) = _outline_box(
            TextPath((0, 0), "Xg", prop=self._prop))
        self._middle = (self._bottom + self._top) / 2  # one centre for all
        self._paths: dict[tuple[str, str, str, int], Path] = {}
        fig = ax.figure
        self.collection = PathCollection(
            [], offsets=np.zeros((0, 2)), offset_transform=offset_transform,
            facecolors="black", edgecolors="none", linewidths=0.0,
            antialiaseds=True, clip_on=False, animated=animated,
        )
        self.collection.set_transform(Affine2D().scale(1 / 72) + fig.dpi_scale_trans)
        ax.add_collection(self.collection, autolim=False)

    def _path(self, text: str) -> Path:
        key = (text, self.ha, self.va, self.rotation)
        path = self._paths.get(key)
        if path is None:
            raw = TextPath((0, 0), text, prop=self._prop)
            (x0, _), (x1, _) = _outline_box(raw)
            dx = {"left": -x0, "center": -(x0 + x1) / 2, "right": -x1}[self.ha]
            dy = {"top": -self._top, "center": -self._middle,
                  "bottom": -self._bottom, "baseline": 0.0}[self.va]
            shape = Affine2D().translate(dx, dy).rotate_deg(self.rotation)
            path = shape.transform_path(raw)
            self._paths[key] = path
        return path

    def set(self, x: Sequence[float], y: Sequence[float] | float,
            texts: Sequence[str], rotation: int | None = None,
            ha: str | None = None, va: str | None = None) -> None:
        """Show ``texts[i]`` at ``(x[i], y[i])`` (empty strings are skipped)."""
        if rotation is not None:
            self.rotation = rotation
        self.ha = ha or self.ha
        self.va = va or self.va
        ys = np.broadcast_to(np.asarray(y, dtype=float), (len(texts),))
        keep = [i for i, t in enumerate(texts) if t]
        self.texts = [str(texts[i]) for i in keep]
        self.x = [float(x[i]) for i in keep]
        self.y = [float(ys[i]) for i in keep]
        self.collection.set_paths([self._path(t) for t in self.texts])
        self.collection.set_offsets(np.column_stack([self.x, self.y])
                                    if keep else np.zeros((0, 2)))


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


def plot_sentiment_so_far(
    curves: Mapping[str, tuple[Sequence[str], np.ndarray]],
    title: str = "Sentiment so far: the model's output after every word",
) -> Figure:
    """One panel per review: P(positive) after each word, words under it.

    ``curves`` maps a label to ``(words, sentiment)``; the words at which
    the prediction flips (:func:`gru_edu.gates.sentiment_crossings`) are
    marked. Returns a pyplot figure.
    """
    import matplotlib.pyplot as plt

    from gru_edu.gates import sentiment_crossings

    n = len(curves)
    longest = max(len(w) for w, _ in curves.values())
    width = min(12.0, max(6.0, 0.34 * longest + 2.0))
    fig, axes = plt.subplots(n, 1, figsize=(width, 1.9 * n + 0.5),
                             squeeze=False)
    for ax, (label, (words, s)) in zip(axes[:, 0], curves.items()):
        s = np.asarray(s, dtype=float).reshape(-1)
        t = np.arange(len(s))
        ax.plot(t, s, "-o", color="black", markersize=3, linewidth=1.3)
        ax.axhline(0.5, color="0.5", linestyle="--", linewidth=0.8)
        cross = sentiment_crossings(s)
        ax.plot(cross, np.full(len(cross), 0.5), "v", color="#9467bd",
                markersize=8, label="prediction flips")
        for c in cross:
            ax.axvspan(c - 0.5, c + 0.5, color="#9467bd", alpha=0.15)
        ax.set_xticks(t, list(words), rotation=60 if longest > 12 else 0,
                      fontsize=8)
        ax.set_xlim(-0.5, max(len(s), 2) - 0.5)
        ax.set_ylim(-0.02, 1.02)
        ax.set_ylabel("P(positive)", fontsize=8)
        ax.set_title(f"{label} — final {s[-1]:.2f}", fontsize=9, loc="left")
        ax.grid(axis="y", alpha=0.3)
        if len(cross):
            ax.legend(fontsize=7, loc="upper right")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_gate_heatmaps(
    words: Sequence[str], values: Mapping[str, np.ndarray],
    units: Sequence[int] | None = None,
    title: str = "Gates of the trained GRU, word by word",
) -> Figure:
    """Side-by-side heatmaps of ``z``, ``r`` and ``h`` for a short review.

    ``values`` maps ``"z"``, ``"r"``, ``"h"`` to ``(time, units)`` arrays;
    ``units`` picks and orders the rows (default: all). Returns a pyplot
    figure with the words under each panel and one colour bar per panel.
    """
    import matplotlib.pyplot as plt

    keys = [k for k, *_ in GATE_HEATMAPS if k in values]
    first = np.asarray(values[keys[0]])
    rows = np.arange(first.shape[1]) if units is None else np.asarray(units)
    n = len(words)
    width = min(13.0, 1.2 + len(keys) * max(2.6, 0.3 * n + 1.0))
    height = min(7.0, 1.6 + 0.14 * len(rows))
    fig, axes = plt.subplots(1, len(keys), figsize=(width, height),
                             squeeze=False)
    for ax, key in zip(axes[0], keys):
        _, gtitle, label, (lo, hi) = next(g for g in GATE_HEATMAPS
                                          if g[0] == key)
        im = ax.imshow(np.asarray(values[key])[:, rows].T, aspect="auto",
                       interpolation="nearest", vmin=lo, vmax=hi,
                       cmap=STATE_CMAP if key == "h" else GATE_CMAP)
        ax.set_xticks(np.arange(n), list(words), rotation=60, fontsize=8)
        step = max(1, int(np.ceil(len(rows) / 10)))
        ax.set_yticks(np.arange(0, len(rows), step),
                      [str(int(u)) for u in rows[::step]], fontsize=7)
        ax.set_ylabel("unit", fontsize=8)
        ax.set_title(gtitle.replace(r" (units $\times$ words)", ""),
                     fontsize=9)
        cb = fig.colorbar(im, ax=ax, fraction=0.08, pad=0.03)
        cb.set_label(label, fontsize=7.5)
        cb.ax.tick_params(labelsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_unit_over_reviews(
    series: Sequence[np.ndarray], labels: Sequence[str], unit: int,
    title: str = "", ylabel: str = "$h_t$",
) -> Figure:
    """One unit's value against the step, one line per review (pyplot)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8.5, 3.4))
    for s, label in zip(series, labels):
        ax.plot(np.arange(len(s)), s, linewidth=1.0, label=label)
    ax.set_xlabel("step $t$ (word position)")
    ax.set_ylabel(f"{ylabel} of unit {unit}")
    ax.set_title(title or f"Unit {unit} while reading several reviews",
                 fontsize=10)
    ax.grid(alpha=0.3)
    if len(series) <= 8:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    return fig


def draw_unit_words(fig: Figure, top_k: int) -> dict[str, Any]:
    """Two bar panels: the words at which one unit writes / keeps most."""
    ax_write, ax_keep = fig.subplots(1, 2)
    artists: dict[str, Any] = {"axes": (ax_write, ax_keep)}
    for name, ax, colour in (("writes", ax_write, GATE_COLOURS["h_tilde"]),
                             ("keeps", ax_keep, GATE_COLOURS["z"])):
        artists[f"{name}_bars"] = ax.barh(np.arange(top_k), np.zeros(top_k),
                                          height=0.7, color=colour)
        artists[f"{name}_labels"] = [
            ax.text(0.0, i, "", va="center", ha="left", fontsize=7.5)
            for i in range(top_k)
        ]
        # the words as plain texts, not tick labels: much faster to redraw
        artists[f"{name}_words"] = [
            ax.text(-0.02, i, "", va="center", ha="right", fontsize=8,
                    transform=ax.get_yaxis_transform())
            for i in range(top_k)
        ]
        ax.set_ylim(top_k - 0.5, -0.5)
        ax.set_yticks([])
        ax.set_xticks([])  # the values are written at the bars
        artists[f"{name}_title"] = ax.set_title("", fontsize=9)
    artists["header"] = fig.suptitle("", fontsize=10)
    fig.subplots_adjust(left=0.14, right=0.97, top=0.8, bottom=0.1,
                        wspace=0.5)
    return artists


def update_unit_words(artists: Mapping[str, Any],
                      writes: Sequence[tuple[Any, float]],
                      keeps: Sequence[tuple[Any, float]],
                      xlabel: str, titles: tuple[str, str],
                      header: str, fmt: str = "{:d}") -> None:
    """Show new top-k lists ``[(word, value), ...]`` in :func:`draw_unit_words`."""
    for name, items, title in (("writes", writes, titles[0]),
                               ("keeps", keeps, titles[1])):
        ax = artists["axes"][0 if name == "writes" else 1]
        bars = artists[f"{name}_bars"]
        labels = artists[f"{name}_labels"]
        top = max([float(v) for _, v in items] + [1e-9])
        for i, (bar, text, word_text) in enumerate(
                zip(bars, labels, artists[f"{name}_words"])):
            if i < len(items):
                word, v = items[i]
                bar.set_width(float(v))
                text.set_x(float(v) + 0.02 * top)
                text.set_text(fmt.format(v))
                word_text.set_text(str(word))
            else:
                bar.set_width(0.0)
                text.set_text("")
                word_text.set_text("")
        ax.set_xlim(0, top * 1.22)
        ax.set_xlabel(xlabel, fontsize=8)
        artists[f"{name}_title"].set_text(title)
    artists["header"].set_text(header)
