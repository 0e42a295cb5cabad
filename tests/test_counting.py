"""The aⁿbⁿ counting task of notebook 05 (gru_edu.tasks.counting)."""

import numpy as np
import pytest

from gru_edu.tasks import counting


def test_anbn_batch_layout():
    x, y, w = counting.anbn_batch([1, 3])
    assert x.shape == (2, 6, 2) and y.shape == (2, 6, 1) and w.shape == (2, 6)
    # row 0: "ab" then padding
    assert x[0, :, 0].tolist() == [1, 0, 0, 0, 0, 0]
    assert x[0, :, 1].tolist() == [0, 1, 0, 0, 0, 0]
    assert y[0, :, 0].tolist() == [0, 1, 0, 0, 0, 0]
    assert w[0].tolist() == [1, 1, 0, 0, 0, 0]
    # row 1: "aaabbb": complete only after the last b
    assert x[1, :, 0].tolist() == [1, 1, 1, 0, 0, 0]
    assert y[1, :, 0].tolist() == [0, 0, 0, 0, 0, 1]
    assert w[1].sum() == 6
    with pytest.raises(ValueError):
        counting.anbn_batch([0])


def test_generalises_to_stops_at_the_first_failure():
    ns = [1, 2, 3, 4, 5]
    assert counting.generalises_to([True, True, False, True, True], ns) == 2
    assert counting.generalises_to([True] * 5, ns) == 5
    assert counting.generalises_to([False, True, True, True, True], ns) == 0


class _Fixed:
    """A stand-in model that answers "complete" at given steps."""

    def __init__(self, answer):
        self.answer = answer

    def predict(self, x, batch_size=None, verbose=0):
        return self.answer(x)


def test_recognised_needs_every_answer_right():
    def perfect(x):
        # complete iff as many b's as a's have been read
        a = np.cumsum(x[..., 0], axis=1)
        b = np.cumsum(x[..., 1], axis=1)
        return ((a == b) & (b > 0)).astype(float)[..., None]

    def one_late(x):
        out = perfect(x)
        return np.roll(out, 1, axis=1)

    ns = [1, 2, 5]
    assert counting.recognised(_Fixed(perfect), ns).tolist() == [True, True, True]
    assert counting.recognised(_Fixed(one_late), ns).tolist() == [False, False, False]


def test_inside_states_replay_the_keras_model():
    import keras

    for kind in counting.KINDS:
        keras.utils.set_random_seed(0)
        model = counting.build_counter(kind, units=3)
        s = counting.inside_states(model, 4)
        assert s["h"].shape == (8, 3) and s["p"].shape == (8,)
        kernel, bias = model.layers[1].get_weights()
        p = 1 / (1 + np.exp(-(s["h"] @ kernel[:, 0] + bias[0])))
        np.testing.assert_allclose(p, s["p"], atol=1e-5)
    assert set(s) == {"c", "h", "p"}  # the last kind is the LSTM: its cell state too


def test_a_short_training_lowers_the_loss():
    r = counting.train_counter("lstm", train_max=6, test_max=10, units=4, steps=120,
                               seed=0, progress=False)
    assert r.loss[-1] < 0.5 * r.loss[0]
    assert len(r.recognised) == 10 and r.model is not None
    assert "model" not in r.as_dict()
