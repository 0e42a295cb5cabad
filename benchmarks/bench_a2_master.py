"""Assignment 2's pass mark, measured: the master solution trained with several seeds.

The master notebook's own solution (its ``build_model``, ``NUM_WORDS``,
``EPOCHS`` and ``BATCH_SIZE`` cells, read from the notebook with the
student prompts stripped) is trained exactly as the notebook trains it
(``gru_edu.imdb.fit`` on the training part of
``gru_edu.imdb.load_splits``, the validation part watched), once per seed,
in the full setting; each run's test accuracy is scored once, after training.

The pass mark of A2 (``gru_edu.grading.imdb_rules().accuracy``) is the
master's mean test accuracy minus a margin of :data:`MARGIN`, rounded down to
a hundredth; partial credit starts :data:`PARTIAL_BELOW` lower. A test checks
that the rules in the code are the ones this log gives.

    python benchmarks/bench_a2_master.py                 # seeds 0-4
    python benchmarks/bench_a2_master.py --seeds 0 1 2

Results: ``benchmarks/logs/bench_a2_master.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from gru_edu.config import quiet_tensorflow  # noqa: E402

quiet_tensorflow()

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

from logbook import LOG_DIR, load_average, new_log, write_log  # noqa: E402

from gru_edu import imdb  # noqa: E402
from gru_edu.grading import a2_imdb  # noqa: E402

LOG = LOG_DIR / "bench_a2_master.json"
MASTER = ROOT / "notebooks" / "assignments" / "a2_imdb_gru" / "a2_imdb_gru.ipynb"
#: How far below the master's mean a submission may land and still pass.
MARGIN = 0.02
#: Partial credit from this far below the pass mark.
PARTIAL_BELOW = 0.05
_PROMPT = re.compile(r'""" # BEGIN PROMPT.*?""" # END PROMPT\n?', re.S)


def pass_marks(mean_accuracy: float) -> tuple[float, float]:
    """``(pass mark, partial-credit mark)`` from the master's mean test accuracy."""
    bar = math.floor((mean_accuracy - MARGIN) * 100) / 100
    return bar, round(bar - PARTIAL_BELOW, 2)


def master_solution() -> dict:
    """``build_model``, ``NUM_WORDS``, ``EPOCHS``, ``BATCH_SIZE`` from the master notebook."""
    cells = json.loads(MASTER.read_text())["cells"]
    wanted = ("def build_model", "EPOCHS =")
    namespace = {"keras": keras, "layers": layers, "RULES": a2_imdb.ImdbRules(),
                 "xla_on_cpu": imdb.xla_on_cpu}
    for cell in cells:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and any(w in source for w in wanted):
            exec(_PROMPT.sub("", source), namespace)  # the master's own code
    return namespace


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    args = parser.parse_args()

    rules = a2_imdb.ImdbRules()  # the full setting's rules
    master = master_solution()
    parts = imdb.load_splits(num_words=master["NUM_WORDS"], maxlen=rules.maxlen,
                               val_size=rules.val_size, progress=False)
    log = new_log("bench_a2_master", "assignment 2's master solution, trained as its "
                  "notebook trains it, full setting; test scored once per run")
    log["solution"] = {k: master[k] for k in ("NUM_WORDS", "EPOCHS", "BATCH_SIZE")}
    for seed in args.seeds:
        keras.utils.set_random_seed(seed)
        model = master["build_model"]()
        start = time.perf_counter()
        hist = imdb.fit(model, parts.x_train, parts.y_train, epochs=master["EPOCHS"],
                          batch_size=master["BATCH_SIZE"],
                          validation_data=(parts.x_val, parts.y_val), verbose=2)
        train_seconds = time.perf_counter() - start
        _, test = imdb.evaluate(model, parts.x_test, parts.y_test)
        run = {"seed": seed, "parameters": int(model.count_params()),
               "val_accuracy": hist["val_accuracy"][-1], "test_accuracy": test,
               "seconds_per_epoch": float(np.median(hist["seconds"])),
               "train_seconds": train_seconds, "load_average_after": load_average()}
        print(f"seed {seed}: val {run['val_accuracy']:.4f} test {test:.4f} "
              f"{train_seconds:.0f} s", flush=True)
        log["runs"].append(run)
        write_log(log, LOG)
    tests = [r["test_accuracy"] for r in log["runs"]]
    mean = statistics.fmean(tests)
    bar, partial = pass_marks(mean)
    log["summary"] = {"seeds": len(tests), "test_mean": mean,
                      "test_sd": statistics.stdev(tests) if len(tests) > 1 else 0.0,
                      "test_min": min(tests), "margin": MARGIN,
                      "pass_mark": bar, "partial_mark": partial,
                      "train_minutes": statistics.median(r["train_seconds"]
                                                         for r in log["runs"]) / 60}
    write_log(log, LOG)
    print(f"master: test {mean:.4f} ± {log['summary']['test_sd']:.4f} over {len(tests)} "
          f"seeds -> pass mark {bar:.2f}, partial from {partial:.2f}")
    print(f"log: {LOG}")


if __name__ == "__main__":
    main()
