"""GRU against LSTM (gru_edu.claims): matched sizes, epoch budgets, intervals, the logs read back."""

import numpy as np
import pytest

from gru_edu import claims

# ------------------------------------------------------------- claims


@pytest.mark.parametrize("kind", ["simple_rnn", "gru", "lstm"])
def test_recurrent_parameters_match_keras(kind):
    from gru_edu.imdb import RECURRENT_LAYERS

    layer = RECURRENT_LAYERS[kind](7)
    layer.build((None, None, 5))
    assert claims.recurrent_parameters(kind, 7, 5) == layer.count_params()


def test_matched_lstm_units_is_the_closest_count():
    u = claims.matched_lstm_units(64, 65)
    gru = claims.recurrent_parameters("gru", 64, 65)
    best = abs(claims.recurrent_parameters("lstm", u, 65) - gru)
    for other in (u - 1, u + 1):
        assert abs(claims.recurrent_parameters("lstm", other, 65) - gru) >= best
    assert u < 64


def test_t_interval_against_a_hand_computation():
    mean, half = claims.t_interval([0.80, 0.82, 0.84])
    assert mean == pytest.approx(0.82)
    # sd = 0.02, t(0.975, 2) = 4.303, n = 3
    assert half == pytest.approx(4.303 * 0.02 / np.sqrt(3))
    assert np.isnan(claims.t_interval([0.5])[1])
    with pytest.raises(ValueError):
        claims.t_interval([])


def test_epochs_for_picks_the_nearest_budget():
    assert claims.epochs_for(500) == claims.EPOCH_BUDGET[500]
    assert claims.epochs_for(24000) == claims.EPOCH_BUDGET[24000]
    assert claims.epochs_for(1100) == claims.EPOCH_BUDGET[1000]


def _run(cell, size, seed, acc):
    return {"cell": cell, "train_reviews": size, "seed": seed, "test_accuracy": acc}


def test_curve_and_paired_difference():
    runs = [_run("gru", 500, s, a) for s, a in enumerate([0.70, 0.72, 0.74])]
    runs += [_run("lstm", 500, s, a) for s, a in enumerate([0.69, 0.70, 0.71])]
    runs += [_run("lstm", 500, 0, 0.60)]  # a rerun of seed 0 replaces the first
    c = claims.curve(runs, "lstm")
    assert c[500]["n"] == 3 and c[500]["mean"] == pytest.approx((0.60 + 0.70 + 0.71) / 3)
    d = claims.paired_difference(runs, "gru", "lstm")
    diffs = [0.10, 0.02, 0.03]
    assert d[500]["n"] == 3 and d[500]["mean"] == pytest.approx(np.mean(diffs))
    assert d[500]["half"] == pytest.approx(claims.t_interval(diffs)[1])


def test_prediction_interval_is_wider_than_the_mean_interval():
    values = [0.80, 0.82, 0.84, 0.81, 0.83]
    low, high = claims.prediction_interval(values)
    mean, half = claims.t_interval(values)
    assert low < mean - half and high > mean + half
    assert (high - low) / 2 == pytest.approx(half * np.sqrt(len(values) + 1))
    with pytest.raises(ValueError):
        claims.prediction_interval([0.5])


def test_best_epoch_callback_restores_the_best_validation_epoch():
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["accuracy"])
    cb = claims.best_epoch_callback()
    seen = []

    class Fake(keras.callbacks.Callback):
        # feeds made-up validation accuracies, remembering the weights of each epoch
        def on_epoch_end(self, epoch, logs=None):
            logs["val_accuracy"] = [0.5, 0.9, 0.7][epoch]
            seen.append([w.copy() for w in self.model.get_weights()])

    x = np.linspace(-1, 1, 16)[:, None]
    model.fit(x, 3 * x, epochs=3, verbose=0, callbacks=[Fake(), cb])
    assert cb.best_epoch == 2 and cb.best_val_accuracy == 0.9
    for got, want in zip(model.get_weights(), seen[1]):
        np.testing.assert_array_equal(got, want)


def test_equivalence_test_by_hand():
    # differences 0.01, 0.02, 0.03: mean 0.02, sd 0.01, t(0.95, 2) = 2.920
    half = 2.920 * 0.01 / np.sqrt(3)
    out = claims.equivalence_test([0.01, 0.02, 0.03], margin=0.05)
    assert np.isclose(out["low"], 0.02 - half) and np.isclose(out["high"], 0.02 + half)
    assert out["equivalent"] and out["n"] == 3
    # a margin inside the interval: not shown, but more runs would show it
    narrow = claims.equivalence_test([0.01, 0.02, 0.03], margin=0.03)
    assert not narrow["equivalent"] and narrow["n_needed"] > 3
    # a mean outside the margin: no number of runs shows equivalence
    assert claims.equivalence_test([0.05, 0.06], margin=0.03)["n_needed"] is None
    with pytest.raises(ValueError):
        claims.equivalence_test([0.01], margin=0.02)


def test_ratio_interval_is_the_paired_log_ratio():
    a, b = [3.0, 6.0, 4.5], [4.0, 8.0, 6.0]  # every round a / b = 0.75
    ratio, low, high = claims.ratio_interval(a, b)
    assert np.isclose(ratio, 0.75) and np.isclose(low, 0.75) and np.isclose(high, 0.75)
    ratio, low, high = claims.ratio_interval([1.0, 2.0], [1.0, 1.0])
    assert low < ratio < high and np.isclose(ratio, np.sqrt(2))
    with pytest.raises(ValueError):
        claims.ratio_interval([1.0], [2.0])
