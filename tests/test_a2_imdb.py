"""Assignment 2 checks (gru_edu.grading.a2_imdb): each rule of the IMDB model named when broken."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gru_edu.grading import a2_imdb


def _tiny_imdb_model(tmp_path, epochs, name):
    """A rule-abiding GRU trained ``epochs`` epochs on 64 random reviews, saved."""
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((300,), dtype="int32"),
                              keras.layers.Embedding(100, 4, mask_zero=True),
                              keras.layers.GRU(4),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x, y = rng.integers(1, 100, (64, 300)), rng.integers(0, 2, 64)
    if epochs:
        model.fit(x, y, epochs=epochs, batch_size=32, verbose=0)
    path = tmp_path / f"{name}.keras"
    model.save(path)
    return path


def test_imdb_model_rules_name_each_mistake():
    keras = pytest.importorskip("keras")
    from gru_edu.imdb import build_classifier, tutorial_model

    rules = a2_imdb.ImdbRules()
    assert a2_imdb.check_imdb_model(lambda: build_classifier(num_words=10000), rules).passed

    def model(mask=True, out="sigmoid", loss="binary_crossentropy", compile_=True,
              words=10000, layer=None):
        m = keras.Sequential([keras.Input((300,), dtype="int32"),
                              keras.layers.Embedding(words, 16, mask_zero=mask),
                              layer or keras.layers.GRU(8),
                              keras.layers.Dense(1, activation=out)])
        if compile_:
            m.compile("adam", loss)
        return m

    cases = {
        "over_budget": lambda: model(words=30000),
        "no_mask": lambda: model(mask=False),
        "output_not_probability": lambda: model(out=None),
        "wrong_loss": lambda: model(loss="mse"),
        "not_compiled": lambda: model(compile_=False),
        "other_sequence_layer": lambda: model(layer=keras.layers.LSTM(8)),
        "ids_as_numbers": tutorial_model,
    }
    for mistake, build in cases.items():
        fb = a2_imdb.check_imdb_model(build, rules)
        assert mistake in fb.mistakes, (mistake, str(fb))
    assert "no_gru" in a2_imdb.check_imdb_model(cases["other_sequence_layer"], rules).mistakes


def test_imdb_schedule_and_missing_model_are_named(tmp_path):
    rules = a2_imdb.ImdbRules()
    assert a2_imdb.check_imdb_training(2, 32, rules).passed
    assert a2_imdb.check_imdb_training(5, 32, rules).mistakes == ["epochs_rule"]
    assert a2_imdb.check_imdb_training(..., ..., rules).mistakes == ["epochs_rule"] * 2
    fb = a2_imdb.check_imdb_saved_model(tmp_path / "none.keras", tmp_path / "h.json",
                                       min_accuracy=0.85, rules=rules)
    assert fb.mistakes == ["no_saved_model"]


def test_imdb_epochs_rule_is_read_from_the_saved_model(tmp_path):
    rules = a2_imdb.ImdbRules(max_epochs=2, train_size=64)
    history = tmp_path / "history.json"
    history.write_text(json.dumps({"loss": [0.7], "accuracy": [0.5]}))  # says 1 epoch
    over = _tiny_imdb_model(tmp_path, 5, "five_epochs")  # 5 epochs of 2 batches
    fb = a2_imdb.check_imdb_saved_model(over, history, rules=rules, batch_size=32,
                                       train_reviews=64)
    assert fb.mistakes == ["epochs_rule"], str(fb)
    assert "took 10 steps: 5.0 epochs of 2 batches" in str(fb)
    assert "Your history file lists 1" in str(fb)
    # stating more training reviews than the rules allow buys no extra epochs
    assert a2_imdb.check_imdb_saved_model(over, history, rules=rules, batch_size=32,
                                         train_reviews=10**6).mistakes == ["epochs_rule"]
    within = _tiny_imdb_model(tmp_path, 2, "two_epochs")
    fb = a2_imdb.check_imdb_saved_model(within, None, rules=rules, batch_size=32,
                                       train_reviews=64)
    assert fb.passed, str(fb)
    assert a2_imdb.check_imdb_saved_model(within, None, rules=rules, batch_size=None
                                         ).mistakes == ["epochs_rule"]
    untrained = _tiny_imdb_model(tmp_path, 0, "untrained")
    fb = a2_imdb.check_imdb_saved_model(untrained, None, rules=rules, batch_size=32)
    assert fb.mistakes == ["epochs_unverifiable"], str(fb)
    assert "cannot be checked on the saved file" in str(fb)

