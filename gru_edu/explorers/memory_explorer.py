"""Notebook 01: how long a GRU remembers a pulse.

:func:`memory_explorer` runs a one-unit GRU on a single pulse and draws the
state and the update gate over time, with the state's half-life
(:func:`half_life`); :func:`plot_gradient_through_time` draws how a gradient
shrinks or survives over the steps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure

from gru_edu.cell import GRUParams, gru_forward
from .base import GATE_COLOURS, Explorer, slider, new_figure


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
    ax_h.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=10)
    ax_h.grid(alpha=0.3)

    x_bars = ax_g.bar(t, zeros, 0.6, color="0.5", label="input $x_t$")
    (z_line,) = ax_g.plot(t, zeros, "-", color=GATE_COLOURS["z"],
                          label="update gate $z_t$")
    ax_g.set_ylim(-0.05, 1.1)
    ax_g.set_xlim(-0.5, steps - 0.5)
    ax_g.set_xlabel("time step $t$")
    ax_g.set_ylabel("gate / input")
    ax_g.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=10)
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
    ax.legend(fontsize=10)
    fig.tight_layout()
    return fig


def half_life(h: np.ndarray, start: int, rel: float = 0.5) -> int | None:
    """Steps after ``start`` until ``|h|`` first falls to ``rel·|h[start]|``.

    ``h`` is 1-D over time. None if nothing was written (``|h[start]|`` below
    1e-6) or if the state never falls that far within the sequence.
    """
    h = np.abs(np.asarray(h, dtype=float))
    peak = h[start]
    if peak < 1e-6:
        return None
    below = np.nonzero(h[start + 1:] <= rel * peak)[0]
    return int(below[0]) + 1 if below.size else None


class MemoryExplorer(Explorer):
    """A 1-unit GRU remembering one pulse; see :func:`memory_explorer`."""

    def __init__(self, steps: int = 40, pulse_at: int = 2) -> None:
        super().__init__()
        if not 0 <= pulse_at < steps - 1:
            raise ValueError(f"pulse_at must be in [0, {steps - 2}], got {pulse_at}")
        self.steps, self.pulse_at = steps, pulse_at
        c = self.controls
        c["b_z"] = slider(2.0, -3.0, 7.0, "$b_z$", step=0.1)
        c["w_z"] = slider(-4.0, -8.0, 4.0, "$W_z$", step=0.1)
        c["w_h"] = slider(2.0, -3.0, 3.0, "$W_h$", step=0.1)
        c["u_h"] = slider(0.0, -3.0, 3.0, "$U_h$", step=0.1)
        self.figure = new_figure((9.0, 4.6))
        self.artists = draw_memory(self.figure, steps, pulse_at)
        box = W.HBox([W.VBox([c["b_z"], c["w_z"]]),
                      W.VBox([c["w_h"], c["u_h"]])])
        self._finish(box, f"How long does one GRU unit remember a pulse "
                          f"at t = {pulse_at}?")

    def params(self) -> GRUParams:
        """The 1-unit cell (reset_after=False) the sliders describe.

        Kernel ``[W_z, 0, W_h]``, recurrent kernel ``[0, 0, U_h]``, bias
        ``[b_z, 0, 0]``: the update gate reads only the input (so after the
        pulse ``z = σ(b_z)`` is constant), the reset gate sits at
        ``σ(0) = 0.5``.
        """
        v = self.values()
        return GRUParams(np.array([[v["w_z"], 0.0, v["w_h"]]]),
                         np.array([[0.0, 0.0, v["u_h"]]]),
                         np.array([v["b_z"], 0.0, 0.0]), reset_after=False)

    def inputs(self) -> np.ndarray:
        """One sequence ``(1, steps, 1)``: 1 at ``pulse_at``, 0 elsewhere."""
        x = np.zeros((1, self.steps, 1))
        x[0, self.pulse_at, 0] = 1.0
        return x

    def compute(self) -> dict[str, Any]:
        x = self.inputs()
        h_seq, cache = gru_forward(x, self.params())
        h, z = h_seq[0, :, 0], cache.z[0, :, 0]
        p = self.pulse_at
        steps_half = half_life(h, p)
        z_after = float(z[p + 1])
        theory = (float(np.log(0.5) / np.log(z_after))
                  if 0.0 < z_after < 1.0 else float("inf"))
        if_zero = (r"if $\tilde h = 0$: "
                   f"ln½ / ln z = {theory:.1f} (z = {z_after:.3f})")
        if abs(h[p]) < 1e-6:
            title = "nothing written: h stays 0 (make $W_h$ non-zero)"
        elif steps_half is None:
            title = (f"half-life > {self.steps - 1 - p} steps (not reached)"
                     f"  |  {if_zero}")
        else:
            title = f"half-life: {steps_half} steps  |  {if_zero}"
        return {"x": x[0, :, 0], "h": h, "z": z, "half_life": steps_half,
                "half_life_theory": theory, "z_after": z_after,
                "title": title}

    def draw(self, state: Mapping[str, Any]) -> None:
        update_memory(self.artists, state["x"], state["h"], state["z"],
                            self.pulse_at, state["half_life"], state["title"])


def memory_explorer(steps: int = 40, pulse_at: int = 2) -> MemoryExplorer:
    """A 1-unit GRU gets one input pulse, then zeros: how long is it kept?

    Controls: ``b_z`` (update-gate bias: how much of the old state is kept
    each step), ``w_z`` (how far the pulse itself pushes ``z`` down, so the unit writes),
    ``w_h`` (candidate weight: what is written) and ``u_h`` (recurrent
    candidate weight: feedback that can sustain the state). The run is
    :func:`gru_edu.cell.gru_forward`; the marker shows the step where ``|h|``
    first falls to half its value at the pulse (:func:`half_life`), the title
    compares it with ``ln ½ / ln z``, exact when ``h̃ = 0`` after the pulse.
    """
    return MemoryExplorer(steps=steps, pulse_at=pulse_at)
