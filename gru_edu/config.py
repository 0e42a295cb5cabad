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

import os
from pathlib import Path

__all__ = ["fast_mode", "mode_name", "artifacts_dir", "repo_root", "FAST_ENV"]

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
