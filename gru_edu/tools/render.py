"""The collection as static HTML: executed notebooks and an index page.

``python -m gru_edu render --out site/ [--fast]`` runs each notebook of the
learner's path top to bottom in a fresh kernel (nbclient, the engine of
``jupyter nbconvert --execute``), turns every widget into its last static
view and writes one HTML page per notebook (nbconvert's JupyterLab template,
figures embedded as data URIs, so a page is one self-contained file) plus
``index.html``. The folder can be published as it is (GitHub Pages, any web
server): no kernel, no JavaScript widget manager, nothing fetched.

Widgets: nbclient records each widget's last state (``store_widget_state``).
A widget output is replaced by HTML built from that state — an
``ipywidgets.Image`` (what the explorers draw their figure into) becomes an
``<img>`` of its last picture, boxes keep their layout, HTML and labels their
text, a slider or menu shows as "description: value" — so a page shows the
explorer as it was when the notebook finished, the sliders where the cells
left them.

Accessibility (WCAG 2.1 AA): every figure carries alt text that names its
title, axes and legend (:func:`gru_edu.explorers.base.describe_figure`, attached in
the kernel as each figure is shown); math is typeset by a MathJax copied
next to the pages (no CDN: :func:`find_mathjax`), code is coloured with an
accessible Pygments style (:data:`CODE_STYLE`) and the prompts' grey is
darkened to a readable contrast. ``tests/test_render_a11y.py`` checks a
rendered page with axe-core in Chromium.

The assignment masters are not rendered: they hold the solutions.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gru_edu import config

__all__ = ["render_collection", "render_notebook", "static_widgets", "LEARNERS_PATH",
           "CODE_STYLE", "find_mathjax", "accessible_page", "images_with_alt"]

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
#: The notebooks of the learner's path, in reading order: every numbered
#: notebook in ``notebooks/`` (the assignment masters hold solutions).
LEARNERS_PATH = sorted(
    p.name for p in (config.repo_root() / "notebooks").glob("[0-9][0-9]_*.ipynb"))

_CONTAINERS = {"VBoxModel": "column", "BoxModel": "column", "HBoxModel": "row",
               "GridBoxModel": "row", "AccordionModel": "column", "TabModel": "column",
               "StackModel": "column"}
_TEXTS = {"HTMLModel", "HTMLMathModel"}
#: The Pygments style of code cells: made for contrast (accessible-pygments).
CODE_STYLE = "a11y-high-contrast-light"
#: Run in the kernel before the notebook: every matplotlib figure it shows
#: carries its alt text in the output's metadata.
_ALT_TEXT_SETUP = """\
import matplotlib.pyplot as _plt
from matplotlib.figure import Figure as _Figure
from gru_edu.explorers.base import describe_figure as _describe
_plt.close(_plt.figure())  # let the inline backend install its formatters
_png = get_ipython().display_formatter.formatters["image/png"]
_draw = _png.lookup_by_type(_Figure)
_png.for_type(_Figure, lambda fig: (_draw(fig), {"alt": _describe(fig)}))
del _plt, _Figure, _png
"""
_FALLBACK_ALT = "A figure drawn by the code cell above (no description was recorded)"
#: Shown to a reader of the page when no offline MathJax was found.
_NO_MATHJAX = ("<p><em>Math is shown as TeX source: no offline MathJax was found "
               "(<code>npm install mathjax@3</code> in the repository, or set "
               "GRU_EDU_MATHJAX to its <code>es5/tex-svg.js</code>).</em></p>")


@dataclass
class Page:
    """One rendered notebook."""

    notebook: str
    html: str  # file name in the output folder
    title: str
    summary: str
    seconds: float
    ok: bool
    error: str = ""


def _ref(value: Any) -> str | None:
    if isinstance(value, str) and value.startswith("IPY_MODEL_"):
        return value.removeprefix("IPY_MODEL_")
    return None


def _buffer(model: dict[str, Any], key: str) -> str | None:
    """A binary state field (base64), from the saved buffers or the state."""
    for buf in model.get("buffers", []):
        if buf.get("path") == [key]:
            return buf["data"]
    value = model.get("state", {}).get(key)
    return value if isinstance(value, str) and value else None


def _output_html(out: dict[str, Any]) -> str:
    """One captured output (of an Output widget) as HTML."""
    if out.get("output_type") == "stream":
        return f"<pre>{html.escape(out.get('text', ''))}</pre>"
    data = out.get("data", {})
    for mime in ("image/png", "image/jpeg"):
        if mime in data:
            alt = html.escape(out.get("metadata", {}).get(mime, {}).get("alt", _FALLBACK_ALT))
            return (f'<img class="widget-static" alt="{alt}" '
                    f'src="data:{mime};base64,{"".join(data[mime]).strip()}">')
    if "text/html" in data:
        return "".join(data["text/html"])
    if "text/plain" in data:
        return f"<pre>{html.escape(''.join(data['text/plain']))}</pre>"
    if out.get("output_type") == "error":
        error = f"{out.get('ename', '')}: {out.get('evalue', '')}"
        return f"<pre>{html.escape(error)}</pre>"
    return ""


def _control_value(state: dict[str, Any]) -> str:
    if "_options_labels" in state:
        labels = state["_options_labels"]
        index = state.get("index")
        if isinstance(index, int) and 0 <= index < len(labels):
            return str(labels[index])
        if isinstance(index, list):
            return ", ".join(str(labels[i]) for i in index if 0 <= i < len(labels))
        return "—"
    value = state.get("value")
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, list):
        return " – ".join(f"{v:.3g}" if isinstance(v, float) else str(v) for v in value)
    return str(value)


def _widget_html(models: dict[str, Any], model_id: str, depth: int = 0,
                 alt: str = _FALLBACK_ALT) -> str:
    """The static view of one widget and its children, from the saved state."""
    model = models.get(model_id)
    if model is None or depth > 40:
        return ""
    state = model.get("state", {})
    name = model.get("model_name") or state.get("_model_name", "")
    if name in _CONTAINERS:
        children = "".join(_widget_html(models, ref, depth + 1, alt)
                           for ref in map(_ref, state.get("children", [])) if ref)
        direction = _CONTAINERS[name]
        return (f'<div class="widget-static-box" style="display:flex;flex-direction:'
                f'{direction};flex-wrap:wrap;gap:4px 12px;align-items:flex-start">'
                f"{children}</div>")
    if name == "ImageModel":
        data = _buffer(model, "value")
        if not data:
            return ""
        fmt = state.get("format", "png")
        text = html.escape(state.get("tooltip") or state.get("description") or alt)
        return (f'<img class="widget-static" alt="{text}" '
                f'src="data:image/{fmt};base64,{data}">')
    if name == "OutputModel":
        return "".join(_output_html(o) for o in state.get("outputs", []))
    if name in _TEXTS:
        return f"<div>{state.get('value', '')}</div>"
    if name == "LabelModel":
        return f"<span>{html.escape(str(state.get('value', '')))}</span>"
    if name == "ButtonModel":
        return f"<button disabled>{html.escape(state.get('description', ''))}</button>"
    if name.endswith("Model") and ("value" in state or "_options_labels" in state):
        if name in ("TextareaModel",) and len(str(state.get("value", ""))) > 60:
            return f"<pre>{html.escape(str(state['value']))}</pre>"
        label = html.escape(str(state.get("description", "") or ""))
        value = html.escape(_control_value(state))
        return (f'<span class="widget-static-control"><b>{label}</b> {value}</span>'
                if label else f'<span class="widget-static-control">{value}</span>')
    return ""


def static_widgets(nb: Any) -> int:
    """Replace every widget output of ``nb`` by its last static view; how many.

    Uses the widget state nbclient saved in ``nb.metadata.widgets`` and then
    removes that state, so no page tries to load a widget manager.
    """
    saved = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {})
    models = saved.get("state", {})
    replaced = 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if WIDGET_VIEW not in data:
                continue
            model_id = data[WIDGET_VIEW].get("model_id", "")
            alt = out.get("metadata", {}).get("image/png", {}).get("alt", _FALLBACK_ALT)
            static = _widget_html(models, model_id, alt=alt)
            if static:
                html_view = f'<div class="widget-static-view">{static}</div>'
            elif "image/png" in data:  # the static picture the widget was shown with
                html_view = _output_html(out)
            else:
                html_view = "<em>(an interactive widget: run the notebook to use it)</em>"
            out["data"] = {"text/html": html_view, "text/plain": data.get("text/plain", "")}
            replaced += 1
    nb.metadata.pop("widgets", None)
    return replaced


def _plain(markdown: str) -> str:
    """Markdown reduced to plain text: links to their text, no emphasis or code marks."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    return re.sub(r"\*\*|`", "", text)


def _title_and_summary(nb: Any, fallback: str) -> tuple[str, str]:
    """The first heading, and the first paragraph after it (up to ~300 characters)."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", cell.source) if p.strip()]
        heads = [p for p in paragraphs if p.startswith("#")]
        title = _plain(heads[0].splitlines()[0].lstrip("# ")) if heads else fallback
        body = next((p for p in paragraphs if not p.startswith(("#", "|", "-", "*", ">"))), "")
        summary = " ".join(_plain(body).split())
        if len(summary) > 300:
            cut = summary.rfind(". ", 0, 300)
            summary = summary[:cut + 1] if cut > 80 else summary[:297] + "…"
        return title, summary
    return fallback, ""


def images_with_alt(nb: Any) -> int:
    """Turn every PNG output into an ``<img>`` with alt text; how many.

    The alt text is the one the kernel recorded with the figure (see
    ``_ALT_TEXT_SETUP``), else a plain fallback; nbconvert's own would be
    "No description has been provided for this image".
    """
    count = 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "image/png" not in data or "text/html" in data:
                continue
            data["text/html"] = _output_html(out).replace(' class="widget-static"', "")
            data.pop("image/png")
            count += 1
    return count


def find_mathjax() -> Path | None:
    """An offline MathJax 3 (``es5/tex-svg.js``, fonts included), or None.

    ``GRU_EDU_MATHJAX`` names the file; else the npm package in the
    repository's ``node_modules`` (``npm install mathjax@3``).
    """
    named = config.mathjax_file()
    candidates = [named] if named else []
    candidates.append(config.repo_root() / "node_modules" / "mathjax" / "es5" / "tex-svg.js")
    return next((p for p in candidates if p.is_file()), None)


def accessible_page(body: str, mathjax: str | None) -> str:
    """nbconvert's page with nothing fetched from a CDN, offline math, an
    accessible code style and prompts with enough contrast.

    ``mathjax``: the script's URL relative to the page, or None (math stays
    TeX source, and the page says so).
    """
    from pygments.formatters import HtmlFormatter

    # the CDN scripts: require.js (no widget manager here), MathJax 2, mermaid
    body = re.sub(r'<script[^>]*src="https?://[^"]*"[^>]*>\s*</script>\s*', "", body)
    body = re.sub(r"<script\b[^>]*>(?:(?!</script>).)*?cdnjs(?:(?!</script>).)*?</script>\s*",
                  "", body, flags=re.S)
    body = re.sub(r'<script type="text/x-mathjax-config">.*?</script>\s*', "", body,
                  flags=re.S)
    code = HtmlFormatter(style=CODE_STYLE).get_style_defs("body .highlight")
    style = f"""<style>
{code}
body .highlight {{ background: #fafafa; }}
:root, body {{ --jp-cell-prompt-not-active-opacity: 1;
  --jp-cell-prompt-not-active-font-color: #595959;
  --jp-cell-inprompt-font-color: #1a5b96; --jp-cell-outprompt-font-color: #9c3a1c;
  --jp-content-font-color3: rgba(0, 0, 0, 0.65); --jp-ui-font-color3: rgba(0, 0, 0, 0.65); }}
.jp-RenderedText pre .ansi-red-fg {{ color: #a8001b; }}
.jp-RenderedText pre .ansi-green-fg {{ color: #006b2b; }}
</style>
"""
    if mathjax:
        style += (
            "<script>window.MathJax = {tex: {inlineMath: [['$', '$'], ['\\\\(', '\\\\)']],"
            " displayMath: [['$$', '$$'], ['\\\\[', '\\\\]']], processEscapes: true},"
            " svg: {fontCache: 'global'}};</script>\n"
            f'<script defer src="{mathjax}"></script>\n')
    body = body.replace("</head>", style + "</head>", 1)
    if not mathjax:
        body = re.sub(r"(<main[^>]*>)", r"\1" + _NO_MATHJAX, body, count=1)
    return body


def render_notebook(path: Path, out_dir: Path, env: dict[str, str] | None = None,
                    timeout: int = 1800) -> Page:
    """Execute ``path`` in a fresh kernel and write ``out_dir/<name>.html``.

    A failing cell does not stop the page: it is written with the error shown
    where it happened, and ``Page.ok`` is False.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    from nbconvert import HTMLExporter

    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(_ALT_TEXT_SETUP))
    saved = dict(os.environ)
    os.environ.update(env or {})  # the kernel inherits this process's environment
    start = time.perf_counter()
    ok, error = True, ""
    try:
        NotebookClient(nb, timeout=timeout, kernel_name="python3", store_widget_state=True,
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    except CellExecutionError as exc:
        ok, error = False, str(exc).strip().splitlines()[-1][:300]
    finally:
        os.environ.clear()
        os.environ.update(saved)
    seconds = time.perf_counter() - start
    nb.cells.pop(0)  # the alt-text setup is not part of the page
    static_widgets(nb)
    images_with_alt(nb)
    title, summary = _title_and_summary(nb, path.stem)
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(
        nb, resources={"metadata": {"name": title}})
    # links between notebooks point at their rendered pages
    body = re.sub(r'href="(?:\./)?(0\d_[a-z0-9_]+)\.ipynb', r'href="\1.html', body)
    out_dir.mkdir(parents=True, exist_ok=True)
    mathjax = find_mathjax()
    if mathjax is not None:
        (out_dir / "_static").mkdir(exist_ok=True)
        shutil.copyfile(mathjax, out_dir / "_static" / "tex-svg.js")
    body = accessible_page(body, "_static/tex-svg.js" if mathjax else None)
    target = out_dir / f"{path.stem}.html"
    target.write_text(body, encoding="utf-8")
    return Page(path.name, target.name, title, summary, seconds, ok, error)


def _index(pages: list[Page], mode: str) -> str:
    rows = "\n".join(
        f'<li><a href="{p.html}">{html.escape(p.title)}</a>'
        f'<p>{html.escape(p.summary)}</p>'
        f'<p class="meta">executed in {p.seconds:.0f} s'
        + ("" if p.ok else f' — <b>a cell failed</b>: {html.escape(p.error)}')
        + "</p></li>" for p in pages)
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>gru-edu: gated recurrent units, hands on</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 48em; margin: 2em auto;
       padding: 0 1em; line-height: 1.5; color: #222; }}
li {{ margin-bottom: 1.2em; }} a {{ font-size: 1.15em; }}
.meta {{ color: #666; font-size: 0.9em; margin: 0; }} p {{ margin: 0.2em 0; }}
</style></head><body>
<h1>gru-edu — gated recurrent units, hands on</h1>
<p>The notebooks of the collection, executed top to bottom ({html.escape(mode)} setting,
{when}) and saved as pages to read before installing anything. Sliders and explorers are
shown as they were when the notebook finished; to move them, run the notebooks
(<code>pip install -r requirements.txt &amp;&amp; jupyter lab notebooks/</code>).</p>
<ol>
{rows}
</ol>
</body></html>
"""


def render_collection(out_dir: str | os.PathLike, fast: bool = True,
                      notebooks: list[str] | None = None, timeout: int = 1800,
                      progress: bool = True) -> list[Page]:
    """Render the learner's path (or ``notebooks``) into ``out_dir`` with an index.

    ``fast`` runs the fast setting (``GRU_EDU_FAST=1``, a few minutes in all);
    otherwise the full one (notebook 03 trains for several minutes). Models
    and caches go to a temporary folder, so notebook 04 shows the model
    notebook 03 trained in the same run and ``artifacts/`` is not touched.
    """
    out = Path(out_dir)
    names = notebooks or LEARNERS_PATH
    root = config.repo_root() / "notebooks"
    # the inline backend, whatever the caller's MPLBACKEND (tests set Agg,
    # which would draw the figures and show none)
    env = {"GRU_EDU_FAST": "1" if fast else "0", "TF_CPP_MIN_LOG_LEVEL": "2",
           "MPLBACKEND": "module://matplotlib_inline.backend_inline",
           "GRU_EDU_ARTIFACTS": tempfile.mkdtemp(prefix="gru-edu-render-")}
    pages = []
    for name in names:
        path = root / (name if name.endswith(".ipynb") else f"{name}.ipynb")
        if not path.exists():
            raise FileNotFoundError(f"no notebook {path}")
        if progress:
            print(f"rendering {path.name} ...", flush=True)
        page = render_notebook(path, out, env, timeout)
        if progress:
            print(f"  {out / page.html}  ({page.seconds:.0f} s"
                  + ("" if page.ok else f", a cell failed: {page.error}") + ")", flush=True)
        pages.append(page)
    (out / "index.html").write_text(_index(pages, "fast" if fast else "full"),
                                    encoding="utf-8")
    (out / "pages.json").write_text(json.dumps([p.__dict__ for p in pages], indent=1))
    (out / ".nojekyll").write_text("")  # GitHub Pages: serve the files as they are
    return pages


def _run(args: argparse.Namespace) -> int:
    import sys

    try:
        pages = render_collection(args.out, fast=args.fast, notebooks=args.notebooks,
                                  timeout=args.timeout)
    except FileNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"index page: {Path(args.out) / 'index.html'}")
    return 0 if all(p.ok for p in pages) else 1


def add_render_parser(sub: argparse._SubParsersAction) -> None:
    """The ``render`` subcommand of ``python -m gru_edu``."""
    p = sub.add_parser("render", help="execute the notebooks and write them as static "
                                      "HTML with an index page")
    p.add_argument("--out", type=Path, default=Path("site"), help="output folder (%(default)s)")
    p.add_argument("--fast", action="store_true",
                   help="the fast setting (12–19 min on 2 cores, measured); default: the full run")
    p.add_argument("--notebooks", nargs="+", default=None,
                   help="names of notebooks/ to render (default: the learner's path)")
    p.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    p.set_defaults(run=_run)
