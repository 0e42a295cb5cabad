"""Drive JupyterLab, Voila and the gru-edu explorers in Chromium (Playwright).

Page-level helpers shared by the JupyterLab and the Voila tests:

* :func:`open_notebook`, :func:`run_all_cells`, :func:`cell_report` — JupyterLab
  through its own menus, with its app object (``window.jupyterapp``, exposed
  by the server flag) read for kernel status and cell outputs;
* :func:`check_explorer` — find an explorer by its title, move sliders with
  real mouse and keyboard events, and check the plot changed and shows what
  :mod:`gru_edu.cell` computes for the values on the page (for the gate
  explorer of notebook 04: :func:`check_readout_explorer`, its text readout);
* image helpers: decode PNGs, compare them, save artefacts.
"""

from __future__ import annotations

import base64
import io
import json
import re
import time
from pathlib import Path
from typing import Any, Callable

import ipywidgets as W
import numpy as np
from matplotlib import image as mpimg

from notebook_specs import Drag, ExplorerCheck, Keys, as_jsonable

#: an explorer's callback error, as :class:`gru_edu.explorers.base.Explorer` shows it
CALLBACK_ERROR = "Error in the explorer callback"
WIDGET_ERROR = "Error displaying widget"

# ------------------------------------------------------------------- images


def decode_png(data: bytes) -> np.ndarray:
    """PNG bytes as a float array (height, width, channels) in [0, 1]."""
    return mpimg.imread(io.BytesIO(data), format="png")


def changed_fraction(a: bytes, b: bytes) -> float:
    """Fraction of pixels that differ between two PNGs (1.0: other sizes)."""
    x, y = decode_png(a), decode_png(b)
    if x.shape != y.shape:
        return 1.0
    return float(np.mean(np.any(np.abs(x - y) > 1.5 / 255, axis=-1)))


def diff_png(a: bytes, b: bytes) -> bytes | None:
    """A picture of where two same-size PNGs differ (red), or None."""
    x, y = decode_png(a)[..., :3], decode_png(b)[..., :3]
    if x.shape != y.shape:
        return None
    mask = np.any(np.abs(x - y) > 1.5 / 255, axis=-1)
    out = 0.25 + 0.75 * y.mean(axis=-1, keepdims=True).repeat(3, axis=-1)
    out[mask] = (0.85, 0.1, 0.1)
    buf = io.BytesIO()
    mpimg.imsave(buf, out, format="png")
    return buf.getvalue()


# -------------------------------------------------------------- JupyterLab

_PANEL = "window.jupyterapp && window.jupyterapp.shell.currentWidget"
_KERNEL_IDLE = f"""() => {{
  const w = {_PANEL};
  const k = w && w.sessionContext && w.sessionContext.session
            && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle';
}}"""
_ALL_RAN = f"""() => {{
  const w = {_PANEL};
  const k = w.sessionContext.session && w.sessionContext.session.kernel;
  if (!k || k.status !== 'idle') return false;
  return w.content.widgets.filter(c => c.model.type === 'code').every(
    c => c.model.executionCount !== null
         && c.promptNode.textContent.indexOf('*') < 0);
}}"""
_NONE_QUEUED = f"""() => {{
  const w = {_PANEL};
  return w.content.widgets.filter(c => c.model.type === 'code').every(
    c => c.promptNode.textContent.indexOf('*') < 0);
}}"""
_CELLS = f"""() => {{
  const w = {_PANEL};
  return w.content.widgets.map((c, i) => {{
    const out = {{index: i, type: c.model.type, count: null, outputs: [],
                 widget_views: 0, widget_errors: 0, text: ''}};
    if (c.model.type !== 'code') return out;
    out.count = c.model.executionCount;
    out.outputs = c.model.outputs.toJSON();
    const area = c.node.querySelector('.jp-OutputArea');
    if (area) {{
      out.widget_views = area.querySelectorAll(
        '.jp-OutputArea-output > .jupyter-widgets').length;
      out.text = area.innerText;
    }}
    return out;
  }});
}}"""
_PROBE = f"""async (code) => {{
  const k = ({_PANEL}).sessionContext.session.kernel;
  const fut = k.requestExecute({{code, silent: false, store_history: false}});
  let out = '', err = null;
  fut.onIOPub = (msg) => {{
    const t = msg.header.msg_type;
    if (t === 'stream') out += msg.content.text;
    if (t === 'error') err = msg.content.ename + ': ' + msg.content.evalue;
  }};
  await fut.done;
  return {{out, err}};
}}"""


def open_notebook(page: Any, base_url: str, token: str, rel_path: str,
                  timeout_s: float = 120) -> None:
    """Open ``rel_path`` in JupyterLab and wait for its kernel to be idle.

    ``reset`` starts from an empty workspace: otherwise JupyterLab reopens
    the notebooks an earlier test left open, and *Run All Cells* (which acts
    on the last notebook that had focus) may run one of those instead.
    """
    page.goto(f"{base_url}lab/tree/{rel_path}?reset&token={token}")
    page.wait_for_function(
        """(path) => { const w = window.jupyterapp
                       && window.jupyterapp.shell.currentWidget;
                       return !!w && !!w.context && w.context.path === path; }""",
        arg=rel_path, timeout=timeout_s * 1000)
    page.wait_for_function(_KERNEL_IDLE, timeout=timeout_s * 1000)
    # the notebook must be the one that has focus, for the Run menu
    page.locator(".jp-NotebookPanel:visible .jp-Notebook").first.click(
        position={"x": 5, "y": 5})


def run_all_cells(page: Any, timeout_s: float = 600) -> float:
    """Run > Run All Cells through the menu bar; wait until all have run.

    Returns the seconds it took. Stops waiting early (and returns) if the
    kernel is idle with a cell left unrun and none queued, which happens when
    a cell raised (JupyterLab then clears the queued cells' ``[*]``). The
    kernel's status alone is not enough: it reads "idle" now and then while
    a long cell (training, with progress widgets) still runs.
    """
    t0 = time.monotonic()
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    # A cell that raises stops "Run All": the rest keep executionCount None,
    # so also stop waiting once the kernel has been idle for a while.
    idle_since = None
    deadline = t0 + timeout_s
    page.wait_for_timeout(500)
    while time.monotonic() < deadline:
        if page.evaluate(_ALL_RAN):
            return time.monotonic() - t0
        if page.evaluate(_KERNEL_IDLE) and page.evaluate(_NONE_QUEUED):
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since > 5:
                return time.monotonic() - t0
        else:
            idle_since = None
        page.wait_for_timeout(250)
    raise TimeoutError(f"Run All Cells did not finish in {timeout_s:.0f} s")


def cell_report(page: Any) -> list[dict[str, Any]]:
    """Per cell: type, execution count, outputs (nbformat) and DOM facts."""
    return page.evaluate(_CELLS)


def problems_in(report: list[dict[str, Any]]) -> list[str]:
    """Everything a learner would see as broken, one line each.

    A code cell that did not run, an error output, a traceback printed to
    stderr, a widget shown as "Error displaying widget", a widget output not
    rendered as a widget (text repr instead), or an explorer callback error.
    """
    found = []
    for cell in report:
        if cell["type"] != "code":
            continue
        where = f"cell {cell['index']}"
        if cell["count"] is None:
            found.append(f"{where}: did not run")
        widget_outputs = 0
        for out in cell["outputs"]:
            kind = out.get("output_type")
            if kind == "error":
                found.append(f"{where}: {out['ename']}: {out['evalue']}")
            elif kind == "stream" and out.get("name") == "stderr":
                text = "".join(out.get("text", ""))
                if "Traceback (most recent call last)" in text:
                    found.append(f"{where}: traceback on stderr: "
                                 f"{text.strip().splitlines()[-1]}")
            data = out.get("data", {})
            if "application/vnd.jupyter.widget-view+json" in data:
                widget_outputs += 1
        if cell["widget_views"] < widget_outputs:
            found.append(f"{where}: {widget_outputs} widget output(s) but "
                         f"{cell['widget_views']} rendered as widgets")
        for bad in (WIDGET_ERROR, CALLBACK_ERROR):
            if bad in cell["text"]:
                found.append(f"{where}: shows {bad!r}")
    return found


def stderr_texts(report: list[dict[str, Any]]) -> dict[int, str]:
    """Text printed to stderr, by cell index (warnings and logs)."""
    texts = {}
    for cell in report:
        parts = ["".join(o.get("text", "")) for o in cell["outputs"]
                 if o.get("output_type") == "stream"
                 and o.get("name") == "stderr"]
        if parts:
            texts[cell["index"]] = "".join(parts)
    return texts


#: Run silently in the kernel: the explorer's values, state and last error as
#: JSON (numbers and arrays as floats, None and strings as they are).
_PROBE_CODE = """
def __gru_edu_probe(e):
    import json
    import numpy as np

    def plain(v):
        if v is None or isinstance(v, (str, bool)):
            return v
        try:
            return np.asarray(v, dtype=float).tolist()
        except (TypeError, ValueError):
            return repr(v)

    return json.dumps({
        "values": {k: plain(v) for k, v in e.values().items()},
        "state": {k: plain(v) for k, v in e.state.items()},
        "last_error": None if e.last_error is None else repr(e.last_error),
    })

print(__gru_edu_probe(%s))
del __gru_edu_probe
"""


def kernel_probe(page: Any, var: str) -> dict[str, Any]:
    """The kernel's ``var.values()``, ``var.state`` and ``var.last_error``.

    Runs silently in the notebook's kernel (no cell is added, nothing is
    left behind); returns the decoded JSON.
    """
    result = page.evaluate(_PROBE, _PROBE_CODE % var)
    if result["err"]:
        raise AssertionError(f"kernel probe of {var!r} failed: {result['err']}")
    return json.loads(result["out"])


def kernel_run(page: Any, code: str) -> str:
    """Run ``code`` in the notebook's kernel (no cell added); its stdout."""
    result = page.evaluate(_PROBE, code)
    if result["err"]:
        raise AssertionError(f"kernel code failed: {result['err']}\n{code}")
    return result["out"]


def kernel_process(page: Any, server: Any) -> Any:
    """The notebook's kernel as a :class:`psutil.Process` (a child of ``server``)."""
    import psutil

    kid = page.evaluate(f"() => ({_PANEL}).sessionContext.session.kernel.id")
    for child in psutil.Process(server.proc.pid).children(recursive=True):
        try:
            if any(f"kernel-{kid}.json" in a for a in child.cmdline()):
                return child
        except psutil.NoSuchProcess:
            continue
    raise AssertionError(f"no process of kernel {kid} under the server")


#: The kernel's thread names (a timer or a gru_edu thread must not outlive a cell)
_THREADS_CODE = ("import threading\n"
                 "print(sorted(t.name for t in threading.enumerate()))")


def idle_kernel_check(page: Any, server: Any, settle_s: float = 3.0,
                      window_s: float = 10.0) -> dict[str, Any]:
    """A notebook that has run, left alone: CPU its kernel uses, its threads.

    Waits ``settle_s`` for the last redraws and messages, then measures the
    kernel's CPU time (user + system) over ``window_s`` of doing nothing;
    afterwards lists the kernel's threads. Returns ``busy_s`` and ``threads``.
    """
    kernel = kernel_process(page, server)
    page.wait_for_timeout(settle_s * 1000)
    before = kernel.cpu_times()
    page.wait_for_timeout(window_s * 1000)
    after = kernel.cpu_times()
    busy = (after.user + after.system) - (before.user + before.system)
    return {"busy_s": busy, "window_s": window_s,
            "threads": kernel_run(page, _THREADS_CODE)}


# ---------------------------------------------------------------- explorers


def explorer_root(page: Any, title: str) -> Any:
    """The explorer's outer ``VBox``: the one whose title widget has ``title``."""
    xpath = ("xpath=//div[contains(concat(' ', @class, ' '), ' widget-vbox ')]"
             "[./div[contains(concat(' ', @class, ' '), ' widget-html ')]"
             f"[contains(., {json.dumps(title)})]]")
    return page.locator(xpath)


def slider_names(explorer: Any) -> list[str]:
    """Names of the explorer's horizontal sliders, in the page's order.

    The page lays widgets out depth first, in the order of each box's
    children; the same walk over the explorer built here gives the names.
    """
    by_id = {id(w): name for name, w in explorer.controls.items()}
    sliders = (W.FloatSlider, W.IntSlider, W.FloatLogSlider)
    names: list[str] = []

    def walk(w: Any) -> None:
        if isinstance(w, sliders) and id(w) in by_id \
                and w.orientation == "horizontal":
            names.append(by_id[id(w)])
        for child in getattr(w, "children", ()):
            walk(child)

    walk(explorer.widget)
    return names


def read_sliders(root: Any) -> list[dict[str, Any]]:
    """Value (the handle's ``aria-valuenow``) and readout text of each slider."""
    return root.locator(".widget-hslider").evaluate_all(
        """els => els.map(e => ({
            value: parseFloat(e.querySelector('.noUi-handle')
                                .getAttribute('aria-valuenow')),
            readout: (e.querySelector('.widget-readout') || {}).innerText}))"""
    )


def displayed_png(root: Any) -> bytes:
    """The PNG the explorer's ``Image`` widget shows, fetched from its src."""
    b64 = root.locator("img.widget-image").last.evaluate(
        """async img => {
            const buf = new Uint8Array(await (await fetch(img.src))
                                       .arrayBuffer());
            let s = '';
            for (let i = 0; i < buf.length; i += 0x8000)
                s += String.fromCharCode.apply(null, buf.subarray(i, i + 0x8000));
            return btoa(s);
        }"""
    )
    return base64.b64decode(b64)


def _handle(root: Any, index: int) -> Any:
    return root.locator(".widget-hslider").nth(index).locator(".noUi-handle")


def perform(page: Any, root: Any, names: list[str], move: Any) -> None:
    """One real input gesture on a slider's handle (mouse or keyboard)."""
    handle = _handle(root, names.index(move.slider))
    handle.scroll_into_view_if_needed()
    box = handle.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    if isinstance(move, Drag):
        page.mouse.move(cx, cy)
        page.mouse.down()
        steps = max(2, int(abs(move.dx) // 4))
        for k in range(1, steps + 1):
            page.mouse.move(cx + move.dx * k / steps, cy)
            page.wait_for_timeout(15)
        page.mouse.up()
    elif isinstance(move, Keys):
        page.mouse.click(cx, cy)  # focus the handle, as a learner would
        for _ in range(move.times):
            page.keyboard.press(move.key)
            page.wait_for_timeout(20)
    else:  # pragma: no cover
        raise TypeError(f"unknown move {move!r}")


def _set_values(explorer: Any, names: list[str], values: list[float]) -> None:
    for name, value in zip(names, values):
        explorer.controls[name].value = value


def _parse_readout(text: str) -> float:
    return float(text.replace("\u2212", "-").strip())


def _assert_moved(check: Any, before: dict, after: dict, shot_before: bytes,
                  shot_after: bytes) -> tuple[dict[str, tuple[Any, Any]], float]:
    """Every slider the check moved changed value, and so did the plot.

    Returns the sliders that changed (name -> (before, after)) and the
    fraction of the plot's pixels that changed."""
    moved = {name: (before[name], after[name])
             for name in after if before[name] != after[name]}
    for move in check.moves:
        assert move.slider in moved, (
            f"{move.describe()} did not change {move.slider} "
            f"(still {after[move.slider]})")
    changed = changed_fraction(shot_before, shot_after)
    assert changed > 0.005, (
        f"{check.title!r}: plot area unchanged after "
        f"{', '.join(m.describe() for m in check.moves)} "
        f"({changed:.2%} of pixels differ)")
    return moved, changed


def check_explorer(page: Any, check: ExplorerCheck, save: Callable[[str, Any], Path],
                   prefix: str, probe: Callable[[str], dict] | None = None,
                   settle_s: float = 45) -> dict[str, Any]:
    """Move an explorer's sliders in the page; check what it shows.

    ``save(name, data)`` writes an artefact (bytes or JSON-able) and returns
    its path; ``probe(var)`` (JupyterLab only) reads the kernel's explorer.
    Asserts: no callback error is shown; every slider's readout agrees with
    its value; each moved slider moved; the plot area's screenshots before
    and after differ; after the moves the page shows exactly the figure the
    explorer draws for the values on the page (pixel equality with the same
    explorer built here); the kernel's ``state`` equals what
    :mod:`gru_edu.cell` computes for those values. Returns a summary.
    A check with ``shown`` goes to :func:`check_readout_explorer`, one with
    ``drive`` to that function.
    """
    if check.drive is not None:
        return check.drive(page, check, save, prefix, probe=probe,
                           settle_s=settle_s)
    if check.shown is not None:
        return check_readout_explorer(page, check, save, prefix, probe=probe,
                                      settle_s=settle_s)
    root = explorer_root(page, check.title)
    n_found = root.count()
    assert n_found == 1, f"explorer {check.title!r}: found {n_found} on the page"
    root.scroll_into_view_if_needed()
    view = root.locator("img.widget-image").last
    view.wait_for(state="visible")
    local = check.build()
    names = slider_names(local)
    before = read_sliders(root)
    assert len(before) == len(names), (
        f"{check.title!r}: {len(before)} sliders on the page, "
        f"{len(names)} in the explorer")
    shot_before = view.screenshot()
    save(f"{prefix}-{check.slug}-before.png", shot_before)

    for move in check.moves:
        perform(page, root, names, move)

    # Wait until the page shows the figure for the values it shows.
    deadline = time.monotonic() + settle_s
    rendered: dict[tuple, bytes] = {}
    while True:
        after = read_sliders(root)
        values = tuple(s["value"] for s in after)
        if values not in rendered:
            _set_values(local, names, list(values))
            assert local.last_error is None, local.last_error
            rendered[values] = bytes(local.view.value)
        shown = displayed_png(root)
        if changed_fraction(shown, rendered[values]) == 0.0:
            break
        if time.monotonic() > deadline:
            save(f"{prefix}-{check.slug}-shown.png", shown)
            save(f"{prefix}-{check.slug}-expected.png", rendered[values])
            raise AssertionError(
                f"{check.title!r}: after {settle_s:.0f} s the page still does "
                f"not show the figure for its slider values {values}; "
                f"{changed_fraction(shown, rendered[values]):.2%} of pixels "
                "differ (see *-shown.png and *-expected.png)")
        page.wait_for_timeout(300)
    page.wait_for_timeout(300)
    assert read_sliders(root) == after, "sliders still moving after settling"
    shot_after = view.screenshot()
    save(f"{prefix}-{check.slug}-after.png", shot_after)
    save(f"{prefix}-{check.slug}-expected.png", rendered[values])
    diff = diff_png(shot_before, shot_after)
    if diff is not None:
        save(f"{prefix}-{check.slug}-diff.png", diff)

    text = root.inner_text()
    assert CALLBACK_ERROR not in text, f"{check.title!r} shows: {text[-300:]}"
    for name, s in zip(names, after):
        assert abs(_parse_readout(s["readout"]) - s["value"]) <= 0.0051 + \
            1e-9 * abs(s["value"]), f"{name}: readout {s['readout']!r} " \
            f"but value {s['value']}"
    moved, changed = _assert_moved(check, dict(zip(names, before)),
                                   dict(zip(names, after)), shot_before, shot_after)

    expected = check.expected(local)
    summary = {"title": check.title, "moves": [m.describe() for m in check.moves],
               "moved": moved, "values": dict(zip(names, values)),
               "pixels_changed": changed, "expected": as_jsonable(expected)}
    for key, want in expected.items():  # the local explorer agrees with cell
        _assert_same(f"local {check.var}.state[{key!r}]", local.state[key], want)
    if probe is not None:
        kernel = probe(check.var)
        summary["kernel"] = kernel
        assert kernel["last_error"] is None, kernel["last_error"]
        for name, value in zip(names, values):
            assert np.isclose(kernel["values"][name], value), (
                f"kernel {check.var}.{name} = {kernel['values'][name]}, "
                f"page shows {value}")
        for key, want in expected.items():
            _assert_same(f"kernel {check.var}.state[{key!r}]",
                         kernel["state"][key], want)
    save(f"{prefix}-{check.slug}.json", summary)
    return summary


# ------------------------------------------- explorers read by their readout

#: CSS classes of the gate explorer's readout spans (gru_edu.explorers.gate_explorer)
READOUT_SPANS = {"z": "gru-edu-z", "r": "gru-edu-r", "h_tilde": "gru-edu-h-tilde",
                 "h": "gru-edu-h", "sentiment": "gru-edu-sentiment",
                 "gradient": "gru-edu-gradient"}
_READOUT_JS = """(root, spans) => {
  // textContent: JupyterLab skips rendering cells out of view
  // (content-visibility), and innerText is then empty
  const text = sel => { const e = root.querySelector(sel);
                        return e ? e.textContent : null; };
  const out = {readout: text('.gru-edu-readout'),
               info: text('.gru-edu-review-info'),
               words: text('.gru-edu-words'), numbers: {}};
  for (const [name, cls] of Object.entries(spans))
    out.numbers[name] = text('.' + cls);
  out.sliders = Array.from(root.querySelectorAll('.widget-hslider')).map(
    e => ({label: (e.querySelector('.widget-label') || {}).textContent,
           value: parseFloat(e.querySelector('.noUi-handle')
                              .getAttribute('aria-valuenow'))}));
  return out;
}"""
_READOUT_HEAD = re.compile(r"step (\d+) · word '(.*)' · unit (\d+):")
_REVIEW_INFO = re.compile(r"test review #(\d+) \((\d+) of (\d+), "
                          r"filter: (\w+)\)")


def read_readout(root: Any) -> dict[str, Any]:
    """What the gate explorer's text shows, parsed.

    ``step``, ``word``, ``unit`` (readout head), ``review`` (test review
    number), ``position``/``of``/``filter`` (review info), ``numbers`` (the
    readout spans' values), ``sliders`` (label -> value) and the raw texts.
    """
    raw = root.evaluate(_READOUT_JS, READOUT_SPANS)
    out = {**raw, "sliders": {s["label"]: s["value"] for s in raw["sliders"]}}
    head = _READOUT_HEAD.search(raw["readout"] or "")
    if head:
        out.update(step=int(head[1]), word=head[2], unit=int(head[3]))
    info = _REVIEW_INFO.search(raw["info"] or "")
    if info:
        out.update(review=int(info[1]), position=int(info[2]) - 1,
                   of=int(info[3]), filter=info[4])
    numbers = {}
    for name, text in raw["numbers"].items():
        if text and "=" in text:
            numbers[name] = float(text.split("=")[-1].replace("\u2212", "-"))
    out["numbers"] = numbers
    return out


def _settled(shown: dict[str, Any]) -> bool:
    """The readout describes the sliders' current step and unit."""
    sl = shown["sliders"]
    return ("step" in shown and "review" in shown
            and shown["step"] == sl.get("step") and shown["unit"] == sl.get("unit")
            and shown["position"] == sl.get("review"))


def check_readout_explorer(page: Any, check: ExplorerCheck,
                           save: Callable[[str, Any], Path], prefix: str,
                           probe: Callable[[str], dict] | None = None,
                           settle_s: float = 45) -> dict[str, Any]:
    """Move the gate explorer's sliders in the page; check what it shows.

    Asserts: no callback error is shown; each moved slider moved; the plot
    area's screenshots before and after differ; the readout (step, unit,
    review) follows the sliders; its word and its numbers z, r, h_tilde, h,
    the sentiment so far and the gradient row's value equal, to the 4 decimals shown, what
    ``check.shown`` computes with :mod:`gru_edu.cell` for that review, step
    and unit (and the review info's model output, to the 3 shown); in
    JupyterLab (``probe``) the kernel's ``state`` equals it to 1e-6.
    """
    root = explorer_root(page, check.title)
    n_found = root.count()
    assert n_found == 1, f"explorer {check.title!r}: found {n_found} on the page"
    root.scroll_into_view_if_needed()
    view = root.locator("img.widget-image").last
    view.wait_for(state="visible")
    deadline = time.monotonic() + settle_s
    while not _settled(before := read_readout(root)):
        assert time.monotonic() < deadline, (
            f"{check.title!r}: readout {before['readout']!r} / info "
            f"{before['info']!r} do not match sliders {before['sliders']}")
        page.wait_for_timeout(250)
    names = list(before["sliders"])
    shot_before = view.screenshot()
    save(f"{prefix}-{check.slug}-before.png", shot_before)

    for move in check.moves:
        perform(page, root, names, move)

    # Wait until the readout follows the sliders and the image is steady.
    deadline = time.monotonic() + settle_s
    last_png, steady_since = None, None
    while True:
        after = read_readout(root)
        png = displayed_png(root)
        if _settled(after) and png == last_png:
            steady_since = steady_since or time.monotonic()
            if time.monotonic() - steady_since >= 1.0:
                break
        else:
            steady_since = None
        last_png = png
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{check.title!r}: after {settle_s:.0f} s the readout "
                f"{after['readout']!r} (info {after['info']!r}) still does "
                f"not match the sliders {after['sliders']} or the image "
                "still changes")
        page.wait_for_timeout(250)
    assert read_readout(root)["sliders"] == after["sliders"], \
        "sliders still moving after settling"
    shot_after = view.screenshot()
    save(f"{prefix}-{check.slug}-after.png", shot_after)
    diff = diff_png(shot_before, shot_after)
    if diff is not None:
        save(f"{prefix}-{check.slug}-diff.png", diff)

    text = root.inner_text()
    assert CALLBACK_ERROR not in text, f"{check.title!r} shows: {text[-300:]}"
    moved, changed = _assert_moved(check, before["sliders"], after["sliders"],
                                   shot_before, shot_after)

    where = {k: after[k] for k in ("review", "step", "unit")}
    want = check.shown(where)
    summary = {"title": check.title, "moves": [m.describe() for m in check.moves],
               "moved": moved, "shown": where, "readout": after["readout"],
               "info": after["info"], "numbers": after["numbers"],
               "pixels_changed": changed, "expected": as_jsonable(want)}
    save(f"{prefix}-{check.slug}.json", summary)
    assert after["word"] == want["word"], (
        f"readout word {after['word']!r}, review {where['review']} has "
        f"{want['word']!r} at step {where['step']}")
    assert after["sliders"]["step"] <= want["length"] - 1
    assert f"{want['length']} steps" in after["info"], after["info"]
    assert f"model: {want['prediction']:.3f}" in after["info"], (
        f"info {after['info']!r}, gru_edu.cell gives {want['prediction']:.3f}")
    assert set(after["numbers"]) == set(READOUT_SPANS), after["numbers"]
    for name, got in after["numbers"].items():
        # the gradient: float32 autodiff on both sides, 1e-5 apart at most
        slack = 1e-5 if name == "gradient" else 1e-9
        assert abs(got - want[name]) <= 0.5e-4 + slack, (
            f"readout {name}={got:.4f}, gru_edu.cell gives {want[name]:.6f} "
            f"(review {where['review']}, step {where['step']}, "
            f"unit {where['unit']})")
    if probe is not None:
        kernel = probe(check.var)
        assert kernel["last_error"] is None, kernel["last_error"]
        for name in ("review", "step", "unit"):
            assert kernel["values"][name] == after["sliders"][name], (
                f"kernel {check.var}.{name} = {kernel['values'][name]}, page "
                f"shows {after['sliders'][name]}")
        st = kernel["state"]
        assert st["index"] == where["review"] and st["step"] == where["step"] \
            and st["unit"] == where["unit"], (st["index"], st["step"], st["unit"])
        t, u = where["step"], where["unit"]
        for name in ("z", "r", "h_tilde", "h"):
            _assert_close(f"kernel {check.var}.state[{name!r}][{t}, {u}]",
                          st[name][t][u], want[name])
        _assert_close(f"kernel {check.var}.state['sentiment'][{t}]",
                      st["sentiment"][t], want["sentiment"])
        _assert_close(f"kernel {check.var}.state['gradient'][{t}]",
                      st["gradient"][t], want["gradient"],
                      atol=1e-5 * max(1.0, abs(want["gradient"])))
    return summary


def _assert_close(what: str, got: float, want: float, atol: float = 1e-6) -> None:
    assert abs(float(got) - float(want)) <= atol, (
        f"{what} = {got!r}, gru_edu.cell gives {want!r}")


def _assert_same(what: str, got: Any, want: Any) -> None:
    if want is None or isinstance(want, str):
        assert got == want, f"{what} = {got!r}, gru_edu.cell gives {want!r}"
        return
    got_a, want_a = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    assert got_a.shape == want_a.shape and np.allclose(
        got_a, want_a, rtol=1e-9, atol=1e-12), (
        f"{what} = {got_a}, gru_edu.cell gives {want_a}")


def generic_slider_check(page: Any, save: Callable[[str, Any], Path],
                         prefix: str) -> float:
    """For a notebook without an ExplorerCheck: drag the first slider of the
    first widget box with an image, assert the image changed; return the
    fraction of changed pixels."""
    box = page.locator(
        "xpath=(//div[contains(concat(' ', @class, ' '), ' widget-vbox ')]"
        "[.//img[contains(@class, 'widget-image')]]"
        "[.//div[contains(@class, 'widget-hslider')]])[1]")
    assert box.count() == 1, "no widget box with a slider and an image found"
    box.scroll_into_view_if_needed()
    view = box.locator("img.widget-image").first
    shot_before = view.screenshot()
    handle = box.locator(".widget-hslider").first.locator(".noUi-handle")
    for dx in (80.0, -160.0):
        b = handle.bounding_box()
        cx, cy = b["x"] + b["width"] / 2, b["y"] + b["height"] / 2
        page.mouse.move(cx, cy)
        page.mouse.down()
        for k in range(1, 21):
            page.mouse.move(cx + dx * k / 20, cy)
        page.mouse.up()
        page.wait_for_timeout(3000)
        shot_after = view.screenshot()
        changed = changed_fraction(shot_before, shot_after)
        if changed > 0.005:
            break
    save(f"{prefix}-generic-before.png", shot_before)
    save(f"{prefix}-generic-after.png", shot_after)
    return changed
