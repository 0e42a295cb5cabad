"""App mode for a classroom projector: the gate explorer served by Voila.

Starts the README's command, ``voila notebooks/04_gate_explorer.ipynb``,
on localhost with a free port and a random token, opens it in headless
Chromium and checks what the class would see:

* the page renders with no error ("There was an error when executing
  cell", a traceback, "Error displaying widget", an explorer callback error)
  and shows no code (Voila strips the sources);
* the explorers render as widgets, and moving their sliders with the mouse
  and keyboard changes the plot, and the gate values shown for the review,
  step and unit on the page are the ones :mod:`gru_edu.cell` computes (see
  :func:`explorer_driver.check_explorer`).

Screenshots: ``test-artifacts/browser/voila-NN-*``.
"""

from __future__ import annotations

import shutil
from typing import Any

import pytest

from explorer_driver import (CALLBACK_ERROR, WIDGET_ERROR, check_explorer,
                             generic_slider_check)
from jupyter_servers import start_voila
from notebook_specs import app_notebook

SPEC = app_notebook()
VOILA_ERROR = "There was an error when executing cell"


@pytest.mark.parametrize("name", [pytest.param(
    SPEC.name, id=SPEC.name.removesuffix(".ipynb"))])
def test_app_mode_in_voila(name: str, chromium: Any, page: Any, save: Any,
                           tmp_path: Any, artifacts: Any) -> None:
    prefix = f"voila-{name[:2]}"
    server = start_voila(tmp_path, name)
    try:
        # Voila answers once every cell has run (it renders the whole page).
        page.goto(f"{server.url}?token={server.token}", timeout=600_000,
                  wait_until="load")
        page.locator("img.widget-image").first.wait_for(state="visible",
                                                        timeout=120_000)
        save(f"{prefix}-app.png", page.screenshot())
        text = page.locator("body").inner_text()
        for bad in (VOILA_ERROR, WIDGET_ERROR, CALLBACK_ERROR,
                    "Traceback (most recent call last)"):
            assert bad not in text, f"the app shows {bad!r}"
        code = page.locator(".jp-InputArea-editor, .cm-editor")
        assert code.count() == 0, f"{code.count()} code cells visible"
        assert page.locator(".jp-OutputArea-output > .jupyter-widgets"
                            ).count() >= 1, "no widget rendered"

        if SPEC.explorers is None:
            changed = generic_slider_check(page, save, prefix)
            assert changed > 0.005, f"dragging the first slider changed {changed:.2%}"
            pytest.fail(f"notebooks/{name} works as a Voila app, but its values "
                        "are not checked: add its ExplorerCheck to "
                        "tests/browser/notebook_specs.py")
        for check in SPEC.explorers:
            check_explorer(page, check, save, prefix)
            save(f"{prefix}-{check.slug}-page.png", page.screenshot())
        text = page.locator("body").inner_text()
        assert CALLBACK_ERROR not in text and WIDGET_ERROR not in text
        # Console errors are kept, not asserted: lab extensions that do not
        # run under Voila log some; what a learner sees is checked above.
        if page.js_errors:
            save(f"{prefix}-console-errors.txt", "\n".join(page.js_errors))
    finally:
        server.stop()
        shutil.copy(server.log_path, artifacts / "voila-server.log")
