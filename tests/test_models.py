"""Model builders, the saved bundle, and the training CLI."""

import io
import json
import zipfile

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from gru_edu import imdb  # noqa: E402
from gru_edu.imdb import Vocabulary  # noqa: E402


def test_tutorial_model_is_as_written():
    model = imdb.tutorial_model(300)
    gru1, gru2 = model.layers
    assert isinstance(gru1, keras.layers.GRU) and gru1.units == 50 and gru1.return_sequences
    assert isinstance(gru2, keras.layers.GRU) and gru2.units == 1 and not gru2.return_sequences
    assert model.input_shape == (None, 300, 1)
    # 3(nm + n² + n) + 3n per layer (reset_after=True, the Keras 3 default)
    assert model.count_params() == (3 * (50 * 1 + 50 * 50 + 50) + 150) + (3 * (1 * 50 + 1 + 1) + 3)
    assert model.loss == "binary_crossentropy"
    x = imdb.tutorial_features(np.array([[5, 7, 0]]))
    assert x.shape == (1, 3, 1) and x.dtype == np.float32


@pytest.mark.parametrize("kind", ["gru", "lstm", "simple_rnn"])
def test_classifier_masks_padding_and_outputs_a_probability(kind):
    model = imdb.build_classifier(kind, num_words=50, maxlen=6, embed_dim=4, units=3)
    x = np.array([[1, 5, 9, 0, 0, 0], [1, 5, 9, 7, 0, 0]])
    p = np.asarray(model(x))
    assert p.shape == (2, 1) and np.all((p > 0) & (p < 1))
    # the mask makes trailing padding invisible: more padding, same answer
    longer = imdb.build_classifier(kind, num_words=50, maxlen=9, embed_dim=4, units=3)
    longer.set_weights(model.get_weights())
    padded = np.pad(x, ((0, 0), (0, 3)))
    np.testing.assert_allclose(np.asarray(longer(padded)), p, atol=1e-6)


def test_unknown_kind():
    with pytest.raises(ValueError, match="kind must be one of"):
        imdb.build_classifier("transformer")


def test_cudnn_compatibility_reasons():
    ok, reasons = imdb.cudnn_compatible(keras.layers.GRU(4))
    assert ok and reasons == []
    ok, reasons = imdb.cudnn_compatible(keras.layers.GRU(4, reset_after=False))
    assert not ok and "reset_after=False" in reasons[0]
    ok, reasons = imdb.cudnn_compatible(keras.layers.LSTM(4, recurrent_dropout=0.2))
    assert not ok and "recurrent_dropout" in reasons[0]
    ok, reasons = imdb.cudnn_compatible(keras.layers.GRU(4, activation="relu"))
    assert not ok and "'relu'" in reasons[0]
    ok, reasons = imdb.cudnn_compatible(keras.layers.SimpleRNN(4))
    assert not ok and "no cuDNN kernel" in reasons[0]


def tiny_vocab():
    return Vocabulary(["the", "movie", "good", "bad", "not"], num_words=9)  # ids 4..8


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


def test_cli_trains_saves_and_the_bundle_reads_text(tmp_path, imdb_archive, capsys):
    from gru_edu.__main__ import main
    from gru_edu.imdb import load_splits

    out = tmp_path / "cli_model"
    code = main([
        "train", "--model", "gru", "--epochs", "1", "--units", "4", "--embed-dim", "4",
        "--num-words", "500", "--maxlen", "40", "--train-size", "256", "--test-size", "128",
        "--val-size", "100", "--archive", str(imdb_archive), "--out", str(out), "--quiet",
    ])
    assert code == 0
    printed = capsys.readouterr().out
    assert "validation accuracy" in printed and "(100 reviews held out" in printed
    assert "test accuracy" in printed and "scored once" in printed and str(out) in printed
    assert "val_accuracy" in printed  # the per-epoch line: validation, not test
    trained = imdb.TrainedModel.load(out)
    assert trained.maxlen == 40 and trained.vocab.num_words == 500
    parts = load_splits(num_words=500, maxlen=40, val_size=100, train_size=256,
                        test_size=128, archive=imdb_archive, progress=False)
    assert trained.vocab == parts.vocab  # ranked on the 256 training reviews only
    meta = trained.meta
    assert (meta["train_reviews"], meta["val_reviews"], meta["test_reviews"]) == (256, 100, 128)
    assert 0 < meta["val_accuracy"] < 1 and 0 < meta["test_accuracy"] < 1
    assert meta["cudnn_eligible"] is True
    p = trained.predict_text(["a wonderful film", "awful"])
    assert p.shape == (2,) and np.all((p > 0) & (p < 1))


def test_training_watches_validation_and_scores_test_once(imdb_archive, monkeypatch):
    """Per-epoch numbers come from the validation part; the test reviews are
    evaluated once after training, or never with ``score_test=False``."""
    from gru_edu.imdb import fitting

    seen = []
    real_evaluate = imdb.evaluate
    real_fit = imdb.fit

    def spy_evaluate(model, x, y, buckets=False):
        seen.append(("evaluate", len(y)))
        return real_evaluate(model, x, y, buckets=buckets)

    def spy_fit(model, x, y, *args, validation_data=None, **kwargs):
        seen.append(("fit", len(y), len(validation_data[1])))
        return real_fit(model, x, y, *args, validation_data=validation_data, **kwargs)

    monkeypatch.setattr(fitting, "evaluate", spy_evaluate)
    monkeypatch.setattr(fitting, "fit", spy_fit)
    settings = imdb.TrainSettings(num_words=300, maxlen=30, embed_dim=4, units=3,
                                  epochs=2, train_size=200, val_size=60, test_size=90)
    result = imdb.train_classifier(settings, archive=imdb_archive, verbose=0)
    assert seen == [("fit", 200, 60), ("evaluate", 60), ("evaluate", 90)]
    assert len(result.history["val_accuracy"]) == 2
    assert result.trained.meta["test_reviews"] == 90

    seen.clear()
    result = imdb.train_classifier(settings, archive=imdb_archive, verbose=0,
                                   score_test=False)
    assert seen == [("fit", 200, 60), ("evaluate", 60)]
    assert result.trained.meta["test_accuracy"] is None
    assert result.trained.meta["val_accuracy"] is not None


def test_cli_reports_a_missing_archive(tmp_path, capsys):
    from gru_edu.__main__ import main

    code = main(["train", "--archive", str(tmp_path / "nope.tar.gz"), "--epochs", "1"])
    assert code == 2
    assert "nope.tar.gz" in capsys.readouterr().err


def _padded_reviews(n=50, width=130, seed=0):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, width + 1, size=n)
    x = rng.integers(1, 40, size=(n, width)).astype("int32")
    x[np.arange(width)[None, :] >= lengths[:, None]] = 0
    return x, rng.integers(0, 2, size=n).astype("int32"), lengths


def test_length_batches_group_reviews_and_drop_only_padding():
    x, y, lengths = _padded_reviews()
    batches = imdb.length_batches(x, y, batch_size=8, seed=3, multiple=32)
    seen = []
    for xb, yb in batches:
        longest = max(int(((xb != 0).sum(axis=1)).max()), 1)
        assert xb.shape[1] == min(130, -(-longest // 32) * 32)  # cut, rounded up
        assert len(xb) == len(yb) <= 8
        for row, label in zip(xb, yb):  # each row is a whole review
            matches = [i for i in range(len(x)) if np.array_equal(x[i, :len(row)], row)
                       and not x[i, len(row):].any() and y[i] == label]
            assert matches
            seen.append(matches[0])
    assert sorted(seen) == list(range(len(x)))  # every review exactly once
    # similar lengths together: far fewer padded steps than the full width
    padded = sum(xb.size for xb, _ in batches)
    assert padded < 0.8 * x.size
    # the seed shuffles; None keeps the order sorted by length
    again = imdb.length_batches(x, y, batch_size=8, seed=3, multiple=32)
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(batches, again))
    ordered = imdb.length_batches(x, y, batch_size=8, seed=None, multiple=32)
    widths = [xb.shape[1] for xb, _ in ordered]
    assert widths == sorted(widths)


def test_length_batches_refuse_left_padding():
    x, y, _ = _padded_reviews(n=10)
    x = x[:, ::-1]  # now padded at the front
    with pytest.raises(ValueError, match="right-padded"):
        imdb.length_batches(x, y, batch_size=4)


def test_fit_with_buckets_trains_the_same_model_on_any_length():
    x, y, _ = _padded_reviews(n=64, width=40, seed=1)
    keras.utils.set_random_seed(0)
    model = imdb.build_classifier("gru", num_words=40, maxlen=None, embed_dim=4, units=3,
                                    decay_steps=8)
    before = model.predict(x[:4], verbose=0)
    hist = imdb.fit(model, x, y, epochs=2, batch_size=16, buckets=True,
                      validation_data=(x[:16], y[:16]), verbose=0)
    assert len(hist["seconds"]) == 2 and len(hist["val_accuracy"]) == 2
    assert not np.allclose(model.predict(x[:4], verbose=0), before)  # it learned
    # padding columns never matter to the masked model
    np.testing.assert_allclose(model.predict(x[:4, :30], verbose=0)[x[:4].astype(bool)
                               .sum(1) <= 30],
                               model.predict(x[:4], verbose=0)[x[:4].astype(bool).sum(1) <= 30],
                               atol=1e-6)
    lr = model.optimizer.learning_rate
    assert float(np.asarray(lr)) == pytest.approx(0.0, abs=1e-9)  # cosine reached 0


def test_polarity_feature_is_fixed_masked_and_saved(tmp_path):
    from gru_edu import gates

    polarity = np.linspace(-2, 2, 20).astype("float32")
    keras.utils.set_random_seed(0)
    model = imdb.build_classifier("gru", num_words=20, maxlen=None, embed_dim=3, units=2,
                                    polarity=polarity, dropout=0.3, average_weights=True)
    x = np.array([[1, 5, 9, 0, 0], [1, 7, 4, 11, 0]], dtype="int32")
    y = np.array([1, 0], dtype="int32")
    layer = model.get_layer("polarity")
    assert not layer.trainable_weights
    imdb.fit(model, np.repeat(x, 8, 0), np.repeat(y, 8, 0), epochs=2, batch_size=4,
               verbose=0)
    np.testing.assert_array_equal(np.asarray(layer.table), polarity)  # not trained
    # the GRU reads [learned vector, polarity[id]], with the padding masked
    (trace,) = gates.trace(model, x)
    np.testing.assert_allclose(trace.x[..., -1], polarity[x], rtol=1e-6)
    np.testing.assert_array_equal(trace.mask, x != 0)
    assert trace.max_abs_error <= gates.TOLERANCE
    bundle = imdb.TrainedModel(model, Vocabulary([f"w{i}" for i in range(16)]), 5)
    loaded = imdb.TrainedModel.load(bundle.save(tmp_path / "b"))
    np.testing.assert_allclose(loaded.model.predict(x, verbose=0),
                               model.predict(x, verbose=0), atol=1e-6)
    with pytest.raises(ValueError, match="one value per word id"):
        imdb.build_classifier("gru", num_words=30, polarity=polarity)


def test_weight_average_spans_a_short_training_too():
    """The moving average starts at the initial weights: for a short run its
    momentum drops so that they weigh < 1% at the end (0.99 for long runs)."""
    def momentum(steps):
        model = imdb.build_classifier("gru", num_words=20, maxlen=None, embed_dim=2,
                                        units=2, decay_steps=steps, average_weights=True)
        return float(model.optimizer.ema_momentum)

    assert momentum(784) == pytest.approx(0.99)  # the full IMDB run: 4 x 196 batches
    short = momentum(48)  # the fast setting: 3 x 16 batches
    assert short < 0.9 and short ** 48 < 0.01
    assert momentum(2) == 0.0  # a couple of batches: the last weights


def _tiny_bundle(mode: str) -> imdb.TrainedModel:
    vocab = tiny_vocab()
    keras.utils.set_random_seed(0)
    model = imdb.build_classifier("gru", num_words=9, maxlen=7, embed_dim=3, units=2)
    imdb.fit(model, np.array([[1, 4, 5, 0, 0, 0, 0], [1, 6, 7, 8, 0, 0, 0]]),
               np.array([1, 0]), epochs=1, batch_size=2, verbose=0)
    return imdb.TrainedModel(model, vocab, maxlen=7, meta={"mode": mode})


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
    """The bundle in gru_edu/shipped: the default recipe, full setting, no
    optimizer state, and it classifies test reviews it never saw."""
    from gru_edu.imdb import TrainSettings, load_imdb

    path = imdb.shipped_model_dir("gru")
    trained = imdb.TrainedModel.load(path)
    meta = trained.meta
    assert meta["mode"] == "full" and "--ship" in meta["made_by"]
    recipe = {k: v for k, v in meta["settings"].items() if k != "seed"}
    defaults = {k: v for k, v in TrainSettings().__dict__.items() if k != "seed"}
    assert recipe == defaults  # the shipped model is the current default recipe
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
