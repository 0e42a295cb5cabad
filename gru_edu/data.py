"""The IMDB movie reviews (Maas et al. 2011), read from the official archive.

:func:`load_imdb` returns what ``keras.datasets.imdb.load_data`` followed by
``keras.utils.pad_sequences`` returns, with the same conventions, but it is
built here from the raw reviews of the official archive
``aclImdb_v1.tar.gz``. So a learner can type a review and encode it exactly
as the training data was encoded (:class:`Vocabulary`), and the notebooks can
show the real text of every review (:func:`load_texts`).

Word ids (the Keras conventions, ``index_from=3``)::

    0  padding               (PAD)
    1  start of a review     (START)
    2  out of vocabulary     (OOV): a word ranked too low for ``num_words``,
                             ranked in the ``skip_top`` band, or never seen in
                             the training reviews
    3  never used
    4  the most frequent word of the 25,000 training reviews ("the")
    5  the second most frequent, and so on (ties broken alphabetically)

``num_words`` is the id bound: every id is ``< num_words``, so it is also the
``input_dim`` of a ``keras.layers.Embedding``. With ``num_words=30000`` the
29,996 most frequent training words keep their own id.

Tokenizer (:func:`tokenize`, version :data:`TOKENIZER_VERSION`): lowercase the
text, replace the HTML line breaks (``<br />``) with spaces, then a word is a
maximal run of Unicode letters and digits, with apostrophes allowed *inside*
(``don't``, ``director's``); everything else (punctuation, quotes, hyphens)
separates words.

Where the archive is found, in this order (:func:`find_archive`):

1. the ``archive=`` argument;
2. the environment variable ``GRU_EDU_IMDB_ARCHIVE``;
3. the Keras cache, ``$KERAS_HOME/datasets/aclImdb_v1.tar.gz`` or
   ``~/.keras/datasets/aclImdb_v1.tar.gz``;
4. only then a download of :data:`ARCHIVE_URL` with ``keras.utils.get_file``
   into that Keras cache (84 MB, once).

The first load reads the archive (15-40 s on two busy cores, with progress
bars) and caches
the tokenized reviews as plain arrays (``.npz``, no pickle; the vocabulary is
JSON text inside it) under ``gru_edu.config.artifacts_dir() / "cache"``. The
cache is keyed on the archive's size and modification time and on the
tokenizer version, and written to a temporary name then renamed, so an
interrupted or failed build never leaves a half-written cache. Later loads
take well under two seconds.

Differences from ``keras.datasets.imdb.load_data``, all documented where they
apply: a test-set word never seen in training becomes OOV (2) instead of
being dropped, so ``Vocabulary.encode(text)`` reproduces the data exactly;
``num_words=None`` keeps every word (Keras turns the largest id into OOV);
``maxlen`` pads/truncates (``pad_sequences``) instead of dropping long reviews.
"""

from __future__ import annotations

import array
import gzip
import hashlib
import io
import json
import os
import re
import tarfile
import secrets
import warnings
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gru_edu import config

__all__ = [
    "ARCHIVE_NAME",
    "ARCHIVE_URL",
    "ARCHIVE_ENV",
    "PAD",
    "START",
    "OOV",
    "INDEX_FROM",
    "REVIEWS_PER_FOLDER",
    "TOKENIZER_VERSION",
    "ArchiveError",
    "ArchiveNotFoundError",
    "Vocabulary",
    "tokenize",
    "find_archive",
    "keras_cache_dirs",
    "default_cache_dir",
    "load_imdb",
    "load_vocabulary",
    "load_texts",
    "pad_sequences",
    "word_polarity",
]

ARCHIVE_NAME = "aclImdb_v1.tar.gz"
ARCHIVE_URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
ARCHIVE_ENV = config.ARCHIVE_ENV  # "GRU_EDU_IMDB_ARCHIVE"

PAD, START, OOV, INDEX_FROM = 0, 1, 2, 3
#: Reviews in each of ``aclImdb/{train,test}/{pos,neg}`` in the official archive.
REVIEWS_PER_FOLDER = 12500
#: Bump when :func:`tokenize` changes: old caches are then ignored.
TOKENIZER_VERSION = 1
_CACHE_FORMAT = 1

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


# ---------------------------------------------------------------- tokenizer

_BREAK = re.compile(r"<br\s*/?\s*>", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def tokenize(text: str) -> list[str]:
    """Split a review into lowercase words (the tokenizer behind the data).

    >>> tokenize("I didn't like it.<br /><br />10/10, NOT 'great'!")
    ['i', "didn't", 'like', 'it', '10', '10', 'not', 'great']
    """
    return _WORD.findall(_BREAK.sub(" ", text.lower()))


# ---------------------------------------------------------------- vocabulary


class Vocabulary:
    """Words ranked by frequency in the training reviews, with Keras ids.

    ``words[k]`` has id ``k + 4`` (``INDEX_FROM + 1``); only ids
    ``< num_words`` are kept. ``encode`` and ``decode`` go between text and
    ids exactly as :func:`load_imdb` encoded the reviews, so a trained model
    can read a review a learner types. Saved as plain JSON next to a model.
    """

    FORMAT = "gru-edu-vocabulary"
    #: What :meth:`decode` writes for the reserved ids.
    MARKERS = {START: "<start>", OOV: "<unk>", INDEX_FROM: "<unused>"}

    def __init__(
        self,
        words: Sequence[str],
        num_words: int | None = None,
        tokenizer_version: int = TOKENIZER_VERSION,
    ) -> None:
        if num_words is None:
            num_words = len(words) + INDEX_FROM + 1
        if num_words < 1:
            raise ValueError(f"num_words must be >= 1 (or None), got {num_words}")
        self.num_words: int = int(num_words)
        self.words: tuple[str, ...] = tuple(words[: max(0, num_words - INDEX_FROM - 1)])
        self.tokenizer_version = int(tokenizer_version)
        self.word_index: dict[str, int] = {
            w: i + INDEX_FROM + 1 for i, w in enumerate(self.words)
        }

    def tokenize(self, text: str) -> list[str]:
        """The words of ``text`` (see :func:`tokenize`)."""
        return tokenize(text)

    def encode(self, text: str) -> list[int]:
        """Ids of a review: ``[START] + one id per word``, unknown words -> OOV."""
        get = self.word_index.get
        return [START] + [get(w, OOV) for w in tokenize(text)]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Words for ids; padding (0) is skipped, 1 -> ``<start>``, 2 -> ``<unk>``."""
        out = []
        for i in ids:
            i = int(i)
            if i == PAD:
                continue
            if i in self.MARKERS:
                out.append(self.MARKERS[i])
            elif INDEX_FROM < i < self.num_words:
                out.append(self.words[i - INDEX_FROM - 1])
            else:
                out.append(self.MARKERS[OOV])
        return out

    def id_to_word(self, i: int) -> str:
        """The word (or marker) with id ``i``."""
        return self.decode([i])[0] if i != PAD else "<pad>"

    def __len__(self) -> int:
        return self.num_words

    def __contains__(self, word: object) -> bool:
        return word in self.word_index

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Vocabulary):
            return NotImplemented
        return (self.num_words, self.words) == (other.num_words, other.words)

    def __repr__(self) -> str:
        head = ", ".join(self.words[:5])
        return f"Vocabulary(num_words={self.num_words}, words=[{head}, ...])"

    # -- plain JSON, so a saved model carries its vocabulary

    def to_json(self) -> str:
        """The vocabulary as a JSON string (see :meth:`from_json`)."""
        return json.dumps(
            {
                "format": self.FORMAT,
                "version": 1,
                "tokenizer_version": self.tokenizer_version,
                "num_words": self.num_words,
                "pad": PAD,
                "start": START,
                "oov": OOV,
                "index_from": INDEX_FROM,
                "words": list(self.words),
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> "Vocabulary":
        """Read what :meth:`to_json` wrote."""
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != cls.FORMAT:
            raise ValueError(f"not a {cls.FORMAT} JSON document")
        conventions = (data["pad"], data["start"], data["oov"], data["index_from"])
        if conventions != (PAD, START, OOV, INDEX_FROM):
            raise ValueError(f"unsupported id conventions {conventions}")
        version = int(data.get("tokenizer_version", TOKENIZER_VERSION))
        if version != TOKENIZER_VERSION:
            warnings.warn(
                f"vocabulary was built with tokenizer version {version}, this is "
                f"version {TOKENIZER_VERSION}: encoded text may differ",
                stacklevel=2,
            )
        return cls(data["words"], data["num_words"], version)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the JSON to ``path`` (atomically); returns the path."""
        path = Path(path)
        _atomic_write(path, lambda f: f.write(self.to_json().encode("utf-8")))
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Vocabulary":
        """Read a vocabulary saved with :meth:`save`."""
        return cls.from_json(Path(path).read_text(encoding="utf-8"))


# ---------------------------------------------------------------- finding the archive


def keras_cache_dirs() -> list[Path]:
    """Where Keras keeps downloaded data sets, as ``keras.utils.get_file`` does.

    ``$KERAS_HOME/datasets`` when ``KERAS_HOME`` is set, else
    ``~/.keras/datasets`` (``/tmp/.keras/datasets`` if home is read-only).
    """
    if os.environ.get("KERAS_HOME"):
        return [Path(os.environ["KERAS_HOME"]).expanduser() / "datasets"]
    home = Path.home()
    base = home if os.access(home, os.W_OK) else Path("/tmp")
    return [base / ".keras" / "datasets"]


def _download(url: str, dest_dir: Path) -> Path:
    """Download ``url`` into ``dest_dir`` with Keras (progress bar); the path."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras  # lazily: only a download needs Keras (and TensorFlow)

    path = keras.utils.get_file(
        fname=ARCHIVE_NAME,
        origin=url,
        cache_dir=str(dest_dir.parent),
        cache_subdir=dest_dir.name,
    )
    return Path(path)


def _locate(archive: str | os.PathLike | None, download: bool) -> tuple[Path, list[str]]:
    """Find the archive; returns it and a log of every place looked at."""
    tried: list[str] = []

    def not_found(reason: str) -> ArchiveNotFoundError:
        return ArchiveNotFoundError(
            f"IMDB archive not found: {reason}\n"
            f"Expected {_EXPECTED}.\n" + _where(tried) + "\n"
            f"Download it from {ARCHIVE_URL} and pass archive=PATH or set "
            f"{ARCHIVE_ENV}=/path/to/{ARCHIVE_NAME} (or copy it into "
            f"{keras_cache_dirs()[0]})."
        )

    if archive is not None:
        path = Path(archive).expanduser()
        found = path.is_file()
        tried.append(f"archive= argument: {path} ({'found' if found else 'not found'})")
        if not found:
            raise not_found(f"the archive= argument names no file ({path})")
        return path, tried
    tried.append("archive= argument: not given")

    env = os.environ.get(ARCHIVE_ENV)
    if env:
        path = Path(env).expanduser()
        found = path.is_file()
        tried.append(f"${ARCHIVE_ENV}: {path} ({'found' if found else 'not found'})")
        if not found:
            raise not_found(f"${ARCHIVE_ENV} names no file ({path})")
        return path, tried
    tried.append(f"${ARCHIVE_ENV}: not set")

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


def find_archive(archive: str | os.PathLike | None = None, download: bool = True) -> Path:
    """The path of ``aclImdb_v1.tar.gz``: argument, env var, Keras cache, download.

    An ``archive=`` argument or ``$GRU_EDU_IMDB_ARCHIVE`` that names no file is
    an error (:class:`ArchiveNotFoundError`), not a reason to download.
    """
    return _locate(archive, download)[0]


# ---------------------------------------------------------------- reading the archive


class _ProgressReader:
    """A file wrapper that moves a progress bar to the position read so far."""

    def __init__(self, raw: io.BufferedReader, bar: Any) -> None:
        self.raw, self.bar = raw, bar

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        if self.bar is not None:
            self.bar.update(self.raw.tell() - self.bar.n)
        return data

    def __getattr__(self, name: str) -> Any:  # seek, tell, mode, name, ...
        return getattr(self.raw, name)


def _progress_bar(total: int, desc: str, unit: str, enabled: bool) -> Any:
    if not enabled:
        return None
    scale = unit == "B"
    return config.progress_bar(total=total, desc=desc, unit=unit, unit_scale=scale,
                               unit_divisor=1024)


# A review as read: (label, review id, rating, text)
_Review = tuple[int, int, int, str]


def _read_archive(path: Path, progress: bool = True) -> dict[str, list[_Review]]:
    """Read every labelled review of the archive, in one sequential pass.

    Raises :class:`ArchiveError` (without the search log; the caller adds it)
    when the file is not a readable gzip-compressed tar.
    """
    reviews: dict[str, list[_Review]] = {s: [] for s in SPLITS}
    bar = _progress_bar(path.stat().st_size, f"reading {path.name}", "B", progress)
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
        if bar is not None:
            bar.close()
    return reviews


def _folder_counts(reviews: dict[str, list[_Review]]) -> dict[str, int]:
    counts = {f"{s}/{name}": 0 for s in SPLITS for name in LABELS}
    names = {v: k for k, v in LABELS.items()}
    for split, items in reviews.items():
        for label, *_ in items:
            counts[f"{split}/{names[label]}"] += 1
    return counts


def _check_counts(counts: dict[str, int], expected: int | None) -> None:
    """Raise ArchiveError (no search log yet) if a folder has the wrong count."""
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


# ---------------------------------------------------------------- the cache


def default_cache_dir() -> Path:
    """``$GRU_EDU_CACHE`` if set (a hub image's read-only cache), else
    ``gru_edu.config.artifacts_dir() / "cache"`` (``GRU_EDU_ARTIFACTS``)."""
    if os.environ.get("GRU_EDU_CACHE"):
        return Path(os.environ["GRU_EDU_CACHE"])
    return config.artifacts_dir() / "cache"


def _cache_key(path: Path) -> str:
    st = path.stat()
    ident = f"{st.st_size}:{st.st_mtime_ns}:tok{TOKENIZER_VERSION}:fmt{_CACHE_FORMAT}"
    return hashlib.sha1(ident.encode()).hexdigest()[:16]


def _atomic_write(path: Path, write: Any) -> None:
    """Call ``write(file)`` on a temporary file next to ``path``, then rename.

    Readers see either no file or the whole file, never a partial one; on any
    error the temporary file is removed and ``path`` is left as it was.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "xb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


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
    key = _cache_key(path)
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
    try:
        reviews = _read_archive(path, progress)
        counts = _folder_counts(reviews)
        _check_counts(counts, reviews_per_folder)
    except ArchiveError as exc:
        raise ArchiveError(
            f"{exc}.\nExpected {_EXPECTED}.\n{_where(tried)}\n"
            f"Replace {path} with the official archive, or point {ARCHIVE_ENV} "
            "at a good copy. No cache was written."
        ) from exc.__cause__

    for items in reviews.values():
        items.sort(key=lambda r: r[:3])  # canonical order: label, id, rating

    # Tokenize with temporary ids (order of first appearance) ...
    index: dict[str, int] = {}
    flat: dict[str, np.ndarray] = {}
    offsets: dict[str, np.ndarray] = {}
    bar = _progress_bar(sum(counts.values()), "tokenizing", "review", progress)
    for split in SPLITS:
        ids = array.array("i")  # 4 bytes a token, not a Python int object
        ends = [0]
        for *_, text in reviews[split]:
            ids.extend([index.setdefault(w, len(index)) for w in tokenize(text)])
            ends.append(len(ids))
            if bar is not None:
                bar.update(1)
        flat[split] = np.frombuffer(ids, dtype=np.int32)
        offsets[split] = np.asarray(ends, dtype=np.int64)
    if bar is not None:
        bar.close()

    # ... then rank the training words: most frequent first, ties by word.
    words_tmp = list(index)
    train_counts = np.bincount(flat["train"], minlength=len(words_tmp))
    seen = np.flatnonzero(train_counts)
    ranked = sorted(seen.tolist(), key=lambda i: (-train_counts[i], words_tmp[i]))
    final = np.full(len(words_tmp), OOV, dtype=np.int32)  # unseen in train -> OOV
    final[ranked] = np.arange(len(ranked), dtype=np.int32) + INDEX_FROM + 1
    words = [words_tmp[i] for i in ranked]
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
        "word_counts": train_counts[ranked].astype(np.int64),
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
    _atomic_write(cache.texts, lambda f: np.savez_compressed(f, **texts))
    _atomic_write(cache.tokens, lambda f: np.savez(f, **tokens))


def _load_cached(
    which: str,
    names: Sequence[str],
    archive: str | os.PathLike | None,
    cache_dir: str | os.PathLike | None,
    reviews_per_folder: int | None,
    progress: bool,
    download: bool,
) -> dict[str, Any]:
    """Arrays ``names`` of the ``"tokens"`` or ``"texts"`` cache, built if needed."""
    path, tried = _locate(archive, download)
    cache = _cache_files(path, cache_dir)
    file = getattr(cache, which)
    data = _open_cache(file, cache.key, names)
    if data is None:
        _build_cache(path, cache, tried, reviews_per_folder, progress)
        data = _open_cache(file, cache.key, names)
        if data is None:  # pragma: no cover - only if the disk lies
            raise OSError(f"cache {file} unreadable right after writing it")
    try:
        _check_counts(data["meta"]["counts"], reviews_per_folder)
    except ArchiveError as exc:
        raise ArchiveError(f"{exc}.\nExpected {_EXPECTED}.\n{_where(tried)}") from None
    return data


def _split_sizes(meta: dict[str, Any]) -> tuple[int, int]:
    counts = meta["counts"]
    return tuple(sum(counts[f"{s}/{name}"] for name in LABELS) for s in SPLITS)


# ---------------------------------------------------------------- sequences


def _keras_permutations(n_train: int, n_test: int, seed: int | None) -> list[np.ndarray]:
    """The orders ``keras.datasets.imdb.load_data`` shuffles train and test into."""
    if seed is None:
        return [np.arange(n_train), np.arange(n_test)]
    rng = np.random.RandomState(seed)
    perms = []
    for n in (n_train, n_test):  # one rng: train first, then test
        indices = np.arange(n)
        rng.shuffle(indices)
        perms.append(indices)
    return perms


def _gather(
    flat: np.ndarray, offsets: np.ndarray, order: np.ndarray, start: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Reorder ragged rows (flat + offsets), optionally prefixing each with ``start``."""
    lengths = np.diff(offsets)[order]
    extra = 0 if start is None else 1
    new_lengths = lengths + extra
    new_offsets = np.zeros(len(order) + 1, dtype=np.int64)
    np.cumsum(new_lengths, out=new_offsets[1:])
    out = np.empty(int(new_offsets[-1]), dtype=flat.dtype)
    if start is not None:
        out[new_offsets[:-1]] = start
    # position of every copied token: its row's new start + extra + rank in row
    total = int(lengths.sum())
    row_start = np.repeat(new_offsets[:-1] + extra, lengths)
    src_start = np.repeat(offsets[:-1][order], lengths)
    within = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    out[row_start + within] = flat[src_start + within]
    return out, new_offsets


def _pad_rows(
    flat: np.ndarray,
    starts: np.ndarray,
    lengths: np.ndarray,
    maxlen: int,
    padding: str = "pre",
    truncating: str = "pre",
    value: Any = 0,
    dtype: Any = "int32",
    start: int | None = None,
    chunk: int = 4096,
) -> np.ndarray:
    """``pad_sequences`` for rows ``flat[starts[i] : starts[i] + lengths[i]]``.

    With ``start`` set, each row is read as ``[start] + row`` (the review's
    start mark), so rows need not be copied to prepend it. Works on chunks of
    rows so memory stays bounded for long ``maxlen``.
    """
    if padding not in ("pre", "post"):
        raise ValueError(f'Padding type "{padding}" not understood')
    if truncating not in ("pre", "post"):
        raise ValueError(f'Truncating type "{truncating}" not understood')
    n = len(starts)
    extra = 0 if start is None else 1
    total = np.asarray(lengths, dtype=np.int64) + extra  # length of each sequence
    kept = np.minimum(total, maxlen)
    skip = total - kept if truncating == "pre" else np.zeros(n, dtype=np.int64)
    dst = maxlen - kept if padding == "pre" else np.zeros(n, dtype=np.int64)
    out = np.full((n, maxlen) + flat.shape[1:], value, dtype=dtype)
    cols = np.arange(maxlen)
    for lo in range(0, n, chunk):
        rows = slice(lo, lo + chunk)
        block = out[rows]  # a view: writing into it fills ``out``
        d = dst[rows, None]
        valid = (cols >= d) & (cols < d + kept[rows, None])
        pos = cols - d + skip[rows, None]  # position inside [start] + row
        if start is not None:
            block[valid & (pos == 0)] = start
            valid &= pos > 0
        index = np.asarray(starts, dtype=np.int64)[rows, None] + pos - extra
        block[valid] = flat[index[valid]]
    return out


def pad_sequences(
    sequences: Iterable[Any],
    maxlen: int | None = None,
    *,
    padding: str = "pre",
    truncating: str = "pre",
    value: Any = 0,
    dtype: Any = "int32",
) -> np.ndarray:
    """Pad/truncate sequences to one length, like ``keras.utils.pad_sequences``.

    Pure NumPy (no TensorFlow). ``maxlen=None`` pads to the longest sequence.
    ``"pre"`` pads or cuts at the start, ``"post"`` at the end; Keras defaults
    to ``"pre"`` for both. Elements may be scalars or equal-shaped arrays.
    """
    arrays = []
    sample_shape: tuple[int, ...] | None = None
    for i, s in enumerate(sequences):
        a = np.asarray(s)
        if a.ndim == 0:
            raise ValueError(f"`sequences` must be a list of iterables. Found non-iterable: {s}")
        if len(a):
            if sample_shape is None:
                sample_shape = a.shape[1:]
            elif a.shape[1:] != sample_shape:
                raise ValueError(
                    f"Shape of sample {a.shape[1:]} of sequence at position {i} "
                    f"is different from expected shape {sample_shape}"
                )
        arrays.append(a)
    sample_shape = sample_shape or ()
    lengths = np.array([len(a) for a in arrays], dtype=np.int64)
    if maxlen is None:
        maxlen = int(lengths.max()) if len(lengths) else 0
    starts = np.cumsum(lengths) - lengths
    parts = [a.reshape((len(a),) + sample_shape) for a in arrays if len(a)]
    flat = np.concatenate(parts) if parts else np.zeros((0,) + sample_shape, dtype=dtype)
    return _pad_rows(flat, starts, lengths, int(maxlen), padding, truncating, value, dtype)


def _ragged(flat: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """A 1-D object array of int32 arrays (one per review)."""
    out = np.empty(len(offsets) - 1, dtype=object)
    for i, row in enumerate(np.split(flat, offsets[1:-1])):
        out[i] = row
    return out


# ---------------------------------------------------------------- public loaders


def load_imdb(
    num_words: int | None = 30000,
    maxlen: int | None = 300,
    padding: str = "post",
    truncating: str = "pre",
    skip_top: int = 0,
    seed: int | None = 113,
    archive: str | os.PathLike | None = None,
    *,
    cache_dir: str | os.PathLike | None = None,
    reviews_per_folder: int | None = REVIEWS_PER_FOLDER,
    progress: bool = True,
    download: bool = True,
    vocabulary: Vocabulary | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """The IMDB reviews as ``(x_train, y_train), (x_test, y_test)``.

    Equal to ``keras.datasets.imdb.load_data(num_words=num_words,
    skip_top=skip_top, seed=seed)`` followed by ``keras.utils.pad_sequences(x,
    maxlen, padding=padding, truncating=truncating)``, but built from the raw
    reviews (see the module docstring for the ids and the tokenizer).

    Args:
        num_words: id bound; words with id ``>= num_words`` become OOV (2).
            ``None`` keeps every training word.
        maxlen: length of every row. Longer reviews lose their start
            (``truncating="pre"``, the Keras default) or end (``"post"``);
            shorter ones get zeros after (``padding="post"``) or before
            (``"pre"``). ``None``: no padding, ``x`` is a 1-D object array of
            int32 arrays of different lengths (as Keras returns, but arrays
            instead of lists, to save memory).
        skip_top: ids ``< skip_top`` become OOV, exactly as Keras does it (so
            ``skip_top=20`` hides ids 1..19: the start mark and the 16 most
            frequent words).
        seed: shuffle as Keras: ``rng = np.random.RandomState(seed)``, shuffle
            the train indices, then the test indices with the same ``rng``.
            ``None``: no shuffle (negatives then positives, by review id).
        archive: path of ``aclImdb_v1.tar.gz`` (else :func:`find_archive`).
        cache_dir: where the tokenized cache lives (default
            :func:`default_cache_dir`).
        reviews_per_folder: expected reviews in each of the four folders
            (12,500; ``None`` only checks that none is empty).
        progress: show tqdm bars while reading the archive the first time.
        download: allow the download if the archive is nowhere on disk.
        vocabulary: encode the reviews with this vocabulary's ids instead of
            the ranking of all 25,000 training reviews: the ids a trained
            model's bundle expects (``load_imdb(vocabulary=trained.vocab)``).
            Its ``num_words`` is the id bound; ``num_words`` is then ignored.

    Returns:
        ``x`` int32 ``(25000, maxlen)`` and ``y`` int32 ``(25000,)`` (1 = positive)
        for the training and the test set.

    Raises:
        ArchiveError: the archive is unreadable or not the IMDB archive.
        ArchiveNotFoundError: no archive on disk and the download failed.
    """
    if num_words is not None and num_words < 1:
        raise ValueError(f"num_words must be >= 1 or None, got {num_words}")
    if maxlen is not None and maxlen < 0:
        raise ValueError(f"maxlen must be >= 0 or None, got {maxlen}")
    names = [f"{s}_{a}" for s in SPLITS for a in ("tokens", "offsets", "labels")]
    if vocabulary is not None:
        names.append("words")
    data = _load_cached(
        "tokens", names, archive, cache_dir, reviews_per_folder, progress, download
    )
    if vocabulary is not None:
        lookup = _recode_table(_from_json_array(data["words"]), vocabulary)
        for split in SPLITS:
            data[f"{split}_tokens"] = lookup[data[f"{split}_tokens"]]
        num_words = vocabulary.num_words
    bound = np.iinfo(np.int32).max if num_words is None else num_words
    perms = _keras_permutations(*_split_sizes(data["meta"]), seed)
    result = []
    for split, order in zip(SPLITS, perms):
        tokens, offsets = data[f"{split}_tokens"], data[f"{split}_offsets"]
        if maxlen is None:
            flat, offsets = _gather(tokens, offsets, order, START)
            flat[(flat < skip_top) | (flat >= bound)] = OOV
            x = _ragged(flat, offsets)
        else:
            starts, lengths = offsets[:-1][order], np.diff(offsets)[order]
            x = _pad_rows(
                tokens, starts, lengths, maxlen, padding, truncating, PAD, np.int32, START
            )
            x[(x != PAD) & ((x < skip_top) | (x >= bound))] = OOV  # as Keras, before padding
        y = data[f"{split}_labels"][order].astype(np.int32)
        result.append((x, y))
    return result[0], result[1]


def _recode_table(words: Sequence[str], vocabulary: Vocabulary) -> np.ndarray:
    """Cache id -> ``vocabulary`` id, for every id the token cache holds.

    The reserved ids keep their meaning; a word ``vocabulary`` does not keep
    becomes OOV.
    """
    lookup = np.full(len(words) + INDEX_FROM + 1, OOV, dtype=np.int32)
    lookup[: INDEX_FROM + 1] = np.arange(INDEX_FROM + 1)
    get = vocabulary.word_index.get
    lookup[INDEX_FROM + 1 :] = [get(w, OOV) for w in words]
    return lookup


def load_vocabulary(
    num_words: int | None = 30000,
    archive: str | os.PathLike | None = None,
    *,
    cache_dir: str | os.PathLike | None = None,
    reviews_per_folder: int | None = REVIEWS_PER_FOLDER,
    progress: bool = True,
    download: bool = True,
) -> Vocabulary:
    """The :class:`Vocabulary` that :func:`load_imdb` (same ``num_words``) used."""
    data = _load_cached(
        "tokens", ["words"], archive, cache_dir, reviews_per_folder, progress, download
    )
    return Vocabulary(_from_json_array(data["words"]), num_words)


def load_texts(
    archive: str | os.PathLike | None = None,
    split: str = "test",
    seed: int | None = 113,
    *,
    cache_dir: str | os.PathLike | None = None,
    reviews_per_folder: int | None = REVIEWS_PER_FOLDER,
    progress: bool = True,
    download: bool = True,
) -> tuple[list[str], np.ndarray]:
    """The raw review texts of ``split`` and their labels (1 = positive).

    In the same order as :func:`load_imdb` with the same ``seed``, so
    ``texts[i]`` is the review behind ``x_test[i]``. Texts are as written in
    the archive (HTML line breaks ``<br />`` included).
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    names = [f"{split}_{a}" for a in ("bytes", "offsets", "labels")]
    data = _load_cached(
        "texts", names, archive, cache_dir, reviews_per_folder, progress, download
    )
    perms = _keras_permutations(*_split_sizes(data["meta"]), seed)
    order = perms[SPLITS.index(split)]
    raw = data[f"{split}_bytes"].tobytes()
    offsets = data[f"{split}_offsets"]
    texts = [raw[offsets[i] : offsets[i + 1]].decode("utf-8") for i in order]
    return texts, data[f"{split}_labels"][order].astype(np.int32)


def word_polarity(
    x: np.ndarray, y: np.ndarray, num_words: int, smoothing: float = 1.0
) -> np.ndarray:
    """How positive each word is in labelled reviews: the log-count ratio.

    For word ``w``, with ``p_w`` the number of positive reviews that contain
    it and ``q_w`` the number of negative ones (plus ``smoothing`` each)::

        polarity[w] = log(p_w / sum(p)) - log(q_w / sum(q))

    This is the Naive Bayes feature of Wang & Manning (2012, "Baselines and
    bigrams"): above 0 a word is more frequent in positive reviews
    ("wonderful" +1.5 in the IMDB training reviews), below 0 in negative
    ones ("worst" -2.2). Compute it on *training* reviews only. The reserved ids (padding, start, unknown
    word) get 0.

    Args:
        x: word ids ``(reviews, time)`` (padded) or a sequence of id arrays.
        y: labels, 1 = positive.
        num_words: id bound (the vocabulary size of the model).

    Returns:
        ``(num_words,)`` float32 array.
    """
    y = np.asarray(y).astype(bool).reshape(-1)
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} reviews but y has {len(y)} labels")
    counts = np.full((2, num_words), float(smoothing))
    for row, label in zip(x, y):
        ids = np.unique(np.asarray(row))
        counts[int(label), ids[(ids >= 0) & (ids < num_words)]] += 1
    neg, pos = counts
    polarity = np.log(pos / pos.sum()) - np.log(neg / neg.sum())
    polarity[: min(OOV + 1, num_words)] = 0.0
    return polarity.astype(np.float32)
