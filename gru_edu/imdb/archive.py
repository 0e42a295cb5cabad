"""The official IMDB archive (Maas et al. 2011): where it is, and reading it.

Where ``aclImdb_v1.tar.gz`` is found, in this order (:func:`find_archive`):

1. the ``archive=`` argument;
2. the environment variable ``GRU_EDU_IMDB_ARCHIVE``;
3. the Keras cache, ``$KERAS_HOME/datasets/aclImdb_v1.tar.gz`` or
   ``~/.keras/datasets/aclImdb_v1.tar.gz``;
4. only then a download of :data:`ARCHIVE_URL` with ``keras.utils.get_file``
   into that Keras cache (84 MB, once).

An archive that is unreadable, truncated or not the IMDB archive raises
:class:`ArchiveError` saying what was expected and where it was looked for.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import tarfile
import zlib
from pathlib import Path
from typing import Any

from gru_edu import config

__all__ = [
    "ARCHIVE_NAME",
    "ARCHIVE_URL",
    "ARCHIVE_ENV",
    "REVIEWS_PER_FOLDER",
    "ArchiveError",
    "ArchiveNotFoundError",
    "find_archive",
    "keras_cache_dirs",
]

ARCHIVE_NAME = "aclImdb_v1.tar.gz"
ARCHIVE_URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
ARCHIVE_ENV = config.ARCHIVE_ENV  # "GRU_EDU_IMDB_ARCHIVE"
#: Reviews in each of ``aclImdb/{train,test}/{pos,neg}`` in the official archive.
REVIEWS_PER_FOLDER = 12500

SPLITS = ("train", "test")
LABELS = {"neg": 0, "pos": 1}  # also the canonical order inside a split
_MEMBER = re.compile(r"(?:^|/)aclImdb/(train|test)/(pos|neg)/(\d+)_(\d+)\.txt$")
_EXPECTED = (
    f"the Large Movie Review Dataset archive {ARCHIVE_NAME} (Maas et al. 2011, "
    f"{ARCHIVE_URL}): a gzip-compressed tar holding "
    "aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt"
)


class ArchiveError(ValueError):
    """The IMDB archive is unreadable, truncated or not the expected archive.

    The message says what was expected and where the archive was looked for.
    """


class ArchiveNotFoundError(ArchiveError, FileNotFoundError):
    """No IMDB archive was found, and it could not (or may not) be downloaded."""


def keras_cache_dirs() -> list[Path]:
    """Where Keras keeps downloaded data sets, as ``keras.utils.get_file`` does.

    ``$KERAS_HOME/datasets`` when ``KERAS_HOME`` is set, else
    ``~/.keras/datasets`` (``/tmp/.keras/datasets`` if home is read-only).
    """
    keras_home = config.keras_home()
    if keras_home:
        return [keras_home / "datasets"]
    home = Path.home()
    base = home if os.access(home, os.W_OK) else Path("/tmp")
    return [base / ".keras" / "datasets"]


def _download(url: str, dest_dir: Path) -> Path:
    """Download ``url`` into ``dest_dir`` with Keras (progress bar); the path."""
    config.quiet_tensorflow_logs()
    import keras  # lazily: only a download needs Keras (and TensorFlow)

    path = keras.utils.get_file(
        fname=ARCHIVE_NAME,
        origin=url,
        cache_dir=str(dest_dir.parent),
        cache_subdir=dest_dir.name,
    )
    return Path(path)


def locate_archive(archive: str | os.PathLike | None = None,
                   download: bool = True) -> tuple[Path, list[str]]:
    """The archive, found as :func:`find_archive` finds it, and the log of
    every place looked at (for :func:`archive_message`)."""
    tried: list[str] = []

    def not_found(reason: str) -> ArchiveNotFoundError:
        return ArchiveNotFoundError(
            f"IMDB archive not found: {reason}\n"
            f"Expected {_EXPECTED}.\n" + _where(tried) + "\n"
            f"Download it from {ARCHIVE_URL} and pass archive=PATH or set "
            f"{ARCHIVE_ENV}=/path/to/{ARCHIVE_NAME} (or copy it into "
            f"{keras_cache_dirs()[0]})."
        )

    named = (  # (where, what names the path, the path or None, said when None)
        ("archive= argument", "the archive= argument",
         None if archive is None else Path(archive).expanduser(), "not given"),
        (f"${ARCHIVE_ENV}", f"${ARCHIVE_ENV}", config.imdb_archive_path(), "not set"),
    )
    for label, subject, path, unset in named:
        if path is None:
            tried.append(f"{label}: {unset}")
            continue
        found = path.is_file()
        tried.append(f"{label}: {path} ({'found' if found else 'not found'})")
        if not found:
            raise not_found(f"{subject} names no file ({path})")
        return path, tried

    cache_dirs = keras_cache_dirs()
    for folder in cache_dirs:
        path = folder / ARCHIVE_NAME
        found = path.is_file()
        tried.append(f"Keras cache: {path} ({'found' if found else 'not found'})")
        if found:
            return path, tried

    if not download:
        raise not_found("nothing found and download=False")
    try:
        path = Path(_download(ARCHIVE_URL, cache_dirs[0]))
    except Exception as exc:  # network down, proxy, disk full, ...
        tried.append(f"download of {ARCHIVE_URL}: failed ({type(exc).__name__}: {exc})")
        raise not_found("not on disk and the download failed") from exc
    tried.append(f"download of {ARCHIVE_URL}: saved to {path}")
    if not path.is_file():
        raise not_found(f"the download reported {path}, which is not a file")
    return path, tried


def _where(tried: list[str]) -> str:
    lines = [f"  {i}. {t}" for i, t in enumerate(tried, 1)]
    return "Looked for the archive in this order:\n" + "\n".join(lines)


def archive_message(error: ArchiveError, tried: list[str]) -> str:
    """``error``'s message, what archive was expected and where it was
    looked for (the log of :func:`locate_archive`)."""
    return f"{error}.\nExpected {_EXPECTED}.\n{_where(tried)}"


def find_archive(archive: str | os.PathLike | None = None, download: bool = True) -> Path:
    """The path of ``aclImdb_v1.tar.gz``: argument, env var, Keras cache, download.

    An ``archive=`` argument or ``$GRU_EDU_IMDB_ARCHIVE`` that names no file is
    an error (:class:`ArchiveNotFoundError`), not a reason to download.
    """
    return locate_archive(archive, download)[0]


# ---------------------------------------------------------------- reading the archive


class _ProgressReader:
    """A file wrapper that moves a progress bar to the position read so far."""

    def __init__(self, raw: io.BufferedReader, bar: Any) -> None:
        self.raw, self.bar = raw, bar

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.bar.update(self.raw.tell() - self.bar.n)
        return data

    def __getattr__(self, name: str) -> Any:  # seek, tell, mode, name, ...
        return getattr(self.raw, name)


#: A review as read: (label, review id, rating, text).
Review = tuple[int, int, int, str]


def read_archive(path: Path, progress: bool = True) -> dict[str, list[Review]]:
    """Read every labelled review of the archive, in one sequential pass.

    Raises :class:`ArchiveError` (without the search log; the caller adds it)
    when the file is not a readable gzip-compressed tar.
    """
    reviews: dict[str, list[Review]] = {s: [] for s in SPLITS}
    bar = config.progress_bar(total=path.stat().st_size, desc=f"reading {path.name}", unit="B",
                              unit_scale=True, unit_divisor=1024, disable=not progress)
    try:
        with open(path, "rb") as raw, tarfile.open(
            fileobj=_ProgressReader(raw, bar), mode="r:gz"  # checks the gzip end
        ) as tar:
            for member in tar:
                match = _MEMBER.search(member.name)
                if not match or not member.isfile():
                    continue
                split, label, review_id, rating = match.groups()
                data = tar.extractfile(member).read()  # type: ignore[union-attr]
                text = data.decode("utf-8", errors="replace")
                reviews[split].append((LABELS[label], int(review_id), int(rating), text))
    except (tarfile.TarError, gzip.BadGzipFile, zlib.error, EOFError, OSError) as exc:
        raise ArchiveError(
            f"cannot read {path} as a gzip-compressed tar archive "
            f"({type(exc).__name__}: {exc}); the file is corrupt, truncated "
            "or not the IMDB archive"
        ) from exc
    finally:
        bar.close()
    return reviews


def check_counts(counts: dict[str, int], expected: int | None) -> None:
    """Raise :class:`ArchiveError` (without the search log) unless each of the
    four folders holds ``expected`` reviews (at least one if None)."""
    found = ", ".join(f"aclImdb/{k}: {v}" for k, v in counts.items())
    if expected is None:
        if all(counts.values()):
            return
        want = "at least one review in each of"
    else:
        if all(v == expected for v in counts.values()):
            return
        want = f"{expected} reviews in each of"
    folders = ", ".join(f"aclImdb/{k}" for k in counts)
    raise ArchiveError(
        f"wrong number of reviews: expected {want} {folders}; found {found}. "
        "The archive is truncated, incomplete or not the IMDB archive"
    )
