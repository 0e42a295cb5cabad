"""The NumPy LSTM (gru_edu.cell.lstm), its use in the memory task, and gru_edu.claims.

Oracles: keras.layers.LSTM for the forward pass, central finite differences
for the backward pass, Keras's own parameter count for the matching rule.
"""

import numpy as np
import pytest

from gru_edu import claims
from gru_edu.tasks import memory as M
from gru_edu.tasks import trainer as T
from gru_edu.cell.gradcheck import numerical_gradient, relative_error
from gru_edu.cell.lstm import LSTMParams, lstm_backward, lstm_forward


def test_forward_matches_keras():
    import keras

    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 7, 4)).astype("float32")
    layer = keras.layers.LSTM(5, return_sequences=True, return_state=True)
    keras_h, _, keras_c = layer(x)
    params = LSTMParams.from_keras(layer)
    h, cache = lstm_forward(x, params)
    np.testing.assert_allclose(h, np.asarray(keras_h), atol=1e-5)
    np.testing.assert_allclose(cache.c[:, -1], np.asarray(keras_c), atol=1e-5)


def test_random_init_has_the_forget_bias_and_shapes():
    p = LSTMParams.random(3, 4, seed=1)
    assert p.kernel.shape == (3, 16) and p.recurrent_kernel.shape == (4, 16)
    assert np.all(p.bias[4:8] == 1.0) and np.all(p.bias[:4] == 0) and np.all(p.bias[8:] == 0)
    assert p.count() == claims.recurrent_parameters("lstm", 4, 3)
    # orthogonal recurrent kernel: its rows are orthonormal
    np.testing.assert_allclose(p.recurrent_kernel @ p.recurrent_kernel.T, np.eye(4), atol=1e-12)


def test_bad_shapes_are_named():
    with pytest.raises(ValueError, match="recurrent_kernel"):
        LSTMParams(np.zeros((3, 8)), np.zeros((3, 8)), np.zeros(8))
    with pytest.raises(ValueError, match="x: expected"):
        lstm_forward(np.zeros((1, 2, 5)), LSTMParams.random(3, 2))


def test_backward_matches_finite_differences():
    rng = np.random.default_rng(1)
    p = LSTMParams.random(3, 4, seed=2, scale=0.5)
    x = rng.standard_normal((2, 5, 3))
    h0, c0 = rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    w = rng.standard_normal((2, 5, 4))  # loss = sum(w * h)

    def loss() -> float:
        h, _ = lstm_forward(x, p, h0, c0)
        return float(np.sum(w * h))

    _, cache = lstm_forward(x, p, h0, c0)
    g = lstm_backward(w, cache)
    for name, analytic in (("kernel", g.kernel), ("recurrent_kernel", g.recurrent_kernel),
                           ("bias", g.bias)):
        numeric = numerical_gradient(lambda _: loss(), getattr(p, name))
        assert relative_error(analytic, numeric) < 1e-7, name
    for arr, analytic in ((x, g.x), (h0, g.h0), (c0, g.c0)):
        assert relative_error(analytic, numerical_gradient(lambda _: loss(), arr)) < 1e-7


def test_memory_model_trains_an_lstm():
    hist = M.train_memory_task("lstm", T=5, units=8, steps=150, seed=0, progress=False)
    assert hist.model.kind == "lstm"
    # chance is 1/4; a 5-step lag is easy for an LSTM
    assert M.evaluate(hist.model, T=5, batch=500) > 0.9


def test_lstm_loss_gradients_match_finite_differences():
    net = T.make_model("lstm", 5, 3, 4, seed=0)
    x, y = M.memory_task(4, 6, seed=1)
    _, _, grads = net.loss_and_grads(x, y)
    params = net.parameters()
    for name in ("kernel", "recurrent_kernel", "bias", "readout_kernel"):
        numeric = numerical_gradient(lambda _: net.loss_and_grads(x, y)[0], params[name])
        assert relative_error(grads[name], numeric) < 1e-6, name


def test_state_gradient_norms_lstm_counts_both_states():
    net = T.make_model("lstm", 5, 3, 4, seed=0)
    x, y = M.memory_task(8, 10, seed=2)
    norms = M.state_gradient_norms(net, x, y)
    assert norms.shape == (10,) and norms[-1] == pytest.approx(1.0)
    # the same number by hand: perturb nothing, backprop (h, c) from the last readout
    h, cache = net.run(x)
    _, dlogits = T.softmax_cross_entropy(net.readout(h[:, -1]), y)
    dh_seq = np.zeros_like(h)
    dh_seq[:, -1] = dlogits @ net.readout.kernel.T * 8
    g = lstm_backward(dh_seq, cache)
    full = np.linalg.norm(np.concatenate([g.h, g.c], -1), axis=-1)
    np.testing.assert_allclose(norms, (full / full[:, -1:]).mean(0))


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
