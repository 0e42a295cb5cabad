"""Sentiment without labels: how much of it the language model's state already holds.

The language model never saw a label. If its state nevertheless separates
positive from negative reviews, a *probe* (a logistic regression on the
frozen state, Alain & Bengio 2016) finds it with few labels; Radford et al.
(2017) found one unit of a review language model that tracked sentiment.

* :func:`review_states` reads reviews with the frozen model: the state after
  the last word (``final``) and the state averaged over the words (``mean``);
* :class:`LogisticProbe` is a logistic regression in NumPy (Newton's method
  on standardised features, an L2 penalty chosen on validation by
  :func:`fit_probe`);
* :func:`best_unit` looks for the one unit that alone predicts sentiment best
  (chosen on the training labels, scored on held-out reviews).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..imdb.dataset import length_batches

__all__ = ["review_states", "LogisticProbe", "fit_probe", "best_unit", "UnitRule",
           "L2_GRID"]

#: Penalties :func:`fit_probe` tries (on standardised features).
L2_GRID = (1e-4, 1e-3, 1e-2, 1e-1, 1.0)


def review_states(model: Any, x: np.ndarray, batch_size: int = 256) -> dict[str, np.ndarray]:
    """``final`` and ``mean`` states, ``(n, units)`` each, of right-padded reviews ``x``.

    ``model`` maps ids to a state per step (the language model's Keras model).
    Batches hold reviews of similar length, cut to the longest.
    """
    x = np.asarray(x)
    lengths = np.maximum((x != 0).sum(axis=1), 1)
    order = np.argsort(lengths, kind="stable")
    final = np.zeros((len(x), _units(model)), np.float32)
    mean = np.zeros_like(final)
    for idx, (xb, _) in _batches(x, order, batch_size):
        states = np.asarray(model(xb, training=False))
        n = lengths[idx]
        final[idx] = states[np.arange(len(idx)), n - 1]
        mask = (np.arange(states.shape[1])[None, :] < n[:, None])[..., None]
        mean[idx] = (states * mask).sum(axis=1) / n[:, None]
    return {"final": final, "mean": mean}


def _units(model: Any) -> int:
    return int(model.output_shape[-1])


def _batches(x: np.ndarray, order: np.ndarray, batch_size: int) -> Any:
    """``(positions, (ids, _))`` batches of ``x`` in ``order``, cut to their longest review."""
    sorted_x = x[order]
    batches = length_batches(sorted_x, np.zeros(len(x)), batch_size, seed=None)
    start = 0
    for xb, yb in batches:
        yield order[start:start + len(yb)], (xb, yb)
        start += len(yb)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


@dataclass
class LogisticProbe:
    """A logistic regression on standardised features, fitted by Newton's method."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray  # (features + 1,): the last one is the bias
    l2: float

    @classmethod
    def fit(cls, X: np.ndarray, y: np.ndarray, l2: float = 1e-2,
            iterations: int = 25) -> "LogisticProbe":
        X = np.asarray(X, np.float64)
        y = np.asarray(y, np.float64).reshape(-1)
        mean, scale = X.mean(axis=0), X.std(axis=0) + 1e-8
        A = np.hstack([(X - mean) / scale, np.ones((len(X), 1))])
        w = np.zeros(A.shape[1])
        penalty = np.full(A.shape[1], l2)
        penalty[-1] = 0.0  # the bias is not penalised
        for _ in range(iterations):
            p = _sigmoid(A @ w)
            grad = A.T @ (p - y) / len(y) + penalty * w
            hess = (A.T * (p * (1 - p))) @ A / len(y) + np.diag(penalty + 1e-9)
            step = np.linalg.solve(hess, grad)
            w -= step
            if np.abs(step).max() < 1e-8:
                break
        return cls(mean, scale, w, l2)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        A = (np.asarray(X, np.float64) - self.mean) / self.scale
        return _sigmoid(A @ self.weights[:-1] + self.weights[-1])

    def accuracy(self, X: np.ndarray, y: np.ndarray) -> float:
        return float(np.mean((self.predict_proba(X) > 0.5) == np.asarray(y).reshape(-1)))


def fit_probe(X: np.ndarray, y: np.ndarray, X_val: np.ndarray, y_val: np.ndarray,
              grid: tuple[float, ...] = L2_GRID) -> tuple[LogisticProbe, dict[float, float]]:
    """The probe whose penalty scores best on validation, and every penalty's
    validation accuracy."""
    scores, probes = {}, {}
    for l2 in grid:
        probes[l2] = LogisticProbe.fit(X, y, l2)
        scores[l2] = probes[l2].accuracy(X_val, y_val)
    best = max(grid, key=lambda l2: (scores[l2], l2))  # ties: the stronger penalty
    return probes[best], scores


@dataclass
class UnitRule:
    """"Positive when unit ``unit`` is above (``sign=1``) or below (``sign=-1``) ``threshold``."""

    unit: int
    sign: int
    threshold: float
    train_accuracy: float

    def predict(self, X: np.ndarray) -> np.ndarray:
        return (self.sign * (np.asarray(X)[:, self.unit] - self.threshold) > 0).astype(int)

    def accuracy(self, X: np.ndarray, y: np.ndarray) -> float:
        return float(np.mean(self.predict(X) == np.asarray(y).reshape(-1)))


def best_unit(X: np.ndarray, y: np.ndarray) -> UnitRule:
    """The unit that alone classifies the training reviews best.

    Each unit's rule puts its threshold halfway between the two labels' mean
    values and points it at the label with the higher mean; the unit with the
    best training accuracy wins (score it on other reviews).
    """
    X = np.asarray(X, np.float64)
    y = np.asarray(y).reshape(-1)
    pos, neg = X[y == 1].mean(axis=0), X[y == 0].mean(axis=0)
    sign = np.where(pos >= neg, 1, -1)
    threshold = (pos + neg) / 2
    correct = ((sign * (X - threshold) > 0).astype(int) == y[:, None]).mean(axis=0)
    j = int(np.argmax(correct))
    return UnitRule(j, int(sign[j]), float(threshold[j]), float(correct[j]))
