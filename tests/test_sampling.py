"""Temperature, top-k and seeded sampling (gru_edu.lm.sampling)."""

import numpy as np
import pytest

from gru_edu.lm.sampling import GREEDY_BELOW, reshape, sample_next

P = np.array([0.0, 0.1, 0.5, 0.15, 0.25])


def test_temperature_one_without_top_k_changes_nothing():
    assert np.allclose(reshape(P, 1.0), P)


@pytest.mark.parametrize("t", [0.0, GREEDY_BELOW / 2])
def test_temperature_to_zero_is_greedy(t):
    assert np.array_equal(reshape(P, t), [0, 0, 1, 0, 0])
    rng = np.random.default_rng(0)
    assert {sample_next(P, rng, t) for _ in range(50)} == {2}


def test_low_temperature_sharpens_and_high_flattens():
    cold, hot = reshape(P, 0.3), reshape(P, 50.0)
    assert cold[2] > P[2] > hot[2]
    assert np.allclose(hot[1:], 0.25, atol=0.01)  # nearly uniform over the allowed words
    assert cold[0] == hot[0] == 0  # impossible words stay impossible
    order = np.argsort(P[1:])
    assert np.array_equal(np.argsort(cold[1:]), order) and np.array_equal(np.argsort(hot[1:]), order)


def test_top_k_and_banned_words():
    top2 = reshape(P, 1.0, top_k=2)
    assert np.allclose(top2, [0, 0, 0.5 / 0.75, 0, 0.25 / 0.75])
    no_best = reshape(P, 1.0, banned=(2,))
    assert no_best[2] == 0 and no_best.sum() == pytest.approx(1)
    assert np.array_equal(reshape(P, 0.0, banned=(2,)), [0, 0, 0, 0, 1])
    with pytest.raises(ValueError):
        reshape(P, -1.0)
    with pytest.raises(ValueError):
        reshape(P, 1.0, top_k=0)
    with pytest.raises(ValueError):
        reshape(P, 1.0, banned=(1, 2, 3, 4))


def test_sampling_is_seeded_and_follows_the_distribution():
    draws = [sample_next(P, np.random.default_rng(7)) for _ in range(3)]
    assert len(set(draws)) == 1  # same seed, same word
    rng = np.random.default_rng(0)
    counts = np.bincount([sample_next(P, rng) for _ in range(20000)], minlength=5) / 20000
    assert np.allclose(counts, P, atol=0.015)
