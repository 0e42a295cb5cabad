"""The rendered copy is accessible: axe-core's WCAG 2.1 AA rules in Chromium.

A small notebook — math, a figure, code, printed and error-stream output —
goes through ``gru_edu.tools.render`` as the learner's path does, and axe-core
(``npm install axe-core@4``, done by ``.ci/run``) audits the page. The
counts for notebooks 04 and 05 are in ``benchmarks/logs/a11y_render.json``
(``benchmarks/a11y_report.py``).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import nbformat
import pytest

from gru_edu.tools.render import find_mathjax, render_notebook

REPO = Path(__file__).resolve().parents[2]


def _report_module():
    spec = importlib.util.spec_from_file_location(
        "a11y_report", REPO / "benchmarks" / "a11y_report.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _needed(what: str | None, name: str) -> None:
    if what is None:
        message = f"{name} not installed (npm install axe-core@4 mathjax@3)"
        if os.environ.get("GRU_EDU_REQUIRE_BROWSER", "").strip() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            "# A page to audit\n\nThe update gate $z_t = \\sigma(x_t W_z + b_z)$ keeps "
            "the old state.\n\n$$h_t = z_t h_{t-1} + (1 - z_t) \\tilde h_t$$"),
        nbformat.v4.new_code_cell(
            "import matplotlib.pyplot as plt\n"
            "fig, ax = plt.subplots(figsize=(4, 3))\n"
            "ax.plot([0, 1], [0, 1], label='state')\n"
            "ax.set_title('A rising line')\n"
            "ax.set_xlabel('step')\nax.set_ylabel('value')\nax.legend()\n"
            "plt.show()\nprint('done: 1 figure')"),
        nbformat.v4.new_code_cell(
            "import sys\nprint('a warning', file=sys.stderr)\n"
            "def keep(z: float, h: float) -> float:\n    return z * h  # comment\n"
            "keep(0.5, 2.0)"),
    ]
    folder = tmp_path_factory.mktemp("a11y")
    path = folder / "01_audit.ipynb"
    nbformat.write(nb, path)
    env = {"MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    page = render_notebook(path, folder / "site", env, timeout=120)
    assert page.ok, page.error
    return folder / "site" / page.html


def test_rendered_page_has_no_serious_wcag_violation(chromium, rendered):
    report = _report_module()
    axe = report.find_axe()
    _needed(axe, "axe-core")
    result = report.audit(chromium, rendered, axe)
    serious = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, serious
    assert result["images"] == ["A rising line; x axis: step (-0.05 to 1.05); "
                                "y axis: value (-0.05 to 1.05); legend: state."]


def test_rendered_page_fetches_nothing_and_typesets_math(chromium, rendered):
    html = rendered.read_text()
    assert "cdnjs" not in html and 'src="http' not in html
    _needed(find_mathjax(), "MathJax")
    report = _report_module()
    axe = report.find_axe()
    _needed(axe, "axe-core")
    assert report.audit(chromium, rendered, axe)["mathjax"]
