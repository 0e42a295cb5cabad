"""Saturation, memory reach and select-and-match on trained IMDB models.
Prints numbers; asserts nothing.

    python benchmarks/bench_deeper.py                  # full setting
    python benchmarks/bench_deeper.py --seeds 0 1 2    # more seeds for the reach

What it does (all in the full setting, on the CPU):

1. trains notebook 03's recipe with GRU (per-epoch checkpoints kept), LSTM
   and SimpleRNN, for each ``--seeds`` (``gru_edu.imdb.train_or_load``:
   models already in ``artifacts/deeper/full`` are loaded, not retrained);
2. the speed of one 300-word review's gradient row
   (:func:`gru_edu.gates.connectivity.gradient_connectivity`) on the shipped
   GRU, and its max relative error against Keras's own gradient;
3. :func:`~gru_edu.gates.connectivity.memory_reach` over ``--reviews`` test
   reviews for every model: the curve, the median 90%-reach, the time;
4. :func:`gru_edu.gates.saturation.gate_saturation` over the same reviews on
   the shipped GRU and on every epoch checkpoint of the GRU of seed 0;
5. a state cache of all 25,000 test reviews (shipped GRU, ``h`` and ``z``)
   and the time of ``--searches`` select-and-match searches over it.

Every number goes to ``benchmarks/logs/bench_deeper.json`` as soon as it is
measured (``render_results.py`` renders it into ``RESULTS.md``); the load
average is recorded with it: timings were taken on a shared machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from gru_edu.config import quiet_tensorflow  # noqa: E402

quiet_tensorflow()

import numpy as np  # noqa: E402

from logbook import LOG_DIR, new_log, read_log, session, write_log  # noqa: E402

from gru_edu import imdb  # noqa: E402
from gru_edu.imdb import comparison_dir, train_or_load  # noqa: E402
from gru_edu.imdb.checkpoints import load_checkpoints  # noqa: E402
from gru_edu.gates.connectivity import (  # noqa: E402
    check_against_keras,
    gradient_connectivity,
    memory_reach,
)
from gru_edu.gates.pattern_search import (  # noqa: E402
    build_state_cache,
    find_matches,
    select_units,
    StateCache,
)
from gru_edu.gates.saturation import SATURATION_KINDS, gate_saturation  # noqa: E402

LOG = LOG_DIR / "bench_deeper.json"
KINDS = ("gru", "lstm", "simple_rnn")
PARTS = ("gradient", "saturation", "search", "models")


def ms_stats(fn, repeat: int) -> dict[str, float]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1e3)
    return {"min_ms": min(times), "median_ms": statistics.median(times),
            "max_ms": max(times), "n": repeat}


def saturation_summary(sat) -> dict:
    out = {"steps": sat.n_steps, "reviews": sat.n_reviews}
    for g in ("z", "r"):
        kinds = sat.kinds(g)
        out[g] = {
            "left": [round(float(v), 4) for v in sat.left[g]],
            "right": [round(float(v), 4) for v in sat.right[g]],
            "kinds": {k: int((kinds == k).sum()) for k in SATURATION_KINDS},
            "units_mostly_right": int((sat.right[g] > 0.5).sum()),
            "units_mostly_left": int((sat.left[g] > 0.5).sum()),
            "units_right_over_10pct": int((sat.right[g] > 0.1).sum()),
            "units_left_over_10pct": int((sat.left[g] > 0.1).sum()),
        }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--reviews", type=int, default=2500)
    parser.add_argument("--searches", type=int, default=20)
    parser.add_argument("--cache-reviews", type=int, default=25000)
    parser.add_argument("--log", default=str(LOG), help="where to write the log")
    parser.add_argument("--skip-models", action="store_true",
                        help="measure on the shipped model only (a quick try)")
    parser.add_argument("--parts", nargs="+", default=list(PARTS),
                        choices=PARTS, help="what to measure; a part run alone "
                        "replaces its entry in the latest run of the log")
    args = parser.parse_args()

    parts = set(args.parts)
    old = read_log(Path(args.log)) if parts != set(PARTS) else None
    if old is not None and old["runs"]:
        log, run = old, old["runs"][-1]
        log.setdefault("sessions", []).append({**session(), "parts": args.parts})
    else:
        log = new_log("bench_deeper", "gate saturation, gradient connectivity "
                      "(memory reach) and select-and-match on trained IMDB models")
        run = {"reviews": args.reviews, "seeds": args.seeds}
        log["runs"].append(run)

    def save() -> None:
        write_log(log, Path(args.log))

    shipped = imdb.TrainedModel.load(imdb.shipped_model_dir("gru"))
    (_, _), (x_test, y_test) = imdb.load_imdb(
        vocabulary=shipped.vocab, maxlen=shipped.maxlen, padding="post",
        progress=False)
    rng = np.random.default_rng(0)
    pick = np.sort(rng.choice(len(x_test), args.reviews, replace=False))
    x_sub = x_test[pick]

    # 2. one review's gradient row
    if "gradient" in parts:
        gradient_part(run, shipped, x_test, pick)
        save()
    if "saturation" in parts:
        saturation_part(run, shipped, x_sub)
        save()
    if "search" in parts:
        search_part(run, shipped, x_test, args)
        save()
    if "models" in parts and not args.skip_models:
        models_part(run, x_sub, args, save)
    save()
    print(f"wrote {args.log}")
    return 0


def gradient_part(run, shipped, x_test, pick) -> None:
    lengths = (x_test != 0).sum(axis=1)
    long_one = x_test[int(np.flatnonzero(lengths == shipped.maxlen)[0])]
    t = time.perf_counter()
    gradient_connectivity(shipped, long_one)
    first = time.perf_counter() - t
    run["gradient_row"] = {"words": int((long_one != 0).sum()),
                           "first_call_s": first,
                           **ms_stats(lambda: gradient_connectivity(shipped, long_one), 50)}
    run["gradient_check"] = {
        "reviews": 32,
        "max_rel_error_vs_keras": check_against_keras(shipped, x_test[pick[:32]]),
    }
    print("gradient row", run["gradient_row"], run["gradient_check"], flush=True)


def saturation_part(run, shipped, x_sub) -> None:
    t = time.perf_counter()
    sat = gate_saturation(shipped, x_sub)[0]
    run["saturation_shipped"] = {"seconds": time.perf_counter() - t,
                                 **saturation_summary(sat)}
    print("saturation shipped", run["saturation_shipped"]["z"]["kinds"],
          run["saturation_shipped"]["seconds"], flush=True)
    # memory reach of the shipped model
    reach = memory_reach(shipped, x_sub)
    run["reach_shipped"] = {"seconds": reach.seconds,
                            "median_reach90": reach.median_reach90,
                            "mean_share": [float(v) for v in reach.mean_share[:300]]}
    print("reach shipped", reach, reach.seconds, flush=True)


def search_part(run, shipped, x_test, args) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        n_cache = min(args.cache_reviews, len(x_test))
        t = time.perf_counter()
        cache = build_state_cache(shipped, x_test[:n_cache], signals=("h", "z"))
        build_s = time.perf_counter() - t
        cache.save(tmp)
        size = sum(p.stat().st_size for p in Path(tmp).iterdir())
        cache = StateCache.load(tmp)
        times, hits, units_n = [], [], []
        srng = np.random.default_rng(1)
        tries = 0
        while len(times) < args.searches and tries < 50 * args.searches:
            tries += 1
            row = int(srng.integers(cache.n_reviews))
            vals = cache.values("h", row)
            length = int(srng.integers(2, 6))
            if len(vals) < length + 2:
                continue
            start = int(srng.integers(1, len(vals) - length))
            units = select_units(vals, start, start + length - 1, 0.5)
            if not len(units):
                continue
            t = time.perf_counter()
            units = select_units(cache.values("h", row), start,
                                 start + length - 1, 0.5)
            found = find_matches(cache, units, 0.5, length, signal="h", slack=1)
            times.append((time.perf_counter() - t) * 1e3)
            hits.append(len(found))
            units_n.append(len(units))
        run["search"] = {
            "reviews": cache.n_reviews, "steps": cache.n_steps,
            "signals": ["h", "z"], "cache_build_s": build_s,
            "cache_mb": size / 2**20, "searches": len(times),
            "median_ms": statistics.median(times), "max_ms": max(times),
            "median_units": statistics.median(units_n),
            "median_matches": statistics.median(hits)}
    print("search", run["search"], flush=True)


def models_part(run, x_sub, args, save) -> None:
    run["models"] = []
    for seed in args.seeds:
        for kind in KINDS:
            t = time.perf_counter()
            trained = train_or_load(kind, seed, checkpoints=(kind == "gru" and seed == 0))
            entry = {"kind": kind, "seed": seed,
                     "train_or_load_s": time.perf_counter() - t,
                     "val_accuracy": trained.meta.get("val_accuracy"),
                     "test_accuracy": trained.meta.get("test_accuracy"),
                     "seconds_per_epoch": trained.meta.get("seconds_per_epoch")}
            reach = memory_reach(trained, x_sub)
            entry.update(reach_seconds=reach.seconds,
                         median_reach90=reach.median_reach90,
                         mean_norm=[float(v) for v in reach.mean_norm[:300]],
                         mean_share=[float(v) for v in reach.mean_share[:300]])
            run["models"].append(entry)
            print(kind, seed, reach, f"{reach.seconds:.1f} s", flush=True)
            save()
            if kind == "gru" and seed == 0:
                epochs = []
                for ck in load_checkpoints(comparison_dir("gru", 0) / "epochs"):
                    t = time.perf_counter()
                    s = gate_saturation(ck, x_sub)[0]
                    epochs.append({"epoch": ck.meta["epoch"],
                                   "seconds": time.perf_counter() - t,
                                   **saturation_summary(s)})
                    print("epoch", ck.meta["epoch"], epochs[-1]["z"]["kinds"],
                          flush=True)
                run["saturation_by_epoch"] = epochs
                save()


if __name__ == "__main__":
    raise SystemExit(main())
