"""The tokenized-review cache of gru_edu.imdb.cache: read instead of the archive, keyed, rebuilt, atomic."""


import numpy as np
import pytest
from imdb_archives import HANDMADE, write_archive

from gru_edu import imdb
from gru_edu.imdb import cache


def test_second_load_reads_the_cache_not_the_archive(tiny, load, monkeypatch):
    first = load.imdb(archive=tiny)
    vocab = load.vocab(archive=tiny)
    texts = load.texts(archive=tiny)

    def no_read(*args, **kwargs):
        raise AssertionError("archive read again")

    monkeypatch.setattr(cache, "read_archive", no_read)
    second = load.imdb(archive=tiny)
    for (a, b), (c, d) in zip(first, second):
        assert np.array_equal(a, c) and np.array_equal(b, d)
    assert load.vocab(archive=tiny) == vocab
    assert load.texts(archive=tiny)[0] == texts[0]
    load.imdb(num_words=5, maxlen=None, seed=1, archive=tiny)  # other options: no read

    files = sorted(p.name for p in load.cache_dir.iterdir())
    assert len(files) == 2 and all(f.endswith(".npz") for f in files)
    for f in load.cache_dir.iterdir():  # plain arrays: loads with pickle refused
        with np.load(f, allow_pickle=False) as npz:
            for name in npz.files:
                assert npz[name].dtype != object


def test_cache_key_follows_archive_and_tokenizer(tiny, load, monkeypatch):
    load.imdb(archive=tiny)
    reads = []
    real_read = cache.read_archive
    monkeypatch.setattr(cache, "read_archive", lambda *a: reads.append(1) or real_read(*a))
    monkeypatch.setattr(cache, "TOKENIZER_VERSION", imdb.TOKENIZER_VERSION + 1)
    load.imdb(archive=tiny)
    assert len(reads) == 1
    write_archive(tiny, {**HANDMADE, ("test", "neg"): ["a new review", "b", "c"]})
    (_, _), (x_test, _) = load.imdb(archive=tiny, seed=None, maxlen=None)
    assert len(reads) == 2 and len(x_test[0]) == 4  # rebuilt from the new archive


def test_unreadable_cache_is_rebuilt(tiny, load):
    load.imdb(archive=tiny)
    for f in load.cache_dir.iterdir():
        f.write_bytes(b"garbage")
    with pytest.warns(UserWarning, match="unreadable cache"):
        (x, _), _ = load.imdb(archive=tiny)
    assert x.shape == (6, 300)


def test_failed_cache_write_leaves_no_file(tiny, load, monkeypatch):
    def disk_full(file, **arrays):
        file.write(b"half a cache")
        raise OSError("No space left on device")

    monkeypatch.setattr(np, "savez", disk_full)
    monkeypatch.setattr(np, "savez_compressed", disk_full)
    with pytest.raises(OSError, match="No space"):
        load.imdb(archive=tiny)
    assert list(load.cache_dir.iterdir()) == []
