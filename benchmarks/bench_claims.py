"""The tutorial's claims about GRU and LSTM, measured (notebook 05).

Four parts, each with its own log in ``benchmarks/logs/``:

* ``--part curves`` (``bench_claims_curves.json``): IMDB learning curves.
  Training sets of 500 ... 10,000 reviews and the whole 24,000 (the first reviews of the
  training part of :func:`gru_edu.imdb.load_splits`; vocabulary and
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
  n <= N, test larger n (:mod:`gru_edu.tasks.counting`).
* ``--part memory`` (``bench_claims_memory.json``): notebook 02's long-memory
  task with NumPy SimpleRNN, GRU and LSTM (:mod:`gru_edu.cell.lstm`), accuracy and
  the gradient that reaches back over the lag.
* ``--part memory_tuned`` (``bench_claims_memory_tuned.json``): the same task,
  each model's learning rate and number of steps chosen on validation
  sequences (mean over seeds), then the chosen models scored once on test
  sequences.

    python benchmarks/bench_claims.py --part curves
    python benchmarks/bench_claims.py --part curves --sizes 500 1000 --seeds 0 1

Runs already in a log are not repeated, so an interrupted part continues.
Timings come from a shared 2-core machine: the log records the load average.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from gru_edu.config import quiet_tensorflow  # noqa: E402

quiet_tensorflow()

import numpy as np  # noqa: E402

from logbook import LOG_DIR, load_average, new_log, read_log, session, write_log  # noqa: E402

from gru_edu import claims  # noqa: E402
from gru_edu.imdb import TrainSettings  # noqa: E402

SIZES = [500, 1000, 2000, 5000, 10000, 24000]  # 24,000: the whole training part
TEST_REVIEWS = claims.CURVE_TEST_REVIEWS
UNITS = claims.CURVE_UNITS
#: The notebook 03 recipe, shortened to fit the budget on 2 cores (see
#: gru_edu.claims.CURVE_RECIPE), with the epoch budget of claims.EPOCH_BUDGET.
RECIPE = claims.CURVE_RECIPE
INPUT_DIM = TrainSettings().embed_dim + 1  # word vector + polarity


cells = claims.curve_cells


def seeds_for(size: int, seeds: list[int] | None) -> list[int]:
    if seeds is not None:
        return seeds
    return [0, 1, 2, 3, 4] if size <= 2000 else [0, 1, 2]


def summarise_curves(runs: list[dict]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    runs = claims.unique_runs(runs)
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


def update_log(path: Path, fresh: dict, change) -> dict:
    """Read the log at ``path`` (or ``fresh``), apply ``change``, write it back.

    Under a file lock, so several processes may add to one part at once
    (e.g. the small and the large training sets in parallel).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        log = read_log(path) or fresh
        change(log)
        write_log(log, path)
    return log


def part_curves(args: argparse.Namespace) -> None:
    path = args.log_dir / "bench_claims_curves.json"
    fresh = new_log(
        "bench_claims_curves",
        "IMDB learning curves, GRU vs LSTM (same units and matched parameters); "
        "same epoch budget per size for every cell, best validation epoch kept; "
        f"test = first {TEST_REVIEWS} test reviews, scored once per model",
    )
    me = session()
    me["pid"] = os.getpid()

    def start_session(log: dict) -> None:
        log.setdefault("sessions", []).append(me)
        log["epoch_budget"] = {str(k): v for k, v in claims.EPOCH_BUDGET.items()}
        log["cells"] = {n: {"kind": k, "units": u,
                            "recurrent_parameters": claims.recurrent_parameters(
                                k, u, INPUT_DIM)}
                        for n, k, u in cells()}
        log["recipe"] = asdict(RECIPE)

    log = update_log(path, fresh, start_session)
    start = time.perf_counter()
    cache: dict[int, object] = {}
    # seed-major: every size gets its first seeds before any size gets more
    for seed in sorted({s for size in args.sizes for s in seeds_for(size, args.seeds)}):
        for size in args.sizes:
            if seed not in seeds_for(size, args.seeds):
                continue
            if size not in cache:
                cache[size] = claims.load_curve_parts(size)
            parts = cache[size]
            epochs = args.epochs or claims.epochs_for(size)
            for name, kind, units in cells():
                log = read_log(path) or log
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

                def add(log: dict, run: dict = run) -> None:
                    log["runs"].append(run)
                    log["summary"] = summarise_curves(log["runs"])

                log = update_log(path, fresh, add)

    def finish(log: dict) -> None:
        for s in log["sessions"]:
            if s.get("pid") == me["pid"] and s["started"] == me["started"]:
                s["wall_seconds"] = time.perf_counter() - start
        log["wall_seconds_total"] = sum(s.get("wall_seconds", 0.0) for s in log["sessions"])

    update_log(path, fresh, finish)


def part_speed(args: argparse.Namespace) -> None:
    """Seconds per step, SimpleRNN / GRU / LSTM at 64 units, side by side."""
    path = args.log_dir / "bench_claims_speed.json"
    log = new_log("bench_claims_speed",
                  f"seconds per training step (batch {RECIPE.batch_size}, "
                  f"{RECIPE.maxlen} steps long, {INPUT_DIM} inputs, {UNITS} units), "
                  "cells interleaved in one process; XLA off and on")
    kinds = ["simple_rnn", "gru", "lstm"]
    start = time.perf_counter()
    for jit in (False, True):
        per_step = claims.step_seconds(kinds, units=UNITS, batch=RECIPE.batch_size,
                                       length=RECIPE.maxlen, input_dim=INPUT_DIM,
                                       steps=args.speed_steps, rounds=args.speed_rounds,
                                       jit_compile=jit)
        medians = {k: float(np.median(v)) for k, v in per_step.items()}
        run = {"jit_compile": jit, "seconds_per_step": per_step,
               "median_seconds_per_step": medians,
               "ratio_to_lstm": {k: medians[k] / medians["lstm"] for k in kinds},
               "matrix_blocks": claims.MATRIX_BLOCKS,
               "matrix_ratio_to_lstm": {k: claims.MATRIX_BLOCKS[k] / 4 for k in kinds},
               "load_average_after": load_average()}
        print(f"XLA {jit}: " + "  ".join(f"{k} {medians[k] * 1000:.0f} ms/step "
                                          f"({run['ratio_to_lstm'][k]:.2f} of LSTM)"
                                          for k in kinds), flush=True)
        log["runs"].append(run)
    log["wall_seconds_total"] = time.perf_counter() - start
    write_log(log, path)


def part_counting(args: argparse.Namespace) -> None:
    """aⁿbⁿ: train on n <= 20, test n <= 80; SimpleRNN, GRU, LSTM; 5 seeds."""
    from gru_edu.tasks import counting

    path = args.log_dir / "bench_claims_counting.json"
    settings = dict(train_max=20, test_max=80, units=8, steps=1500, learning_rate=0.01)
    log = new_log("bench_claims_counting",
                  "a^n b^n: say after each symbol whether the string is complete; "
                  "trained on n = 1..20, tested on n = 1..80; recognised = every answer right")
    log["settings"] = settings
    start = time.perf_counter()
    for seed in args.seeds or [0, 1, 2, 3, 4]:
        for kind in counting.KINDS:
            r = counting.train_counter(kind, seed=seed, progress=False, **settings)
            print(f"{kind:10s} seed {seed}: recognises up to n = {r.generalises_to:3d} "
                  f"(train all: {r.train_all_recognised}), {r.seconds:.0f} s", flush=True)
            log["runs"].append(r.as_dict())
            write_log(log, path)
    log["wall_seconds_total"] = time.perf_counter() - start
    write_log(log, path)


#: The long-memory task of notebook 02, with an LSTM beside the GRU and the RNN.
MEMORY_MODELS = {
    # name: (kind, units, gate bias): GRU and RNN as in notebook 02 (GRU update
    # bias 3, and Keras's 0); the LSTM with about the GRU's parameter count,
    # forget bias 1 (Keras's default; 0.0 here means that) and 3
    "gru": ("gru", 16, 3.0),
    "gru_bias0": ("gru", 16, 0.0),
    "lstm": ("lstm", 14, 0.0),
    "lstm_bias3": ("lstm", 14, 3.0),
    "rnn": ("rnn", 32, 0.0),
}


def part_memory(args: argparse.Namespace) -> None:
    from gru_edu.tasks import memory, trainer

    path = args.log_dir / "bench_claims_memory.json"
    steps, lr = 600, 1e-2
    log = read_log(path) or new_log(
        "bench_claims_memory",
        "notebook 02's recall-the-marked-symbol task (4 symbols, chance 0.25); "
        f"NumPy cells, {steps} Adam steps of 32 fresh sequences, lr {lr}; "
        "accuracy on 1000 held-out sequences")
    log.setdefault("sessions", []).append(session())
    log["models"] = {k: {"kind": v[0], "units": v[1], "update_bias": v[2],
                         "parameters": trainer.make_model(v[0], 5, v[1], 4).count()}
                     for k, v in MEMORY_MODELS.items()}
    start = time.perf_counter()
    T_grad = 100
    xg, yg = memory.memory_task(batch=32, T=T_grad, seed=99)
    log.setdefault("gradient_by_lag", {"T": T_grad, "start": {}, "trained": {}})
    for T in args.memory_T:
        for seed in args.seeds or [0, 1, 2, 3, 4]:
            for name, (kind, units, bias) in MEMORY_MODELS.items():
                if any((r["model"], r["T"], r["seed"]) == (name, T, seed)
                       for r in log["runs"]):
                    continue  # already in the log
                hist = memory.train_memory_task(kind, T=T, units=units, steps=steps, lr=lr,
                                                update_bias=bias, seed=seed, progress=False)
                acc = memory.evaluate(hist.model, T=T, batch=1000)
                print(f"T={T:3d} {name:9s} seed {seed}: accuracy {acc:.3f} "
                      f"({hist.seconds:.0f} s)", flush=True)
                log["runs"].append({"model": name, "T": T, "seed": seed, "accuracy": acc,
                                    "seconds": hist.seconds})
                if T == T_grad and seed == 0:
                    fresh = trainer.make_model(kind, 5, units, 4, seed=0, update_bias=bias)
                    log["gradient_by_lag"]["start"][name] = memory.state_gradient_norms(
                        fresh, xg, yg).tolist()
                    log["gradient_by_lag"]["trained"][name] = memory.state_gradient_norms(
                        hist.model, xg, yg).tolist()
                write_log(log, path)
    log["sessions"][-1]["wall_seconds"] = time.perf_counter() - start
    log["wall_seconds_total"] = sum(s.get("wall_seconds", 0.0) for s in log["sessions"])
    write_log(log, path)


#: The grid each model is tuned over (a learning rate, a number of Adam steps).
TUNE_LEARNING_RATES = (0.003, 0.01, 0.03)
TUNE_STEPS = (500, 1000, 1500)
VALIDATION_SEED = 777  # validation sequences; the test sequences use 12345
LEARNED = 0.9  # "learned the task": test accuracy at least this


def choose_budget(val: dict[tuple[float, int], list[float]]) -> tuple[float, int]:
    """The (learning rate, steps) with the best mean validation accuracy;
    ties within 0.005 go to fewer steps, then the smaller rate."""
    best = max(np.mean(v) for v in val.values())
    near = [k for k, v in val.items() if np.mean(v) >= best - 0.005]
    return min(near, key=lambda k: (k[1], k[0]))


def part_memory_tuned(args: argparse.Namespace) -> None:
    """Tune lr and steps per model and T on validation, then test once."""
    from gru_edu.tasks import memory, trainer

    path = args.log_dir / "bench_claims_memory_tuned.json"
    seeds = args.seeds or [0, 1, 2]
    log = new_log(
        "bench_claims_memory_tuned",
        "notebook 02's recall task; per model and T, learning rate and steps chosen "
        f"on {args.val_size} validation sequences (best mean over seeds {seeds}), "
        "then the chosen models scored once on 1000 test sequences")
    log.update(grid={"learning_rates": TUNE_LEARNING_RATES, "steps": TUNE_STEPS},
               seeds=seeds, learned_threshold=LEARNED, validation=[])
    snaps: dict[tuple, trainer.MemoryModel] = {}
    start = time.perf_counter()
    for seed in seeds:
        for T in args.memory_T:
            xv, yv = memory.memory_task(args.val_size, T, seed=VALIDATION_SEED)
            for name, (kind, units, bias) in MEMORY_MODELS.items():
                for lr in TUNE_LEARNING_RATES:
                    hist = memory.train_memory_task(
                        kind, T=T, units=units, steps=max(TUNE_STEPS), lr=lr,
                        update_bias=bias, seed=seed, progress=False,
                        snapshot_at=TUNE_STEPS)
                    for steps, net in hist.snapshots.items():
                        snaps[name, T, lr, steps, seed] = net
                        acc = float(np.mean(net.logits(xv).argmax(-1) == yv))
                        log["validation"].append(dict(model=name, T=T, lr=lr, steps=steps,
                                                      seed=seed, accuracy=acc))
                    print(f"seed {seed} T={T:3d} {name:10s} lr {lr}: validation "
                          f"{acc:.3f} after {steps} ({hist.seconds:.0f} s)", flush=True)
                    write_log(log, path)
    for T in args.memory_T:
        for name in MEMORY_MODELS:
            val = {}
            for r in log["validation"]:
                if (r["model"], r["T"]) == (name, T):
                    val.setdefault((r["lr"], r["steps"]), []).append(r["accuracy"])
            lr, steps = choose_budget(val)
            test = [memory.evaluate(snaps[name, T, lr, steps, s], T=T, batch=1000)
                    for s in seeds]
            log["runs"].append(dict(model=name, T=T, lr=lr, steps=steps,
                                      validation=val[lr, steps], test=test))
            print(f"T={T:3d} {name:10s} chosen lr {lr}, {steps} steps: test "
                  + " ".join(f"{a:.3f}" for a in test), flush=True)
    log["wall_seconds_total"] = time.perf_counter() - start
    write_log(log, path)


PARTS = {"curves": part_curves, "speed": part_speed, "counting": part_counting,
         "memory": part_memory, "memory_tuned": part_memory_tuned}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=sorted(PARTS), required=True)
    parser.add_argument("--sizes", type=int, nargs="+", default=SIZES)
    parser.add_argument("--seeds", type=int, nargs="+", default=None)
    parser.add_argument("--epochs", type=int, default=None,
                        help="override the epoch budget (dry runs only)")
    parser.add_argument("--verbose", type=int, default=0)
    parser.add_argument("--speed-steps", type=int, default=10)
    parser.add_argument("--speed-rounds", type=int, default=5)
    parser.add_argument("--memory-T", type=int, nargs="+", default=[50, 100])
    parser.add_argument("--val-size", type=int, default=1000,
                        help="validation sequences for --part memory_tuned")
    parser.add_argument("--log-dir", type=Path, default=LOG_DIR,
                        help="where the logs go (dry runs: somewhere else)")
    args = parser.parse_args()
    PARTS[args.part](args)


if __name__ == "__main__":
    main()
