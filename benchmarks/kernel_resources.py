"""Memory and CPU of each notebook's kernel: what one student needs on a hub.

Each notebook runs top to bottom in a fresh kernel, in reading order, the
same way ``time_notebooks.py`` runs it (its :func:`run_notebook` and
:func:`setting_env`: a fresh artifacts folder per setting, so notebook 04 and
A3 open the model notebook 03 saved). While it runs, a thread samples the
kernel's process tree (every descendant of this process) with psutil every
0.1 s and keeps the peak of the summed resident memory (RSS). CPU seconds
are the kernel tree's user + system time, read from ``getrusage`` of the
reaped children (exact, includes anything the kernel started), wall seconds
from a clock. The results go to ``benchmarks/logs/kernel_resources.json``;
``render_results.py`` renders them into ``RESULTS.md`` and the Zero to
JupyterHub ``singleuser`` snippet in ``deploy/README.md``
(:func:`singleuser_resources` derives it).

    python benchmarks/kernel_resources.py                      # fast, then full
    python benchmarks/kernel_resources.py --settings fast --notebooks 01_gru_equations

Sampling misses a peak shorter than 0.1 s; RSS counts pages shared between
processes once per process (the tree is one kernel, so this barely matters).
"""

from __future__ import annotations

import math
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from logbook import LOG_DIR, load_average, new_log, read_log, session, write_log  # noqa: E402
from time_notebooks import (NOTEBOOKS, ROOT, parse_selection,  # noqa: E402
                            run_notebook, setting_env)

LOG = LOG_DIR / "kernel_resources.json"
INLINE = "module://matplotlib_inline.backend_inline"
MIB = 1024 * 1024


class TreeSampler(threading.Thread):
    """Samples the summed RSS of this process's descendants until stopped."""

    def __init__(self, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.peak_bytes = 0
        self.peak_processes = 0
        self.samples = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        me = psutil.Process()
        while not self._stop_event.is_set():
            total, count = 0, 0
            for proc in me.children(recursive=True):
                try:
                    total += proc.memory_info().rss
                    count += 1
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
            if total > self.peak_bytes:
                self.peak_bytes, self.peak_processes = total, count
            self.samples += 1
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(path: Path, env: dict[str, str], timeout: int) -> dict[str, Any]:
    """Run one notebook in a fresh kernel; its peak RSS, CPU and wall seconds."""
    sampler = TreeSampler()
    cpu_before = _children_cpu()
    sampler.start()
    seconds, ok, error = run_notebook(path, env, timeout)
    time.sleep(0.5)  # the kernel has been shut down; let it be reaped
    sampler.stop()
    cpu = _children_cpu() - cpu_before
    return {"wall_seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1),
            "cores_busy": round(cpu / seconds, 2) if seconds else None,
            "peak_rss_mib": round(sampler.peak_bytes / MIB),
            "processes_at_peak": sampler.peak_processes, "samples": sampler.samples,
            "ok": ok, "error": error}


def _round_up(x: float, step: float) -> float:
    return math.ceil(x / step - 1e-9) * step


def singleuser_resources(log: dict[str, Any]) -> dict[str, Any]:
    """The Zero to JupyterHub ``singleuser`` sizes the measurements call for.

    * memory limit: the largest peak of any notebook in the **full** setting,
      plus 25 % head room (the Jupyter server, a second open kernel's
      start-up, page cache), rounded up to 0.5 GiB. A kernel that passes it is
      killed, so it is sized for the heaviest notebook.
    * memory guarantee: the median peak over the notebooks in the full
      setting, rounded up to 0.25 GiB: what a typical student holds.
    * CPU limit: 2 — a notebook never kept more than about that many cores
      busy on average, and TensorFlow uses what it is given.
    * CPU guarantee: the median of CPU seconds / wall seconds in the full
      setting, rounded up to 0.25 core (a student mostly reads).
    """
    full = [r for r in log["runs"] if r["setting"] == "full" and r["ok"]]
    if not full:
        raise ValueError("no successful full-setting run in the log")
    peaks = sorted(r["peak_rss_mib"] for r in full)
    busy = sorted(r["cores_busy"] for r in full)
    median = lambda xs: (xs[(len(xs) - 1) // 2] + xs[len(xs) // 2]) / 2  # noqa: E731
    heaviest = max(full, key=lambda r: r["peak_rss_mib"])
    return {
        "mem_limit_gib": _round_up(1.25 * peaks[-1] / 1024, 0.5),
        "mem_guarantee_gib": _round_up(median(peaks) / 1024, 0.25),
        "cpu_limit": 2.0,
        "cpu_guarantee": _round_up(median(busy), 0.25),
        "heaviest": heaviest["notebook"],
        "heaviest_peak_mib": heaviest["peak_rss_mib"],
        "median_peak_mib": median(peaks),
        "median_cores_busy": median(busy),
        "max_cores_busy": busy[-1],
    }


def main() -> None:
    args, chosen = parse_selection(__doc__.split("\n")[0])

    log = read_log(LOG) or new_log(
        "kernel_resources", "peak resident memory (kernel process tree), CPU seconds "
        "and wall time of each notebook, top to bottom in a fresh kernel")
    log.setdefault("sessions", []).append(session())
    for setting in args.settings:
        env = setting_env(setting, tempfile.mkdtemp(prefix=f"gru-edu-res-{setting}-"))
        # figures drawn as a student's kernel draws them (time_notebooks uses Agg)
        env["MPLBACKEND"] = INLINE
        for name in chosen:
            print(f"=== {setting}: {name}", flush=True)
            load_before = load_average()
            row = measure(ROOT / "notebooks" / name, env, args.timeout)
            print(f"    {row['wall_seconds']:.0f} s wall, {row['cpu_seconds']:.0f} s CPU, "
                  f"peak {row['peak_rss_mib']} MiB "
                  f"{'ok' if row['ok'] else row['error']}", flush=True)
            log["runs"] = [r for r in log["runs"]
                           if (r["notebook"], r["setting"]) != (name, setting)]
            log["runs"].append({"notebook": name, "setting": setting, **row,
                                "load_average_before": load_before,
                                "load_average_after": load_average()})
            log["runs"].sort(key=lambda r: (r["setting"] != "fast",
                                            NOTEBOOKS.index(r["notebook"])))
            write_log(log, LOG)
    if any(r["setting"] == "full" and r["ok"] for r in log["runs"]):
        log["singleuser"] = singleuser_resources(log)
        write_log(log, LOG)
        print("singleuser:", log["singleuser"])
    print(f"log: {LOG}")


if __name__ == "__main__":
    main()
