"""Tiny IMDB archives built in a test's tmp_path, the loaders bound to them, and
Keras's own ``load_data`` run on the same reviews (the oracle of the loader tests).
The fixtures are registered in ``tests/conftest.py``."""

from __future__ import annotations

import io
import tarfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from gru_edu import imdb
from gru_edu.imdb import (
    START,
    ArchiveError,
    archive,
    load_imdb,
    load_texts,
    load_vocabulary,
    tokenize,
)

FOLDERS = [(s, lab) for s in ("train", "test") for lab in ("pos", "neg")]


HANDMADE = {
    ("train", "pos"): [
        "A great movie. Great fun!",
        "The best film<br /><br />I loved it.",
        "Great acting, great story; don't miss it",
    ],
    ("train", "neg"): [
        "A bad movie.",
        "the worst film, bad acting",
        "I didn't like it: boring and BAD",
    ],
    ("test", "pos"): ["great fun", "Loved it, a gem", "best movie"],
    ("test", "neg"): ["bad, boring", "worst movie ever", "zzz unseen bad"],
}


def write_archive(path: Path, reviews=HANDMADE, extra=None, compression="gz") -> Path:
    """A tar like aclImdb_v1.tar.gz holding ``reviews[(split, label)]``."""
    with tarfile.open(path, f"w:{compression}") as tar:

        def add(name, text):
            raw = text.encode("utf-8")
            info = tarfile.TarInfo(name)
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))

        add("aclImdb/README", "Large Movie Review Dataset v1.0 (tiny test copy)\n")
        for (split, label), texts in reviews.items():
            for i, text in enumerate(texts):
                rating = 8 + i % 3 if label == "pos" else 1 + i % 4
                add(f"aclImdb/{split}/{label}/{i}_{rating}.txt", text)
        for name, text in (extra or {}).items():
            add(name, text)
    return path


def random_reviews(per_folder=8, seed=0):
    """Reviews drawn from a Zipf-like word list; test has words train lacks."""
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(40)]
    p = 1.0 / np.arange(1, 41)
    p /= p.sum()
    out = {}
    for split, label in FOLDERS:
        texts = []
        for _ in range(per_folder):
            n = rng.integers(0, 25)  # some reviews are empty
            ws = list(rng.choice(words, size=n, p=p))
            if split == "test" and rng.random() < 0.5:
                ws.append(f"testonly{rng.integers(3)}")
            texts.append(" ".join(ws) + (" good" if label == "pos" else " bad"))
        out[(split, label)] = texts
    return out


@pytest.fixture
def tiny(tmp_path):
    return write_archive(tmp_path / "aclImdb_v1.tar.gz")


@pytest.fixture
def generated(tmp_path):
    return write_archive(tmp_path / "generated.tar.gz", random_reviews())


@pytest.fixture
def load(tmp_path):
    """The loaders, bound to a private cache dir and tiny-archive counts."""
    opts = dict(cache_dir=tmp_path / "cache", reviews_per_folder=None, progress=False)

    class Bound:
        imdb = staticmethod(lambda *a, **k: load_imdb(*a, **{**opts, **k}))
        vocab = staticmethod(lambda *a, **k: load_vocabulary(*a, **{**opts, **k}))
        texts = staticmethod(lambda *a, **k: load_texts(*a, **{**opts, **k}))
        cache_dir = opts["cache_dir"]

    return Bound


@pytest.fixture
def no_env(monkeypatch, tmp_path):
    """No archive in the environment: env var unset, Keras home empty."""
    monkeypatch.delenv(imdb.ARCHIVE_ENV, raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))

    def no_download(url, dest_dir):
        raise AssertionError("tests never download")

    monkeypatch.setattr(archive, "_download", no_download)
    return tmp_path / "keras-home" / "datasets"


def expected_ranking(reviews):
    counts = Counter(
        w for (split, _), texts in reviews.items() if split == "train"
        for t in texts for w in tokenize(t)
    )
    return sorted(counts, key=lambda w: (-counts[w], w))


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


def keras_load_data(monkeypatch, raw_train, y_train, raw_test, y_test, **kwargs):
    """Run keras.datasets.imdb.load_data on our unshuffled sequences."""
    from keras.src.datasets import imdb as keras_imdb

    def as_npz_sequences(xs):  # what imdb.npz holds: ids before index_from, no start
        out = np.empty(len(xs), dtype=object)
        for i, x in enumerate(xs):
            assert x[0] == START
            out[i] = [int(w) - imdb.INDEX_FROM for w in x[1:]]
        return out

    arrays = {
        "x_train": as_npz_sequences(raw_train), "y_train": np.asarray(y_train),
        "x_test": as_npz_sequences(raw_test), "y_test": np.asarray(y_test),
    }
    monkeypatch.setattr(keras_imdb, "get_file", lambda *a, **k: "imdb.npz")
    monkeypatch.setattr(keras_imdb.npz_utils, "load_npz", lambda path: arrays)
    return keras_imdb.load_data(**kwargs)


def assert_archive_error(load, path, *match):
    with pytest.raises(ArchiveError) as info:
        load.imdb(archive=path)
    msg = str(info.value)
    assert str(path) in msg and "Looked for the archive" in msg
    assert "aclImdb/{train,test}/{pos,neg}" in msg  # what was expected
    for m in match:
        assert m in msg, msg
    cache = load.cache_dir
    assert not cache.exists() or list(cache.iterdir()) == []  # nothing half-written
    return msg


@pytest.fixture(scope="session")
def real_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("imdb-cache")


def padded_reviews(n=50, width=130, seed=0):
    """Random right-padded id rows of random lengths, labels, and the lengths."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, width + 1, size=n)
    x = rng.integers(1, 40, size=(n, width)).astype("int32")
    x[np.arange(width)[None, :] >= lengths[:, None]] = 0
    return x, rng.integers(0, 2, size=n).astype("int32"), lengths
