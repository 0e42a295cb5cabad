"""Gradient checking: central differences and the relative error.

The oracle of every backward pass in gru-edu (tests, notebook 02, the
assignment checks). :func:`relative_error` normalises once, by the largest
magnitude. CS231n's notes divide entry by entry, ``|a - b| / max(|a|, |b|)``,
and its assignments' ``rel_error`` takes the largest
``|a - b| / max(1e-8, |a| + |b|)``; this is::

    max_i |a_i - b_i| / max(1e-8, max_i (|a_i| + |b_i|))

Dividing by the largest magnitude, not entry by entry, keeps one entry near
zero (where a finite difference is all rounding noise) from deciding the
result. It is about 1e-7 or smaller for a correct float64 gradient.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = ["numerical_gradient", "relative_error"]


def numerical_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6
) -> np.ndarray:
    """Central differences of the scalar ``f(x)`` w.r.t. every entry of ``x``.

    Changes one entry of ``x`` at a time, in place, and puts it back, so
    ``f`` may read ``x`` through a closure as well as through its argument.
    """
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        plus = f(x)
        x[i] = old - eps
        minus = f(x)
        x[i] = old
        grad[i] = (plus - minus) / (2 * eps)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """``max |a - b| / max(1e-8, max(|a| + |b|))``: 0 for equal arrays."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    scale = max(1e-8, float(np.max(np.abs(a) + np.abs(b))))
    return float(np.max(np.abs(a - b))) / scale
