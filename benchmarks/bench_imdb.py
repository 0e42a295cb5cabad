"""IMDB benchmark: the final numbers of the chosen recipe, and the other cells beside it.

Every model follows the protocol of :mod:`gru_edu.imdb.splits`: trained on the
training part (22,500 reviews), watched on the validation part (2,500 reviews
carved from the training reviews), and scored on the 25,000 test reviews once,
after training. Several seeds per model; nothing is chosen here (the recipe
was chosen on validation by ``search_recipe.py``), so the test accuracy is an
honest estimate.

    python benchmarks/bench_imdb.py                         # GRU, 5 seeds
    python benchmarks/bench_imdb.py --models lstm simple_rnn --seeds 0 1 2
    python benchmarks/bench_imdb.py --models tutorial --seeds 0

The fixed models use :meth:`gru_edu.imdb.TrainSettings.default` (the
recipe of notebook 03 and ``python -m gru_edu train --scratch``) with the recurrent
layer swapped; the tutorial model is trained as written (ids as one float
feature, ``GRU(50)`` then ``GRU(1)``, batch 100, 10 epochs, 30,000 words).

Results go to ``benchmarks/logs/bench_imdb.json`` (one entry per model and
seed; a rerun replaces the entries it repeats). ``render_results.py`` turns
the log into the table in ``RESULTS.md``. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from gru_edu.config import quiet_tensorflow  # noqa: E402

quiet_tensorflow()

import keras  # noqa: E402
import numpy as np  # noqa: E402

from logbook import LOG_DIR, load_average, new_log, read_log, session, write_log  # noqa: E402

from gru_edu import imdb  # noqa: E402
from gru_edu.imdb import TrainSettings, train_classifier  # noqa: E402

ALL = ["gru", "lstm", "simple_rnn", "tutorial"]
LOG = LOG_DIR / "bench_imdb.json"


def bench_fixed(kind: str, seed: int, epochs: int | None, verbose: int) -> dict:
    """One fixed model, one seed: validation during training, test once at the end."""
    settings = replace(TrainSettings.default(kind), seed=seed)
    if epochs:
        settings = replace(settings, epochs=epochs)
    start = time.perf_counter()
    result = train_classifier(settings, verbose=verbose)
    meta = result.trained.meta
    return {
        "model": kind,
        "seed": seed,
        "parameters": meta["parameters"],
        "epochs": settings.epochs,
        "seconds_per_epoch": meta["seconds_per_epoch"],
        "train_seconds": float(np.sum(result.history["seconds"])),
        "total_seconds": time.perf_counter() - start,
        "val_accuracy": meta["val_accuracy"],
        "val_accuracy_by_epoch": result.history.get("val_accuracy", []),
        "test_accuracy": meta["test_accuracy"],
        "train_reviews": meta["train_reviews"],
        "val_reviews": meta["val_reviews"],
        "test_reviews": meta["test_reviews"],
        "device": meta["device"],
        "load_average_after": load_average(),
    }


def bench_tutorial(seed: int, epochs: int, verbose: int) -> dict:
    """The tutorial's model as written, on the same three parts."""
    parts = imdb.load_splits(num_words=30000, maxlen=300, progress=False)
    keras.utils.set_random_seed(seed)
    model = imdb.tutorial_model(300)
    start = time.perf_counter()
    hist = imdb.fit(
        model,
        imdb.tutorial_features(parts.x_train),
        parts.y_train,
        epochs=epochs,
        batch_size=100,
        validation_data=(imdb.tutorial_features(parts.x_val), parts.y_val),
        verbose=verbose,
    )
    train_seconds = float(np.sum(hist["seconds"]))
    predictions = model.predict(imdb.tutorial_features(parts.x_test), batch_size=512, verbose=0)
    called_positive = np.asarray(predictions).reshape(-1) > 0.5
    test_accuracy = float(np.mean(called_positive == (parts.y_test == 1)))
    positive = float(np.mean(called_positive))
    return {
        "model": "tutorial",
        "seed": seed,
        "parameters": int(model.count_params()),
        "epochs": epochs,
        "seconds_per_epoch": float(np.median(hist["seconds"])),
        "train_seconds": train_seconds,
        "total_seconds": time.perf_counter() - start,
        "val_accuracy": hist["val_accuracy"][-1],
        "val_accuracy_by_epoch": hist["val_accuracy"],
        "test_accuracy": test_accuracy,
        "test_predicted_positive": positive,
        "train_reviews": len(parts.y_train),
        "val_reviews": len(parts.y_val),
        "test_reviews": len(parts.y_test),
        "device": imdb.device_name(),
        "load_average_after": load_average(),
    }


def summarise(runs: list[dict]) -> dict[str, dict]:
    """Per model: seeds, test accuracy mean / sd / min, validation mean, seconds."""
    out = {}
    for name in ALL:
        rows = [r for r in runs if r["model"] == name]
        if not rows:
            continue
        test = [r["test_accuracy"] for r in rows]
        out[name] = {
            "seeds": len(rows),
            "parameters": rows[0]["parameters"],
            "epochs": rows[0]["epochs"],
            "test_mean": statistics.fmean(test),
            "test_sd": statistics.stdev(test) if len(test) > 1 else 0.0,
            "test_min": min(test),
            "val_mean": statistics.fmean(r["val_accuracy"] for r in rows),
            "seconds_per_epoch": statistics.median(r["seconds_per_epoch"] for r in rows),
            "train_minutes": statistics.median(r["train_seconds"] for r in rows) / 60,
            "total_minutes": statistics.median(r["total_seconds"] for r in rows) / 60,
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", choices=ALL, default=["gru"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs for the fixed models (default: their recipe)")
    parser.add_argument("--tutorial-epochs", type=int, default=10)
    parser.add_argument("--log", type=Path, default=LOG)
    parser.add_argument("--verbose", type=int, default=2)
    args = parser.parse_args()

    log = read_log(args.log) or new_log(
        "bench_imdb",
        "IMDB classifiers: trained on the training part, validation part watched, "
        "test reviews scored once after training",
    )
    log.setdefault("sessions", []).append(session())
    for name in args.models:
        for seed in args.seeds:
            print(f"=== {name}, seed {seed}", flush=True)
            if name == "tutorial":
                run = bench_tutorial(seed, args.tutorial_epochs, args.verbose)
            else:
                run = bench_fixed(name, seed, args.epochs, args.verbose)
            print(f"    val {run['val_accuracy']:.4f}  test {run['test_accuracy']:.4f}  "
                  f"{run['seconds_per_epoch']:.1f} s/epoch  "
                  f"{run['total_seconds']:.0f} s in all", flush=True)
            log["runs"] = [r for r in log["runs"]
                           if (r["model"], r["seed"]) != (name, seed)] + [run]
            log["summary"] = summarise(log["runs"])
            write_log(log, args.log)

    print("\nmodel        seeds  test mean  test sd  test min  val mean  s/epoch  total")
    for name, s in log["summary"].items():
        print(f"{name:12s} {s['seeds']:5d}  {s['test_mean']:.4f}    {s['test_sd']:.4f}   "
              f"{s['test_min']:.4f}    {s['val_mean']:.4f}  {s['seconds_per_epoch']:7.1f}  "
              f"{s['total_minutes']:.1f} min")
    print(f"log: {args.log}")


if __name__ == "__main__":
    main()
