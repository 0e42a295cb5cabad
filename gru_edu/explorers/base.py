"""What every explorer shares.

:class:`Explorer` builds the figure and its artists once and moves them in
a slider callback; with ipympl (``%matplotlib widget``) the live canvas is
shown and redrawn with ``draw_idle``, with the inline backend (tests, nbval)
the figure is rendered into a fixed-size ``ipywidgets.Image``. An error in a
callback is shown in ``explorer.errors``. :meth:`Explorer.close` releases an
explorer's widgets, figure, caches and model; every explorer still open is
closed when the kernel shuts down (:func:`close_all`, run at exit). No
explorer runs anything in the background: work happens only in a slider's
callback. Also here: :func:`new_figure` and
the PNG helpers, :data:`GATE_COLOURS` (one colour per GRU quantity) and
:class:`LabelRow` (a row of tick labels drawn as one collection).
"""

from __future__ import annotations

import atexit
import io
import re
import traceback
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

import ipywidgets as W
import matplotlib
import numpy as np
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.path import Path
from matplotlib.textpath import TextPath
from matplotlib.transforms import Affine2D


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


#: The Okabe–Ito palette: eight colours told apart by readers with any common
#: colour-vision deficiency (black first; the cycle of :func:`use_readable_style`
#: starts at the blue).
OKABE_ITO = ("#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2",
             "#D55E00", "#CC79A7")
#: The smallest font size, in points, of any text in a figure of the collection
#: (readable on a projector from the back of a room).
MIN_FONT_PT = 10.0

#: One colour per GRU quantity, shared by every figure of the collection
#: (Okabe–Ito colours, so no red/green pair carries meaning).
GATE_COLOURS = {
    "h_prev": "#666666",   # grey: the old state
    "z": "#0072B2",        # blue: update gate
    "r": "#E69F00",        # orange: reset gate
    "h_tilde": "#009E73",  # bluish green: candidate
    "h": "#D55E00",        # vermillion: new state
}


def describe_figure(fig: Figure) -> str:
    """Alt text for a figure: its title, then per panel the title, the axis
    labels with their ranges, the colour-bar label and the legend entries.

    It says what the figure shows in words a screen reader can read out;
    what to see in it is said by the prose around it.
    """
    parts = []
    if fig.get_suptitle():
        parts.append(fig.get_suptitle())
    axes = [ax for ax in fig.get_axes() if ax.get_visible()]
    colourbar_axes = [ax for ax in axes if hasattr(ax, "_colorbar")]
    panels = []
    for ax in axes:
        if ax in colourbar_axes:
            continue
        bits = [ax.get_title() or ax.get_title(loc="left")]
        for name, label, lim in (("x", ax.get_xlabel(), ax.get_xlim()),
                                 ("y", ax.get_ylabel(), ax.get_ylim())):
            if label:
                bits.append(f"{name} axis: {label} ({lim[0]:.3g} to {lim[1]:.3g})")
        legend = ax.get_legend()
        if legend is not None:
            entries = [t.get_text() for t in legend.get_texts() if t.get_text()]
            if entries:
                bits.append("legend: " + ", ".join(entries))
        bits = [b for b in bits if b]
        if bits:
            panels.append("; ".join(bits))
    for ax in colourbar_axes:
        label = ax.get_ylabel() or ax.get_xlabel()
        if label:
            panels.append(f"colour scale: {label}")
    if len(panels) > 1:
        parts += [f"Panel {i}: {p}" for i, p in enumerate(panels, 1)]
    else:
        parts += panels
    text = ". ".join(p.rstrip(".") for p in parts) or "A figure without titles or labels"
    text = re.sub(r"\\[,;!]", " ", text.replace("$", ""))
    return re.sub(r"\\([a-zA-Z]+)\s*", r"\1 ", text) + "."


def figure_problems(fig: Figure) -> list[str]:
    """What keeps ``fig`` from being read on a projector; empty when nothing.

    Checks that no visible text is under :data:`MIN_FONT_PT`, that the figure
    has a title (its own, or a panel's) and that every axis
    showing tick labels also has an axis label.
    """
    from matplotlib.text import Text

    fig.canvas.draw()  # lays out the tick labels
    problems = []
    for text in fig.findobj(Text):
        if (text.get_visible() and text.get_text().strip()
                and text.get_fontsize() < MIN_FONT_PT):
            problems.append(f"text {text.get_text()[:30]!r} at {text.get_fontsize():.1f} pt")
    panels = [ax for ax in fig.get_axes()
              if ax.get_visible() and ax.axison and not hasattr(ax, "_colorbar")]
    titles = [fig.get_suptitle()] + [t.get_text() for t in fig.texts] + [
        ax.get_title(loc=loc) for ax in fig.get_axes() if ax.get_visible()
        for loc in ("center", "left", "right")]
    if not any(t.strip() for t in titles):
        problems.append("no title")
    for i, ax in enumerate(panels):
        name = ax.get_title() or ax.get_title(loc="left") or f"panel {i}"
        for axis, label in ((ax.xaxis, ax.get_xlabel()), (ax.yaxis, ax.get_ylabel())):
            shown = [t for t in axis.get_ticklabels() if t.get_visible() and t.get_text()]
            if shown and not label.strip():
                problems.append(f"{name}: {axis.axis_name} axis without a label")
    return problems


def use_readable_style() -> None:
    """matplotlib settings for figures read on a projector: no text under
    :data:`MIN_FONT_PT`, the Okabe–Ito colour cycle, viridis for maps."""
    from cycler import cycler

    order = (5, 1, 3, 6, 2, 7, 0, 4)  # blue, orange, green, vermillion, ...
    matplotlib.rcParams.update({
        # matplotlib's default sizes, pinned: none is under MIN_FONT_PT, and
        # the explorers' figures look the same with or without this style
        "font.size": 10, "axes.titlesize": 12, "axes.labelsize": 10,
        "xtick.labelsize": 10, "ytick.labelsize": 10, "legend.fontsize": 10,
        "legend.title_fontsize": 10, "figure.titlesize": 12,
        "image.cmap": "viridis",
        "axes.prop_cycle": cycler(color=[OKABE_ITO[i] for i in order]),
    })


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


def slider(value: float, lo: float, hi: float, description: str,
           step: float = 0.05, continuous: bool = True) -> W.FloatSlider:
    """A float slider in the explorers' one look (width, label width, 2 decimals)."""
    return W.FloatSlider(
        value=value, min=lo, max=hi, step=step, description=description,
        continuous_update=continuous, readout_format=".2f",
        style={"description_width": "5.5em"},
        layout=W.Layout(width="19em"),
    )


#: The explorers not yet closed (weak: a forgotten explorer is freed as usual).
_OPEN: "weakref.WeakSet[Explorer]" = weakref.WeakSet()


def close_all() -> int:
    """Close every explorer still open (see :meth:`Explorer.close`); how many.

    Registered with :mod:`atexit`, so a kernel that shuts down (or is culled
    when idle) lets go of the explorers' widgets, caches and models first.
    """
    explorers = list(_OPEN)
    for explorer in explorers:
        explorer.close()
    return len(explorers)


atexit.register(close_all)


def _close_widgets(widget: Any) -> None:
    """Close ``widget`` and every widget inside it (their comms to the browser)."""
    if widget is None:
        return
    for child in getattr(widget, "children", ()) or ():
        _close_widgets(child)
    if isinstance(widget, W.Widget):
        widget.close()


class Explorer:
    """Base class: controls, one figure updated in place, a visible error area.

    Subclasses set ``self.controls`` and ``self.figure``/``self.artists``,
    implement :meth:`compute` (numbers from the controls, with
    :mod:`gru_edu.cell`) and :meth:`draw` (move the artists), then call
    :meth:`_finish` with the control layout. A subclass that holds a model or
    caches drops them in :meth:`_release`.
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
        self.live = uses_ipympl()
        self.view: W.Widget | None = None
        self.widget: W.Widget | None = None
        self.closed = False
        _OPEN.add(self)

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
            self.view.value = figure_png(self.figure, dpi=self.dpi)

    def _figure_with_canvas(self, figsize: tuple[float, float]) -> Any:
        """The figure: ipympl's live canvas, else an Agg canvas of its own at the
        resolution shown (so that a subclass can blit and :func:`canvas_png` it)."""
        if self.live:
            return new_figure(figsize)
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        fig = new_figure(figsize, dpi=self.dpi)
        FigureCanvasAgg(fig)
        return fig

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

    def close(self) -> None:
        """Release the widgets, the figure, the caches and the model.

        The sliders stop answering, the browser side of every widget is
        closed and the explorer keeps no reference to the model, its traces
        or its statistics, so they are freed once the notebook drops its own
        names. Closing twice does nothing.
        """
        if self.closed:
            return
        self.closed = True
        _OPEN.discard(self)
        for ctl in self.controls.values():
            try:
                ctl.unobserve(self.update, names="value")
            except ValueError:  # built but never observed: the explorer failed to open
                pass
        _close_widgets(self.widget)
        _close_widgets(self.errors)
        if self.live and self.figure is not None:
            import matplotlib.pyplot as plt

            plt.close(self.figure)
        self._release()
        self.figure, self.widget, self.view = None, None, None
        self.artists, self.state, self.controls = {}, {}, {}

    def _release(self) -> None:
        """Drop what a subclass holds beyond widgets and figure (model, caches)."""

    def _ipython_display_(self) -> None:
        """The widget, with a static PNG of its current view in the same output.

        A live notebook shows the widget; a rendered copy, a PDF export or a
        reader without a kernel falls back to the picture (with alt text).
        """
        import base64

        from IPython.display import display

        bundle = self.widget._repr_mimebundle_() or {}
        if isinstance(bundle, tuple):
            bundle = bundle[0]
        png = (figure_png(self.figure, dpi=self.dpi) if self.live or self.view is None
               else bytes(self.view.value))
        data = {**bundle, "image/png": base64.b64encode(png).decode("ascii")}
        display(data, raw=True,
                metadata={"image/png": {"alt": describe_figure(self.figure)}})

    def snapshot(self) -> Any:
        """What the explorer shows now, as a static image for the notebook."""
        from IPython.display import Image

        alt = {"alt": describe_figure(self.figure)}
        if self.live:
            return Image(data=figure_png(self.figure, dpi=self.dpi), metadata=alt)
        return Image(data=bytes(self.view.value), metadata=alt)

    def __repr__(self) -> str:
        vals = ", ".join(f"{k}={v:.3g}" for k, v in self.values().items())
        return f"{type(self).__name__}({vals})"


def canvas_png(canvas: Any) -> bytes:
    """The Agg canvas's pixels as PNG (fast zlib level: text stays sharp)."""
    from PIL import Image

    w, h = canvas.get_width_height(physical=True)
    img = Image.frombuffer("RGBA", (w, h), canvas.buffer_rgba(), "raw",
                           "RGBA", 0, 1)
    out = io.BytesIO()
    img.convert("RGB").save(out, format="png", compress_level=1)
    return out.getvalue()
