"""Slider explorers (ipywidgets) for the gru-edu notebooks.

Every explorer is built the same way, so the notebooks feel alike and a
headless test can drive any of them:

* the figure and its artists are built **once**; a slider callback computes
  the new numbers with :mod:`gru_edu.cell` (never re-deriving the equations)
  and moves the artists in place;
* with ipympl (``%matplotlib widget``) the live canvas is shown and redrawn
  with ``draw_idle``; with the inline backend (the default, tests, nbval) the
  figure is rendered into a fixed-size ``ipywidgets.Image`` — no figure
  pile-up, no flicker, and no extra figure in ``plt.get_fignums()``;
* an error in a callback is shown in a visible ``Output`` under the controls
  (``explorer.errors``), and the last exception is kept in
  ``explorer.last_error``;
* the object exposes ``.controls`` (name -> widget), ``.figure``,
  ``.artists``, ``.state`` (the numbers last plotted) and ``.widget`` (the
  container to display); writing ``explorer`` as the last line of a cell
  displays it.

Sections:

* **Explorer base** — :class:`Explorer`.
* **Notebook 01, the GRU equations** — :func:`cell_explorer` (one GRU step)
  and :func:`memory_explorer` (a remembered pulse and its half-life).
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from typing import Any

import ipywidgets as W
import numpy as np

from gru_edu import plots
from gru_edu.cell import GRUParams, gru_forward, gru_step

__all__ = [
    "Explorer",
    "CellExplorer",
    "cell_explorer",
    "MemoryExplorer",
    "memory_explorer",
    "half_life",
]


# ------------------------------------------------------------- explorer base


def _slider(value: float, lo: float, hi: float, description: str,
            step: float = 0.05, continuous: bool = True) -> W.FloatSlider:
    return W.FloatSlider(
        value=value, min=lo, max=hi, step=step, description=description,
        continuous_update=continuous, readout_format=".2f",
        style={"description_width": "5.5em"},
        layout=W.Layout(width="19em"),
    )


class Explorer:
    """Base class: controls, one figure updated in place, a visible error area.

    Subclasses set ``self.controls`` and ``self.figure``/``self.artists``,
    implement :meth:`compute` (numbers from the controls, with
    :mod:`gru_edu.cell`) and :meth:`draw` (move the artists), then call
    :meth:`_finish` with the control layout.
    """

    #: resolution of the rendered figure (inline backend), dots per inch
    dpi = 80

    def __init__(self) -> None:
        self.controls: dict[str, W.ValueWidget] = {}
        self.figure: Any = None
        self.artists: dict[str, Any] = {}
        self.state: dict[str, Any] = {}
        self.last_error: BaseException | None = None
        self.errors = W.Output(layout=W.Layout(border="0px"))
        self.live = plots.uses_ipympl()
        self.view: W.Widget | None = None
        self.widget: W.Widget | None = None

    # --- to implement -----------------------------------------------------
    def compute(self) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def draw(self, state: Mapping[str, Any]) -> None:  # pragma: no cover
        raise NotImplementedError

    # --- machinery ----------------------------------------------------------
    def values(self) -> dict[str, float]:
        """The current value of every control, by name."""
        return {name: ctl.value for name, ctl in self.controls.items()}

    def update(self, change: Any = None) -> None:
        """Recompute and redraw; errors go to ``self.errors`` (never raised)."""
        try:
            state = self.compute()
            self.draw(state)
            self._render()
        except Exception as exc:  # noqa: BLE001 - shown to the learner
            self.last_error = exc
            self.errors.outputs = ()
            text = "".join(traceback.format_exception_only(type(exc), exc))
            where = traceback.extract_tb(exc.__traceback__)[-1]
            self.errors.append_stderr(
                f"Error in the explorer callback ({where.name}, line "
                f"{where.lineno}): {text}"
            )
            self.errors.layout.border = "2px solid #d62728"
            return
        self.state = state
        self.last_error = None
        if self.errors.outputs:
            self.errors.outputs = ()
            self.errors.layout.border = "0px"

    def _render(self) -> None:
        if self.live:
            self.figure.canvas.draw_idle()
        else:
            self.view.value = plots.figure_png(self.figure, dpi=self.dpi)

    def _finish(self, controls_box: W.Widget, title: str = "") -> None:
        if self.live:
            self.view = self.figure.canvas
        else:
            w, h = self.figure.get_size_inches() * self.dpi
            self.view = W.Image(
                format="png",
                layout=W.Layout(width=f"{int(w)}px", height=f"{int(h)}px"),
            )
        for ctl in self.controls.values():
            ctl.observe(self.update, names="value")
        parts = [controls_box, self.errors, self.view]
        if title:
            parts.insert(0, W.HTML(f"<b>{title}</b>"))
        self.widget = W.VBox(parts)
        self.update()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def __repr__(self) -> str:
        vals = ", ".join(f"{k}={v:.3g}" for k, v in self.values().items())
        return f"{type(self).__name__}({vals})"


# -------------------------------------------- notebook 01: the GRU equations


class CellExplorer(Explorer):
    """One GRU step with sliders; see :func:`cell_explorer`."""

    GATES = (("z", "update gate z"), ("r", "reset gate r"),
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
        c["x"] = _slider(1.0, -2.0, 2.0, "$x_t$")
        for u in range(units):
            c[f"h_prev_{u}"] = _slider(float(h_prev[u]), -1.0, 1.0,
                                       f"$h_{{t-1}}[{u}]$")
        defaults = {"w_z": -1.0, "u_z": 0.5, "b_z": 1.0,
                    "w_r": 1.0, "u_r": 0.5, "b_r": 0.0,
                    "w_h": 1.5, "u_h": 1.0, "b_h": 0.0}
        for g, _ in self.GATES:
            for kind, what in (("w", "W"), ("u", "U"), ("b", "b")):
                name = f"{kind}_{g}"
                c[name] = _slider(defaults[name], -4.0, 4.0, f"${what}_{g}$",
                                  step=0.1)
        if reset_after:
            c["rb_h"] = _slider(0.0, -4.0, 4.0, "$b'_h$", step=0.1)

        self.figure = plots.new_figure((9.5, 3.6))
        self.artists = plots.draw_cell_step(self.figure, units)

        def column(header: str, names: list[str]) -> W.VBox:
            return W.VBox([W.HTML(f"<b>{header}</b>")] + [c[n] for n in names])

        cols = [column("inputs", ["x"] + [f"h_prev_{u}" for u in range(units)])]
        for g, header in self.GATES:
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
        kernel = np.concatenate([v[f"w_{g}"] * ones for g, _ in self.GATES])
        recurrent = np.concatenate([v[f"u_{g}"] * eye for g, _ in self.GATES],
                                   axis=1)
        bias = np.concatenate([v[f"b_{g}"] * ones for g, _ in self.GATES])
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
        plots.update_cell_step(self.artists, state)


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
        c["b_z"] = _slider(2.0, -3.0, 7.0, "$b_z$", step=0.1)
        c["w_z"] = _slider(-4.0, -8.0, 4.0, "$W_z$", step=0.1)
        c["w_h"] = _slider(2.0, -3.0, 3.0, "$W_h$", step=0.1)
        c["u_h"] = _slider(0.0, -3.0, 3.0, "$U_h$", step=0.1)
        self.figure = plots.new_figure((9.0, 4.6))
        self.artists = plots.draw_memory(self.figure, steps, pulse_at)
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
        plots.update_memory(self.artists, state["x"], state["h"], state["z"],
                            self.pulse_at, state["half_life"], state["title"])


def memory_explorer(steps: int = 40, pulse_at: int = 2) -> MemoryExplorer:
    """A 1-unit GRU gets one input pulse, then zeros: how long is it kept?

    Controls: ``b_z`` (update-gate bias: how much of the old state is kept
    each step), ``w_z`` (how far the pulse itself opens the gate to write),
    ``w_h`` (candidate weight: what is written) and ``u_h`` (recurrent
    candidate weight: feedback that can sustain the state). The run is
    :func:`gru_edu.cell.gru_forward`; the marker shows the step where ``|h|``
    first falls to half its value at the pulse (:func:`half_life`), the title
    compares it with ``ln ½ / ln z``, exact when ``h̃ = 0`` after the pulse.
    """
    return MemoryExplorer(steps=steps, pulse_at=pulse_at)
