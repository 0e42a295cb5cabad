"""tf.distribute on a CPU: one device against MirroredStrategy over two logical CPUs.

The same recipe on the same slice of IMDB, with the same **global** batch
(64): once on one device (no strategy, XLA on as usual on a CPU), once
mirrored over the CPU split into two logical devices (32 reviews per replica,
XLA off: a mirrored step spans devices). Each run is a fresh process, since
the split must happen before TensorFlow starts. Validation accuracy only;
the test reviews are not looked at. On a CPU the split brings no speed (the
replicas share the cores): this checks that the mirrored path learns what the
one-device path learns, and what it costs. Several GPUs are where it pays.

    python benchmarks/bench_mirrored.py                 # seeds 0 1
    python benchmarks/bench_mirrored.py --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from logbook import LOG_DIR, load_average, new_log, write_log  # noqa: E402

LOG = LOG_DIR / "bench_mirrored.json"
GLOBAL_BATCH, TRAIN, VAL, EPOCHS = 64, 2000, 500, 4

CHILD = """
import json, sys, time
devices, seed = int(sys.argv[1]), int(sys.argv[2])
from gru_edu.imdb.distribute import split_cpu
if devices > 1:
    split_cpu(devices)
from gru_edu.imdb import TrainSettings, train_classifier
s = TrainSettings(train_size={train}, val_size={val}, epochs={epochs}, seed=seed,
                  batch_size={batch} // devices)
start = time.perf_counter()
r = train_classifier(s, strategy="auto", score_test=False, verbose=0)
m = r.trained.meta
print("RESULT", json.dumps({{k: m[k] for k in ("strategy", "replicas", "global_batch_size",
      "per_replica_batch_size", "val_accuracy", "seconds_per_epoch",
      "seconds_first_epoch")}} | {{"total_seconds": time.perf_counter() - start,
      "val_accuracy_by_epoch": m["history"]["val_accuracy"]}}))
""".format(train=TRAIN, val=VAL, epochs=EPOCHS, batch=GLOBAL_BATCH)


def run(devices: int, seed: int) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="2", GRU_EDU_FAST="0")
    archive = ROOT.parent / "shared" / "data" / "aclImdb_v1.tar.gz"
    if archive.exists():
        env.setdefault("GRU_EDU_IMDB_ARCHIVE", str(archive))
    proc = subprocess.run([sys.executable, "-c", CHILD, str(devices), str(seed)], env=env,
                          capture_output=True, text=True, timeout=3600)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if proc.returncode or line is None:
        raise RuntimeError(f"devices={devices} seed={seed} failed:\n{proc.stderr[-3000:]}")
    return json.loads(line.removeprefix("RESULT "))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    args = parser.parse_args()
    log = new_log("bench_mirrored", "one device against MirroredStrategy over two logical "
                  "CPU devices, same global batch, validation accuracy")
    log["setup"] = {"train_reviews": TRAIN, "val_reviews": VAL, "epochs": EPOCHS,
                    "global_batch": GLOBAL_BATCH}
    for seed in args.seeds:  # in turns, so load changes hit both alike
        for devices in (1, 2):
            load = load_average()
            row = run(devices, seed)
            row.update(seed=seed, devices=devices, load_average_before=load,
                       load_average_after=load_average())
            print(f"seed {seed}, {devices} device(s): {row['strategy']}, "
                  f"{row['replicas']} replica(s), global batch {row['global_batch_size']}: "
                  f"val {row['val_accuracy']:.4f}, {row['seconds_per_epoch']:.1f} s/epoch",
                  flush=True)
            log["runs"].append(row)
            write_log(log, LOG)
    summary = {}
    for devices in (1, 2):
        rows = [r for r in log["runs"] if r["devices"] == devices]
        vals = [r["val_accuracy"] for r in rows]
        summary[str(devices)] = {
            "strategy": rows[0]["strategy"], "replicas": rows[0]["replicas"],
            "seeds": len(rows), "val_mean": statistics.mean(vals),
            "val_min": min(vals), "val_max": max(vals),
            "seconds_per_epoch": statistics.median(r["seconds_per_epoch"] for r in rows)}
    log["summary"] = summary
    write_log(log, LOG)
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
