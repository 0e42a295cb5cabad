"""Assignment 3 checks (gru_edu.grading.a3_gates): each slip named."""

from __future__ import annotations


import numpy as np
import pytest

from gru_edu.grading import a3_gates


def _gr(ids_rule="words", baseline="other", sign=1, pooled=True):
    """A learner's gate_reaction with one of the usual slips."""
    def gate_reaction(z, ids, cue_ids):
        keep = {"words": ids > 1, "with_start": ids > 0, "all": ids >= 0}[ids_rule]
        cue = keep & np.isin(ids, cue_ids)
        rest = keep & ~cue if baseline == "other" else keep
        if not pooled:
            per = [z[b][cue[b]].mean(0) - z[b][rest[b]].mean(0) for b in range(len(z))]
            return sign * np.mean(per, axis=0)
        return sign * (z[cue].mean(0) - z[rest].mean(0))
    return gate_reaction


@pytest.mark.parametrize("learner_fn, mistake", [
    (_gr(), None),
    (_gr(ids_rule="all"), "padding_counted"),
    (_gr(ids_rule="with_start"), "start_counted"),
    (_gr(baseline="all"), "baseline_includes_cue"),
    (_gr(sign=-1), "sign_reversed"),
    (_gr(pooled=False), "mean_of_means"),
])
def test_gate_reaction_slips_are_named(learner_fn, mistake):
    fb = a3_gates.check_gate_reaction(learner_fn)
    assert fb.mistakes == ([mistake] if mistake else []), str(fb)


def test_effect_size_and_ranking_slips_are_named():
    def d(z, ids, cue_ids, unit, ddof=1):
        words = ids > 1
        cue = words & np.isin(ids, cue_ids)
        a, b = z[cue][:, unit], z[words & ~cue][:, unit]
        pooled = ((len(a) - 1) * a.var(ddof=ddof) + (len(b) - 1) * b.var(ddof=ddof))
        return (a.mean() - b.mean()) / np.sqrt(pooled / (len(a) + len(b) - 2))

    assert a3_gates.check_effect_size(d).passed
    assert a3_gates.check_effect_size(
        lambda *a: d(*a, ddof=0)).mistakes == ["population_variance"]
    assert a3_gates.check_strongest_units(
        lambda r, k=3: list(np.argsort(-np.abs(r))[:k])).passed
    assert a3_gates.check_strongest_units(
        lambda r, k=3: list(np.argsort(-r)[:k])).mistakes == ["not_sorted_by_size"]


def test_z_at_word_off_by_one_is_named():
    from types import SimpleNamespace

    z = np.random.default_rng(0).uniform(size=(1, 6, 4))
    trace = SimpleNamespace(words=["<start>", "not", "bad", "at", "all", "<pad>"],
                            trace=SimpleNamespace(z=z))
    tokens = ["not", "bad", "at", "all"]
    assert a3_gates.check_z_at_word(
        lambda t, w: t.trace.z[0, t.words.index(w)], trace, "bad").passed
    assert a3_gates.check_z_at_word(
        lambda t, w: t.trace.z[0, tokens.index(w)], trace, "bad").mistakes == ["off_by_one"]

