"""Finding, downloading and reading the IMDB archive (gru_edu.imdb.archive), on tiny archives."""


import sys

import pytest
from imdb_archives import HANDMADE, assert_archive_error, random_reviews, write_archive

from gru_edu import imdb
from gru_edu.imdb import ArchiveError, ArchiveNotFoundError, archive, load_imdb


def test_search_order(no_env, tmp_path, monkeypatch):
    keras_copy = write_archive(no_env.parent.parent / "k.tar.gz")
    no_env.mkdir(parents=True)
    keras_copy.rename(no_env / imdb.ARCHIVE_NAME)
    env_copy = write_archive(tmp_path / "env.tar.gz")
    arg_copy = write_archive(tmp_path / "arg.tar.gz")

    assert imdb.find_archive() == no_env / imdb.ARCHIVE_NAME  # 3. Keras cache
    monkeypatch.setenv(imdb.ARCHIVE_ENV, str(env_copy))
    assert imdb.find_archive() == env_copy  # 2. env var beats the Keras cache
    assert imdb.find_archive(arg_copy) == arg_copy  # 1. argument beats both


def test_keras_cache_defaults_to_home(monkeypatch, tmp_path):
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert imdb.keras_cache_dirs() == [tmp_path / ".keras" / "datasets"]


def test_download_is_last_and_lands_in_keras_cache(no_env, tmp_path, monkeypatch, load):
    calls = []

    def fake_download(url, dest_dir):
        calls.append((url, dest_dir))
        dest_dir.mkdir(parents=True, exist_ok=True)
        return write_archive(dest_dir / imdb.ARCHIVE_NAME)

    monkeypatch.setattr(archive, "_download", fake_download)
    (x, y), _ = load.imdb()
    assert calls == [(imdb.ARCHIVE_URL, no_env)]
    assert x.shape == (6, 300)
    load.imdb()  # now found in the Keras cache: no second download
    assert len(calls) == 1


def test_download_uses_keras_get_file(monkeypatch, tmp_path):
    """The real _download, with a stand-in keras module (no TensorFlow, no network)."""
    calls = []

    def get_file(**kwargs):
        calls.append(kwargs)
        return str(tmp_path / kwargs["cache_subdir"] / kwargs["fname"])

    fake = type(sys)("keras")
    fake.utils = type(sys)("keras.utils")
    fake.utils.get_file = get_file
    monkeypatch.setitem(sys.modules, "keras", fake)
    path = archive._download(imdb.ARCHIVE_URL, tmp_path / "datasets")
    assert path == tmp_path / "datasets" / imdb.ARCHIVE_NAME
    assert calls == [dict(
        fname=imdb.ARCHIVE_NAME, origin=imdb.ARCHIVE_URL,
        cache_dir=str(tmp_path), cache_subdir="datasets",
    )]


def test_missing_archive_says_where_it_looked(no_env, monkeypatch):
    def failing(url, dest_dir):
        raise OSError("network unreachable")

    monkeypatch.setattr(archive, "_download", failing)
    with pytest.raises(ArchiveNotFoundError) as info:
        load_imdb(progress=False)
    msg = str(info.value)
    assert str(no_env / imdb.ARCHIVE_NAME) in msg and "network unreachable" in msg
    assert imdb.ARCHIVE_ENV in msg and imdb.ARCHIVE_URL in msg
    assert isinstance(info.value, FileNotFoundError) and isinstance(info.value, ValueError)


def test_named_archive_missing_is_an_error_not_a_download(no_env, tmp_path, monkeypatch):
    missing = tmp_path / "nowhere" / "aclImdb_v1.tar.gz"
    with pytest.raises(ArchiveNotFoundError, match="nowhere"):
        load_imdb(archive=missing, progress=False)
    monkeypatch.setenv(imdb.ARCHIVE_ENV, str(missing))
    with pytest.raises(ArchiveNotFoundError) as info:
        load_imdb(progress=False)
    assert str(missing) in str(info.value) and imdb.ARCHIVE_ENV in str(info.value)


def test_not_gzip(tmp_path, load):
    bad = tmp_path / "aclImdb_v1.tar.gz"
    bad.write_text("<html>404 Not Found</html>")
    assert_archive_error(load, bad, "gzip")


def test_plain_tar_is_rejected(tmp_path, load):
    assert_archive_error(load, write_archive(tmp_path / "a.tar", compression=""), "gzip")


def test_truncated(tmp_path, load):
    good = write_archive(tmp_path / "good.tar.gz", random_reviews(per_folder=20))
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    assert_archive_error(load, cut, "cannot read", "EOFError")


def test_wrong_layout(tmp_path, load):
    other = write_archive(tmp_path / "other.tar.gz", {}, extra={"data/x.txt": "hi"})
    assert_archive_error(load, other, "aclImdb/train/pos: 0", "wrong number of reviews")
    no_test_neg = {k: v for k, v in HANDMADE.items() if k != ("test", "neg")}
    assert_archive_error(
        load, write_archive(tmp_path / "part.tar.gz", no_test_neg), "aclImdb/test/neg: 0"
    )


def test_wrong_counts(tiny, load):
    with pytest.raises(ArchiveError) as info:
        load.imdb(archive=tiny, reviews_per_folder=12500)
    assert "12500 reviews in each of" in str(info.value) and str(tiny) in str(info.value)
    load.imdb(archive=tiny, reviews_per_folder=3)  # right count: fine, cached
    with pytest.raises(ArchiveError, match="12500"):  # cached, still checked
        load.imdb(archive=tiny, reviews_per_folder=12500)
