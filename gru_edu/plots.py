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
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib
import numpy as np
from matplotlib.figure import Figure

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
