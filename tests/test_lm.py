"""The GRU language model: training, the NumPy reader, the bundle, generation,
and the fine-tune path (gru_edu.lm.model, bundle, pretrain, sampling, finetune)."""

from dataclasses import replace

import numpy as np
import pytest

from gru_edu.imdb import START, TrainedModel, Vocabulary
from gru_edu.lm.bundle import LanguageModel, shipped_lm_dir
from gru_edu.lm.corpus import LMCorpus
from gru_edu.lm.finetune import build_sentiment_classifier, label_subset
from gru_edu.lm.model import tied_embedding, word_log_probs
from gru_edu.lm.ngram import Unigram
from gru_edu.lm.pretrain import PretrainSettings, train_language_model, validation_perplexity
from gru_edu.lm.sampling import generate

WORDS = ["the", "cat", "sat", "on", "mat", "dog", "ran"]


def _tiny_corpus(n=2000, seed=0):
    """Reviews 'the cat sat on the mat' / 'the dog ran': the next word is
    nearly fixed, so a model that learns must beat the unigram by far."""
    vocab = Vocabulary(WORDS)
    rng = np.random.default_rng(seed)
    texts = ["the cat sat on the mat", "the dog ran"]
    reviews = [vocab.encode(texts[rng.integers(2)]) for _ in range(n)]
    stream = np.concatenate(reviews).astype(np.int32)
    return LMCorpus(stream, stream[: len(stream) // 4], vocab, {"training part": n})


@pytest.fixture(scope="module")
def tiny_lm():
    corpus = _tiny_corpus()
    settings = PretrainSettings(num_words=corpus.vocab.num_words, units=16, seq_len=16,
                                batch_size=16, num_sampled=4, epochs=8, learning_rate=2e-2)
    model, history = train_language_model(corpus, settings, verbose=False)
    meta = {"history": history, "settings": {"units": 16}}
    return LanguageModel(TrainedModel(model, corpus.vocab, 50, "post", "pre", meta)), corpus


def test_loss_falls_on_a_tiny_corpus(tiny_lm):
    lm, corpus = tiny_lm
    history = lm.meta["history"]
    assert history[-1]["train_loss"] < 0.5 * history[0]["train_loss"]
    unigram = Unigram.fit(corpus.train, corpus.vocab.num_words).perplexity(corpus.val)
    assert history[-1]["val_perplexity"] < 1.6 < unigram
    assert history[-1]["words_per_second"] > 0


def test_numpy_reader_equals_keras(tiny_lm):
    lm, _ = tiny_lm
    ids = lm.vocab.encode("the cat sat on the mat the dog")
    keras_states = np.asarray(lm.model(np.array([ids]), training=False))[0]
    assert np.allclose(lm.read(ids), keras_states, atol=1e-5)
    emb = tied_embedding(lm.model)
    logits = np.asarray(emb.logits(keras_states[-1:]))[0]
    p = np.exp(logits[1:] - logits[1:].max())
    assert np.allclose(lm.next_word_probs(ids)[1:], p / p.sum(), atol=1e-4)
    x = np.array([ids[:-1]])
    y = np.array([ids[1:]])
    assert np.allclose(word_log_probs(lm.model, x, y)[0],
                       [np.log(lm.next_word_probs(ids[:t + 1])[ids[t + 1]])
                        for t in range(len(ids) - 1)], atol=1e-3)


def test_greedy_generation_follows_the_pattern(tiny_lm):
    lm, _ = tiny_lm
    out = generate(lm, "the cat", words=4, temperature=0.0, top_k=None)
    assert out.prefix == ["the", "cat"] and out.words == ["sat", "on", "the", "mat"]
    again = generate(lm, "the", words=5, temperature=1.0, seed=3)
    assert again.words == generate(lm, "the", words=5, temperature=1.0, seed=3).words
    assert all(0 < p <= 1 for p in again.probs)


def test_bundle_round_trip(tiny_lm, tmp_path):
    lm, corpus = tiny_lm
    path = lm.save(tmp_path / "lm")
    back = LanguageModel.load(path)
    assert back.vocab == lm.vocab and back.units == 16
    ids = lm.vocab.encode("the dog ran")
    assert np.allclose(back.read(ids), lm.read(ids))
    assert validation_perplexity(back.model, corpus.val, 16) == pytest.approx(
        validation_perplexity(lm.model, corpus.val, 16), rel=1e-5)


def test_a_classifier_bundle_is_not_a_language_model(tmp_path):
    import keras

    inputs = keras.Input((None,), dtype="int32")
    model = keras.Model(inputs, keras.layers.Embedding(12, 4, name="embedding")(inputs))
    TrainedModel(model, Vocabulary(WORDS), 10).save(tmp_path / "clf")
    with pytest.raises(TypeError, match="not a gru-edu language model"):
        LanguageModel.load(tmp_path / "clf")


def test_fine_tune_path_loads_the_shipped_language_model():
    lm = LanguageModel.load(shipped_lm_dir())
    assert lm.meta["val_perplexity"] < lm.meta["baselines"]["bigram_kneser_ney"]
    pre = build_sentiment_classifier(lm, pretrained=True)
    scratch = build_sentiment_classifier(lm, pretrained=False)
    vectors = np.asarray(tied_embedding(lm.model).embeddings)
    assert np.array_equal(pre.get_layer("embedding").get_weights()[0], vectors)
    for a, b in zip(pre.get_layer("gru").get_weights(), lm.model.get_layer("gru").get_weights()):
        assert np.array_equal(a, b)
    assert not np.array_equal(scratch.get_layer("embedding").get_weights()[0], vectors)
    assert pre.count_params() == scratch.count_params()


def test_label_subsets_are_balanced_and_seeded():
    y = np.array([0] * 60 + [1] * 40)
    a = label_subset(y, 20, seed=1)
    assert len(a) == 20 and y[a].sum() == 10
    assert np.array_equal(a, label_subset(y, 20, seed=1))
    assert not np.array_equal(a, label_subset(y, 20, seed=2))
    assert np.array_equal(label_subset(y, 500, seed=0), np.arange(100))


def test_fast_setting_is_small(monkeypatch):
    monkeypatch.setenv("GRU_EDU_FAST", "1")
    fast = PretrainSettings.default()
    assert fast.train_size and fast.train_size < 1000 and fast.units < 128
    monkeypatch.delenv("GRU_EDU_FAST")
    assert replace(PretrainSettings.default(), seed=1).train_size is None
    assert START == 1


def test_a_fast_setting_model_is_not_picked_by_itself(tmp_path, monkeypatch, tiny_lm):
    from gru_edu.lm.bundle import load_language_model

    monkeypatch.setenv("GRU_EDU_ARTIFACTS", str(tmp_path))
    lm, _ = tiny_lm
    lm.meta["mode"] = "fast (CI setting, GRU_EDU_FAST=1)"
    lm.save(tmp_path / "imdb_lm")
    assert load_language_model().vocab.num_words == 10000  # the shipped one
    lm.meta["mode"] = "full"
    lm.save(tmp_path / "imdb_lm")
    assert load_language_model().vocab == lm.vocab  # yours, trained in full
    assert load_language_model(tmp_path / "imdb_lm").units == 16
