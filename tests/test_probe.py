"""The sentiment probe on frozen states (gru_edu.lm.probe)."""

import numpy as np
import pytest

from gru_edu.lm.probe import LogisticProbe, best_unit, fit_probe


def _data(n=600, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = rng.normal(size=(n, 6))
    X[:, 3] += np.where(y == 1, -1.5, 1.5)  # unit 3 carries the label, reversed
    X[:, 1] += 0.3 * (2 * y - 1)
    return X, y


def test_logistic_probe_matches_the_logistic_optimum():
    X, y = _data()
    probe = LogisticProbe.fit(X, y, l2=0.0 + 1e-6)
    p = probe.predict_proba(X)
    A = np.hstack([(X - probe.mean) / probe.scale, np.ones((len(X), 1))])
    assert np.abs(A.T @ (p - y) / len(y)).max() < 1e-5  # gradient zero at the optimum
    Xt, yt = _data(seed=1)
    assert probe.accuracy(Xt, yt) > 0.9


def test_stronger_penalty_shrinks_the_weights_and_validation_picks_one():
    X, y = _data()
    small = LogisticProbe.fit(X, y, 1e-4)
    large = LogisticProbe.fit(X, y, 1.0)
    assert np.abs(large.weights[:-1]).sum() < np.abs(small.weights[:-1]).sum()
    probe, scores = fit_probe(X, y, *_data(seed=2))
    assert probe.l2 in scores and scores[probe.l2] == max(scores.values())


def test_best_unit_finds_the_unit_and_its_direction():
    X, y = _data()
    rule = best_unit(X, y)
    assert rule.unit == 3 and rule.sign == -1
    assert rule.accuracy(*_data(seed=3)) == pytest.approx(rule.train_accuracy, abs=0.06)
    assert rule.train_accuracy > 0.85
