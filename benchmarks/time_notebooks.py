"""How long each notebook takes to run top to bottom, in the fast and the full setting.

Each notebook runs in a fresh kernel (nbclient, the engine behind ``jupyter
nbconvert --execute``), one at a time, in the order a learner reads them, with
models and caches in a temporary folder (nothing touches ``artifacts/``), so
notebook 04 and A3 find the model notebook 03 saved in the same setting. The
wall time of each run goes to ``benchmarks/logs/notebook_times.json``;
``render_results.py`` renders it into ``RESULTS.md`` and the learner's path
(``notebooks/README.md``).

    python benchmarks/time_notebooks.py                   # fast, then full
    python benchmarks/time_notebooks.py --settings fast
    python benchmarks/time_notebooks.py --settings full --notebooks 03_keras_imdb
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from logbook import LOG_DIR, load_average, new_log, read_log, session, write_log  # noqa: E402

LOG = LOG_DIR / "notebook_times.json"
NOTEBOOKS = [
    "01_gru_equations.ipynb",
    "02_numpy_gru_cell.ipynb",
    "03_keras_imdb.ipynb",
    "04_gate_explorer.ipynb",
    "05_gru_vs_lstm_claims.ipynb",
    "06_reading_the_gates_deeper.ipynb",
    "07_language_model_without_labels.ipynb",
    "assignments/a1_gru_from_scratch/a1_gru_from_scratch.ipynb",
    "assignments/a2_imdb_gru/a2_imdb_gru.ipynb",
    "assignments/a3_reading_the_gates/a3_reading_the_gates.ipynb",
]


def run_notebook(path: Path, env: dict[str, str], timeout: int) -> tuple[float, bool, str]:
    """Execute one notebook in a fresh kernel; ``(seconds, ok, error)``."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    saved = dict(os.environ)
    os.environ.update(env)  # the kernel inherits this process's environment
    start = time.perf_counter()
    try:
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        return time.perf_counter() - start, True, ""
    except Exception as exc:  # a failing cell: record it, go on with the others
        return time.perf_counter() - start, False, f"{type(exc).__name__}: {str(exc)[-300:]}"
    finally:
        os.environ.clear()
        os.environ.update(saved)


def setting_env(setting: str, artifacts: str) -> dict[str, str]:
    """The environment a notebook's kernel gets in ``setting`` ("fast" or "full").

    Models and caches go to ``artifacts`` (a fresh folder per setting, so
    notebook 04 and A3 see what notebook 03 saved in the same setting);
    ``GRU_EDU_RETRAIN=1`` makes A2 train its model instead of loading one an
    earlier run left next to the notebook.
    """
    env = {"GRU_EDU_FAST": "1" if setting == "fast" else "0",
           "GRU_EDU_ARTIFACTS": artifacts, "TF_CPP_MIN_LOG_LEVEL": "2",
           "MPLBACKEND": "Agg", "GRU_EDU_RETRAIN": "1"}
    archive = ROOT.parent / "shared" / "data" / "aclImdb_v1.tar.gz"
    if "GRU_EDU_IMDB_ARCHIVE" in os.environ or archive.exists():
        env["GRU_EDU_IMDB_ARCHIVE"] = os.environ.get("GRU_EDU_IMDB_ARCHIVE", str(archive))
    return env


def parse_selection(description: str) -> tuple[argparse.Namespace, list[str]]:
    """The command line both notebook benchmarks take: settings, notebooks,
    timeout; returns the arguments and the chosen notebooks in reading order."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--settings", nargs="+", choices=["fast", "full"],
                        default=["fast", "full"])
    parser.add_argument("--notebooks", nargs="+", default=None,
                        help="names without .ipynb (default: all, in reading order)")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per cell")
    args = parser.parse_args()
    chosen = [n for n in NOTEBOOKS
              if args.notebooks is None or Path(n).stem in args.notebooks]
    return args, chosen


def main() -> None:
    args, chosen = parse_selection(__doc__.split("\n")[0])

    log = read_log(LOG) or new_log("notebook_times", "wall time of each notebook, run top "
                                   "to bottom in a fresh kernel, fast and full setting")
    log.setdefault("sessions", []).append(session())
    for setting in args.settings:
        env = setting_env(setting, tempfile.mkdtemp(prefix=f"gru-edu-times-{setting}-"))
        for name in chosen:
            print(f"=== {setting}: {name}", flush=True)
            load_before = load_average()
            seconds, ok, error = run_notebook(ROOT / "notebooks" / name, env, args.timeout)
            print(f"    {seconds:.0f} s {'ok' if ok else error}", flush=True)
            log["runs"] = [r for r in log["runs"]
                           if (r["notebook"], r["setting"]) != (name, setting)]
            log["runs"].append({"notebook": name, "setting": setting, "seconds": seconds,
                                "ok": ok, "error": error, "load_average_before": load_before,
                                "load_average_after": load_average()})
            log["runs"].sort(key=lambda r: (r["setting"] != "fast", NOTEBOOKS.index(r["notebook"])))
            write_log(log, LOG)
    print(f"log: {LOG}")


if __name__ == "__main__":
    main()
