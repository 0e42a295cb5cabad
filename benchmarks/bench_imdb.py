"""IMDB benchmark: the fixed GRU, LSTM and SimpleRNN, and the tutorial's model.

Trains each model on the full official 25,000 / 25,000 split and prints one
table: model, parameters, seconds per epoch, epochs, total training time, test
accuracy, device. Nothing here asserts a time; it measures and prints.

    python benchmarks/bench_imdb.py                      # everything (long on CPU)
    python benchmarks/bench_imdb.py --models gru         # just the fixed GRU
    python benchmarks/bench_imdb.py --markdown benchmarks/RESULTS_imdb.md

The fixed models use :meth:`gru_edu.training.TrainSettings.default` (the
recipe of notebook 03 and ``python -m gru_edu train``); the tutorial model is
trained as written (batch 100, 10 epochs, ids as one float feature).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gru_edu.config import quiet_tensorflow  # noqa: E402

quiet_tensorflow()

import keras  # noqa: E402
import numpy as np  # noqa: E402

from gru_edu import data, models  # noqa: E402
from gru_edu.training import TrainSettings, train_classifier  # noqa: E402

ALL = ["gru", "lstm", "simple_rnn", "tutorial"]


def bench_fixed(kind: str, epochs: int | None, verbose: int) -> dict:
    settings = TrainSettings.default(kind)
    if epochs:
        settings = replace(settings, epochs=epochs)
    start = time.perf_counter()
    result = train_classifier(settings, verbose=verbose)
    meta = result.trained.meta
    return {
        "model": f"fixed {kind}",
        "params": meta["parameters"],
        "sec_per_epoch": meta["seconds_per_epoch"],
        "epochs": settings.epochs,
        "train_seconds": float(np.sum(result.history["seconds"])),
        "total_seconds": time.perf_counter() - start,
        "test_acc": meta["test_accuracy"],
        "curve": result.history["val_accuracy"],
        "device": meta["device"],
    }


def bench_tutorial(epochs: int, verbose: int) -> dict:
    (x_train, y_train), (x_test, y_test) = data.load_imdb(num_words=30000, maxlen=300)
    keras.utils.set_random_seed(0)
    model = models.seed_model(300)
    start = time.perf_counter()
    hist = models.fit(
        model,
        models.seed_features(x_train),
        y_train,
        epochs=epochs,
        batch_size=100,
        validation_data=(models.seed_features(x_test), y_test),
        verbose=verbose,
    )
    return {
        "model": "tutorial (as written)",
        "params": model.count_params(),
        "sec_per_epoch": float(np.median(hist["seconds"])),
        "epochs": epochs,
        "train_seconds": float(np.sum(hist["seconds"])),
        "total_seconds": time.perf_counter() - start,
        "test_acc": hist["val_accuracy"][-1],
        "curve": hist["val_accuracy"],
        "device": models.device_name(),
    }


def table(rows: list[dict]) -> str:
    head = "| model | parameters | s/epoch (median) | epochs | train time | test accuracy | test acc by epoch | device |"
    lines = [head, "|" + "---|" * 8]
    for r in rows:
        curve = " ".join(f"{a:.3f}" for a in r["curve"])
        lines.append(
            f"| {r['model']} | {r['params']:,} | {r['sec_per_epoch']:.1f} | {r['epochs']} | "
            f"{r['train_seconds'] / 60:.1f} min | {r['test_acc']:.4f} | {curve} | {r['device']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", choices=ALL, default=ALL)
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs for the fixed models (default: their recipe)")
    parser.add_argument("--tutorial-epochs", type=int, default=10)
    parser.add_argument("--markdown", type=Path, default=None,
                        help="also append the table, with machine details, to this file")
    parser.add_argument("--verbose", type=int, default=2)
    args = parser.parse_args()

    rows = []
    for name in args.models:
        print(f"=== {name}", flush=True)
        if name == "tutorial":
            rows.append(bench_tutorial(args.tutorial_epochs, args.verbose))
        else:
            rows.append(bench_fixed(name, args.epochs, args.verbose))
        print(table(rows[-1:]), flush=True)

    machine = (
        f"{platform.node() or 'machine'}: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores visible, Python {platform.python_version()}, "
        f"TensorFlow/Keras {keras.__version__}"
    )
    report = f"Machine: {machine}\n\n{table(rows)}\n"
    print("\n" + report)
    if args.markdown:
        with open(args.markdown, "a") as f:
            f.write(f"\n## {time.strftime('%Y-%m-%d %H:%M')}\n\n{report}")


if __name__ == "__main__":
    main()
