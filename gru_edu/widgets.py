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
* **Notebook 04, the gate explorer** — :func:`gate_explorer` (the gates of a
  trained GRU, word by word, on real or typed reviews) and
  :func:`unit_words_explorer` (the words at which one unit writes or keeps
  most, over many reviews). Their numbers come from
  :mod:`gru_edu.gates`, which replays the trained layer with
  :mod:`gru_edu.cell`.
"""

from __future__ import annotations

import hashlib
import html
import io
import re
import time
import traceback
import warnings
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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
    "GATE_SORTS",
    "REVIEW_FILTERS",
    "READOUT_CLASS",
    "REVIEW_INFO_CLASS",
    "WORDS_CLASS",
    "gate_window",
    "ReviewTrace",
    "trace_review",
    "GateExplorer",
    "gate_explorer",
    "cached_gate_statistics",
    "WORD_RANKINGS",
    "UnitWordsExplorer",
    "unit_words_explorer",
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

    def snapshot(self) -> Any:
        """What the explorer shows now, as a static image for the notebook."""
        from IPython.display import Image

        if self.live:
            return Image(data=plots.figure_png(self.figure, dpi=self.dpi))
        return Image(data=bytes(self.view.value))

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
    each step), ``w_z`` (how far the pulse itself pushes ``z`` down, so the unit writes),
    ``w_h`` (candidate weight: what is written) and ``u_h`` (recurrent
    candidate weight: feedback that can sustain the state). The run is
    :func:`gru_edu.cell.gru_forward`; the marker shows the step where ``|h|``
    first falls to half its value at the pulse (:func:`half_life`), the title
    compares it with ``ln ½ / ln z``, exact when ``h̃ = 0`` after the pulse.
    """
    return MemoryExplorer(steps=steps, pulse_at=pulse_at)


# ------------------------------------------ notebook 04: the gate explorer

#: What the gate explorer's sort menu offers: label -> key.
GATE_SORTS = (
    ("unit number", "unit"),
    ("mean z, lowest first", "z"),
    ("mean r, lowest first", "r"),
    ("mean h, lowest first", "h"),
    ("corr(h, sentiment), highest first", "corr"),
)

#: What the review filter offers: label -> key.
REVIEW_FILTERS = (
    ("all reviews", "all"),
    ("label: positive", "positive"),
    ("label: negative", "negative"),
    ("predicted right", "correct"),
    ("predicted wrong", "incorrect"),
)

#: CSS classes of the explorer's text readouts (stable: browser tests use them).
READOUT_CLASS = "gru-edu-readout"
REVIEW_INFO_CLASS = "gru-edu-review-info"
WORDS_CLASS = "gru-edu-words"


def gate_window(step: int, length: int, window: int | None) -> tuple[int, int]:
    """The steps ``(lo, hi)`` the heatmaps show when ``step`` is selected.

    A pure function of the step, so the same slider values always show the
    same picture. The view moves in pages of ``window // 2`` steps and the
    selected step always lies in the middle half of it (except near the
    ends of the review); ``window=None`` or a short review shows everything.
    """
    if window is None or length <= window:
        return 0, length
    half = max(1, window // 2)
    lo = (step // half) * half - (window - half) // 2
    lo = min(max(lo, 0), length - window)
    return lo, lo + window


def _unit_order(key: str, values: Mapping[str, np.ndarray],
                sentiment: np.ndarray | None) -> np.ndarray:
    """Heatmap row order of the units (see :data:`GATE_SORTS`)."""
    units = values["z"].shape[1]
    if key == "unit":
        return np.arange(units)
    if key in ("z", "r", "h"):
        return np.argsort(values[key].mean(axis=0), kind="stable")
    if key == "corr":
        from gru_edu.gates import unit_sentiment_correlation

        return np.argsort(-unit_sentiment_correlation(values["h"], sentiment),
                          kind="stable")
    raise ValueError(f"unknown sort {key!r}: one of "
                     f"{[k for _, k in GATE_SORTS]}")


@dataclass
class ReviewTrace:
    """Everything the gate explorer shows for one review (review steps only).

    ``traces`` are :func:`gru_edu.gates.trace`'s traces cropped to the
    steps that hold the review (padding excluded); ``words[t]`` is what the
    model read at step ``t``; ``sentiment`` is
    :func:`gru_edu.gates.sentiment_so_far` on the same steps (None, with
    ``sentiment_note``, for a model it cannot explain).
    """

    key: tuple
    words: list[str]
    traces: list[Any]
    sentiment: np.ndarray | None
    prediction: float | None
    label: int | None = None
    index: int | None = None
    note: str = ""
    sentiment_note: str = ""
    text_trace: Any = None

    @property
    def length(self) -> int:
        return len(self.words)


def trace_review(trained: Any, *, ids: np.ndarray | None = None,
                 text: str | None = None, key: tuple = ()) -> ReviewTrace:
    """Trace one review given as model input ``ids`` or typed ``text``.

    ``ids`` (one padded row of word ids, as :func:`gru_edu.data.load_imdb`
    returns) go to :func:`gru_edu.gates.trace` as they are; ``text`` goes
    through :func:`gru_edu.gates.trace_text` (encoded, truncated and padded
    as the training reviews were; a truncation is reported in ``note``).
    """
    from gru_edu import gates

    model = trained.model
    text_trace = None
    note = ""
    if text is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", gates.TruncationWarning)
            text_trace = gates.trace_text(trained, text)
        traces = text_trace.traces
        review = text_trace.review
        words = list(text_trace.review_words)
        note = text_trace.note
    else:
        ids = np.asarray(ids)
        real = np.flatnonzero(ids != gates.PAD)
        if real.size == 0:
            raise gates.EmptyReviewError("this review has no word (all padding)")
        review = slice(int(real[0]), int(real[-1]) + 1)
        traces = gates.trace(model, ids[None])
        words = [trained.vocab.id_to_word(int(i)) for i in ids[review]]
    cropped = [t.crop(review) for t in traces]
    sentiment, why = None, ""
    try:
        sentiment = gates.sentiment_so_far(model, traces)[0, review, 0]
    except gates.GatesError as exc:
        why = f"sentiment so far not shown: {exc}"
    if text_trace is not None and np.ndim(text_trace.prediction) == 0:
        prediction = float(text_trace.prediction)
    elif sentiment is not None:
        prediction = float(sentiment[-1])
    else:
        out = np.asarray(model(np.asarray(ids)[None], training=False))
        prediction = float(out.reshape(-1)[0]) if out.size == 1 else None
    return ReviewTrace(key, words, cropped, sentiment, prediction, note=note,
                       sentiment_note=why, text_trace=text_trace)


def _canvas_png(canvas: Any) -> bytes:
    """The Agg canvas's pixels as PNG (fast zlib level: text stays sharp)."""
    from PIL import Image

    w, h = canvas.get_width_height(physical=True)
    img = Image.frombuffer("RGBA", (w, h), canvas.buffer_rgba(), "raw",
                           "RGBA", 0, 1)
    out = io.BytesIO()
    img.convert("RGB").save(out, format="png", compress_level=1)
    return out.getvalue()


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
            self.figure = plots.new_figure(figsize)
        else:  # an Agg canvas of its own, at the resolution shown (blitting)
            from matplotlib.backends.backend_agg import FigureCanvasAgg

            self.figure = plots.new_figure(figsize, dpi=self.dpi)
            FigureCanvasAgg(self.figure)
        self.artists = plots.draw_gate_explorer(self.figure, units,
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

    # --- which review ---------------------------------------------------------
    def _review(self) -> ReviewTrace:
        """The current review's trace, computed once per review (cached)."""
        c = self.controls
        if c["source"].value == "text":
            text = c["text"].value
            key = ("text", text)
            if key not in self._reviews:
                self._reviews[key] = trace_review(self.trained, text=text,
                                                  key=key)
            return self._reviews[key]
        if not len(self._filtered):
            raise ValueError(
                f"no review matches the filter {c['filter'].value!r} "
                f"among the {self.n_reviews} reviews given: choose another")
        index = int(self._filtered[min(c["review"].value,
                                       len(self._filtered) - 1)])
        key = ("review", index)
        if key not in self._reviews:
            if len(self._reviews) > 64:  # keep memory bounded
                self._reviews.clear()
            if self.x is not None:
                rt = trace_review(self.trained, ids=self.x[index], key=key)
            else:
                rt = trace_review(self.trained, text=self.texts[index], key=key)
            rt.index = index
            rt.label = None if self.labels is None else int(self.labels[index])
            self._reviews[key] = rt
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
            plots.update_gate_review(
                art, rt.words, state, state["order"], state["sentiment"],
                header=self._header(state),
                sentiment_title=self._sentiment_title(state))
            plots.update_gate_window(art, *state["window"])
        order, step = state["order"], state["step"]
        plots.update_gate_step(
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
        2. the *review layer* (:func:`plots.gate_review_artists`: heatmaps,
           word labels, sentiment curve), drawn on a copy of the chrome when
           the review, sort, layer or page of words changed;
        3. the *step layer* (:func:`plots.gate_step_artists`: highlights,
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
        review = plots.gate_review_artists(self.artists)
        step = plots.gate_step_artists(self.artists)
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


#: gate statistics already computed, per model: {(data digest, top_k): stats}
_STATS_CACHE: "weakref.WeakKeyDictionary[Any, dict]" = weakref.WeakKeyDictionary()


def cached_gate_statistics(trained: Any, x: np.ndarray, top_k: int = 10,
                           batch_size: int = 64,
                           progress: bool = False) -> list[Any]:
    """:func:`gru_edu.gates.gate_statistics`, computed once per model and data."""
    from gru_edu import gates

    x = np.ascontiguousarray(x)
    digest = hashlib.blake2b(x.tobytes(), digest_size=16).hexdigest()
    key = (digest, x.shape, int(top_k))
    per_model = _STATS_CACHE.setdefault(trained.model, {})
    if key not in per_model:
        per_model[key] = gates.gate_statistics(
            trained, x, batch_size=batch_size, top_k=top_k, progress=progress)
    return per_model[key]


#: What the unit-words explorer ranks by: label -> key.
WORD_RANKINGS = (
    ("reviews in which z is lowest / highest at the word", "count"),
    ("mean z at the word", "mean"),
)


class UnitWordsExplorer(Explorer):
    """The words at which one unit writes (low z) or keeps (high z) most, over
    many reviews; see :func:`unit_words_explorer`."""

    dpi = 72

    def __init__(self, trained: Any, x: np.ndarray, top_k: int = 10,
                 min_count: int = 10, stats: list[Any] | None = None,
                 batch_size: int = 64, progress: bool = False) -> None:
        super().__init__()
        self.trained = trained
        self.top_k = int(top_k)
        self.min_count = int(min_count)
        self.stats = stats if stats is not None else cached_gate_statistics(
            trained, x, top_k=top_k, batch_size=batch_size, progress=progress)
        first = self.stats[0]
        c = self.controls
        wide = {"description_width": "5em"}
        c["unit"] = W.IntSlider(value=0, min=0, max=first.units - 1,
                                description="unit", continuous_update=True,
                                style=wide, layout=W.Layout(width="24em"))
        c["rank"] = W.Dropdown(options=list(WORD_RANKINGS), value="count",
                               description="rank by", style=wide,
                               layout=W.Layout(width="28em"))
        row = [c["unit"], c["rank"]]
        if len(self.stats) > 1:
            c["layer"] = W.Dropdown(
                options=[(f"{s.layer_name} ({s.direction})", k)
                         for k, s in enumerate(self.stats)],
                value=0, description="layer", style=wide)
            row.append(c["layer"])
        if self.live:
            self.figure = plots.new_figure((9.0, 3.4))
        else:
            from matplotlib.backends.backend_agg import FigureCanvasAgg

            self.figure = plots.new_figure((9.0, 3.4), dpi=self.dpi)
            FigureCanvasAgg(self.figure)
        self.artists = plots.draw_unit_words(self.figure, self.top_k)
        self._finish(W.HBox(row), f"Across {first.n_reviews} reviews: where "
                                  "does a unit write, where does it keep?")

    def compute(self) -> dict[str, Any]:
        c = self.controls
        st = self.stats[c["layer"].value if "layer" in c else 0]
        unit = min(int(c["unit"].value), st.units - 1)
        rank = c["rank"].value
        if rank == "count":
            if st.writes_at is None:
                raise ValueError("word statistics need a model that reads "
                                 "word ids")
            writes = list(st.writes_at[unit][: self.top_k])
            keeps = list(st.keeps_at[unit][: self.top_k])
        elif rank == "mean":
            low = st.mean_z_by_word(unit, k=self.top_k,
                                    min_count=self.min_count, lowest=True)
            high = st.mean_z_by_word(unit, k=self.top_k,
                                     min_count=self.min_count, lowest=False)
            writes = [(w, m) for w, m, _ in low]
            keeps = [(w, m) for w, m, _ in high]
        else:
            raise ValueError(f"unknown ranking {rank!r}")
        return {"stats": st, "unit": unit, "rank": rank, "writes": writes,
                "keeps": keeps, "mean_z": float(st.mean["z"][unit]),
                "frac_write": float(st.frac_write[unit])}

    def draw(self, state: Mapping[str, Any]) -> None:
        st, unit = state["stats"], state["unit"]
        header = (f"unit {unit} of {st.layer_name}: mean z = "
                  f"{state['mean_z']:.2f}, z < 0.5 at "
                  f"{100 * state['frac_write']:.0f}% of {st.n_steps:,} steps "
                  f"in {st.n_reviews:,} reviews")
        if state["rank"] == "count":
            plots.update_unit_words(
                self.artists, state["writes"], state["keeps"],
                "reviews (count)",
                ("writes most here (lowest z in the review)",
                 "keeps most here (highest z in the review)"), header)
        else:
            plots.update_unit_words(
                self.artists, state["writes"], state["keeps"],
                f"mean z (words read >= {self.min_count} times)",
                ("lowest mean z: the unit writes", "highest mean z: the "
                 "unit keeps"), header, fmt="{:.2f}")

    def _render(self) -> None:
        if self.live:
            self.figure.canvas.draw_idle()
        else:
            self.figure.canvas.draw()
            self.view.value = _canvas_png(self.figure.canvas)

    def __repr__(self) -> str:
        s = self.state
        return (f"UnitWordsExplorer(unit={s.get('unit')}, "
                f"rank={s.get('rank')!r})")


def unit_words_explorer(trained: Any, x: np.ndarray, top_k: int = 10,
                        min_count: int = 10, stats: list[Any] | None = None,
                        batch_size: int = 64,
                        progress: bool = False) -> UnitWordsExplorer:
    """For a chosen unit, the words at which it writes or keeps most.

    Over the reviews ``x`` (padded word ids) :func:`gru_edu.gates.
    gate_statistics` finds, in every review, the step at which each unit's
    ``z`` is lowest (the unit *writes* its candidate) and
    highest (the unit *keeps* its memory), and counts the words
    read there. Computed once per model and data (cached; or pass ``stats``).
    Controls: ``unit``, ``rank`` (``"count"``: those counts; ``"mean"``:
    the words with the lowest / highest average ``z``, read at least
    ``min_count`` times) and ``layer`` (several GRU layers only).
    ``state["writes"]`` / ``state["keeps"]`` are the plotted
    ``(word, value)`` lists.
    """
    return UnitWordsExplorer(trained, x, top_k=top_k, min_count=min_count,
                             stats=stats, batch_size=batch_size,
                             progress=progress)
