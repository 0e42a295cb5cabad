"""The data-flow diagram of one GRU step (notebook 01), drawn with matplotlib.

:func:`plot_gru_cell` draws the ``reset_after=False`` step as boxes (the two
gates and the candidate), operation nodes (``×``, ``1 −``, ``+``) and
arrows, each labelled with the term of the equations it computes::

    z_t = σ(x_t W_z + h_{t-1} U_z + b_z)          update gate: keep / write
    r_t = σ(x_t W_r + h_{t-1} U_r + b_r)          reset gate: read / ignore
    h̃_t = tanh(x_t W_h + (r_t ⊙ h_{t-1}) U_h + b_h)   candidate
    h_t = z_t ⊙ h_{t-1} + (1 − z_t) ⊙ h̃_t
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

from gru_edu.explorers.base import GATE_COLOURS

__all__ = ["plot_gru_cell"]


def _box(ax: Any, xy: tuple[float, float], text: str, colour: str,
         note: str) -> None:
    x, y = xy
    ax.add_patch(FancyBboxPatch((x - 0.9, y - 0.42), 1.8, 0.84,
                                boxstyle="round,pad=0.04", fc=colour,
                                ec="k", alpha=0.85, zorder=3))
    ax.text(x, y + 0.2, text, ha="center", va="center", fontsize=11,
            color="white", zorder=4, weight="bold")
    ax.text(x, y - 0.12, note, ha="center", va="center", fontsize=10,
            color="white", zorder=4, linespacing=1.5)


def _node(ax: Any, xy: tuple[float, float], text: str) -> None:
    ax.add_patch(Circle(xy, 0.22, fc="white", ec="k", zorder=3))
    ax.text(*xy, text, ha="center", va="center", fontsize=10, zorder=4)


def _arrow(ax: Any, a: tuple[float, float], b: tuple[float, float],
           colour: str = "k", label: str = "", where: float = 0.5,
           offset: tuple[float, float] = (0.0, 0.12)) -> None:
    ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=11,
                                 color=colour, lw=1.4, zorder=2,
                                 shrinkA=9, shrinkB=9))
    if label:
        x = a[0] + where * (b[0] - a[0]) + offset[0]
        y = a[1] + where * (b[1] - a[1]) + offset[1]
        ax.text(x, y, label, fontsize=10, color=colour, ha="center",
                va="bottom", zorder=4)


def plot_gru_cell() -> Figure:
    """One GRU step (``reset_after=False``) as a labelled data-flow diagram."""
    c = GATE_COLOURS
    grey, light = "0.3", "0.55"
    fig, ax = plt.subplots(figsize=(10, 4.8))
    # the inputs: h_{t-1} along the top, x_t along the bottom
    ax.text(-0.2, 4.0, "$h_{t-1}$", ha="right", va="center", fontsize=13)
    ax.text(-0.2, 0.0, "$x_t$", ha="right", va="center", fontsize=13)
    ax.plot([0, 7.38], [4, 4], color=grey, lw=1.4, zorder=1)
    ax.plot([0.5, 0.5, 6.85], [4, 0.8, 0.8], color=grey, lw=1.4, zorder=1)
    ax.plot([0, 6.35], [0, 0], color=light, lw=1.4, zorder=1)
    # the two gates and the candidate, each with its pre-activation
    _box(ax, (2.0, 2.1), "σ  →  $r_t$", c["r"],
         "$x_tW_r + h_{t-1}U_r + b_r$")
    _box(ax, (4.3, 2.1), "tanh  →  $\\tilde h_t$", c["h_tilde"],
         "$x_tW_h + b_h$\n$+\\,(r_t\\odot h_{t-1})U_h$")
    _box(ax, (6.6, 2.1), "σ  →  $z_t$", c["z"],
         "$x_tW_z + h_{t-1}U_z + b_z$")
    for x in (2.0, 4.3, 6.6):
        _arrow(ax, (x - 0.25, 0.0), (x - 0.25, 1.68), colour=light)
    for x in (2.0, 6.6):
        _arrow(ax, (x + 0.25, 0.8), (x + 0.25, 1.68), colour=grey)
    # reset: r_t ⊙ h_{t-1} is what the candidate reads of the past
    _node(ax, (3.1, 3.2), "×")
    _arrow(ax, (3.1, 4.0), (3.1, 3.2), colour=grey)
    _arrow(ax, (2.0, 2.52), (3.1, 3.2), colour=c["r"],
           label="$r_t$ (read / ignore)", where=0.3, offset=(-0.75, 0.1))
    _arrow(ax, (3.1, 3.2), (3.9, 2.52), colour=c["r"],
           label="$r_t \\odot h_{t-1}$", where=0.5, offset=(0.75, 0.05))
    # keep: z_t ⊙ h_{t-1} on the state line
    _node(ax, (7.6, 4.0), "×")
    _arrow(ax, (6.6, 2.52), (7.6, 4.0), colour=c["z"],
           label="$z_t$ (keep)", where=0.25, offset=(-0.6, -0.05))
    # write: (1 - z_t) ⊙ h̃_t
    _node(ax, (8.1, 2.1), "1−")
    _arrow(ax, (7.5, 2.1), (8.1, 2.1), colour=c["z"])
    _node(ax, (8.7, 3.1), "×")
    _arrow(ax, (8.1, 2.1), (8.7, 3.1), colour=c["z"],
           label="$1 - z_t$ (write)", where=0.5, offset=(0.85, -0.2))
    ax.plot([4.75, 4.75, 8.2], [2.52, 3.45, 3.45], color=c["h_tilde"],
            lw=1.4, zorder=1)
    _arrow(ax, (8.2, 3.45), (8.7, 3.1), colour=c["h_tilde"])
    ax.text(5.3, 3.5, "$\\tilde h_t$", color=c["h_tilde"], fontsize=10)
    # mix and output
    _node(ax, (8.7, 4.0), "+")
    _arrow(ax, (7.6, 4.0), (8.7, 4.0), label="$z_t \\odot h_{t-1}$",
           offset=(0.0, 0.18))
    _arrow(ax, (8.7, 3.1), (8.7, 4.0), colour=c["h_tilde"],
           label="$(1 - z_t) \\odot \\tilde h_t$", offset=(0.95, -0.15))
    _arrow(ax, (8.7, 4.0), (10.0, 4.0), colour=c["h"])
    ax.text(10.1, 4.0, "$h_t$", ha="left", va="center", fontsize=13)
    ax.set_xlim(-0.9, 10.8)
    ax.set_ylim(-0.4, 4.6)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title("One GRU step (reset_after=False): "
                 "$h_t = z_t \\odot h_{t-1} + (1 - z_t) \\odot \\tilde h_t$",
                 fontsize=11)
    fig.tight_layout()
    return fig
