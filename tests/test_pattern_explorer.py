"""The select-and-match explorer of notebook 06 (gru_edu.explorers.pattern_explorer)."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from gru_edu.imdb import Vocabulary  # noqa: E402
from gru_edu.gates.pattern_search import find_matches, select_units  # noqa: E402

from tiny_models import WORDS  # noqa: E402


def test_select_match_explorer(state_cache):
    from gru_edu.explorers.pattern_explorer import select_match_explorer

    sc, _, _ = state_cache
    vocab = Vocabulary(WORDS)
    row = int(np.argmax(np.diff(sc.offsets)))  # the longest review
    assert sc.offsets[row + 1] - sc.offsets[row] >= 6
    ex = select_match_explorer(sc, vocab, review=row, span=(1, 2), threshold=0.0)
    found = 0
    n = int(sc.offsets[row + 1] - sc.offsets[row])
    for span, thr in [((lo, lo + k), t) for lo in range(n - 2) for k in (0, 1)
                      for t in (0.0, 0.3)]:
        ex.controls["span"].value = span
        ex.controls["threshold"].value = thr
        st = ex.state
        assert ex.last_error is None, ex.last_error
        want = select_units(sc.values("h", row), *span, thr)
        found += len(want) > 0
        np.testing.assert_array_equal(st["units"], want)
        if len(want):
            got = find_matches(sc, want, thr, span[1] - span[0] + 1, slack=1)
            assert st["matches"].spans() == got.spans()
            assert f"{len(got)} matches" in ex.matches_view.value
    assert found  # some selection finds units
    ex.controls["review"].value = int(np.argmin(np.diff(sc.offsets)))
    assert ex.last_error is None, ex.last_error  # the span follows the review
    assert ex.controls["span"].max == ex.state["values"].shape[0] - 1

