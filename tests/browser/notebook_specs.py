"""What the browser tests do in each notebook: which explorer, which slider.

One :class:`ExplorerCheck` per explorer a notebook shows. The browser test
finds the explorer on the page by its title, moves the named sliders with
real mouse and keyboard input, reads every slider's value back from the page,
and compares what is shown with what :mod:`gru_edu.cell` computes for those
values in the test process:

* ``build()`` makes the same explorer here (inline backend, off-screen); the
  test sets its sliders to the values read from the page, so its figure is
  the one the learner must be seeing — the page's image must equal it pixel
  for pixel (bar labels, gate values and titles included);
* ``expected(explorer)`` computes the numbers with :mod:`gru_edu.cell`
  directly; in JupyterLab the kernel's ``<var>.state`` must equal them.

A notebook listed in :data:`NOTEBOOKS` whose file exists is tested; one whose
file does not exist yet is skipped with a reason that says so. A notebook
that exists but has no explorer checks here fails its test with a message
that says what to add (see ``04_gate_explorer.ipynb``) — never a silent pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = REPO / "notebooks"

#: The notebook served by ``voila notebooks/04_gate_explorer.ipynb`` (README);
#: notebook 01 stands in for it until it exists.
APP_NOTEBOOK = "04_gate_explorer.ipynb"
APP_FALLBACK = "01_gru_equations.ipynb"


# ------------------------------------------------------------------- moves


@dataclass(frozen=True)
class Drag:
    """Drag the slider's handle ``dx`` CSS pixels with the mouse."""

    slider: str
    dx: float

    def describe(self) -> str:
        return f"drag {self.slider} by {self.dx:+g} px"


@dataclass(frozen=True)
class Keys:
    """Focus the slider's handle (a click on it) and press ``key`` n times."""

    slider: str
    key: str
    times: int = 1

    def describe(self) -> str:
        return f"{self.key} x{self.times} on {self.slider}"


Move = Drag | Keys


@dataclass
class ExplorerCheck:
    """One explorer in a notebook and how the browser test drives it."""

    #: text of the explorer's title line (its first ``HTML`` widget)
    title: str
    #: the variable the notebook binds the explorer to (for the kernel probe)
    var: str
    #: the same explorer, built in the test process
    build: Callable[[], Any]
    #: real input events, done in order
    moves: list[Move]
    #: numbers from gru_edu.cell for the explorer's current slider values
    expected: Callable[[Any], dict[str, Any]]
    #: short name used in artefact file names
    slug: str = "explorer"


@dataclass
class NotebookSpec:
    name: str
    #: None: no explorer checks written yet (the test then fails, loudly)
    explorers: list[ExplorerCheck] | None = field(default=None)

    @property
    def path(self) -> Path:
        return NOTEBOOK_DIR / self.name

    @property
    def exists(self) -> bool:
        return self.path.exists()


# ---------------------------------------------------- notebook 01 explorers


def _cell_expected(explorer: Any) -> dict[str, Any]:
    from gru_edu.cell import gru_step

    x, h_prev = explorer.inputs()
    h, gates = gru_step(x, h_prev, explorer.params())
    return {"h_prev": h_prev[0], "z": gates["z"][0], "r": gates["r"][0],
            "h_tilde": gates["h_tilde"][0], "h": h[0]}


def _memory_expected(explorer: Any) -> dict[str, Any]:
    from gru_edu.cell import gru_forward
    from gru_edu.widgets import half_life

    h_seq, cache = gru_forward(explorer.inputs(), explorer.params())
    h = h_seq[0, :, 0]
    return {"h": h, "z": cache.z[0, :, 0],
            "half_life": half_life(h, explorer.pulse_at)}


def _cell_explorer() -> Any:
    from gru_edu import widgets

    return widgets.cell_explorer(units=2)


def _memory_explorer() -> Any:
    from gru_edu import widgets

    return widgets.memory_explorer(steps=60)


NOTEBOOK_01 = NotebookSpec(
    "01_gru_equations.ipynb",
    explorers=[
        # After "Run All" the notebook has set x = -2 and b_z = 4 (cell 11).
        ExplorerCheck(
            title="One GRU step", var="explorer", slug="cell",
            build=_cell_explorer,
            moves=[Drag("x", +60.0), Keys("b_z", "ArrowLeft", 20)],
            expected=_cell_expected,
        ),
        # After "Run All" b_z = 4 and u_h = 0 (the half-life table).
        ExplorerCheck(
            title="How long does one GRU unit remember", var="memory",
            slug="memory", build=_memory_explorer,
            moves=[Keys("b_z", "ArrowLeft", 12)],
            expected=_memory_expected,
        ),
    ],
)

# Notebook 04 is written later. Once it exists its browser tests run: the
# generic checks (all cells run, no errors, widgets rendered, a slider moved
# by the mouse changes the plot) pass or fail on their own, and the test then
# fails until its ExplorerCheck (title, variable, build, moves, expected) is
# added here.
NOTEBOOK_04 = NotebookSpec("04_gate_explorer.ipynb", explorers=None)

NOTEBOOKS = {spec.name: spec for spec in (NOTEBOOK_01, NOTEBOOK_04)}


def app_notebook() -> NotebookSpec:
    """The notebook the Voila app test serves: 04 once it exists, else 01."""
    spec = NOTEBOOKS[APP_NOTEBOOK]
    return spec if spec.exists else NOTEBOOKS[APP_FALLBACK]


def as_jsonable(value: Any) -> Any:
    """Numbers, arrays, None and strings as JSON values (for artefacts)."""
    if isinstance(value, dict):
        return {k: as_jsonable(v) for k, v in value.items()}
    if isinstance(value, (np.ndarray, list, tuple)):
        return np.asarray(value, dtype=float).tolist()
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    return value
