"""The saved bundle (gru_edu.imdb.bundle): TrainedModel saved and loaded, the explorer model, the shipped GRU."""

import io
import json
import zipfile

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from gru_edu import imdb  # noqa: E402
from gru_edu.imdb import Vocabulary  # noqa: E402


def tiny_vocab():
    return Vocabulary(["the", "movie", "good", "bad", "not"], num_words=9)  # ids 4..8


def _tiny_bundle(mode: str) -> imdb.TrainedModel:
    vocab = tiny_vocab()
    keras.utils.set_random_seed(0)
    model = imdb.build_classifier("gru", num_words=9, maxlen=7, embed_dim=3, units=2)
    imdb.fit(model, np.array([[1, 4, 5, 0, 0, 0, 0], [1, 6, 7, 8, 0, 0, 0]]),
               np.array([1, 0]), epochs=1, batch_size=2, verbose=0)
    return imdb.TrainedModel(model, vocab, maxlen=7, meta={"mode": mode})


def test_trained_model_round_trip(tmp_path):
    vocab = tiny_vocab()
    model = imdb.build_classifier("gru", num_words=9, maxlen=7, embed_dim=3, units=2)
    trained = imdb.TrainedModel(model, vocab, maxlen=7, meta={"test_accuracy": 0.5})
    ids = trained.encode(["the movie was good", "bad"])
    assert ids.shape == (2, 7)
    assert list(ids[0][:5]) == [1, 4, 5, 2, 6] and ids[0][5:].tolist() == [0, 0]  # post padding
    path = trained.save(tmp_path / "bundle")
    meta = json.loads((path / "meta.json").read_text())
    assert meta["maxlen"] == 7 and meta["padding"] == "post" and meta["test_accuracy"] == 0.5
    again = imdb.TrainedModel.load(path)
    assert again.vocab == vocab and again.maxlen == 7
    texts = ["not a good movie", "the bad movie"]
    np.testing.assert_allclose(again.predict_text(texts), trained.predict_text(texts), atol=1e-7)


def test_load_names_what_is_missing(tmp_path):
    (tmp_path / "meta.json").write_text("{}")
    with pytest.raises(FileNotFoundError, match=r"missing model\.keras, vocab\.json"):
        imdb.TrainedModel.load(tmp_path)


def test_a_bundle_saved_without_optimizer_state_is_smaller_and_the_same(tmp_path):
    trained = _tiny_bundle("full")
    with_state = trained.save(tmp_path / "with") / "model.keras"
    slim = trained.save(tmp_path / "slim", optimizer=False) / "model.keras"
    assert slim.stat().st_size < with_state.stat().st_size
    again = imdb.TrainedModel.load(slim.parent)
    assert getattr(again.model, "optimizer", None) is None  # no optimizer kept
    assert int(imdb.TrainedModel.load(with_state.parent).model.optimizer.iterations) == 1
    import h5py
    with zipfile.ZipFile(slim) as z, h5py.File(io.BytesIO(z.read("model.weights.h5"))) as h5:
        assert "optimizer" not in h5 or not list(h5["optimizer"].get("vars", {}))
    texts = ["the good movie", "bad not bad"]
    np.testing.assert_allclose(again.predict_text(texts), trained.predict_text(texts),
                               atol=1e-7)


def test_explorer_model_prefers_a_full_run_and_never_a_fast_one(tmp_path, monkeypatch):
    monkeypatch.setenv("GRU_EDU_ARTIFACTS", str(tmp_path / "artifacts"))
    shipped = tmp_path / "shipped" / "imdb_gru"
    from gru_edu.imdb import bundle

    monkeypatch.setattr(bundle, "shipped_model_dir", lambda kind="gru": shipped)
    _tiny_bundle("shipped-full").save(shipped, optimizer=False)

    trained, origin = imdb.load_explorer_model()  # nothing trained here yet
    assert trained.meta["mode"] == "shipped-full" and "shipped with gru-edu" in origin

    _tiny_bundle("fast (CI setting, GRU_EDU_FAST=1)").save(imdb.default_model_dir())
    trained, origin = imdb.load_explorer_model()
    assert trained.meta["mode"] == "shipped-full"
    assert "fast (CI setting" in origin  # says why the local model was passed over

    _tiny_bundle("full").save(imdb.default_model_dir())
    trained, origin = imdb.load_explorer_model()
    assert trained.meta["mode"] == "full" and "your model" in origin


def test_the_shipped_model_works_and_says_how_it_was_made(imdb_archive):
    """The bundle in gru_edu/shipped: notebook 03's recipe, full setting, no
    optimizer state, and it classifies test reviews it never saw."""
    from gru_edu.imdb import TrainSettings, load_imdb

    path = imdb.shipped_model_dir("gru")
    trained = imdb.TrainedModel.load(path)
    meta = trained.meta
    assert meta["mode"] == "full" and "--ship" in meta["made_by"]
    recipe = {k: v for k, v in meta["settings"].items() if k != "seed"}
    defaults = {k: v for k, v in TrainSettings().__dict__.items() if k != "seed"}
    assert recipe == defaults  # the shipped model is notebook 03's current recipe
    assert meta["test_reviews"] == 25000 and meta["val_reviews"] == 2500
    assert getattr(trained.model, "optimizer", None) is None
    assert (path / "train_log.txt").read_text().count("\n") >= 6
    (_, _), (x, y) = load_imdb(vocabulary=trained.vocab, maxlen=trained.maxlen,
                               archive=imdb_archive, progress=False)
    p = trained.model.predict(x[:500], batch_size=250, verbose=0).reshape(-1)
    assert np.mean((p > 0.5) == y[:500]) > 0.85


@pytest.mark.parametrize("padding", ["post", "pre"])
@pytest.mark.parametrize("truncating", ["pre", "post"])
def test_encode_review_is_encode_with_the_words_and_the_review_steps(padding, truncating):
    trained = imdb.TrainedModel(None, tiny_vocab(), maxlen=5, padding=padding,
                                truncating=truncating)
    for text in ["good movie", "the good movie was not bad at all"]:
        enc = trained.encode_review(text)
        np.testing.assert_array_equal(enc.ids, trained.encode(text)[0])
        n_ids = len(trained.vocab.encode(text))
        assert enc.dropped == max(0, n_ids - 5)
        steps = enc.review.stop - enc.review.start
        assert steps == min(n_ids, 5) and (enc.ids[enc.review] != 0).all()
        assert (np.delete(enc.ids, np.r_[enc.review]) == 0).all()
        words = ["<start>"] + text.split()
        kept = words[-5:] if truncating == "pre" else words[:5]
        assert enc.typed[enc.review] == kept
        assert all(w == "" for i, w in enumerate(enc.typed)
                   if not enc.review.start <= i < enc.review.stop)

