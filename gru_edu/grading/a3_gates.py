"""Assignment 3's checks: reading the gates of a trained model."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

if TYPE_CHECKING:
    import keras

    from ..imdb.bundle import TrainedModel

from . import guard
from .answers import (as_array, as_number, call_learner, check_defined, close,
                      kind_and_shape, report_error)
from .feedback import Feedback
from .limits import DEFAULT_SECONDS, forbids, safe_call


__all__ = [
    "gate_reaction_reference",
    "effect_size_reference",
    "strongest_units_reference",
    "check_gate_reaction",
    "check_effect_size",
    "check_strongest_units",
    "check_z_at_word",
    "check_quantity",
    "check_findings_shape",
    "trace_z",
    "check_gate_findings",
]

def _cue_mask(ids: np.ndarray, cue_ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    from ..imdb.vocab import START

    words = ids > START
    cue = words & np.isin(ids, np.asarray(list(cue_ids), dtype=ids.dtype))
    return cue, words & ~cue


def gate_reaction_reference(z: np.ndarray, ids: np.ndarray, cue_ids: Sequence[int]
                            ) -> np.ndarray:
    """Mean ``z`` at cue-word steps minus mean ``z`` at the other word steps, ``(units,)``.

    Word steps are those with id > 1 (no padding, no start marker); all
    reviews' steps are pooled.
    """
    z, ids = np.asarray(z, dtype=np.float64), np.asarray(ids)
    cue, other = _cue_mask(ids, cue_ids)
    return z[cue].mean(axis=0) - z[other].mean(axis=0)


def effect_size_reference(z: np.ndarray, ids: np.ndarray, cue_ids: Sequence[int],
                          unit: int) -> float:
    """Cohen's d of unit ``unit``'s ``z`` at cue steps against the other word steps."""
    z, ids = np.asarray(z, dtype=np.float64), np.asarray(ids)
    cue, other = _cue_mask(ids, cue_ids)
    a, b = z[cue][:, unit], z[other][:, unit]
    na, nb = len(a), len(b)
    pooled = np.sqrt(((na - 1) * a.var(ddof=1) + (nb - 1) * b.var(ddof=1)) / (na + nb - 2))
    return float((a.mean() - b.mean()) / pooled)


def strongest_units_reference(reaction: np.ndarray, k: int = 3) -> list[int]:
    """The ``k`` units with the largest ``|reaction|``, largest first."""
    reaction = np.asarray(reaction, dtype=np.float64)
    return [int(i) for i in np.argsort(-np.abs(reaction), kind="stable")[:k]]


@functools.cache
def _a3_forbidden() -> guard.Forbidden:
    """What assignment 3's questions forbid: the checks' own solutions.

    ``gru_edu.gates`` (and the NumPy cell it replays with) stays allowed: the
    assignment is about using it.
    """
    return guard.Forbidden(
        "the checks' own solution (the *reference_states functions of gru_edu.grading.a3_gates), which"
        " this question grades your code against",
        (gate_reaction_reference, effect_size_reference, strongest_units_reference,
         _cue_mask),
    )


def _gate_probe(seed: int = 0) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Synthetic z and ids with padding, start markers and uneven cue counts."""
    rng = np.random.default_rng(seed)
    batch, time, units = 4, 12, 5
    z = rng.uniform(0.05, 0.95, (batch, time, units))
    ids = rng.integers(4, 30, (batch, time))
    ids[:, 0] = 1
    for b, length in enumerate((12, 9, 6, 10)):
        ids[b, length:] = 0
    ids[0, [2, 5, 7, 9]] = 7
    ids[1, 3] = 11
    ids[2, 4] = 7
    ids[3, [1, 2]] = 11
    return z, ids, [7, 11]


def _unit_vector(fb: Feedback, value: Any, want: np.ndarray) -> np.ndarray | None:
    """``value`` as an array of ``want``'s shape, one value per unit; None, with a finding, if not."""
    arr = as_array(value)
    if arr is None or arr.shape != want.shape:
        got = None if arr is None else arr.shape
        fb.add("output_shape", f"Returned shape {got}; expected (units,) = {want.shape}.")
        return None
    return arr


@forbids(lambda: _a3_forbidden())
def check_gate_reaction(gate_reaction: Any, seed: int = 0,
                        seconds: float | None = DEFAULT_SECONDS) -> Feedback:
    """Check ``gate_reaction(z, ids, cue_ids) -> (units,)`` on arrays with a known answer."""
    from ..imdb.vocab import START

    fb = Feedback("gate_reaction")
    if not check_defined(fb, gate_reaction, "gate_reaction", 3,
                         "gate_reaction(z, ids, cue_ids)"):
        return fb
    z, ids, cues = _gate_probe(seed)
    call = call_learner(fb, gate_reaction, (z.copy(), ids.copy(), list(cues)), seconds,
                        "gate_reaction")
    if call is None:
        return fb
    want = gate_reaction_reference(z, ids, cues)
    arr = _unit_vector(fb, call.value, want)
    if arr is None:
        return fb
    if close(arr, want, 1e-7, 1e-9):
        return fb
    cue, other = _cue_mask(ids, cues)
    in_cue = np.isin(ids, cues)
    hyps = [
        ("padding_counted", z[in_cue].mean(0) - z[~in_cue & (ids != START)].mean(0)),
        ("padding_counted", z[in_cue].mean(0) - z[~in_cue].mean(0)),
        ("start_counted", z[cue].mean(0) - z[~in_cue & (ids > 0)].mean(0)),
        ("baseline_includes_cue", z[cue].mean(0) - z[cue | other].mean(0)),
        ("sign_reversed", -want),
    ]
    per_review = [z[b][cue[b]].mean(0) - z[b][other[b]].mean(0) for b in range(len(z))]
    hyps.append(("mean_of_means", np.mean(per_review, axis=0)))
    hyps.append(("mean_of_means", np.mean([z[b][cue[b]].mean(0) for b in range(len(z))], 0)
                 - np.mean([z[b][other[b]].mean(0) for b in range(len(z))], 0)))
    for mistake, value in hyps:
        if close(arr, value, 1e-7, 1e-9):
            fb.add(mistake, "Your result equals the reaction computed that way.")
            return fb
    fb.add("values_differ", f"Largest difference from the expected reaction:"
           f" {float(np.max(np.abs(arr - want))):.3g}.")
    return fb


@forbids(lambda: _a3_forbidden())
def check_effect_size(effect_size: Any, seed: int = 1,
                      seconds: float | None = DEFAULT_SECONDS) -> Feedback:
    """Check ``effect_size(z, ids, cue_ids, unit) -> float`` (Cohen's d, pooled)."""
    fb = Feedback("effect_size")
    if not check_defined(fb, effect_size, "effect_size", 4,
                         "effect_size(z, ids, cue_ids, unit)"):
        return fb
    z, ids, cues = _gate_probe(seed)
    for unit in (0, 3):
        call = call_learner(fb, effect_size, (z.copy(), ids.copy(), list(cues), unit),
                            seconds, "effect_size")
        if call is None:
            return fb
        want = effect_size_reference(z, ids, cues, unit)
        got = as_number(call.value)
        if got is None:
            fb.add("output_shape", f"Returned {kind_and_shape(call.value)}; expected one"
                   " number.")
            return fb
        if np.isclose(got, want, rtol=1e-7, atol=1e-12):
            continue
        cue, other = _cue_mask(ids, cues)
        a, b = z[cue][:, unit], z[other][:, unit]
        na, nb = len(a), len(b)
        diff = a.mean() - b.mean()
        pooled0 = np.sqrt((na * a.var() + nb * b.var()) / (na + nb))
        pooled0b = np.sqrt(((na - 1) * a.var() + (nb - 1) * b.var()) / (na + nb - 2))
        hyps = [
            ("sign_reversed", -want),
            ("population_variance", diff / pooled0),
            ("population_variance", diff / pooled0b),
            ("not_pooled_sd", diff / np.concatenate([a, b]).std(ddof=1)),
            ("not_pooled_sd", diff / np.concatenate([a, b]).std()),
            ("not_pooled_sd", diff / np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2)),
            ("not_pooled_sd", diff / np.sqrt((a.var() + b.var()) / 2)),
            ("not_pooled_sd", diff / b.std(ddof=1)),
        ]
        for mistake, value in hyps:
            if np.isclose(got, value, rtol=1e-7, atol=1e-12):
                fb.add(mistake, f"For unit {unit} you got {got:.4f}; expected {want:.4f}.")
                return fb
        fb.add("values_differ", f"For unit {unit} you got {got:.4f}; expected {want:.4f}.")
        return fb
    return fb


@forbids(lambda: _a3_forbidden())
def check_strongest_units(strongest_units: Any, seed: int | None = None,
                          seconds: float | None = DEFAULT_SECONDS) -> Feedback:
    """Check ``strongest_units(reaction, k)``: k unit indices, largest |reaction| first."""
    fb = Feedback("strongest_units")
    if not check_defined(fb, strongest_units, "strongest_units", 2,
                         "strongest_units(reaction, k=3)"):
        return fb
    reaction = np.array([0.02, -0.31, 0.12, 0.25, -0.05, 0.4, -0.18])
    if seed is not None:
        reaction = np.random.default_rng(seed).normal(0, 0.2, 9)
    for k in (3, 1):
        call = call_learner(fb, strongest_units, (reaction.copy(), k), seconds,
                            "strongest_units")
        if call is None:
            return fb
        want = strongest_units_reference(reaction, k)
        try:
            got = [int(i) for i in np.asarray(call.value).reshape(-1)]
        except (TypeError, ValueError):
            fb.add("output_shape", f"Returned {call.value!r}; expected {k} unit indices.")
            return fb
        if got == want:
            continue
        if got == [int(i) for i in np.argsort(-reaction)[:k]]:
            fb.add("not_sorted_by_size", "Your ranking uses the signed reaction.")
        elif sorted(got) == sorted(want):
            fb.add("not_sorted_by_size", f"The right units in the wrong order: {got},"
                   f" expected {want}.")
        elif len(got) != k:
            fb.add("output_shape", f"Returned {len(got)} units for k={k}.")
        else:
            fb.add("values_differ", f"Returned {got} for k={k}; expected {want}.")
        return fb
    return fb


@forbids(lambda: _a3_forbidden())
def check_z_at_word(z_at_word: Any, text_trace: Any, word: str,
                    seconds: float | None = DEFAULT_SECONDS) -> Feedback:
    """Check ``z_at_word(text_trace, word) -> (units,)``: z at the first step reading ``word``."""
    fb = Feedback("z_at_word")
    if not check_defined(fb, z_at_word, "z_at_word", 2, "z_at_word(text_trace, word)"):
        return fb
    call = safe_call(z_at_word, (text_trace, word), seconds)
    z = text_trace.trace.z[0]
    steps = [t for t, w in enumerate(text_trace.words) if w == word]
    if not steps:  # an absent word: a ValueError or None, as the question asks
        if call.ok and call.value is not None:
            fb.add("absent_word", f"{word!r} is not in this review, and your function"
                   f" returned {kind_and_shape(call.value)}.")
        elif not call.ok and not isinstance(call.error, ValueError):
            report_error(fb, call, "z_at_word")
        return fb
    if not call.ok:
        report_error(fb, call, "z_at_word")
        return fb
    want = z[steps[0]]
    arr = _unit_vector(fb, call.value, want)
    if arr is None:
        return fb
    if close(arr, want, 1e-7, 1e-9):
        return fb
    t = steps[0]
    for dt in (-1, 1):
        if 0 <= t + dt < len(z) and close(arr, z[t + dt], 1e-7, 1e-9):
            fb.add("off_by_one", f"Your values are z at step {t + dt}; {word!r} is read at"
                   f" step {t}.")
            return fb
    fb.add("values_differ", f"Largest difference from z at step {t}:"
           f" {float(np.max(np.abs(arr - want))):.3g}.")
    return fb


def check_findings_shape(negation_reaction: Any, top_negation_units: Any,
                         negation_effect: Any) -> Feedback:
    """Question 5's answers have the right form: one value per unit, three units, a number."""
    fb = Feedback("your findings")
    if np.ndim(negation_reaction) != 1:
        fb.add("output_shape", "negation_reaction should hold one value per unit; it has"
               f" shape {np.shape(negation_reaction)}.")
    try:
        count = len(top_negation_units)
    except TypeError:
        count = None
    if count != 3:
        fb.add("output_shape", "top_negation_units should list three units; it is"
               f" {type(top_negation_units).__name__}"
               + ("" if count is None else f" of length {count}") + ".")
    if np.ndim(negation_effect) != 0:
        fb.add("output_shape", "negation_effect should be one number; it has shape"
               f" {np.shape(negation_effect)}.")
    return fb


def check_quantity(name: str, value: Any, expected: Any, tol: float = 1e-6) -> Feedback:
    """A number, array or list the learner computed on the model, against the right answer."""
    fb = Feedback(name)
    try:
        got = np.asarray(value, dtype=np.float64)
        want = np.asarray(expected, dtype=np.float64)
    except (TypeError, ValueError):
        fb.add("wrong_quantity", f"{name} is {value!r}.")
        return fb
    if got.shape != want.shape:
        fb.add("output_shape", f"{name} has shape {got.shape}; expected {want.shape}.")
    elif not np.allclose(got, want, rtol=tol, atol=tol):
        shown = np.array2string(np.asarray(expected), precision=4, threshold=8)
        fb.add("wrong_quantity", f"{name} differs from the value on the model: expected"
               f" {shown} (largest difference {float(np.max(np.abs(got - want))):.3g}).")
    return fb


def _check_own_findings(fb: Feedback, functions: dict[str, Any], z: np.ndarray,
                        ids: np.ndarray, cue_sets: dict[str, Any],
                        answers: dict[str, Any]) -> None:
    """The learner's answers must be what the learner's own functions give.

    Question 5 asks for the findings computed *with* the functions of
    questions 2-4: evidence that the numbers are the learner's, not copied.
    """
    reaction, strongest, effect = (functions.get(n) for n in
                                   ("gate_reaction", "strongest_units", "effect_size"))
    if not all(callable(f) for f in (reaction, strongest, effect)):
        return
    own: dict[str, Any] = {}

    def run(name: str, fn: Callable, *args: Any) -> Any:
        call = safe_call(fn, args, DEFAULT_SECONDS)
        if not call.ok:
            raise _NotOwn(f"your {name} raised {type(call.error).__name__}")
        return call.value

    try:
        for cue in ("negation", "contrast"):
            own[f"{cue}_reaction"] = run("gate_reaction", reaction, z, ids, cue_sets[cue])
            own[f"top_{cue}_units"] = run("strongest_units", strongest,
                                          own[f"{cue}_reaction"], 3)
        unit = int(np.asarray(own["top_negation_units"]).reshape(-1)[0])
        for cue in ("negation", "control"):
            own[f"{cue}_effect"] = run("effect_size", effect, z, ids, cue_sets[cue], unit)
    except (_NotOwn, IndexError, TypeError, ValueError) as err:
        fb.add("not_from_functions", f"The values are right, but {err}"
               " when the grader ran it on z_all and ids_all.")
        return
    differ = [name for name, value in own.items()
              if name in answers and not check_quantity(name, answers[name], value).passed]
    if differ:
        fb.add("not_from_functions", "Right values, but not what your functions give on"
               f" z_all and ids_all: {', '.join(differ)}.")


class _NotOwn(Exception):
    """A learner's function failed while recomputing the findings."""


_Z_CACHE: dict[tuple, np.ndarray] = {}


def trace_z(trained: TrainedModel | keras.Model, ids: np.ndarray, batch_size: int = 100) -> np.ndarray:
    """Update gate ``z`` of the first GRU layer for every review, ``(n, time, units)``.

    :func:`gru_edu.gates.trace` in batches (each checked against Keras),
    keeping only ``z``; cached per model and ids, so the tests do not trace
    twice.
    """
    from .. import gates

    ids = np.asarray(ids)
    model = getattr(trained, "model", trained)
    key = (id(model), ids.shape, hash(ids.tobytes()))
    if key not in _Z_CACHE:
        parts = [gates.trace(model, ids[i:i + batch_size])[0].z
                 for i in range(0, len(ids), batch_size)]
        _Z_CACHE.clear()
        _Z_CACHE[key] = np.concatenate(parts)
    return _Z_CACHE[key]


@forbids(lambda: _a3_forbidden())
def check_gate_findings(trained: TrainedModel, ids_all: np.ndarray, cue_sets: dict[str, Any],
                        answers: dict[str, Any], functions: dict[str, Any] | None = None
                        ) -> Feedback:
    """The learner's quantities on the model against the ones recomputed from it.

    ``cue_sets`` maps ``"negation"``, ``"contrast"``, ``"control"`` to word
    ids; ``answers`` holds the learner's ``negation_reaction``,
    ``contrast_reaction``, ``top_negation_units``, ``top_contrast_units``,
    ``negation_effect`` and ``control_effect``. The right values are
    computed here, on the same model and reviews, with the gates replayed by
    :mod:`gru_edu.gates`. ``functions`` (the learner's ``gate_reaction``,
    ``strongest_units``, ``effect_size``) are run too, under the call
    detector: right values that the learner's own functions do not give
    (copied from elsewhere, e.g. from the grader's messages) are named; when
    a value is wrong, the functions' checks point at the question to fix first.
    """
    fb = Feedback("findings on the model")
    z = trace_z(trained, ids_all)
    ids = np.asarray(ids_all)
    neg = gate_reaction_reference(z, ids, cue_sets["negation"])
    con = gate_reaction_reference(z, ids, cue_sets["contrast"])
    top_neg = strongest_units_reference(neg, 3)
    top_con = strongest_units_reference(con, 3)
    expected = {
        "negation_reaction": neg,
        "contrast_reaction": con,
        "top_negation_units": top_neg,
        "top_contrast_units": top_con,
        "negation_effect": effect_size_reference(z, ids, cue_sets["negation"], top_neg[0]),
        "control_effect": effect_size_reference(z, ids, cue_sets["control"], top_neg[0]),
    }
    for name, want in expected.items():
        if name not in answers:
            continue
        got = answers[name]
        if got is None or got is Ellipsis:
            fb.add("not_implemented", f"{name} is not computed yet.", title=f"{name} missing")
            continue
        sub = check_quantity(name, got, want, tol=1e-6)
        fb.findings += sub.findings
        fb.passed = fb.passed and sub.passed
    if fb.passed and functions:
        _check_own_findings(fb, functions, z, ids, cue_sets, answers)
    if not fb.passed and functions:
        checkers = {"gate_reaction": check_gate_reaction,
                    "strongest_units": check_strongest_units,
                    "effect_size": check_effect_size}
        broken = [name for name, fn in functions.items()
                  if name in checkers and not checkers[name](fn).passed]
        if broken:
            fb.notes.insert(0, "Note: " + ", ".join(broken) + " not right yet (see"
                            " its question): the values above are computed with it.")
    return fb
