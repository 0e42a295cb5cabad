"""The tutorial's claims about GRU and LSTM, measured (notebook 05).

Four parts, each with its own log in ``benchmarks/logs/``:

* ``--part curves`` (``bench_claims_curves.json``): IMDB learning curves.
  Training sets of 500 ... 10,000 reviews and the whole 24,000 (the first reviews of the
  training part of :func:`gru_edu.splits.load_splits`; vocabulary and
  polarity fitted on them), the notebook 03 recipe with three cells: GRU(64),
  LSTM(64) (same units) and an LSTM with about the GRU's recurrent parameter
  count (:func:`gru_edu.claims.matched_lstm_units`). Every cell gets the same
  budget (:data:`gru_edu.claims.EPOCH_BUDGET` epochs, best validation epoch
  kept); each model is scored once, at the end, on the first 5,000 test
  reviews. 5 seeds at up to 2,000 reviews, 3 above.
* ``--part speed`` (``bench_claims_speed.json``): seconds per training step
  of SimpleRNN, GRU and LSTM at 64 units, timed side by side
  (:func:`gru_edu.claims.step_seconds`), plus one real epoch each on 5,000
  reviews with the recipe.
* ``--part counting`` (``bench_claims_counting.json``): aⁿbⁿ, train on
  n <= N, test larger n (:mod:`gru_edu.counting`).
* ``--part memory`` (``bench_claims_memory.json``): notebook 02's long-memory
  task with NumPy SimpleRNN, GRU and LSTM (:mod:`gru_edu.lstm`), accuracy and
  the gradient that reaches back over the lag.

    python benchmarks/bench_claims.py --part curves
    python benchmarks/bench_claims.py --part curves --sizes 500 1000 --seeds 0 1

Runs already in a log are not repeated, so an interrupted part continues.
Timings come from a shared 2-core machine: the log records the load average.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from gru_edu.config import quiet_tensorflow  # noqa: E402

quiet_tensorflow()

import numpy as np  # noqa: E402

from logbook import LOG_DIR, load_average, new_log, read_log, session, write_log  # noqa: E402

from gru_edu import claims  # noqa: E402
from gru_edu.training import TrainSettings  # noqa: E402

SIZES = [500, 1000, 2000, 5000, 10000, 24000]  # 24,000: the whole training part
TEST_REVIEWS = 5000
UNITS = 64
#: The notebook 03 recipe, shortened to fit the 60-minute budget on 2 cores:
#: reviews cut to their last 200 words (not 300), 1,000 validation reviews
#: (not 2,500), and the epoch budget of gru_edu.claims.EPOCH_BUDGET.
RECIPE = replace(TrainSettings(), maxlen=200, val_size=1000)
INPUT_DIM = TrainSettings().embed_dim + 1  # word vector + polarity


def cells() -> list[tuple[str, str, int]]:
    """(name, kind, units) of the three compared cells."""
    matched = claims.matched_lstm_units(UNITS, INPUT_DIM)
    return [("gru", "gru", UNITS), ("lstm", "lstm", UNITS),
            ("lstm_matched", "lstm", matched)]


def seeds_for(size: int, seeds: list[int] | None) -> list[int]:
    if seeds is not None:
        return seeds
    return [0, 1, 2, 3, 4] if size <= 2000 else [0, 1, 2]


def summarise_curves(runs: list[dict]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for name, _, units in cells():
        per_size = {}
        for size in sorted({r["train_reviews"] for r in runs if r["cell"] == name}):
            rows = [r for r in runs if r["cell"] == name and r["train_reviews"] == size]
            mean, half = claims.t_interval([r["test_accuracy"] for r in rows])
            vmean, _ = claims.t_interval([r["val_accuracy"] for r in rows])
            per_size[str(size)] = {
                "seeds": len(rows), "test_mean": mean, "test_ci95": half,
                "val_mean": vmean,
                "best_epochs": [r["best_epoch"] for r in rows],
                "epochs": rows[0]["epochs"],
                "train_seconds_median": float(np.median([r["train_seconds"] for r in rows])),
            }
        out[name] = {"units": units,
                     "recurrent_parameters": claims.recurrent_parameters(
                         "lstm" if name.startswith("lstm") else name, units, INPUT_DIM),
                     "sizes": per_size}
    return out


def part_curves(args: argparse.Namespace) -> None:
    from gru_edu.splits import load_splits

    path = args.log_dir / "bench_claims_curves.json"
    log = read_log(path) or new_log(
        "bench_claims_curves",
        "IMDB learning curves, GRU vs LSTM (same units and matched parameters); "
        "same epoch budget per size for every cell, best validation epoch kept; "
        f"test = first {TEST_REVIEWS} test reviews, scored once per model",
    )
    log.setdefault("sessions", []).append(session())
    log["epoch_budget"] = {str(k): v for k, v in claims.EPOCH_BUDGET.items()}
    log["cells"] = {n: {"kind": k, "units": u,
                        "recurrent_parameters": claims.recurrent_parameters(k, u, INPUT_DIM)}
                    for n, k, u in cells()}
    log["recipe"] = asdict(RECIPE)
    start = time.perf_counter()
    cache: dict[int, object] = {}
    # seed-major: every size gets its first seeds before any size gets more
    for seed in sorted({s for size in args.sizes for s in seeds_for(size, args.seeds)}):
        for size in args.sizes:
            if seed not in seeds_for(size, args.seeds):
                continue
            if size not in cache:
                cache[size] = load_splits(
                    num_words=RECIPE.num_words, maxlen=RECIPE.maxlen,
                    val_size=RECIPE.val_size, train_size=size,
                    test_size=TEST_REVIEWS, progress=False)
            parts = cache[size]
            epochs = args.epochs or claims.epochs_for(size)
            for name, kind, units in cells():
                done = {(r["cell"], r["train_reviews"], r["seed"]) for r in log["runs"]}
                if (name, len(parts.y_train), seed) in done:
                    continue
                run = claims.train_point(parts, kind, units, seed, epochs,
                                         settings=RECIPE, verbose=args.verbose)
                run["cell"] = name
                run["load_average_after"] = load_average()
                print(f"{name:13s} n={size:6d} seed {seed}  best epoch {run['best_epoch']}/"
                      f"{epochs}  val {run['val_accuracy']:.4f}  test "
                      f"{run['test_accuracy']:.4f}  {run['train_seconds']:.0f} s", flush=True)
                log["runs"].append(run)
                log["summary"] = summarise_curves(log["runs"])
                write_log(log, path)
    log["sessions"][-1]["wall_seconds"] = time.perf_counter() - start
    log["wall_seconds_total"] = sum(s.get("wall_seconds", 0.0) for s in log["sessions"])
    write_log(log, path)


PARTS = {"curves": part_curves}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=sorted(PARTS), required=True)
    parser.add_argument("--sizes", type=int, nargs="+", default=SIZES)
    parser.add_argument("--seeds", type=int, nargs="+", default=None)
    parser.add_argument("--epochs", type=int, default=None,
                        help="override the epoch budget (dry runs only)")
    parser.add_argument("--verbose", type=int, default=0)
    parser.add_argument("--log-dir", type=Path, default=LOG_DIR,
                        help="where the logs go (dry runs: somewhere else)")
    args = parser.parse_args()
    PARTS[args.part](args)


if __name__ == "__main__":
    main()
