"""The IMDB reviews as arrays: loaders, padding and batches of similar length.

:func:`load_imdb` returns what ``keras.datasets.imdb.load_data`` followed by
``keras.utils.pad_sequences`` returns, with the same conventions, built from
the raw reviews of the official archive; :func:`load_texts` gives the text
behind every row and :func:`load_vocabulary` the ids' words.

Differences from ``keras.datasets.imdb.load_data``, all documented where they
apply: a test-set word never seen in training becomes OOV (2) instead of
being dropped, so ``Vocabulary.encode(text)`` reproduces the data exactly;
``num_words=None`` keeps every word (Keras turns the largest id into OOV);
``maxlen`` pads/truncates (:func:`pad_sequences`) instead of dropping long
reviews.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from .archive import LABELS, REVIEWS_PER_FOLDER, SPLITS
from .cache import load_cached
from .vocab import INDEX_FROM, OOV, PAD, START, Vocabulary

__all__ = [
    "load_imdb",
    "load_vocabulary",
    "load_texts",
    "pad_sequences",
    "length_batches",
]


def _keras_permutations(meta: dict[str, Any], seed: int | None) -> list[np.ndarray]:
    """The orders ``keras.datasets.imdb.load_data`` shuffles train and test
    into; ``meta`` is the cache's, with the reviews in each folder."""
    sizes = [sum(meta["counts"][f"{s}/{name}"] for name in LABELS) for s in SPLITS]
    if seed is None:
        return [np.arange(n) for n in sizes]
    rng = np.random.RandomState(seed)
    perms = []
    for n in sizes:  # one rng: train first, then test
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


def load_imdb(
    num_words: int | None = 30000, maxlen: int | None = 300, padding: str = "post",
    truncating: str = "pre", skip_top: int = 0, seed: int | None = 113,
    archive: str | os.PathLike | None = None, *,
    cache_dir: str | os.PathLike | None = None,
    reviews_per_folder: int | None = REVIEWS_PER_FOLDER, progress: bool = True,
    download: bool = True, vocabulary: Vocabulary | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """The IMDB reviews as ``(x_train, y_train), (x_test, y_test)``.

    Equal to ``keras.datasets.imdb.load_data(num_words=num_words,
    skip_top=skip_top, seed=seed)`` followed by ``keras.utils.pad_sequences(x,
    maxlen, padding=padding, truncating=truncating)``, but built from the raw
    reviews (see the module docstring for the ids and the tokenizer).

    Args:
        num_words: id bound; words with id ``>= num_words`` become OOV (2).
            ``None`` keeps every training word.
        maxlen: length of every row: longer reviews lose their start
            (``truncating="pre"``) or end, shorter ones get zeros after
            (``padding="post"``) or before. ``None``: no padding, ``x`` is an
            object array of int32 arrays (Keras gives lists: more memory).
        skip_top: ids ``< skip_top`` become OOV, as in Keras (``skip_top=20``
            hides the start mark and the 16 most frequent words).
        seed: shuffle as Keras does (one ``np.random.RandomState(seed)``,
            train then test); ``None``: negatives then positives, by review id.
        archive: path of ``aclImdb_v1.tar.gz`` (else :func:`find_archive`).
        cache_dir: the tokenized cache's folder (:func:`default_cache_dir`).
        reviews_per_folder: expected reviews in each of the four folders
            (12,500; ``None`` only checks that none is empty).
        progress: tqdm bars while the archive is read the first time.
        download: allow the download if the archive is nowhere on disk.
        vocabulary: use this vocabulary's ids (those a trained bundle
            expects, ``vocabulary=trained.vocab``) instead of the ranking of
            all training reviews; its ``num_words`` is then the id bound.

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
    data = _tokens(vocabulary, archive, cache_dir, reviews_per_folder, progress, download)
    if vocabulary is not None:
        num_words = vocabulary.num_words
    bound = np.iinfo(np.int32).max if num_words is None else num_words
    train, test = (
        _split_arrays(data, split, order, maxlen, padding, truncating, skip_top, bound)
        for split, order in zip(SPLITS, _keras_permutations(data["meta"], seed))
    )
    return train, test


def _tokens(vocabulary: Vocabulary | None, *where: Any) -> dict[str, Any]:
    """Both splits' arrays of the token cache (``where``: :func:`load_cached`'s
    arguments after ``names``), with ``vocabulary``'s ids if given."""
    names = [f"{s}_{a}" for s in SPLITS for a in ("tokens", "offsets", "labels")]
    if vocabulary is None:
        return load_cached("tokens", names, *where)
    data = load_cached("tokens", names + ["words"], *where)
    lookup = _recode_table(data["words"], vocabulary)
    for split in SPLITS:
        data[f"{split}_tokens"] = lookup[data[f"{split}_tokens"]]
    return data


def _split_arrays(
    data: dict[str, Any], split: str, order: np.ndarray, maxlen: int | None,
    padding: str, truncating: str, skip_top: int, bound: int,
) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` of one split of the token cache, rows in ``order``."""
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
    return x, data[f"{split}_labels"][order].astype(np.int32)


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
    data = load_cached(
        "tokens", ["words"], archive, cache_dir, reviews_per_folder, progress, download
    )
    return Vocabulary(data["words"], num_words)


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
    data = load_cached(
        "texts", names, archive, cache_dir, reviews_per_folder, progress, download
    )
    perms = _keras_permutations(data["meta"], seed)
    order = perms[SPLITS.index(split)]
    raw = data[f"{split}_bytes"].tobytes()
    offsets = data[f"{split}_offsets"]
    texts = [raw[offsets[i] : offsets[i + 1]].decode("utf-8") for i in order]
    return texts, data[f"{split}_labels"][order].astype(np.int32)


def length_batches(
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    seed: int | None = None,
    multiple: int = 64,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Batches of reviews of similar length, each cut to its longest review.

    ``x`` is right-padded (``padding="post"``), so the columns after a
    batch's longest review are padding only; dropping them changes nothing
    for a masked model but saves the recurrent layer those steps (an IMDB
    review has 191 of its 300 steps on average). Widths are rounded up to a
    ``multiple`` of steps, so an XLA-compiled model sees few shapes.
    ``seed``: reviews of a length bucket and the batch order are shuffled
    with it; ``None`` keeps the order (sorted by length).
    """
    x = np.asarray(x)
    y = np.asarray(y)
    if x.ndim != 2:
        raise ValueError(f"x must be (reviews, maxlen) word ids, got shape {x.shape}")
    if ((x[:, 0] == 0) & x.any(axis=1)).any():  # a review after padding
        raise ValueError(
            "length_batches needs right-padded reviews (padding='post'): some "
            "rows start with padding"
        )
    width = x.shape[1]
    nonzero = x != 0
    lengths = np.where(nonzero.any(axis=1), width - np.argmax(nonzero[:, ::-1], axis=1), 0)
    rng = None if seed is None else np.random.default_rng(seed)
    buckets = -(-np.maximum(lengths, 1) // multiple)
    tiebreak = rng.random(len(x)) if rng is not None else np.arange(len(x))
    order = np.lexsort((tiebreak, buckets))
    batches = []
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        cut = min(width, int(-(-max(int(lengths[idx].max()), 1) // multiple) * multiple))
        batches.append((x[idx, :cut], y[idx]))
    if rng is not None:
        batches = [batches[i] for i in rng.permutation(len(batches))]
    return batches
