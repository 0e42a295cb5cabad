"""Root pytest set-up, shared by the unit tests and the notebooks run under nbval.

Environment set here is inherited by the Jupyter kernels nbval starts, so the
notebooks see the same settings as the tests:

* TensorFlow's C++ logs are quieted and matplotlib draws off-screen.
* The IMDB archive is the shared local copy (``../shared/data``) when it
  exists, so no test downloads anything. ``GRU_EDU_IMDB_ARCHIVE`` overrides it.
* Models and caches go to a per-run folder, never into a learner's
  ``artifacts/``, unless ``GRU_EDU_ARTIFACTS`` says otherwise.
"""

import os
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
_shared = ROOT.parent / "shared" / "data" / "aclImdb_v1.tar.gz"

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")
if _shared.exists():
    os.environ.setdefault("GRU_EDU_IMDB_ARCHIVE", str(_shared))
os.environ.setdefault(
    "GRU_EDU_ARTIFACTS", tempfile.mkdtemp(prefix="gru-edu-test-artifacts-")
)


# ------------------------------------------------- notebook run times at the end
# nbval reports one test per cell; add them up so the run ends with the time of
# each whole notebook (the per-test list comes from --durations).
_notebook_seconds: dict[str, float] = {}


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::", 1)[0]
    if path.endswith(".ipynb"):
        _notebook_seconds[path] = _notebook_seconds.get(path, 0.0) + report.duration


def pytest_terminal_summary(terminalreporter):
    if not _notebook_seconds:
        return
    terminalreporter.section("notebook run times (all cells, slowest first)")
    for path, seconds in sorted(_notebook_seconds.items(), key=lambda kv: -kv[1]):
        terminalreporter.write_line(f"{seconds:7.1f} s  {path}")
