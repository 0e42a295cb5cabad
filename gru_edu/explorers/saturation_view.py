"""Notebook 06: gate saturation and memory reach, drawn.

* :func:`plot_saturation` – Karpathy et al.'s scatter: per unit, the
  fraction of steps its gate is left-saturated (< 0.1) against the fraction
  it is right-saturated (> 0.9), one dot per unit;
* :func:`plot_saturation_epochs` – the same, one panel per training epoch;
* :func:`plot_memory_reach` – mean gradient norm by distance from the last
  word, one curve per model;
* :func:`saturation_explorer` – the scatter with a unit selector, linked to
  a gate explorer's unit slider (choosing a dot shows that unit there).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure

from .base import GATE_COLOURS, Explorer, new_figure

#: Dot colour per saturation kind (:data:`gru_edu.gates.saturation.SATURATION_KINDS`).
KIND_COLOURS = {"keep": "#0072B2", "write": "#D55E00", "switch": "#CC79A7",
                "free": "#999999"}
#: What the kinds mean for the reset gate, whose words are read / ignore.
RESET_KIND_NAMES = {"keep": "read", "write": "ignore", "switch": "switch",
                    "free": "free"}

#: CSS class of the saturation explorer's readout (browser tests use it).
SATURATION_READOUT_CLASS = "gru-edu-saturation-readout"


def plot_saturation(ax: Any, sat: Any, gate: str = "z",
                    highlight: int | None = None, title: str = "",
                    limit: float | None = None) -> Any:
    """Left- vs right-saturation fraction of ``gate``, one dot per unit.

    ``sat`` is a :class:`gru_edu.gates.saturation.Saturation`. Dots are
    coloured by :meth:`~gru_edu.gates.saturation.Saturation.kinds`; the
    diagonal ``left + right = 1`` bounds the possible points. ``limit``:
    the largest fraction shown on both axes (default: 1, or less when every
    dot is near the origin, so that they stay visible; the title says so).
    Returns the scatter collection.
    """
    left, right = sat.left[gate], sat.right[gate]
    kinds = sat.kinds(gate)
    colours = [KIND_COLOURS[k] for k in kinds]
    dots = ax.scatter(left, right, c=colours, s=22, edgecolors="black",
                      linewidths=0.3, zorder=3)
    ax.plot([0, 1], [1, 0], color="0.6", linestyle="--", linewidth=0.8)
    if limit is None:
        limit = saturation_limit([sat], gate)
    ax.set_xlim(-0.02 * limit, 1.02 * limit)
    ax.set_ylim(-0.02 * limit, 1.02 * limit)
    ax.set_aspect("equal")
    ax.set_xlabel(f"fraction left-saturated (${gate}$ < {sat.low:g})", fontsize=10)
    ax.set_ylabel(f"fraction right-saturated (${gate}$ > {sat.high:g})", fontsize=10)
    ax.tick_params(labelsize=10)
    ax.grid(alpha=0.3)
    title = title or f"${gate}$: {sat.units} units, {sat.n_steps:,} steps"
    ax.set_title(title + (f" (zoomed to 0–{limit:.2g})" if limit < 1 else ""),
                 fontsize=10)
    names = RESET_KIND_NAMES if gate == "r" else {k: k for k in KIND_COLOURS}
    for kind, colour in KIND_COLOURS.items():
        n = int((kinds == kind).sum())
        ax.scatter([], [], c=colour, s=22, edgecolors="black", linewidths=0.3,
                   label=f"{names[kind]} ({n})")
    ax.legend(fontsize=10, loc="upper right", frameon=False)
    if highlight is not None:
        ax.plot([left[highlight]], [right[highlight]], "o", markersize=11,
                markerfacecolor="none", markeredgecolor="#e377c2",
                markeredgewidth=2, zorder=4)
        ax.annotate(f"unit {highlight}", (left[highlight], right[highlight]),
                    xytext=(8, 8), textcoords="offset points", fontsize=10,
                    color="#e377c2")
    return dots


def saturation_limit(sats: Sequence[Any], gate: str = "z") -> float:
    """An axis limit that shows every dot of ``sats``: 1, or a round smaller
    value when all fractions are small."""
    top = max(max(float(np.max(s.left[gate])), float(np.max(s.right[gate]))) for s in sats)
    for limit in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5):
        if top <= 0.9 * limit:
            return limit
    return 1.0


def plot_saturation_epochs(fig: Figure, sats: Sequence[Any],
                           epochs: Sequence[int], gate: str = "z") -> list[Any]:
    """One saturation scatter per checkpoint, side by side, on one scale
    (zoomed when every dot is near the origin); returns the axes."""
    axes = fig.subplots(1, len(sats), squeeze=False)[0]
    limit = saturation_limit(sats, gate)
    for ax, sat, epoch in zip(axes, sats, epochs):
        plot_saturation(ax, sat, gate, title=f"${gate}$ after epoch {epoch}"
                        if epoch else f"${gate}$ before training", limit=limit)
        if ax is not axes[-1]:
            ax.get_legend().remove()
        if ax is not axes[0]:  # the same 0..1 scale: the first panel's axis serves all
            ax.tick_params(labelleft=False)
            ax.set_ylabel("")
    fig.suptitle("How the update gates saturate during training "
                 "(one dot per unit)", fontsize=10)
    return list(axes)


def plot_memory_reach(ax: Any, curves: Mapping[str, Any], share: bool = True,
                      max_distance: int = 300) -> None:
    """Mean gradient norm (or share) by distance from the last word.

    ``curves`` maps a label to a :class:`gru_edu.gates.connectivity.MemoryReach`
    (or a dict with ``mean_share`` / ``mean_norm`` lists, as the benchmark
    log keeps them). Log scale on y: the decay is roughly exponential.
    """
    styles = {"gru": GATE_COLOURS["z"], "lstm": GATE_COLOURS["h_tilde"],
              "simple_rnn": GATE_COLOURS["r"]}
    for label, c in curves.items():
        get = (lambda k: np.asarray(c[k])) if isinstance(c, Mapping) else (
            lambda k: np.asarray(getattr(c, k)))
        y = get("mean_share" if share else "mean_norm")[:max_distance]
        colour = next((v for k, v in styles.items()
                       if str(label).lower().startswith(k)), None)
        ax.plot(np.arange(len(y)), y, label=str(label), color=colour,
                linewidth=1.3)
    ax.set_yscale("log")
    ax.set_xlabel("distance from the last word (words)", fontsize=10)
    ax.set_ylabel("mean share of |d logit / d v|" if share
                  else "mean |d logit / d v|", fontsize=10)
    ax.tick_params(labelsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=10, frameon=False)
    ax.set_title("How far back each cell reads: the gradient of the output "
                 "by word position", fontsize=10)


class SaturationExplorer(Explorer):
    """The saturation scatter with a unit selector; see :func:`saturation_explorer`."""

    def __init__(self, sat: Any, explorer: Any = None,
                 figsize: tuple[float, float] = (9.0, 4.4)) -> None:
        super().__init__()
        self.sat = sat
        self.linked = explorer
        self._syncing = False
        kinds = sat.kinds("z")
        options = [(f"unit {u}: {kinds[u]} (z<0.1 {sat.left['z'][u]:.0%}, "
                    f"z>0.9 {sat.right['z'][u]:.0%})", u)
                   for u in np.argsort(-(sat.left["z"] + sat.right["z"]),
                                       kind="stable")]
        self.controls["unit"] = W.Dropdown(
            options=options, value=options[0][1], description="unit",
            style={"description_width": "3em"}, layout=W.Layout(width="30em"))
        self.readout = W.HTML().add_class(SATURATION_READOUT_CLASS)
        self.figure = new_figure(figsize, dpi=self.dpi)
        self._finish(W.VBox([self.controls["unit"], self.readout]),
                     "Gate saturation per unit (Karpathy et al. 2015): pick a "
                     "unit, the gate explorer shows it")
        if explorer is not None:
            explorer.controls["unit"].observe(self._from_explorer, names="value")

    def compute(self) -> dict[str, Any]:
        u = int(self.controls["unit"].value)
        s = self.sat
        return {"unit": u, "kind_z": str(s.kinds("z")[u]),
                "kind_r": str(s.kinds("r")[u]),
                **{f"{g}_{side}": float(getattr(s, side)[g][u])
                   for g in ("z", "r") for side in ("left", "right")}}

    def draw(self, state: Mapping[str, Any]) -> None:
        self.figure.clear()
        axes = self.figure.subplots(1, 2)
        for ax, gate in zip(axes, ("z", "r")):
            plot_saturation(ax, self.sat, gate, highlight=state["unit"])
        self.figure.tight_layout()
        self.readout.value = (
            f"unit <b>{state['unit']}</b> · z: {state['kind_z']}, "
            f"z&lt;0.1 at {state['z_left']:.1%}, z&gt;0.9 at "
            f"{state['z_right']:.1%} of the steps · r&lt;0.1 at "
            f"{state['r_left']:.1%}, r&gt;0.9 at {state['r_right']:.1%}")
        if self.linked is not None and not self._syncing:
            unit = self.linked.controls["unit"]
            if unit.value != state["unit"] and state["unit"] <= unit.max:
                self._syncing = True
                try:
                    unit.value = state["unit"]
                finally:
                    self._syncing = False

    def _from_explorer(self, change: Any) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            self.controls["unit"].value = int(change["new"])
        finally:
            self._syncing = False


def saturation_explorer(sat: Any, explorer: Any = None) -> SaturationExplorer:
    """Saturation scatter of ``z`` and ``r`` with a unit selector.

    ``sat``: one :class:`gru_edu.gates.saturation.Saturation`. The unit menu
    lists the most saturated units first; the chosen unit is ringed in both
    scatters and, when ``explorer`` (a gate explorer) is given, becomes its
    selected unit (and the other way round: moving the explorer's unit
    slider selects the unit here). ``explorer.state`` holds the unit's
    fractions and kinds.
    """
    return SaturationExplorer(sat, explorer)
