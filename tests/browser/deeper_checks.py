"""Browser checks for notebook 06: the gradient row and select-and-match.

* :func:`gradient_at` computes the gate explorer's gradient number for a
  review and step independently of :mod:`gru_edu.gates.connectivity`: an
  eager ``tf.GradientTape`` on the unmodified model, differentiating its
  probability with respect to the embedding table (the per-step slices of
  that gradient), divided by ``p (1 - p)`` in float64 for the logit.
* :func:`check_select_match` drives the select-and-match widget with real
  keyboard input on its span slider's upper handle, waits until the page
  shows the new selection, and checks the units and the number of matches
  the page prints (and the kernel's ``state``) against
  :func:`~gru_edu.gates.pattern_search.select_units` and
  :func:`~gru_edu.gates.pattern_search.find_matches` run here on the same
  cached states.
"""

from __future__ import annotations

import hashlib
import re
import time
from typing import Any, Callable

import numpy as np

from explorer_driver import CALLBACK_ERROR, changed_fraction, explorer_root

_SLIDERS_JS = """root => Array.from(root.querySelectorAll('.widget-hslider'))
  .map(e => ({label: (e.querySelector('.widget-label') || {}).textContent,
              values: Array.from(e.querySelectorAll('.noUi-handle')).map(
                  h => parseFloat(h.getAttribute('aria-valuenow')))}))"""

_SELECTION = re.compile(r"selected words (\d+)–(\d+): .* · (\w+) ≥ "
                        r"(-?[\d.]+) · (.*)$", re.S)
_MATCHES = re.compile(r"([\d,]+) matches in ([\d,]+) of ([\d,]+) reviews")


def gradient_at(trained: Any, ids: np.ndarray, step: int,
                prediction: float) -> float:
    """``|d logit / d v_t|`` at review step ``step`` of one padded review."""
    import keras
    import tensorflow as tf

    model = trained.model
    ids = np.asarray(ids)
    start = int(np.flatnonzero(ids)[0])
    emb = next(la for la in model.layers
               if isinstance(la, keras.layers.Embedding))
    with tf.GradientTape() as tape:
        p = model(tf.constant(ids[None].astype("int32")), training=False)
    g = tape.gradient(p, emb.embeddings)
    assert isinstance(g, tf.IndexedSlices) and g.values.shape[0] == ids.size
    assert np.array_equal(np.asarray(g.indices).reshape(-1), ids)
    per_step = np.asarray(g.values, dtype=np.float64)
    scale = prediction * (1.0 - prediction)
    return float(np.linalg.norm(per_step[start + step]) / scale)


def notebook_cache(trained: Any, fast: bool) -> Any:
    """The state cache notebook 06 built (same folder name as the notebook)."""
    from gru_edu.gates import pattern_search

    n = 300 if fast else 25_000
    kernel = trained.model.get_layer("gru").cell.kernel.numpy()
    tag = hashlib.sha1(kernel.tobytes()).hexdigest()[:10]
    return pattern_search.StateCache.load(
        pattern_search.default_cache_dir(f"gru_{tag}_{n}"))


def _read(root: Any) -> dict[str, Any]:
    sliders = root.evaluate(_SLIDERS_JS)
    sel = root.locator(".gru-edu-selection").first.text_content() or ""
    found = root.locator(".gru-edu-matches").first.text_content() or ""
    out: dict[str, Any] = {"sliders": sliders, "selection": sel,
                           "matches_text": found}
    m = _SELECTION.search(sel)
    if m:
        out.update(span=(int(m[1]), int(m[2])), signal=m[3],
                   threshold=float(m[4]))
        tail = m[5]
        out["units"] = ([] if tail.startswith("no unit") else
                        [int(u) for u in tail.split(":")[-1].split(",")])
    m = _MATCHES.search(found)
    if m:
        out["n_matches"] = int(m[1].replace(",", ""))
    return out


def _settled(shown: dict[str, Any]) -> bool:
    if "span" not in shown:
        return False
    span = shown["sliders"][1]["values"]
    thr = shown["sliders"][2]["values"][0]
    return (tuple(int(v) for v in span) == shown["span"]
            and abs(thr - shown["threshold"]) < 1e-9
            and ("n_matches" in shown or not shown["units"]))


def check_select_match(page: Any, check: Any, save: Callable[[str, Any], Any],
                       prefix: str, probe: Callable[[str], dict] | None = None,
                       settle_s: float = 45) -> dict[str, Any]:
    """Press ArrowRight on the span slider's upper handle; check the result."""
    from gru_edu import config, imdb
    from gru_edu.gates.pattern_search import find_matches, select_units

    root = explorer_root(page, check.title)
    assert root.count() == 1, f"{check.title!r}: found {root.count()}"
    root.scroll_into_view_if_needed()
    view = root.locator("img.widget-image").last
    view.wait_for(state="visible")
    deadline = time.monotonic() + settle_s
    while not _settled(before := _read(root)):
        assert time.monotonic() < deadline, before
        page.wait_for_timeout(250)
    shot_before = view.screenshot()
    save(f"{prefix}-{check.slug}-before.png", shot_before)

    upper = root.locator(".widget-hslider").nth(1).locator(".noUi-handle-upper")
    upper.scroll_into_view_if_needed()
    box = upper.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.keyboard.press("ArrowRight")

    deadline = time.monotonic() + settle_s
    while True:
        after = _read(root)
        if _settled(after) and after["span"] != before["span"]:
            break
        assert time.monotonic() < deadline, (
            f"{check.title!r}: the selection text {after['selection']!r} does "
            f"not follow the sliders {after['sliders']}")
        page.wait_for_timeout(250)
    page.wait_for_timeout(500)
    after = _read(root)
    shot_after = view.screenshot()
    save(f"{prefix}-{check.slug}-after.png", shot_after)
    text = root.inner_text()
    assert CALLBACK_ERROR not in text, text[-300:]
    assert after["span"] == (before["span"][0], before["span"][1] + 1)
    changed = changed_fraction(shot_before, shot_after)
    assert changed > 0.002, f"plot unchanged ({changed:.2%} of pixels)"

    trained, _ = imdb.load_explorer_model("gru")
    cache = notebook_cache(trained, config.fast_mode())
    review = int(after["sliders"][0]["values"][0])
    lo, hi = after["span"]
    slack = int(after["sliders"][3]["values"][0])
    units = select_units(cache.values(after["signal"], review), lo, hi,
                         after["threshold"])
    summary = {"before": before, "after": after, "review": review,
               "expected_units": units.tolist(), "pixels_changed": changed}
    assert after["units"] == units.tolist(), summary
    if len(units):
        want = len(find_matches(cache, units, after["threshold"], hi - lo + 1,
                                signal=after["signal"], slack=slack))
        summary["expected_matches"] = want
        assert after["n_matches"] == want, summary
    if probe is not None:
        kernel = probe(check.var)
        summary["kernel_values"] = kernel["values"]
        assert kernel["last_error"] is None, kernel["last_error"]
        st = kernel["state"]
        assert [int(u) for u in st["units"]] == units.tolist()
        assert st["span"] == [lo, hi] and st["review"] == review
        assert st["n_matches"] == summary.get("expected_matches", 0)
    save(f"{prefix}-{check.slug}.json", summary)
    return summary
