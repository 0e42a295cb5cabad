"""Perplexity and the count baselines of notebook 07 (gru_edu.lm.ngram)."""

import numpy as np
import pytest

from gru_edu.lm.ngram import KneserNeyBigram, Unigram, perplexity


def test_perplexity_of_uniform_guesses_is_the_number_of_choices():
    for n in (2, 7, 10000):
        assert perplexity(np.log(np.full(50, 1.0 / n))) == pytest.approx(n)
    with pytest.raises(ValueError):
        perplexity(np.array([]))


def test_unigram_perplexity_of_a_known_distribution_is_exp_entropy():
    rng = np.random.default_rng(0)
    p = np.array([0.0, 0.5, 0.25, 0.125, 0.125])  # id 0 is padding, never drawn
    ids = rng.choice(5, size=200_000, p=p)
    entropy = -(p[1:] * np.log(p[1:])).sum()
    assert Unigram.fit(ids, 5).perplexity(ids) == pytest.approx(np.exp(entropy), rel=0.01)
    probs = Unigram.fit(ids, 5).probs
    assert probs[0] == 0 and probs.sum() == pytest.approx(1)


@pytest.mark.parametrize("discount", [0.5, 0.75, 0.9])
def test_kneser_ney_gives_every_context_a_distribution(discount):
    rng = np.random.default_rng(1)
    ids = rng.integers(1, 30, size=3000)
    model = KneserNeyBigram.fit(ids, 40, discount)  # ids 30-39 never seen
    for prev in (0, 1, 5, 29, 35):
        p = model.next_word_probs(prev)
        assert p.sum() == pytest.approx(1.0)
        assert p[0] == 0 and (p[1:] > 0).all()  # unseen words keep some probability


def test_bigram_learns_what_the_unigram_cannot():
    cycle = np.tile([1, 4, 5, 6, 7], 2000)  # each word fixes the next one
    bigram = KneserNeyBigram.fit(cycle, 10)
    unigram = Unigram.fit(cycle, 10)
    assert unigram.perplexity(cycle) == pytest.approx(5, rel=0.01)
    assert bigram.perplexity(cycle) < 1.01
    # the log-probabilities scored are those of every word after the first
    assert len(bigram.log_probs(cycle)) == len(cycle) - 1 == len(unigram.log_probs(cycle))
