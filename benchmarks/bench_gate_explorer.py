"""How fast does the gate explorer redraw? Prints numbers; asserts nothing.

    python benchmarks/bench_gate_explorer.py                     # saved model
    python benchmarks/bench_gate_explorer.py --model PATH --reviews 200

Uses the GRU notebook 04 shows (``imdb.load_explorer_model``: a model you
trained in the full setting, else the one shipped in ``gru_edu/shipped``), or
the bundle given with ``--model``. Reviews: the first
``--reviews`` IMDB test reviews if the archive is found, else random ids.

Each move sets a control's ``.value`` the way the front end does and times
the whole callback: reading the controls, the cached trace, moving the
artists, rendering and PNG-encoding the image the browser receives (inline
backend). The time the browser takes to show it is not included.

* ``step`` / ``unit``: slider moves inside one page of words (blitting: the
  figure without the moving artists is reused);
* ``page``: a step move that scrolls the words (full render);
* ``sort``: a new unit order (full render);
* ``review (new)`` / ``review (cached)``: another review, traced for the
  first time (Keras pass + NumPy replay + full render) or again;
* ``unit words``: the unit slider of the unit-words explorer.

The timings depend on how busy the CPU is: the load average and the CPU
count are printed with them and written, with every number, to
``benchmarks/logs/bench_gate_explorer.json`` (``render_results.py`` renders
it into ``RESULTS.md``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

from logbook import LOG_DIR, new_log, write_log  # noqa: E402

LOG = LOG_DIR / "bench_gate_explorer.json"


def _model(path: str | None):
    from gru_edu import imdb

    if path:
        return imdb.TrainedModel.load(path), f"the bundle in {path}"
    return imdb.load_explorer_model("gru")


def _reviews(trained, n: int) -> tuple[np.ndarray, np.ndarray]:
    from gru_edu import imdb

    try:
        (_, _), (x, y) = imdb.load_imdb(vocabulary=trained.vocab,
                                        maxlen=trained.maxlen, progress=False)
        return x[:n], y[:n]
    except imdb.ArchiveError:
        rng = np.random.default_rng(0)
        x = np.zeros((n, trained.maxlen), dtype=np.int32)
        for i, k in enumerate(rng.integers(50, trained.maxlen, size=n)):
            x[i, 0] = 1
            x[i, 1:k] = rng.integers(4, trained.vocab.num_words, size=k - 1)
        return x, rng.integers(0, 2, size=n)


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _row(name: str, seconds: list[float]) -> str:
    ms = 1000 * np.asarray(seconds)
    return (f"{name:16s} n={len(ms):3d}  median {np.median(ms):6.1f} ms  "
            f"p90 {np.percentile(ms, 90):6.1f} ms  max {ms.max():6.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=None, help="saved bundle folder")
    parser.add_argument("--reviews", type=int, default=200)
    args = parser.parse_args()

    from gru_edu.explorers.gate_explorer import gate_explorer
    from gru_edu.explorers.unit_words import unit_words_explorer

    log = new_log("bench_gate_explorer", "gate explorer callback times (controls, cached "
                  "trace, artists, render, PNG), inline backend")
    trained, kind = _model(args.model)
    kind = kind.replace(str(Path(__file__).resolve().parent.parent) + "/", "")
    x, y = _reviews(trained, args.reviews)
    start = time.perf_counter()
    ex = gate_explorer(trained, x=x, labels=y)
    built = time.perf_counter() - start
    c = ex.controls
    lengths = (x != 0).sum(axis=1)
    longest = int(np.argmax(lengths))
    c["review"].value = longest
    times: dict[str, list[float]] = {k: [] for k in (
        "step", "unit", "page", "sort", "review (new)", "review (cached)",
        "unit words")}
    for t in range(1, int(lengths[longest])):
        before = len(ex.timings)
        seconds = _timed(lambda: setattr(c["step"], "value", t))
        level = ex.timings[before][0] if len(ex.timings) > before else "?"
        times["step" if level == "step" else "page"].append(seconds)
    for u in list(range(1, 32)) * 2:
        times["unit"].append(_timed(lambda: setattr(c["unit"], "value", u % 32)))
    for _ in range(3):
        for key in ("z", "corr", "unit"):
            times["sort"].append(_timed(lambda: setattr(c["sort"], "value", key)))
    for i in range(1, min(16, len(x))):
        if i != longest:
            times["review (new)"].append(
                _timed(lambda: setattr(c["review"], "value", i)))
    for i in range(1, min(16, len(x))):
        if i != longest:
            times["review (cached)"].append(
                _timed(lambda: setattr(c["review"], "value", i)))
    start = time.perf_counter()
    uw = unit_words_explorer(trained, x)
    uw_built = time.perf_counter() - start
    for u in list(range(1, 32)):
        times["unit words"].append(
            _timed(lambda: setattr(uw.controls["unit"], "value", u % 32)))
    assert ex.last_error is None and uw.last_error is None
    w, h = ex.figure.get_size_inches() * ex.dpi
    print(f"model: {kind}; {len(x)} reviews; explorer image {w:.0f}x{h:.0f} px "
          f"at {ex.dpi} dpi; longest review {lengths[longest]} steps")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"gate explorer built in {built:.1f} s (predictions for the filters "
          f"and the first trace, compiles included); unit-words explorer "
          f"(gate statistics over {len(x)} reviews) in {uw_built:.1f} s")
    for name, seconds in times.items():
        if seconds:
            print(_row(name, seconds))
    ms = {name: 1000 * np.asarray(sec) for name, sec in times.items() if sec}
    log["runs"].append({
        "model": kind,
        "model_meta": {k: trained.meta.get(k) for k in ("val_accuracy", "test_accuracy",
                                                         "settings", "device")},
        "reviews": len(x),
        "image_px": [round(w), round(h)],
        "dpi": ex.dpi,
        "explorer_build_s": built,
        "unit_words_build_s": uw_built,
        "moves": {name: {"n": len(v), "median_ms": float(np.median(v)),
                         "p90_ms": float(np.percentile(v, 90)), "max_ms": float(v.max())}
                  for name, v in ms.items()},
    })
    print(f"log: {write_log(log, LOG)}")


if __name__ == "__main__":
    main()
