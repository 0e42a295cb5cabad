"""Fixtures of the browser tests: Debian's Chromium driven by Playwright.

The browser is the system's ``/usr/bin/chromium`` (``GRU_EDU_CHROMIUM``
overrides the path); Playwright never downloads one. Without Chromium or the
``playwright`` package these tests are skipped with a reason that says what
to install — unless ``GRU_EDU_REQUIRE_BROWSER=1`` (set by ``.ci/run``), which
turns the skip into a failure so CI can never pass without them.

Screenshots and logs go to ``test-artifacts/browser/`` (git ignores it),
emptied at the start of each run.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "browser"
CHROMIUM = Path(os.environ.get("GRU_EDU_CHROMIUM", "/usr/bin/chromium"))
#: Flags known to work for headless Chromium in a root container without GPU
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
    "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
REQUIRE_ENV = "GRU_EDU_REQUIRE_BROWSER"


def _unavailable() -> str | None:
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is missing (pip install -r requirements.txt)"
    if not CHROMIUM.exists():
        return (f"Chromium not found at {CHROMIUM} (apt-get install chromium, "
                "or set GRU_EDU_CHROMIUM)")
    return None


@pytest.fixture(scope="module")
def chromium() -> Any:
    """A headless Chromium (Playwright ``Browser``), one per test module.

    Module scope: Playwright's event loop is gone before the notebooks run
    under nbval later in the same pytest session.
    """
    why = _unavailable()
    if why:
        if os.environ.get(REQUIRE_ENV, "").strip() in {"1", "true", "yes"}:
            pytest.fail(f"{REQUIRE_ENV}=1 but {why}")
        pytest.skip(why)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        # Playwright gives the browser a fresh temporary --user-data-dir.
        browser = pw.chromium.launch(executable_path=str(CHROMIUM),
                                     args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """``test-artifacts/browser/``, emptied once per run."""
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    return ARTIFACTS


@pytest.fixture
def save(artifacts: Path) -> Any:
    """``save(name, data)``: write bytes, text or JSON-able data as an artefact."""

    def _save(name: str, data: Any) -> Path:
        path = artifacts / name
        if isinstance(data, bytes):
            path.write_bytes(data)
        elif isinstance(data, str):
            path.write_text(data)
        else:
            path.write_text(json.dumps(data, indent=1, default=str))
        return path

    return _save


@pytest.fixture
def page(chromium: Any, artifacts: Path, request: Any) -> Any:
    """A fresh browser context and page (1400x1000 CSS px, scale 1).

    Console errors and uncaught page errors are kept in ``page.js_errors``
    (a list of strings). On failure a screenshot of the page is saved.
    """
    context = chromium.new_context(viewport={"width": 1400, "height": 1000},
                                   device_scale_factor=1)
    context.set_default_timeout(30_000)
    pg = context.new_page()
    pg.js_errors = []
    pg.on("pageerror", lambda exc: pg.js_errors.append(f"pageerror: {exc}"))
    pg.on("console", lambda msg: msg.type == "error"
          and pg.js_errors.append(f"console: {msg.text}"))
    try:
        yield pg
    finally:
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.failed:
            safe = request.node.name.replace("/", "_").replace("[", "-")
            try:
                pg.screenshot(path=str(artifacts / f"FAILED-{safe.rstrip(']')}.png"))
            except Exception:  # noqa: BLE001 - best effort on a broken page
                pass
        context.close()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Any:
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)
