"""How fast is the gate replay? Prints numbers; asserts nothing.

    python benchmarks/bench_gates.py                 # full: 25,000 reviews
    python benchmarks/bench_gates.py --reviews 2000  # quicker, extrapolated

Model: Embedding(10000, 32, mask_zero=True) → GRU(64) → Dense(1, sigmoid),
Keras-initialised (speed does not depend on training). Reviews: random word
ids, 300 steps, lengths between 50 and 300, right-padded.

Measured:

1. one 300-token review through :func:`gru_edu.gates.trace` (min and median
   of many calls after a warm-up), split into the Keras forward pass (one
   XLA-compiled call giving every state h_t) and the NumPy replay of all
   steps from those states (:func:`gru_edu.cell.gru_replay`); for comparison
   the step-by-step loop :func:`gru_edu.cell.gru_forward` that an earlier
   version of the replay ran; and the one-off compile time;
2. the same through :func:`gru_edu.gates.trace_text`;
3. :func:`gru_edu.gates.gate_statistics` over ``--reviews`` reviews.

The timings depend on how busy the CPU is: the load average and the CPU
count are printed with them and written, with every number, to
``benchmarks/logs/bench_gates.json`` (``render_results.py`` renders it into
``RESULTS.md``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from gru_edu.config import quiet_tensorflow  # noqa: E402

quiet_tensorflow()

import keras  # noqa: E402
import numpy as np  # noqa: E402

from logbook import LOG_DIR, new_log, write_log  # noqa: E402

from gru_edu import gates  # noqa: E402
from gru_edu.gates.keras_plumbing import gate_plan  # noqa: E402
from gru_edu.gates.replay import one_blas_thread  # noqa: E402
from gru_edu.cell import GRUParams, gru_forward, gru_replay  # noqa: E402

LOG = LOG_DIR / "bench_gates.json"

VOCAB, EMBED, UNITS, MAXLEN = 10000, 32, 64, 300


def build_model() -> keras.Model:
    keras.utils.set_random_seed(0)
    return keras.Sequential(
        [
            keras.Input((MAXLEN,), dtype="int32"),
            keras.layers.Embedding(VOCAB, EMBED, mask_zero=True, name="embedding"),
            keras.layers.GRU(UNITS, name="gru"),
            keras.layers.Dense(1, activation="sigmoid", name="sentiment"),
        ]
    )


def reviews(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    ids = rng.integers(3, VOCAB, size=(n, MAXLEN), dtype=np.int32)
    ids[:, 0] = 1
    lengths = rng.integers(50, MAXLEN + 1, size=n)
    ids[np.arange(MAXLEN)[None, :] >= lengths[:, None]] = 0
    return ids


def timeit(fn, repeat: int) -> tuple[float, float, float]:
    """(min, median) wall seconds of ``repeat`` calls, and mean CPU seconds.

    CPU time (this process, all threads) barely depends on how busy the
    machine is; wall time does.
    """
    times = []
    cpu = time.process_time()
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times), statistics.median(times), (time.process_time() - cpu) / repeat


def as_ms(timing: tuple[float, float, float]) -> dict[str, float]:
    """``timeit``'s result as milliseconds, for the log."""
    lo, med, cpu = timing
    return {"min_ms": lo * 1e3, "median_ms": med * 1e3, "cpu_ms": cpu * 1e3}


def ms(lo: float, med: float, cpu: float) -> str:
    return f"min {lo * 1e3:.2f} ms, median {med * 1e3:.2f} ms, CPU {cpu * 1e3:.2f} ms"


class Vocab:
    def encode(self, text: str) -> list[int]:
        return [1] + [3 + (hash(w) % (VOCAB - 3)) for w in text.split()]

    def decode(self, ids) -> list[str]:
        return [f"w{i}" for i in ids if i]


class Trained:
    def __init__(self, model):
        self.model, self.vocab, self.maxlen = model, Vocab(), MAXLEN
        self.padding, self.truncating = "post", "pre"


def machine() -> str:
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} "
        f"{load[2]:.2f} (cores shared with other jobs: timings vary)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reviews", type=int, default=25000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()

    print(f"keras {keras.__version__}, backend {keras.backend.backend()}; {machine()}")
    log = new_log("bench_gates", "gate replay speed: GRU 64 after Embedding(10000, 32), "
                  "Keras-initialised, 300-token reviews")
    results: dict = {"units": UNITS, "maxlen": MAXLEN}
    model = build_model()
    one = np.random.default_rng(1).integers(3, VOCAB, size=(1, MAXLEN)).astype("int32")
    one[0, 0] = 1  # <start>, then 299 words: no padding

    t = time.perf_counter()
    (tr,) = gates.trace(model, one)
    results["first_trace_s"] = time.perf_counter() - t
    results["replay_error_one"] = float(tr.max_abs_error)
    print(f"first trace (builds and XLA-compiles the extraction): "
          f"{results['first_trace_s']:.2f} s")
    print(f"replay error max |h_replay - h_keras| = {tr.max_abs_error:.2e}")

    timing = timeit(lambda: gates.trace(model, one), args.repeat)
    results["trace"] = as_ms(timing)
    print(f"trace, one 300-token review: {ms(*timing)}   (target <= 5 ms)")
    plan = gate_plan(model)
    arr = one.astype("int32")
    timing = timeit(lambda: plan.run([arr]), args.repeat)
    results["trace_keras_pass"] = as_ms(timing)
    print(f"  of which the Keras forward pass for the self-check (XLA): {ms(*timing)}")
    params = GRUParams.from_keras(model.get_layer("gru"))
    x = tr.x.astype(np.float64)
    h_prev = tr.h_prev
    with one_blas_thread():
        timing = timeit(lambda: gru_replay(x, h_prev, params), args.repeat)
        lo_c, med_c, cpu_c = timeit(lambda: gru_forward(x, params), args.repeat)
    results["trace_numpy_replay"] = as_ms(timing)
    results["gru_forward_loop"] = as_ms((lo_c, med_c, cpu_c))
    print(f"  of which gru_edu.cell.gru_replay, all 300 steps at once: {ms(*timing)}")
    print(f"  (for comparison: gru_edu.cell.gru_forward, the 300-step loop: "
          f"{ms(lo_c, med_c, cpu_c)}, {lo_c / MAXLEN * 1e6:.1f} us per step)")

    trained = Trained(model)
    text = " ".join(f"word{i}" for i in range(MAXLEN - 1))
    gates.trace_text(trained, text)
    timing = timeit(lambda: gates.trace_text(trained, text), args.repeat)
    results["trace_text"] = as_ms(timing)
    print(f"trace_text, 300 tokens: {ms(*timing)}")
    print(machine())

    data = reviews(args.reviews, seed=3)
    # compile the batch shape first, so the timing is the steady state
    gates.gate_statistics(model, data[: args.batch_size], batch_size=args.batch_size)
    t, cpu = time.perf_counter(), time.process_time()
    (st,) = gates.gate_statistics(model, data, batch_size=args.batch_size)
    dt, cpu = time.perf_counter() - t, time.process_time() - cpu
    per, cpu_per = dt / args.reviews, cpu / args.reviews
    print(f"gate_statistics, {args.reviews} reviews x {MAXLEN} steps "
          f"(batch {args.batch_size}): {dt:.1f} s wall, {cpu:.1f} s CPU = "
          f"{per * 1e3:.2f} ms per review -> {per * 25000:.0f} s wall, "
          f"{cpu_per * 25000:.0f} s CPU for 25,000   (target <= 60 s)")
    print(f"  replay error over all batches: {st.max_abs_error:.2e}")
    print(machine())
    results["gate_statistics"] = {
        "reviews": args.reviews, "batch_size": args.batch_size, "wall_s": dt,
        "cpu_s": cpu, "wall_s_per_25000": per * 25000, "cpu_s_per_25000": cpu_per * 25000,
        "replay_error": float(st.max_abs_error),
    }
    log["runs"].append(results)
    print(f"log: {write_log(log, LOG)}")


if __name__ == "__main__":
    main()
