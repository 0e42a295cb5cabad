"""End to end in JupyterLab: run a notebook in Chromium, move its sliders.

For each notebook of :data:`notebook_specs.NOTEBOOKS` that exists, a real
JupyterLab (localhost, free port, random token, no browser of its own)
serves a copy of ``notebooks/``, and headless Chromium, driven by Playwright:

1. opens the notebook and runs *Run > Run All Cells* from the menu bar;
2. checks that every code cell ran, none shows an error (error output,
   traceback on stderr, "Error displaying widget", an explorer callback
   error) and every widget output is rendered as a widget, not as text;
3. moves explorer sliders with real mouse drags and key presses, and checks
   that the plot area changed (screenshots before/after differ) and that the
   page shows exactly what :mod:`gru_edu.cell` computes for the slider values
   read from the page, in the figure (notebook 01) or the gate readout
   (notebook 04) and in the kernel's ``state``.

Notebook 04 (``idle_check``) is also left alone after step 2: its kernel
must use no CPU (< 0.3 s in 10 s) and run no timer or gru_edu thread — a
notebook left open on a hub does nothing in the background.

Screenshots, per-cell reports and the server log are in
``test-artifacts/browser/`` (``lab-NN-*``).
"""

from __future__ import annotations

import shutil
from typing import Any

import pytest

from explorer_driver import (check_explorer, cell_report, generic_slider_check,
                             idle_kernel_check, kernel_probe, open_notebook,
                             problems_in, run_all_cells, stderr_texts)
from jupyter_servers import start_lab
from notebook_specs import NOTEBOOKS

PARAMS = [
    pytest.param(name, id=name.removesuffix(".ipynb"),
                 marks=() if spec.exists else pytest.mark.skip(
                     reason=f"notebook {name[:2]} not written yet "
                            f"(notebooks/{name})"))
    for name, spec in NOTEBOOKS.items()
]


@pytest.fixture(scope="module")
def lab(chromium: Any, tmp_path_factory: Any, artifacts: Any) -> Any:
    """One JupyterLab for this module, stopped (kernels too) whatever happens."""
    server = start_lab(tmp_path_factory.mktemp("jupyterlab"))
    try:
        yield server
    finally:
        server.stop()
        shutil.copy(server.log_path, artifacts / "jupyterlab-server.log")


@pytest.fixture
def lab_kernels(lab: Any) -> Any:
    """After the test (and after ``page``'s screenshot on failure), shut down
    the kernel it ran: finished notebooks' kernels (TensorFlow, models,
    explorers) would otherwise keep their memory until the module ends."""
    yield lab
    lab.shutdown_kernels()


def _slim(report: list[dict]) -> list[dict]:
    """The cell report without bulky output data (images, widget state)."""
    slim = []
    for cell in report:
        outs = [{"output_type": o.get("output_type"), "name": o.get("name"),
                 "mime": sorted(o.get("data", {})),
                 "ename": o.get("ename"), "evalue": o.get("evalue")}
                for o in cell["outputs"]]
        slim.append({**cell, "outputs": outs, "text": cell["text"][:500]})
    return slim


@pytest.mark.parametrize("name", PARAMS)
def test_notebook_in_jupyterlab(name: str, lab: Any, lab_kernels: Any, page: Any,
                                save: Any) -> None:
    spec = NOTEBOOKS[name]
    prefix = f"lab-{name[:2]}"
    open_notebook(page, lab.url, lab.token, f"notebooks/{name}")
    seconds = run_all_cells(page)
    report = cell_report(page)
    save(f"{prefix}-cells.json", {"run_all_seconds": seconds,
                                  "cells": _slim(report)})
    stderr = stderr_texts(report)
    if stderr:
        save(f"{prefix}-stderr.txt", "\n".join(
            f"--- cell {i}\n{t}" for i, t in stderr.items()))
    save(f"{prefix}-ran.png", page.screenshot())

    problems = problems_in(report)
    assert not problems, "\n".join(problems)
    assert sum(c["widget_views"] for c in report) >= 1, "no widget rendered"

    if spec.idle_check:  # left open after "Run All": nothing in the background
        idle = idle_kernel_check(page, lab)
        save(f"{prefix}-idle.json", idle)
        assert idle["busy_s"] < 0.3, (
            f"the idle kernel used {idle['busy_s']:.2f} s of CPU in "
            f"{idle['window_s']:.0f} s")
        threads = idle["threads"]
        assert "Timer" not in threads and "gru" not in threads.lower(), threads

    if spec.explorers is None:
        changed = generic_slider_check(page, save, prefix)
        assert changed > 0.005, f"dragging the first slider changed {changed:.2%}"
        pytest.fail(f"notebooks/{name} runs in JupyterLab and its first slider "
                    "moves the plot, but its values are not checked: add its "
                    "ExplorerCheck to tests/browser/notebook_specs.py")

    for check in spec.explorers:
        check_explorer(page, check, save, prefix,
                       probe=lambda var: kernel_probe(page, var))
        save(f"{prefix}-{check.slug}-page.png", page.screenshot())

    after = problems_in(cell_report(page))
    assert not after, "after moving the sliders:\n" + "\n".join(after)
    # Console errors are kept, not asserted (what is shown is checked above)
    if page.js_errors:
        save(f"{prefix}-console-errors.txt", "\n".join(page.js_errors))
