"""Run mode and paths, read from environment variables in one place.

``GRU_EDU_FAST=1`` is the *fast setting* used by CI and the test suite: the
notebooks train on a slice of the data for fewer epochs so the whole collection
runs in minutes on 2 CPU cores. Unset (the default) is the full run a learner
does. Every notebook prints which mode it ran in.

``GRU_EDU_IMDB_ARCHIVE`` points at a local copy of ``aclImdb_v1.tar.gz``.
``GRU_EDU_ARTIFACTS`` is where trained models and caches go
(default ``<repo>/artifacts``, which git ignores).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
from pathlib import Path
from typing import Any, Callable, Iterator

__all__ = [
    "fast_mode",
    "mode_name",
    "artifacts_dir",
    "repo_root",
    "quiet_tensorflow",
    "benchmark_log",
    "progress_bar",
    "atomic_write",
    "FAST_ENV",
    "tf_cluster",
    "mathjax_file",
]

FAST_ENV = "GRU_EDU_FAST"
ARCHIVE_ENV = "GRU_EDU_IMDB_ARCHIVE"
ARTIFACTS_ENV = "GRU_EDU_ARTIFACTS"


def fast_mode() -> bool:
    """True when ``GRU_EDU_FAST`` is set to a true value (1, true, yes, on)."""
    return os.environ.get(FAST_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def mode_name() -> str:
    """``"fast (CI setting, GRU_EDU_FAST=1)"`` or ``"full"``, for printing."""
    return f"fast (CI setting, {FAST_ENV}=1)" if fast_mode() else "full"


def repo_root() -> Path:
    """The checkout this package lives in (the parent of ``gru_edu/``)."""
    return Path(__file__).resolve().parent.parent


def artifacts_dir() -> Path:
    """Folder for trained models and caches; created on first use."""
    path = Path(os.environ.get(ARTIFACTS_ENV) or repo_root() / "artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


def tf_cluster() -> dict[str, Any]:
    """The ``cluster`` of TensorFlow's ``TF_CONFIG`` (multi-worker training), or ``{}``.

    Raises ``ValueError`` with a readable message when ``TF_CONFIG`` is not JSON.
    """
    import json

    try:
        return json.loads(os.environ.get("TF_CONFIG", "{}")).get("cluster", {})
    except json.JSONDecodeError as err:
        raise ValueError(f"TF_CONFIG is not valid JSON: {err}") from None


def mathjax_file() -> Path | None:
    """The offline MathJax file named by ``GRU_EDU_MATHJAX``, if that is set."""
    named = os.environ.get("GRU_EDU_MATHJAX")
    return Path(named) if named else None


def atomic_write(path: Path, write: Callable[[Any], Any]) -> None:
    """Call ``write(file)`` on a temporary file next to ``path``, then rename.

    Readers see either no file or the whole file, never a partial one; on any
    error the temporary file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "xb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def progress_bar(iterable=None, **kwargs):  # type: ignore[no-untyped-def]
    """A text progress bar (tqdm) on standard output, 80 columns wide.

    Text, not a widget: it updates in place in JupyterLab and in a terminal,
    and the last state is what a saved or rendered notebook shows (a widget
    bar shows there as a stale 0 % or as nothing). ``kwargs`` go to tqdm.
    """
    from tqdm import tqdm

    kwargs.setdefault("ncols", 80)
    kwargs.setdefault("file", sys.stdout)
    return tqdm(iterable, **kwargs)


def benchmark_log(name: str) -> dict | None:
    """A committed benchmark log, ``benchmarks/logs/<name>.json``, or None if absent.

    Notebooks quote measured numbers through this, so a number in the prose
    always comes from a run a script recorded.
    """
    import json

    path = repo_root() / "benchmarks" / "logs" / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


@contextlib.contextmanager
def _stderr_fd_silenced() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null: C++ logs bypass ``sys.stderr``."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def quiet_tensorflow() -> None:
    """Import TensorFlow without its start-up log lines; call before ``import keras``.

    TensorFlow 2.21 prints oneDNN, CUDA-driver and ``cuInit`` lines from C++
    while it loads and first looks for devices — before ``TF_CPP_MIN_LOG_LEVEL``
    takes effect, so in a notebook they show up as red text that looks like an
    error. Here the import and the device lookup run with the process's
    stderr silenced; Python exceptions still propagate as usual, and later
    warnings and errors (``TF_CPP_MIN_LOG_LEVEL=2``) are shown.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "tensorflow" in sys.modules:
        return
    with _stderr_fd_silenced():
        import tensorflow as tf

        tf.config.list_physical_devices("GPU")
        tf.zeros(1)  # the first op initialises the devices (and logs)


# --- grading settings

CHECK_SECONDS_ENV = "GRU_EDU_CHECK_SECONDS"
__all__ += ["check_seconds", "CHECK_SECONDS_ENV"]


def check_seconds() -> float:
    """Time limit, in seconds, for one call of a learner's function in a check.

    ``GRU_EDU_CHECK_SECONDS`` (default 10): a slow machine grading many
    submissions may need more than the probes' small inputs usually take.
    """
    return float(os.environ.get(CHECK_SECONDS_ENV, "10"))


# --- imdb settings
CACHE_ENV = "GRU_EDU_CACHE"


def imdb_archive_path() -> Path | None:
    """The IMDB archive ``$GRU_EDU_IMDB_ARCHIVE`` names, or None when unset."""
    value = os.environ.get(ARCHIVE_ENV)
    return Path(value).expanduser() if value else None


def imdb_cache_override() -> Path | None:
    """``$GRU_EDU_CACHE``, where a hub image keeps the tokenized reviews
    ready (read-only), or None when unset."""
    value = os.environ.get(CACHE_ENV)
    return Path(value) if value else None


def keras_home() -> Path | None:
    """``$KERAS_HOME``, the folder Keras downloads into, or None when unset."""
    value = os.environ.get("KERAS_HOME")
    return Path(value).expanduser() if value else None


def quiet_tensorflow_logs() -> None:
    """Let TensorFlow's C++ code print warnings and errors only
    (``TF_CPP_MIN_LOG_LEVEL=2`` unless set), before TensorFlow loads."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
