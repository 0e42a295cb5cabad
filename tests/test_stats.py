"""gate_statistics (gru_edu.gates.stats) equal what the traces say."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

keras = pytest.importorskip("keras")

from gru_edu import gates  # noqa: E402

from gate_models import WORDS, classifier, vocab_of  # noqa: E402


TOL = gates.TOLERANCE


def test_gate_statistics_equal_the_traces():
    model = classifier(maxlen=10, units=3, seed=13)
    rng = np.random.default_rng(6)
    data = np.zeros((23, 10), dtype=np.int32)
    for i, n in enumerate(rng.integers(2, 11, size=23)):
        data[i, :n] = rng.integers(1, len(WORDS) + 3, size=n)
    vocab = vocab_of(WORDS)
    (st,) = gates.gate_statistics(model, data, batch_size=8, top_k=3, vocab=vocab)
    (t,) = gates.trace(model, data)  # all at once
    mask = t.mask
    for g in gates.GATES:
        v = t.gate(g)[mask]
        np.testing.assert_allclose(st.mean[g], v.mean(0), atol=1e-12)
        np.testing.assert_allclose(st.std[g], v.std(0), atol=1e-9)
        np.testing.assert_allclose(st.min[g], v.min(0))
        np.testing.assert_allclose(st.max[g], v.max(0))
    assert st.n_reviews == 23 and st.n_steps == mask.sum()
    np.testing.assert_allclose(st.frac_write, (t.z[mask] < 0.5).mean(0))
    # words where z is lowest / highest in each review, counted per unit
    for unit in range(3):
        z = t.z[..., unit]
        lo = np.where(mask, z, np.inf).argmin(1)
        counts = np.bincount(data[np.arange(23), lo], minlength=data.max() + 1)
        best = counts.max()
        assert st.writes_at[unit][0][1] == best
        winners = {vocab.decode([i])[0] for i in np.flatnonzero(counts == best)}
        assert st.writes_at[unit][0][0] in winners
        assert sum(c for _, c in st.keeps_at[unit]) <= 23
    mz = st.mean_z_by_word(0, k=2, min_count=1)
    assert len(mz) == 2 and mz[0][1] <= mz[1][1]
    assert st.max_abs_error <= TOL

