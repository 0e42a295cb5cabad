"""Benchmark logs: the machine a run happened on, and JSON files written safely.

Every benchmark in this folder writes its results with :func:`write_log` to
``benchmarks/logs/<name>.json`` (committed), and ``render_results.py`` turns
those logs into ``RESULTS.md``: a published number always has a log behind it.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

LOG_DIR = Path(__file__).resolve().parent / "logs"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average() -> float | None:
    """The 1-minute load average (how busy the machine was), or None."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:  # pragma: no cover - not on Linux
        return None


def machine() -> dict[str, Any]:
    """What a reader needs to judge a timing: CPU, cores, versions, load."""
    info: dict[str, Any] = {
        "cpu": _cpu_model(),
        "arch": platform.machine(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_at_start": load_average(),
    }
    if "tensorflow" in sys.modules:
        import keras
        import tensorflow as tf

        info["tensorflow"] = tf.__version__
        info["keras"] = keras.__version__
        gpus = tf.config.list_physical_devices("GPU")
        info["gpu"] = [g.name for g in gpus] or None
    return info


def command() -> str:
    """The command line that is running, as a reader would type it."""
    script = Path(sys.argv[0]).resolve()
    try:
        script = script.relative_to(Path(__file__).resolve().parent.parent)
    except ValueError:
        pass
    return "python " + " ".join([script.as_posix(), *sys.argv[1:]])


def session() -> dict[str, Any]:
    """One invocation of a benchmark that adds to an existing log."""
    return {"command": command(), "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "machine": machine()}


def new_log(name: str, about: str) -> dict[str, Any]:
    """A fresh log: what it measures, the command, when, and on what machine."""
    return {
        "benchmark": name,
        "about": about,
        "command": command(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": machine(),
        "runs": [],
    }


def read_log(path: Path) -> dict[str, Any] | None:
    """A log written earlier, or None if there is none."""
    return json.loads(path.read_text()) if path.exists() else None


def write_log(log: dict[str, Any], path: Path) -> Path:
    """Write ``log`` as indented JSON via a temporary file (never half-written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    log["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    log["machine"]["load_average_at_end"] = load_average()
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(log, indent=1) + "\n")
    os.replace(tmp, path)
    return path
