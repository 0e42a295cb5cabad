"""The tokenized IMDB reviews cached on disk, so later loads take a second.

The first load reads the archive (15-40 s on two busy cores, with progress
bars), tokenizes every review, ranks the training words and writes two plain
``.npz`` files (no pickle; the word list is JSON text inside): the token ids
and the raw texts. They live under ``gru_edu.config.artifacts_dir() / "cache"``,
are keyed on the archive's size and modification time and on the tokenizer
version, and are written to a temporary name then renamed, so an interrupted
build never leaves a half-written cache.
"""

from __future__ import annotations

import array
import hashlib
import json
import os
import warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gru_edu import config
from gru_edu.config import atomic_write

from .archive import (
    ARCHIVE_ENV,
    LABELS,
    SPLITS,
    ArchiveError,
    Review,
    archive_message,
    check_counts,
    locate_archive,
    read_archive,
)
from .vocab import INDEX_FROM, OOV, TOKENIZER_VERSION, tokenize

__all__ = ["default_cache_dir", "cache_key", "load_cached"]

_CACHE_FORMAT = 1


def default_cache_dir() -> Path:
    """``$GRU_EDU_CACHE`` if set (a hub image's read-only cache), else
    ``gru_edu.config.artifacts_dir() / "cache"`` (``GRU_EDU_ARTIFACTS``)."""
    return config.imdb_cache_override() or config.artifacts_dir() / "cache"


def cache_key(path: Path) -> str:
    """A short hash of the archive's size and modification time, the tokenizer
    version and the cache format: a cache file named by it is this archive's."""
    st = path.stat()
    ident = f"{st.st_size}:{st.st_mtime_ns}:tok{TOKENIZER_VERSION}:fmt{_CACHE_FORMAT}"
    return hashlib.sha1(ident.encode()).hexdigest()[:16]


def _json_array(obj: Any) -> np.ndarray:
    return np.frombuffer(json.dumps(obj, ensure_ascii=False).encode("utf-8"), np.uint8)


def _from_json_array(arr: np.ndarray) -> Any:
    return json.loads(arr.tobytes().decode("utf-8"))


@dataclass
class _Cache:
    """The two cache files of one archive: token ids and raw texts."""

    tokens: Path
    texts: Path
    key: str


def _cache_files(path: Path, cache_dir: str | os.PathLike | None) -> _Cache:
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    key = cache_key(path)
    return _Cache(folder / f"imdb-{key}-tokens.npz", folder / f"imdb-{key}-texts.npz", key)


def _open_cache(file: Path, key: str, names: Sequence[str]) -> dict[str, Any] | None:
    """``meta`` and the arrays ``names`` of a cache file; None if missing/unusable.

    Only the named arrays are read (an ``.npz`` is a zip of ``.npy`` files).
    """
    if not file.is_file():
        return None
    try:
        with np.load(file, allow_pickle=False) as npz:
            meta = _from_json_array(npz["meta"])
            if meta.get("key") != key:
                return None
            data = {name: npz[name] for name in names}
        data["meta"] = meta
        return data
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        warnings.warn(f"ignoring unreadable cache {file} ({exc}); rebuilding", stacklevel=3)
        return None


def _build_cache(
    path: Path,
    cache: _Cache,
    tried: list[str],
    reviews_per_folder: int | None,
    progress: bool,
) -> None:
    """Read and tokenize the archive, then write both cache files."""
    reviews, counts = _read_checked(path, tried, reviews_per_folder, progress)
    flat, offsets, index = _tokenize_all(reviews, sum(counts.values()), progress)
    words, final, word_counts = _rank_words(list(index), flat["train"])
    meta = {
        "key": cache.key,
        "archive": str(path),
        "tokenizer_version": TOKENIZER_VERSION,
        "format": _CACHE_FORMAT,
        "counts": counts,
    }
    tokens: dict[str, np.ndarray] = {
        "meta": _json_array(meta),
        "words": _json_array(words),
        "word_counts": word_counts,
    }
    texts: dict[str, np.ndarray] = {"meta": _json_array(meta)}
    for split in SPLITS:
        items = reviews[split]
        labels = np.array([r[0] for r in items], dtype=np.int32)
        tokens[f"{split}_tokens"] = final[flat[split]]
        tokens[f"{split}_offsets"] = offsets[split]
        tokens[f"{split}_labels"] = labels
        encoded = [r[3].encode("utf-8") for r in items]
        texts[f"{split}_bytes"] = np.frombuffer(b"".join(encoded), np.uint8)
        sizes = np.array([len(b) for b in encoded], dtype=np.int64)
        texts[f"{split}_offsets"] = np.concatenate([[0], np.cumsum(sizes)])
        texts[f"{split}_labels"] = labels
        texts[f"{split}_ids"] = np.array([r[1] for r in items], dtype=np.int32)
        texts[f"{split}_ratings"] = np.array([r[2] for r in items], dtype=np.int32)
    atomic_write(cache.texts, lambda f: np.savez_compressed(f, **texts))
    atomic_write(cache.tokens, lambda f: np.savez(f, **tokens))


def _read_checked(
    path: Path, tried: list[str], reviews_per_folder: int | None, progress: bool
) -> tuple[dict[str, list[Review]], dict[str, int]]:
    """Every review of the archive, in canonical order (label, id, rating),
    and the count of each folder, checked."""
    try:
        reviews = read_archive(path, progress)
        counts = _folder_counts(reviews)
        check_counts(counts, reviews_per_folder)
    except ArchiveError as exc:
        raise ArchiveError(
            f"{archive_message(exc, tried)}\n"
            f"Replace {path} with the official archive, or point {ARCHIVE_ENV} "
            "at a good copy. No cache was written."
        ) from exc.__cause__
    for items in reviews.values():
        items.sort(key=lambda r: r[:3])
    return reviews, counts


def _folder_counts(reviews: dict[str, list[Review]]) -> dict[str, int]:
    counts = {f"{s}/{name}": 0 for s in SPLITS for name in LABELS}
    names = {v: k for k, v in LABELS.items()}
    for split, items in reviews.items():
        for label, *_ in items:
            counts[f"{split}/{names[label]}"] += 1
    return counts


def _tokenize_all(
    reviews: dict[str, list[Review]], total: int, progress: bool
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, int]]:
    """Each split's tokens as one flat array of temporary ids (in order of
    first appearance), its row offsets, and the word -> temporary id map."""
    index: dict[str, int] = {}
    flat: dict[str, np.ndarray] = {}
    offsets: dict[str, np.ndarray] = {}
    bar = config.progress_bar(total=total, desc="tokenizing", unit="review",
                              disable=not progress)
    for split in SPLITS:
        ids = array.array("i")  # 4 bytes a token, not a Python int object
        ends = [0]
        for *_, text in reviews[split]:
            ids.extend([index.setdefault(w, len(index)) for w in tokenize(text)])
            ends.append(len(ids))
            bar.update(1)
        flat[split] = np.frombuffer(ids, dtype=np.int32)
        offsets[split] = np.asarray(ends, dtype=np.int64)
    bar.close()
    return flat, offsets, index


def _rank_words(
    words_tmp: list[str], train: np.ndarray
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The training words ranked most frequent first (ties by word), the
    temporary id -> final id table (OOV for words unseen in training), and
    each ranked word's count."""
    train_counts = np.bincount(train, minlength=len(words_tmp))
    seen = np.flatnonzero(train_counts)
    ranked = sorted(seen.tolist(), key=lambda i: (-train_counts[i], words_tmp[i]))
    final = np.full(len(words_tmp), OOV, dtype=np.int32)
    final[ranked] = np.arange(len(ranked), dtype=np.int32) + INDEX_FROM + 1
    words = [words_tmp[i] for i in ranked]
    return words, final, train_counts[ranked].astype(np.int64)


def load_cached(
    which: str,
    names: Sequence[str],
    archive: str | os.PathLike | None,
    cache_dir: str | os.PathLike | None,
    reviews_per_folder: int | None,
    progress: bool,
    download: bool,
) -> dict[str, Any]:
    """The arrays ``names`` of the archive's ``"tokens"`` or ``"texts"``
    cache, built first if missing; ``"meta"`` and ``"words"`` (if named)
    come decoded from JSON. The arguments are :func:`gru_edu.imdb.load_imdb`'s."""
    path, tried = locate_archive(archive, download)
    cache = _cache_files(path, cache_dir)
    file = getattr(cache, which)
    data = _open_cache(file, cache.key, names)
    if data is None:
        _build_cache(path, cache, tried, reviews_per_folder, progress)
        data = _open_cache(file, cache.key, names)
        if data is None:  # pragma: no cover - only if the disk lies
            raise OSError(f"cache {file} unreadable right after writing it")
    try:
        check_counts(data["meta"]["counts"], reviews_per_folder)
    except ArchiveError as exc:
        raise ArchiveError(archive_message(exc, tried)) from None
    if "words" in data:
        data["words"] = _from_json_array(data["words"])
    return data
