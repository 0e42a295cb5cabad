"""The language model's text: review words without their labels, and its batches.

The text follows the collection's protocol (:mod:`gru_edu.imdb.splits`):

* **training text**: the training part's reviews (the 25,000 training reviews
  less the validation sample: 22,500), their labels unused, plus the
  archive's 50,000 unlabeled reviews in ``aclImdb/train/unsup`` whenever the
  archive holds them (the official archive does; a copy repacked without
  them does not, and then the model learns from the training part alone);
* **validation text**: the validation reviews, for perplexity only, never
  trained on;
* the test reviews are never read here.

The vocabulary is ranked on the training part's words
(:func:`gru_edu.imdb.fit_vocabulary`), so a classifier fine-tuned from the
language model later uses the same word ids. Every review starts with the
start mark (id 1), which also tells the model where one review ends and the
next begins in the stream.
"""

from __future__ import annotations

import os
import re
import tarfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gru_edu import config
from gru_edu.config import atomic_write

from ..imdb.archive import REVIEWS_PER_FOLDER, locate_archive
from ..imdb.cache import cache_key, default_cache_dir
from ..imdb.dataset import load_imdb, load_vocabulary
from ..imdb.splits import VAL_SEED, VAL_SIZE, fit_vocabulary, validation_indices
from ..imdb.vocab import OOV, START, Vocabulary, tokenize

__all__ = ["LMCorpus", "load_corpus", "unlabeled_reviews", "windows", "stream"]

_UNSUP = re.compile(r"(?:^|/)aclImdb/train/unsup/(\d+)_(\d+)\.txt$")


@dataclass(frozen=True)
class LMCorpus:
    """The language model's text as word ids of :attr:`vocab`.

    ``train`` and ``val`` are flat streams: every review's ids (start mark
    first) one after another. ``sources`` counts the reviews of each source
    (``"training part"``, ``"train/unsup"``, ``"validation part"``).
    """

    train: np.ndarray
    val: np.ndarray
    vocab: Vocabulary
    sources: dict[str, int]

    def describe(self) -> str:
        """One line per source: reviews and tokens."""
        parts = [f"{name}: {count:,} reviews" for name, count in self.sources.items()]
        return (f"training text {len(self.train):,} tokens, validation text "
                f"{len(self.val):,} tokens ({'; '.join(parts)}); "
                f"vocabulary {self.vocab.num_words:,} ids")


def stream(reviews: np.ndarray | list[np.ndarray]) -> np.ndarray:
    """Reviews (id arrays, each starting with the start mark) as one int32 stream."""
    if not len(reviews):
        return np.zeros(0, np.int32)
    return np.concatenate([np.asarray(r, np.int32) for r in reviews])


def load_corpus(
    num_words: int = 10000,
    archive: str | os.PathLike | None = None,
    train_size: int | None = None,
    val_size: int = VAL_SIZE,
    unsup: bool = True,
    progress: bool = True,
    *,
    cache_dir: str | os.PathLike | None = None,
    reviews_per_folder: int | None = REVIEWS_PER_FOLDER,
) -> LMCorpus:
    """The training and validation text (see the module docstring).

    ``train_size`` keeps the first reviews of the training part only (the
    fast setting; the vocabulary is ranked on those); ``unsup=False`` leaves
    out ``train/unsup`` even when the archive has it. ``cache_dir`` and
    ``reviews_per_folder`` are :func:`gru_edu.imdb.load_imdb`'s.
    """
    where = dict(archive=archive, cache_dir=cache_dir, reviews_per_folder=reviews_per_folder)
    (raw, labels), _ = load_imdb(num_words=None, maxlen=None, progress=progress, **where)
    val_index = validation_indices(labels, val_size, VAL_SEED)
    train_index = np.setdiff1d(np.arange(len(labels)), val_index)[:train_size]
    words = load_vocabulary(None, progress=False, **where).words
    vocab = fit_vocabulary(raw[train_index], words, num_words)
    (x_all, _), _ = load_imdb(maxlen=None, vocabulary=vocab, progress=False, **where)
    extra = unlabeled_reviews(vocab, archive, progress, cache_dir) if unsup else []
    sources = {"training part": len(train_index)}
    if len(extra):
        sources["train/unsup"] = len(extra)
    sources["validation part"] = len(val_index)
    return LMCorpus(
        train=stream(list(x_all[train_index]) + list(extra)),
        val=stream(x_all[val_index]),
        vocab=vocab,
        sources=sources,
    )


def unlabeled_reviews(vocab: Vocabulary, archive: str | os.PathLike | None = None,
                      progress: bool = True,
                      cache_dir: str | os.PathLike | None = None) -> list[np.ndarray]:
    """The archive's ``aclImdb/train/unsup`` reviews as ids of ``vocab``
    (start mark first); ``[]`` when the archive has none.

    The archive is scanned once; the reviews' words are cached next to the
    tokenized IMDB cache (keyed on the archive), so later calls take a second.
    """
    path, _ = locate_archive(archive, download=True)
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    file = folder / f"imdb-{cache_key(path)}-unsup.npz"
    if not file.is_file():
        texts = _read_unsup(path, progress)
        joined = "\n".join(" ".join(tokenize(t)) for t in texts).encode("utf-8")
        atomic_write(file, lambda f: np.savez(
            f, text=np.frombuffer(joined, np.uint8), count=np.int64(len(texts))))
    with np.load(file, allow_pickle=False) as npz:
        count = int(npz["count"])
        lines = npz["text"].tobytes().decode("utf-8").split("\n")
    if not count:
        return []
    get = vocab.word_index.get
    return [np.asarray([START] + [get(w, OOV) for w in line.split(" ") if w], np.int32)
            for line in lines]


def _read_unsup(path: Path, progress: bool) -> list[str]:
    """The texts of ``aclImdb/train/unsup/*.txt`` in the archive, by review id."""
    found: list[tuple[int, str]] = []
    bar = config.progress_bar(desc="looking for train/unsup", unit=" reviews",
                              disable=not progress)
    with tarfile.open(path, mode="r:gz") as tar:
        for member in tar:
            match = _UNSUP.search(member.name)
            if match and member.isfile():
                data = tar.extractfile(member).read()  # type: ignore[union-attr]
                found.append((int(match.group(1)), data.decode("utf-8", "replace")))
                bar.update(1)
    bar.close()
    return [text for _, text in sorted(found)]


def windows(ids: np.ndarray, batch_size: int, seq_len: int,
            seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and next-word targets, ``(n, seq_len)`` each, cut from a stream.

    Window ``i`` reads ``ids[s : s + seq_len]`` and must predict
    ``ids[s + 1 : s + seq_len + 1]``; consecutive windows overlap by one word,
    so every word after the first is a target exactly once. The last partial
    window is dropped. ``seed`` shuffles the windows (training); ``None``
    keeps them in order. ``batch_size`` only trims ``n`` to whole batches
    when shuffling, so every batch has the same shape.
    """
    ids = np.asarray(ids, np.int32)
    n = (len(ids) - 1) // seq_len
    if n < 1:
        raise ValueError(f"a stream of {len(ids)} words holds no window of {seq_len + 1}")
    starts = np.arange(n) * seq_len
    if seed is not None:
        starts = np.random.default_rng(seed).permutation(starts)
        starts = starts[: max(batch_size, len(starts) // batch_size * batch_size)]
    index = starts[:, None] + np.arange(seq_len + 1)[None, :]
    block = ids[index]
    return block[:, :-1], block[:, 1:]
