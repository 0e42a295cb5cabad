"""Shared test set-up: quiet TensorFlow, find the shared IMDB archive, fast mode."""

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

import pytest  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SHARED_ARCHIVE = REPO.parent / "shared" / "data" / "aclImdb_v1.tar.gz"


@pytest.fixture(scope="session")
def imdb_archive() -> Path:
    """The shared copy of the official IMDB archive (tests and CI use it)."""
    path = Path(os.environ.get("GRU_EDU_IMDB_ARCHIVE", SHARED_ARCHIVE))
    if not path.exists():
        pytest.fail(f"IMDB archive not found at {path}; set GRU_EDU_IMDB_ARCHIVE")
    return path


# the IMDB loader tests' tiny archives (tests/imdb_archives.py)
from imdb_archives import tiny, generated, load, no_env, keras, real_cache  # noqa: E402,F401
# the explorer tests' no-figure-left-behind check (tests/slider_helpers.py)
from slider_helpers import fig_count  # noqa: E402,F401
# the pattern-search tests' tiny state cache (tests/tiny_models.py)
from tiny_models import state_cache  # noqa: E402,F401


@pytest.fixture(scope="session")
def generated_assignments(tmp_path_factory):
    """A1 and A3 generated once per run with otter (student versions, autograders),
    for the grading tests that collect, grade and run them."""
    from gru_edu.grading import otter

    out = tmp_path_factory.mktemp("dist")
    return {name: otter.generate(name, out, quiet=True)
            for name in ("a1_gru_from_scratch", "a3_reading_the_gates")}
