"""Notebook 01: one GRU step, slider by slider.

:func:`cell_explorer` computes the step with :func:`gru_edu.cell.gru_step`
and draws the gates, the candidate and the new state as bars, and how the
new state mixes the old state and the candidate.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure

from gru_edu.cell import GRUParams, gru_step
from .base import GATE_COLOURS, Explorer, slider, new_figure


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
    bars, labels = _draw_cell_bars(ax_bar, units)
    mix = _draw_cell_mix(ax_mix, units)
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.25, top=0.9,
                        wspace=0.25)
    return {"axes": (ax_bar, ax_mix), "bars": bars, "labels": labels, "mix": mix}


def _draw_cell_bars(ax: Any, units: int) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """Grouped bars of the quantities, one bar (and value label) per unit."""
    width = 0.8 / units
    bars: dict[str, Any] = {}
    labels: dict[str, list[Any]] = {}
    for k, (name, _) in enumerate(CELL_QUANTITIES):
        pos = k + (np.arange(units) - (units - 1) / 2) * width
        bars[name] = ax.bar(
            pos, np.zeros(units), width * 0.9, color=GATE_COLOURS[name],
            edgecolor="black", linewidth=0.5,
        )
        for u, bar in enumerate(bars[name]):
            bar.set_alpha(1.0 - 0.35 * u / max(units - 1, 1))
        labels[name] = [
            ax.text(p, 0.0, "", ha="center", va="bottom", fontsize=10)
            for p in pos
        ]
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.set_xticks(range(len(CELL_QUANTITIES)), [lab for _, lab in CELL_QUANTITIES])
    ax.set_ylim(-1.2, 1.2)
    ax.set_ylabel("value")
    ax.set_xlabel("quantity (bars left to right: unit 0, 1, ...)")
    ax.set_title("One GRU step: gates and states")
    ax.grid(axis="y", alpha=0.3)
    return bars, labels


def _draw_cell_mix(ax: Any, units: int) -> dict[str, list[Any]]:
    """Per unit, ``h_t`` on the segment from ``h_{t-1}`` to ``h̃`` (with ``z``)."""
    seg, old, cand, new, ztext = [], [], [], [], []
    for u in range(units):
        seg.append(ax.plot([0, 0], [u, u], color="0.6", linewidth=3,
                           zorder=1)[0])
        old.append(ax.plot([0], [u], "o", color=GATE_COLOURS["h_prev"],
                           markersize=9, zorder=2)[0])
        cand.append(ax.plot([0], [u], "s", color=GATE_COLOURS["h_tilde"],
                            markersize=9, zorder=2)[0])
        new.append(ax.plot([0], [u], "*", color=GATE_COLOURS["h"],
                           markersize=16, markeredgecolor="black",
                           zorder=3)[0])
        ztext.append(ax.text(1.12, u + 0.22, "", ha="right", fontsize=10))
    ax.legend(
        [old[0], cand[0], new[0]],
        ["$h_{t-1}$ (old)", r"$\tilde h_t$ (candidate)", "$h_t$ (new)"],
        loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=3,
        fontsize=10, frameon=False,
    )
    ax.set_xlim(-1.15, 1.15)
    ax.set_ylim(-0.6, units - 0.4)
    ax.set_yticks(range(units), [f"unit {u}" for u in range(units)])
    ax.set_xlabel("state value")
    ax.set_ylabel("GRU unit")
    ax.set_title(r"$h_t = z\,h_{t-1} + (1-z)\,\tilde h_t$", fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return {"segment": seg, "old": old, "candidate": cand, "new": new,
            "z_text": ztext}


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


class CellExplorer(Explorer):
    """One GRU step with sliders; see :func:`cell_explorer`."""

    GATE_LABELS = (("z", "update gate z"), ("r", "reset gate r"),
             ("h", "candidate h̃"))

    def __init__(self, units: int = 2, reset_after: bool = False,
                 h_prev: tuple[float, ...] | None = None) -> None:
        super().__init__()
        if units < 1:
            raise ValueError(f"units must be >= 1, got {units}")
        self.units = units
        self.reset_after = reset_after
        if h_prev is None:
            h_prev = tuple(np.linspace(0.6, -0.6, units)) if units > 1 else (0.5,)
        if len(h_prev) != units:
            raise ValueError(f"h_prev: expected {units} values, got {len(h_prev)}")
        c = self.controls
        c["x"] = slider(1.0, -2.0, 2.0, "$x_t$")
        for u in range(units):
            c[f"h_prev_{u}"] = slider(float(h_prev[u]), -1.0, 1.0,
                                      f"$h_{{t-1}}[{u}]$")
        defaults = {"w_z": -1.0, "u_z": 0.5, "b_z": 1.0,
                    "w_r": 1.0, "u_r": 0.5, "b_r": 0.0,
                    "w_h": 1.5, "u_h": 1.0, "b_h": 0.0}
        for g, _ in self.GATE_LABELS:
            for kind, what in (("w", "W"), ("u", "U"), ("b", "b")):
                name = f"{kind}_{g}"
                c[name] = slider(defaults[name], -4.0, 4.0, f"${what}_{g}$",
                                 step=0.1)
        if reset_after:
            c["rb_h"] = slider(0.0, -4.0, 4.0, "$b'_h$", step=0.1)

        self.figure = new_figure((9.5, 3.6))
        self.artists = draw_cell_step(self.figure, units)

        def column(header: str, names: list[str]) -> W.VBox:
            return W.VBox([W.HTML(f"<b>{header}</b>")] + [c[n] for n in names])

        cols = [column("inputs", ["x"] + [f"h_prev_{u}" for u in range(units)])]
        for g, header in self.GATE_LABELS:
            names = [f"w_{g}", f"u_{g}", f"b_{g}"]
            if g == "h" and reset_after:
                names.append("rb_h")
            cols.append(column(header, names))
        grid = W.VBox([W.HBox(cols[:2]), W.HBox(cols[2:])])
        variant = ("reset_after=True (cuDNN)" if reset_after
                   else "reset_after=False (Cho et al. 2014)")
        self._finish(grid, f"One GRU step, {units} units, {variant}")

    def params(self) -> GRUParams:
        """The cell the sliders describe, in the Keras layout.

        Weights are tied so a handful of sliders set the whole cell: every
        unit gets the same input weight ``W_g`` and bias ``b_g``, and the
        recurrent kernel of each gate is ``U_g · I`` (each unit reads its own
        previous state). The units differ only through ``h_{t-1}``.
        """
        v = self.values()
        n = self.units
        ones, eye = np.ones(n), np.eye(n)
        kernel = np.concatenate([v[f"w_{g}"] * ones for g, _ in self.GATE_LABELS])
        recurrent = np.concatenate([v[f"u_{g}"] * eye for g, _ in self.GATE_LABELS],
                                   axis=1)
        bias = np.concatenate([v[f"b_{g}"] * ones for g, _ in self.GATE_LABELS])
        if self.reset_after:
            rec_bias = np.concatenate([np.zeros(2 * n), v["rb_h"] * ones])
            bias = np.stack([bias, rec_bias])
        return GRUParams(kernel[None, :], recurrent, bias, self.reset_after)

    def inputs(self) -> tuple[np.ndarray, np.ndarray]:
        """``x_t`` ``(1, 1)`` and ``h_{t-1}`` ``(1, units)`` from the sliders."""
        v = self.values()
        x = np.array([[v["x"]]])
        h_prev = np.array([[v[f"h_prev_{u}"] for u in range(self.units)]])
        return x, h_prev

    def compute(self) -> dict[str, Any]:
        x, h_prev = self.inputs()
        h, gates = gru_step(x, h_prev, self.params())
        return {"x": x[0], "h_prev": h_prev[0], "z": gates["z"][0],
                "r": gates["r"][0], "h_tilde": gates["h_tilde"][0], "h": h[0]}

    def draw(self, state: Mapping[str, Any]) -> None:
        update_cell_step(self.artists, state)


def cell_explorer(units: int = 2, reset_after: bool = False,
                  h_prev: tuple[float, ...] | None = None) -> CellExplorer:
    """Sliders on one GRU step: move ``x``, ``h_{t-1}``, weights, biases.

    The bars show ``h_{t-1}, z, r, h̃, h_t`` per unit, computed by
    :func:`gru_edu.cell.gru_step`; the right panel shows ``h_t`` on the
    segment between ``h_{t-1}`` and ``h̃``. Controls: ``x``, ``h_prev_<u>``,
    and ``w_g``, ``u_g``, ``b_g`` for the gates ``g`` in ``z, r, h`` (plus
    ``rb_h``, the recurrent candidate bias, when ``reset_after=True``); see
    :meth:`CellExplorer.params` for how they fill the Keras weights.
    """
    return CellExplorer(units=units, reset_after=reset_after, h_prev=h_prev)
