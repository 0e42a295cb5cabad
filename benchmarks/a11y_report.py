"""Accessibility of the rendered copy: axe-core's WCAG 2.1 AA rules in Chromium.

    python -m gru_edu render --fast --out site/ --notebooks 04_gate_explorer 05_gru_vs_lstm_claims
    python benchmarks/a11y_report.py --label after site/04_gate_explorer.html site/05_gru_vs_lstm_claims.html

loads each page in headless Chromium (``/usr/bin/chromium`` or
``GRU_EDU_CHROMIUM``), runs axe-core (``node_modules/axe-core/axe.min.js``,
from ``npm install axe-core@4``, or ``GRU_EDU_AXE``) with the tags
``wcag2a wcag2aa wcag21a wcag21aa``, and adds the counts — violations by
impact and by rule, nodes affected, images and their alt texts — under
``--label`` to ``benchmarks/logs/a11y_render.json``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from logbook import LOG_DIR, new_log, read_log, write_log  # noqa: E402

WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("GRU_EDU_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"]


def find_axe() -> Path | None:
    """axe-core's ``axe.min.js``: ``GRU_EDU_AXE``, else ``node_modules`` of the repository."""
    named = os.environ.get("GRU_EDU_AXE")
    path = Path(named) if named else ROOT / "node_modules" / "axe-core" / "axe.min.js"
    return path if path.is_file() else None


def audit(browser: Any, page_path: Path, axe_js: Path) -> dict[str, Any]:
    """axe-core's WCAG 2.1 AA result for one HTML file, summarised.

    Returns ``{"violations": [{"id", "impact", "nodes", "help"}], "images":
    [alt texts], "mathjax": whether MathJax typeset formulas on the page}``.
    """
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(page_path.resolve().as_uri(), wait_until="load")
        page.wait_for_timeout(300)
        typeset = page.evaluate(
            "() => window.MathJax && MathJax.startup && MathJax.startup.promise"
            " ? MathJax.startup.promise.then(() => true) : false")
        page.add_script_tag(path=str(axe_js))
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_AA)
        images = page.eval_on_selector_all("img", "els => els.map(e => e.alt)")
        formulas = page.eval_on_selector_all("mjx-container", "els => els.length")
    finally:
        page.close()
    return {"violations": [{"id": v["id"], "impact": v["impact"], "nodes": len(v["nodes"]),
                            "help": v["help"]} for v in result["violations"]],
            "images": images, "mathjax": bool(typeset) and formulas > 0}


def summarise(pages: dict[str, dict]) -> dict[str, Any]:
    """Counts over pages: violated nodes by impact and by rule, images without real alt."""
    by_impact: dict[str, int] = {}
    by_rule: dict[str, int] = {}
    for res in pages.values():
        for v in res["violations"]:
            by_impact[v["impact"]] = by_impact.get(v["impact"], 0) + v["nodes"]
            by_rule[v["id"]] = by_rule.get(v["id"], 0) + v["nodes"]
    images = [a for res in pages.values() for a in res["images"]]
    placeholder = sum(1 for a in images
                      if a.strip().lower() in ("", "figure") or "No description" in a)
    return {"nodes_by_impact": by_impact, "nodes_by_rule": by_rule, "images": len(images),
            "images_without_description": placeholder,
            "pages_with_math_typeset": sum(r["mathjax"] for r in pages.values())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("pages", type=Path, nargs="+")
    parser.add_argument("--label", required=True, help="e.g. before / after")
    parser.add_argument("--note", default="", help="what was rendered, and how")
    args = parser.parse_args()
    axe_js = find_axe()
    if axe_js is None:
        sys.exit("axe-core not found: npm install axe-core@4 (or set GRU_EDU_AXE)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        pages = {p.name: audit(browser, p, axe_js) for p in args.pages}
        browser.close()
    path = LOG_DIR / "a11y_render.json"
    log = read_log(path) or new_log("a11y_render", "axe-core WCAG 2.1 AA on rendered pages")
    run = {"label": args.label, "note": args.note, "summary": summarise(pages),
                               "pages": {k: {"violations": v["violations"],
                                             "mathjax": v["mathjax"],
                                             "images": len(v["images"])}
                                         for k, v in pages.items()}}
    log["runs"] = [r for r in log["runs"] if r["label"] != args.label] + [run]
    write_log(log, path)
    print(args.label, run["summary"])


if __name__ == "__main__":
    main()
