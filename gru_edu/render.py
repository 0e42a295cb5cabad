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

The assignment masters are not rendered: they hold the solutions.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import config

__all__ = ["render_collection", "render_notebook", "static_widgets", "LEARNERS_PATH"]

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
            return (f'<img class="widget-static" alt="figure" '
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


def _widget_html(models: dict[str, Any], model_id: str, depth: int = 0) -> str:
    """The static view of one widget and its children, from the saved state."""
    model = models.get(model_id)
    if model is None or depth > 40:
        return ""
    state = model.get("state", {})
    name = model.get("model_name") or state.get("_model_name", "")
    if name in _CONTAINERS:
        children = "".join(_widget_html(models, ref, depth + 1)
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
        alt = html.escape(state.get("description", "") or "figure")
        return (f'<img class="widget-static" alt="{alt}" '
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
            static = _widget_html(models, model_id)
            out["data"] = {"text/html": f'<div class="widget-static-view">{static}</div>'
                           if static else "<em>(an interactive widget: run the notebook "
                                          "to use it)</em>",
                           "text/plain": data.get("text/plain", "")}
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
    static_widgets(nb)
    title, summary = _title_and_summary(nb, path.stem)
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(
        nb, resources={"metadata": {"name": title}})
    # links between notebooks point at their rendered pages
    body = re.sub(r'href="(?:\./)?(0\d_[a-z0-9_]+)\.ipynb', r'href="\1.html', body)
    out_dir.mkdir(parents=True, exist_ok=True)
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
                   help="the fast setting (8–16 min on 2 cores, measured); default: the full run")
    p.add_argument("--notebooks", nargs="+", default=None,
                   help="names of notebooks/ to render (default: the learner's path)")
    p.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    p.set_defaults(run=_run)
