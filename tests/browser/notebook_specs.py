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

An explorer too big to rebuild here (notebook 04's gate explorer: a trained
model and hundreds of test reviews) gives ``shown`` instead of ``build`` and
``expected``: the test reads what the page shows (which review, step and unit,
from the explorer's text readouts), ``shown(...)`` computes the numbers for
that review, step and unit independently with :mod:`gru_edu.cell` on the same
saved model, and the readout's numbers must equal them to the 4 decimals
shown (in JupyterLab the kernel's ``state`` too, to 1e-6).

A notebook listed in :data:`NOTEBOOKS` whose file exists is tested; one whose
file does not exist yet is skipped with a reason that says so. A notebook
that exists but has no explorer checks here fails its test with a message
that says what to add — never a silent pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = REPO / "notebooks"

#: The notebook served by ``voila notebooks/04_gate_explorer.ipynb`` (README).
APP_NOTEBOOK = "04_gate_explorer.ipynb"


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
    #: real input events, done in order
    moves: list[Move]
    #: the same explorer, built in the test process (pixel comparison)
    build: Callable[[], Any] | None = None
    #: numbers from gru_edu.cell for the explorer's current slider values
    expected: Callable[[Any], dict[str, Any]] | None = None
    #: short name used in artefact file names
    slug: str = "explorer"
    #: instead of ``build``/``expected``: what gru_edu computes for what the
    #: page shows (``{"review": i, "step": t, "unit": u}``), see
    #: :func:`explorer_driver.check_readout_explorer`
    shown: Callable[[dict[str, int]], dict[str, Any]] | None = None
    #: instead of all of the above: a function that drives and checks the
    #: explorer itself, ``drive(page, check, save, prefix, probe=...,
    #: settle_s=...)`` (e.g. :func:`deeper_checks.check_select_match`)
    drive: Callable[..., dict[str, Any]] | None = None


@dataclass
class NotebookSpec:
    name: str
    #: None: no explorer checks written yet (the test then fails, loudly)
    explorers: list[ExplorerCheck] | None = field(default=None)
    #: after "Run All", left alone: the kernel uses no CPU and runs no timer
    #: or gru_edu thread (:func:`explorer_driver.idle_kernel_check`)
    idle_check: bool = False

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
    from gru_edu.explorers.memory_explorer import half_life

    h_seq, cache = gru_forward(explorer.inputs(), explorer.params())
    h = h_seq[0, :, 0]
    return {"h": h, "z": cache.z[0, :, 0],
            "half_life": half_life(h, explorer.pulse_at)}


def _cell_explorer() -> Any:
    from gru_edu.explorers.cell_explorer import cell_explorer

    return cell_explorer(units=2)


def _memory_explorer() -> Any:
    from gru_edu.explorers.memory_explorer import memory_explorer

    return memory_explorer(steps=60)


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

# ---------------------------------------------------- notebook 04 explorers


def _trained_and_reviews() -> tuple[Any, np.ndarray]:
    """The model notebook 04 shows and the test reviews it offers.

    :func:`gru_edu.imdb.load_explorer_model`, as notebook 04 calls it, under
    the same ``GRU_EDU_ARTIFACTS`` as the kernels (they inherit the test
    run's environment). Loaded afresh on every call.
    """
    from gru_edu import imdb

    trained, _ = imdb.load_explorer_model("gru")
    (_, _), (x_test, _) = imdb.load_imdb(
        vocabulary=trained.vocab, maxlen=trained.maxlen,
        padding=trained.padding, progress=False)
    return trained, x_test


def gate_numbers(trained: Any, ids: np.ndarray, step: int,
                 unit: int) -> dict[str, Any]:
    """Gates of ``unit`` at review step ``step`` of one padded review.

    Computed here with :func:`gru_edu.cell.gru_forward` on the model's own
    weights (embedding lookup, plus the fixed word-polarity feature when the
    model has one, the GRU's ``GRUParams``, the sigmoid output layer applied
    to every ``h_t``), in float64 — not through the explorer or
    :mod:`gru_edu.gates` — and cross-checked against
    :func:`gru_edu.gates.trace` (which starts each step from Keras's float32
    state, hence 1e-6). ``step`` counts review words (padding
    excluded), as the explorer's ``step`` slider does.
    """
    import keras

    from gru_edu import gates
    from gru_edu.cell import GRUParams, gru_forward

    model = trained.model
    ids = np.asarray(ids)
    real = np.flatnonzero(ids != gates.PAD)
    start, length = int(real[0]), int(real[-1] - real[0] + 1)
    emb = next(la for la in model.layers
               if isinstance(la, keras.layers.Embedding))
    gru = next(la for la in model.layers if isinstance(la, keras.layers.GRU))
    dense = [la for la in model.layers if isinstance(la, keras.layers.Dense)]
    x = emb.get_weights()[0].astype(np.float64)[ids][None]
    polarity = [la for la in model.layers if hasattr(la, "table")]
    if polarity:  # imdb.AppendPolarity: one fixed number per word, appended
        table = np.asarray(polarity[0].table, dtype=np.float64)
        x = np.concatenate([x, table[ids][None, :, None]], axis=-1)
    params = GRUParams.from_keras(gru).astype(np.float64)
    h_seq, cache = gru_forward(x, params, mask=(ids != gates.PAD)[None])
    w, b = (a.astype(np.float64) for a in dense[-1].get_weights())
    sentiment = 1.0 / (1.0 + np.exp(-(h_seq[0] @ w + b)[:, 0]))
    traced = gates.trace(model, ids[None])[0]
    for g in gates.GATES:  # the explorer's source agrees with the cell
        np.testing.assert_allclose(traced.gate(g)[0], getattr(cache, g)[0],
                                   atol=1e-6, err_msg=f"gates.trace {g}")
    t = start + int(step)
    from deeper_checks import gradient_at

    prediction = float(sentiment[start + length - 1])
    return {"word": trained.vocab.id_to_word(int(ids[t])),
            "gradient": gradient_at(trained, ids, int(step), prediction),
            "length": length, "z": cache.z[0, t, unit],
            "r": cache.r[0, t, unit], "h_tilde": cache.h_tilde[0, t, unit],
            "h": cache.h[0, t, unit], "sentiment": sentiment[t],
            "prediction": sentiment[start + length - 1],
            "replay_error": traced.max_abs_error}


def _gate_expected(shown: dict[str, int]) -> dict[str, Any]:
    trained, x_test = _trained_and_reviews()
    return gate_numbers(trained, x_test[shown["review"]], shown["step"],
                        shown["unit"])


NOTEBOOK_04 = NotebookSpec(
    "04_gate_explorer.ipynb",
    explorers=[
        # After "Run All": a test review (filter "all", sort "corr") at the
        # step where its prediction last flipped — often near its end — so
        # the moves go left: a drag (the heatmap window usually pages too),
        # then arrow keys (only the step layer moves).
        ExplorerCheck(
            title="Gate explorer: the update and reset gates of the trained "
                  "GRU, word by word",
            var="explorer", slug="gates",
            moves=[Drag("step", -80.0), Keys("step", "ArrowLeft", 3)],
            shown=_gate_expected,
        ),
    ],
    # a classroom leaves it open: it must do nothing in the background
    idle_check=True,
)

# ---------------------------------------------------- notebook 05 explorer


def _counting_explorer() -> Any:
    from gru_edu.explorers.counting_explorer import counting_explorer

    return counting_explorer()


def _counting_expected(explorer: Any) -> dict[str, Any]:
    """LSTM cell state and GRU state for the slider values, from the two cells."""
    from gru_edu.cell import gru_forward
    from gru_edu.explorers.counting_explorer import (counting_gru, counting_lstm,
                                                     counting_string)
    from gru_edu.cell.lstm import lstm_forward

    v = explorer.values()
    n = int(v["n"])
    x = counting_string(n)
    _, cache = lstm_forward(x, counting_lstm(v["keep"], v["w"]))
    h, _ = gru_forward(x, counting_gru(v["keep"], v["w"]))
    c = cache.c[0, :, 0]
    return {"c": c, "h": h[0, :, 0], "c_peak": float(c[n - 1]),
            "h_peak": float(h[0, n - 1, 0]), "c_end": float(c[-1])}


NOTEBOOK_05 = NotebookSpec(
    "05_gru_vs_lstm_claims.ipynb",
    explorers=[
        ExplorerCheck(
            title="Counting with one unit", var="counter", slug="counting",
            build=_counting_explorer,
            moves=[Keys("n", "ArrowRight", 5), Drag("keep", -60.0)],
            expected=_counting_expected,
        ),
    ],
)


def _select_match(*args: Any, **kwargs: Any) -> dict[str, Any]:
    from deeper_checks import check_select_match

    return check_select_match(*args, **kwargs)


NOTEBOOK_06 = NotebookSpec(
    "06_reading_the_gates_deeper.ipynb",
    explorers=[
        # The gate explorer with its gradient row: the readout's gradient
        # number is checked like the gates (deeper_checks.gradient_at).
        ExplorerCheck(
            title="Gate explorer: the update and reset gates of the trained "
                  "GRU, word by word",
            var="explorer", slug="gates",
            moves=[Drag("step", 60.0), Keys("step", "ArrowRight", 2)],
            shown=_gate_expected,
        ),
        # Select and match: the span's upper handle, one word to the right.
        ExplorerCheck(
            title="Select and match (LSTMVis)",
            var="matcher", slug="select-match", moves=[],
            drive=_select_match,
        ),
    ],
)


# ---------------------------------------------------- notebook 07 explorer


def _sampling_explorer() -> Any:
    from gru_edu.explorers.sampling_explorer import sampling_explorer
    from gru_edu.lm.bundle import load_language_model

    return sampling_explorer(load_language_model(), prefix="this movie was",
                             temperature=0.8, top_k=40, seed=0)


def _sampling_expected(explorer: Any) -> dict[str, Any]:
    """The next-word distribution and its reshaping, from the NumPy reader."""
    from gru_edu.imdb import OOV
    from gru_edu.lm.sampling import reshape

    v = explorer.values()
    probs = explorer.lm.next_word_probs(v["prefix"])
    return {"probs": probs, "shaped": reshape(probs, v["temperature"], v["top_k"],
                                              banned=(OOV,))}


NOTEBOOK_07 = NotebookSpec(
    "07_language_model_without_labels.ipynb",
    explorers=[
        ExplorerCheck(
            title="Sampling from the GRU language model: type a prefix, move the sliders",
            var="writer", slug="sampling", build=_sampling_explorer,
            moves=[Drag("temperature", -50.0), Keys("top_k", "ArrowLeft", 5)],
            expected=_sampling_expected,
        ),
    ],
)

NOTEBOOKS = {spec.name: spec
             for spec in (NOTEBOOK_01, NOTEBOOK_04, NOTEBOOK_05, NOTEBOOK_06, NOTEBOOK_07)}


def app_notebook() -> NotebookSpec:
    """The notebook the Voila app test serves (the README's command)."""
    return NOTEBOOKS[APP_NOTEBOOK]


def as_jsonable(value: Any) -> Any:
    """Numbers, arrays, None and strings as JSON values (for artefacts)."""
    if isinstance(value, dict):
        return {k: as_jsonable(v) for k, v in value.items()}
    if isinstance(value, (np.ndarray, list, tuple)):
        return np.asarray(value, dtype=float).tolist()
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    return value
