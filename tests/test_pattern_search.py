"""Select and match (gru_edu.gates.pattern_search): the state cache and the search, against brute force."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from gru_edu import gates  # noqa: E402
from gru_edu.gates.pattern_search import find_matches, select_units  # noqa: E402



def brute_force(values_by_review, units, threshold, length, slack):
    """Every maximal on-run of all ``units``, checked span by span."""
    found = set()
    for row, v in enumerate(values_by_review):
        n = len(v)
        for s in range(n):
            for e in range(s, n):
                if abs((e - s + 1) - length) > slack:
                    continue
                inside = all(v[t, u] >= threshold for t in range(s, e + 1)
                             for u in units)
                before = s == 0 or not all(v[s - 1, u] >= threshold for u in units)
                after = e == n - 1 or not all(v[e + 1, u] >= threshold
                                              for u in units)
                if inside and before and after:
                    found.add((row, s, e))
    return found


def test_state_cache_holds_the_trace(state_cache):
    sc, model, ids = state_cache
    assert sc.n_reviews == 29 and 3 not in set(sc.reviews.tolist())
    row = int(np.flatnonzero(sc.reviews == 5)[0])
    (tr,) = gates.trace(model, ids[5][None])
    n = int((ids[5] != 0).sum())
    np.testing.assert_allclose(sc.values("h", row), tr.h[0, :n], atol=0.5 / 127)
    np.testing.assert_allclose(sc.values("z", row), tr.z[0, :n], atol=0.5 / 255)
    np.testing.assert_array_equal(sc.review_ids(row), ids[5, :n])


@pytest.mark.parametrize("signal,threshold,units,length,slack", [
    ("h", 0.0, [0], 2, 0), ("h", 0.1, [2, 4], 3, 1), ("z", 0.5, [2], 1, 2),
    ("z", 0.6, [0, 1, 2], 4, 3), ("h", -0.2, [0, 1, 2], 2, 0)])
def test_find_matches_equals_brute_force(state_cache, signal, threshold, units,
                                         length, slack):
    sc, _, _ = state_cache
    values = [sc.values(signal, r) for r in range(sc.n_reviews)]
    want = brute_force(values, units, threshold, length, slack)
    got = find_matches(sc, units, threshold, length, signal=signal, slack=slack)
    assert got.spans() == want
    assert len(want) > 0  # the case finds something
    assert list(got.reviews) == [int(sc.reviews[r]) for r in got.rows]


def test_select_units():
    v = np.array([[0.0, 0.9, 0.9], [0.8, 0.9, 0.7], [0.9, 0.95, 0.8],
                  [0.1, 0.9, 0.2]])
    np.testing.assert_array_equal(select_units(v, 1, 2, 0.5), [0])  # 2: on before
    np.testing.assert_array_equal(select_units(v, 0, 3, 0.5), [1])
    with pytest.raises(ValueError):
        select_units(v, 2, 5, 0.5)

