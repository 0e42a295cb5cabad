"""Honest intervals for small numbers of seeds (notebook 05, the benchmarks).

* :func:`t_interval`: mean and 95 % t-interval over seeds;
* :func:`equivalence_test`: two one-sided tests (TOST) of "no difference
  larger than a margin", and the number of seeds that would decide it;
* :func:`ratio_interval`: a ratio of paired timings with its 95 % interval;
* :func:`prediction_interval`: the range a live re-run is allowed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["t_interval", "equivalence_test", "ratio_interval", "prediction_interval"]

# Two-sided 95 % quantiles of Student's t for 1..30 degrees of freedom.
_T975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)


# One-sided 95 % quantiles of Student's t for 1..30 degrees of freedom (the
# 90 % two-sided interval of the two one-sided tests).
_T95 = (
    6.314, 2.920, 2.353, 2.132, 2.015, 1.943, 1.895, 1.860, 1.833, 1.812,
    1.796, 1.782, 1.771, 1.761, 1.753, 1.746, 1.740, 1.734, 1.729, 1.725,
    1.721, 1.717, 1.714, 1.711, 1.708, 1.706, 1.703, 1.701, 1.699, 1.697,
)


def t_interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float]:
    """``(mean, half_width)`` of the two-sided 95 % Student-t interval.

    With one value the half-width is ``nan`` (no interval from one run).
    """
    if level != 0.95:
        raise ValueError("only the 95 % interval is tabulated")
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        raise ValueError("t_interval needs at least one value")
    mean = float(x.mean())
    if x.size == 1:
        return mean, float("nan")
    df = x.size - 1
    q = _T975[df - 1] if df <= len(_T975) else 1.960
    return mean, float(q * x.std(ddof=1) / math.sqrt(x.size))


def _t95(df: int) -> float:
    return _T95[df - 1] if df <= len(_T95) else 1.645


def equivalence_test(differences: Sequence[float], margin: float) -> dict[str, Any]:
    """Two one-sided tests (TOST, 5 % each) that ``|mean difference| < margin``.

    Equivalence is shown when the 90 % t-interval of the mean lies inside
    ``(-margin, margin)``. Returns ``{"mean", "low", "high", "n",
    "equivalent", "n_needed"}``: ``n_needed`` is the number of paired runs at
    which the same mean and spread would show equivalence (``None`` when the
    mean itself is outside the margin, so no number of runs would).
    """
    if margin <= 0:
        raise ValueError("the margin must be positive")
    x = np.asarray(differences, dtype=float)
    if x.size < 2:
        raise ValueError("an equivalence test needs at least two differences")
    mean, sd = float(x.mean()), float(x.std(ddof=1))
    half = _t95(x.size - 1) * sd / math.sqrt(x.size)
    n_needed = None
    if abs(mean) < margin:
        n_needed = next((n for n in range(2, 10_001)
                         if _t95(n - 1) * sd / math.sqrt(n) < margin - abs(mean)), None)
    return {"mean": mean, "low": mean - half, "high": mean + half, "n": int(x.size),
            "equivalent": bool(-margin < mean - half and mean + half < margin),
            "n_needed": n_needed}


def ratio_interval(a: Sequence[float], b: Sequence[float]) -> tuple[float, float, float]:
    """``(ratio, low, high)``: the geometric-mean ratio ``a / b`` of paired
    timings (round ``i`` of ``a`` with round ``i`` of ``b``, measured side by
    side) and its 95 % t-interval, computed on the log scale."""
    la, lb = np.log(np.asarray(a, dtype=float)), np.log(np.asarray(b, dtype=float))
    if la.shape != lb.shape or la.size < 2:
        raise ValueError("ratio_interval needs two paired lists of at least two timings")
    mean, half = t_interval(la - lb)
    return math.exp(mean), math.exp(mean - half), math.exp(mean + half)


def prediction_interval(values: Sequence[float]) -> tuple[float, float]:
    """``(low, high)``: where one more run should land, 95 % (Student t).

    ``mean ± t · sd · sqrt(1 + 1/n)`` over the logged runs: the noise a
    single re-run is allowed. Needs at least two values.
    """
    x = np.asarray(values, dtype=float)
    if x.size < 2:
        raise ValueError("a prediction interval needs at least two runs")
    q = _T975[x.size - 2] if x.size - 1 <= len(_T975) else 1.960
    half = q * x.std(ddof=1) * math.sqrt(1 + 1 / x.size)
    return float(x.mean() - half), float(x.mean() + half)
