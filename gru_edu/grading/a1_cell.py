"""Assignment 1's checks: a GRU step, forward, backward and gradient tools.

Each ``check_*`` compares the learner's function with :mod:`gru_edu.cell`
(or :mod:`gru_edu.cell.gradcheck`) and, when they differ, names the mistake with
the probes and hypotheses of :mod:`.a1_probes`.
"""

from __future__ import annotations

import functools
import types
from typing import Any, Callable, Sequence

import numpy as np

from .. import cell
from ..cell import gradcheck, numpy_gru
from ..cell.gradcheck import relative_error
from . import guard
from .a1_probes import (GRAD_KEYS, Probe, ablation_table, add_hypotheses, block_table,
                        check_output, explain, grad_probe, grads_close, grads_dict,
                        make_probe, one_step_table, reference_grads, reference_states,
                        shape_finding, student_fd, truncated_grads)
from .answers import (as_array, as_number, call_learner, check_defined, close,
                      kind_and_shape, report_error)
from .feedback import Feedback, Finding, indent
from .limits import DEFAULT_SECONDS, Call, TimeLimitExceeded, forbids, safe_call


__all__ = [
    "STEP_SIGNATURE",
    "FORWARD_SIGNATURE",
    "BACKWARD_SIGNATURE",
    "check_gru_step",
    "check_gru_forward",
    "check_gru_backward",
    "check_numerical_gradient",
    "check_relative_error",
]

# --- check_gru_step

STEP_SIGNATURE = "gru_step(x_t, h_prev, kernel, recurrent_kernel, bias, reset_after=True)"
FORWARD_SIGNATURE = ("gru_forward(x, kernel, recurrent_kernel, bias, reset_after=True,"
                     " h0=None)")
BACKWARD_SIGNATURE = ("gru_backward(dh_seq, x, kernel, recurrent_kernel, bias,"
                      " reset_after=True, h0=None)")


def _runner(fn: Callable, seconds: float | None,
            args_of: Callable[[Probe], tuple]) -> Callable[[Probe], Call]:
    """Run ``fn`` on copies of a probe's arrays (learner code may change them in
    place); its result as an array where it is one."""
    def run(probe: Probe) -> Call:
        args = tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a
                     for a in args_of(probe))
        call = safe_call(fn, args, seconds)
        if call.ok:
            arr = as_array(call.value)
            call.value = arr if arr is not None else call.value
        return call
    return run


def _step_args(probe: Probe) -> tuple:
    p = probe.params
    return (probe.x[:, 0], probe.h0_or_zeros(), p.kernel, p.recurrent_kernel, p.bias,
            p.reset_after)


def _forward_args(probe: Probe) -> tuple:
    p = probe.params
    return probe.x, p.kernel, p.recurrent_kernel, p.bias, p.reset_after, probe.h0


def _step_reference(probe: Probe) -> np.ndarray:
    return reference_states(probe)[:, 0]


@forbids(lambda: _a1_forbidden())
def check_gru_step(gru_step: Any, reset_after: Sequence[bool] = (True, False),
                   shape: tuple[int, int, int] = (2, 5, 4), seed: int = 0,
                   seconds: float | None = DEFAULT_SECONDS) -> Feedback:
    """Check a learner's ``gru_step(x_t, h_prev, kernel, recurrent_kernel, bias, reset_after)``.

    It must return ``h_t`` ``(batch, units)`` equal to :func:`gru_edu.cell.gru_step`
    for each ``reset_after`` in ``reset_after``. ``shape`` is ``(batch,
    input_dim, units)`` of the main probe; keep the three different so that a
    swapped axis shows. Returns a :class:`Feedback`.
    """
    fb = Feedback("gru_step")
    if not check_defined(fb, gru_step, "gru_step", 6, STEP_SIGNATURE):
        return fb
    batch, m, n = shape
    run = _runner(gru_step, seconds, _step_args)
    ok_variants = []
    for ra in reset_after:
        ctx = f"reset_after={ra}"
        probe = make_probe(batch, 1, m, n, ra, seed)
        before = len(fb.findings)
        _diagnose(fb, run, probe, _step_reference, "gru_step", "h_t", ctx,
                  (batch, n), "(batch, units)", _step_shape_mistakes)
        if len(fb.findings) == before:
            ok_variants.append(ra)
    _single_variant_note(fb, ok_variants, reset_after)
    if fb.passed:
        fb.note(f"Checked against gru_edu.cell for reset_after in {list(reset_after)}.")
    return fb


#: findings that do not say what differs between the variants (the hint may help)
_UNNAMED = {"wrong_values", "exception", "output_shape", "non_finite"}


def _single_variant_note(fb: Feedback, ok: list[bool], tried: Sequence[bool],
                         hint: bool = True) -> None:
    """Say which variant is right; the generic variant hint only when nothing else fits."""
    if len(tried) == 2 and len(ok) == 1:
        if hint and all(f.mistake in _UNNAMED for f in fb.findings):
            fb.add("single_variant", f"Correct for reset_after={ok[0]} only.")
        else:
            fb.note(f"Correct for reset_after={ok[0]}: only reset_after={not ok[0]}"
                    " is wrong.")
    fb.merge_variants()


def _step_shape_mistakes(fb: Feedback, arr: np.ndarray, probe: Probe, ctx: str) -> bool:
    b, n = probe.x.shape[0], probe.params.units
    if arr.shape == (b, 3 * n):
        fb.add("output_shape", f"gru_step returned shape {arr.shape} = (batch, 3*units):"
               " the gates before they were split and combined?", ctx)
        return True
    if arr.shape == (n,) or arr.shape == (b * n,):
        fb.add("output_shape", f"gru_step returned shape {arr.shape}: the batch axis is"
               " lost (flattened or summed?); expected (batch, units).", ctx)
        return True
    return False


def _diagnose(fb: Feedback, run: Callable[[Probe], Call], probe: Probe,
              reference_fn: Callable[[Probe], np.ndarray], name: str, what: str,
              ctx: str, expected: tuple, shape_words: str,
              shape_mistakes: Callable[[Feedback, np.ndarray, Probe, str], bool]) -> None:
    """Run one probe; name what is wrong (exception, shape, hypothesis, ablation)."""
    call = run(probe)
    reference = reference_fn(probe)
    if not call.ok:
        # A shape error on the main probe: on square or PyTorch-like shapes
        # the same code may run, and its result may name the mistake.
        if not isinstance(call.error, (TimeLimitExceeded, NotImplementedError)):
            if _try_special_shapes(fb, run, probe, reference_fn, what, ctx):
                return
        report_error(fb, call, name, ctx)
        return
    arr = check_output(fb, call.value, expected, name, ctx, shape_words)
    if arr is None:
        return
    if arr.shape != expected:
        if not shape_mistakes(fb, arr, probe, ctx):
            shape_finding(fb, arr, expected, name, ctx, shape_words)
        return
    if close(arr, reference):
        return
    matches = explain(arr, probe, reference, reference_fn)
    if matches:
        add_hypotheses(fb, matches, probe, ctx, what)
    elif not _try_special_shapes(fb, run, probe, reference_fn, what, ctx):
        err = float(np.max(np.abs(arr - reference)))
        fb.add("wrong_values", f"Largest difference from the reference: {err:.3g}.", ctx)
        # nothing named the mistake: the probes show where it is
        fb.probes.append((ctx, ablation_table(run, probe, reference_fn)))


def _try_special_shapes(fb: Feedback, run: Callable[[Probe], Call], probe: Probe,
                        reference_fn: Callable[[Probe], np.ndarray], what: str,
                        ctx: str) -> bool:
    """Square (input_dim == units) and PyTorch-like (input_dim == 3*units) probes."""
    b, t, _ = probe.x.shape
    n, ra = probe.params.units, probe.params.reset_after
    for m in (n, 3 * n):
        special = make_probe(b, t, m, n, ra, seed=11, with_h0=probe.h0 is not None)
        call = run(special)
        if not call.ok:
            continue
        arr = as_array(call.value)
        ref = reference_fn(special)
        if arr is None or arr.shape != ref.shape or close(arr, ref):
            continue
        matches = explain(arr, special, ref, reference_fn)
        matches = [hs for hs in matches
                   if any(h.mistake in ("transposed_kernel", "swapped_kernels") for h in hs)]
        if matches:
            add_hypotheses(fb, matches, special, ctx, what)
            fb.findings[-1].detail += (
                f" (Found with input_dim={m} and units={n}: with other sizes the"
                " same code fails or gives different numbers.)")
            return True
    return False


# --- check_gru_forward


@forbids(lambda: _a1_forbidden())
def check_gru_forward(gru_forward: Any, reset_after: Sequence[bool] = (True, False),
                      shape: tuple[int, int, int, int] = (2, 5, 4, 3), seed: int = 0,
                      seconds: float | None = DEFAULT_SECONDS) -> Feedback:
    """Check ``gru_forward(x, kernel, recurrent_kernel, bias, reset_after, h0)``.

    It must return every state, ``(batch, time, units)``, equal to
    :func:`gru_edu.cell.gru_forward`, with and without ``h0``. ``shape`` is
    ``(batch, time, input_dim, units)``.
    """
    fb = Feedback("gru_forward")
    if not check_defined(fb, gru_forward, "gru_forward", 6, FORWARD_SIGNATURE):
        return fb
    batch, time, m, n = shape
    run = _runner(gru_forward, seconds, _forward_args)
    ok_variants = []
    for ra in reset_after:
        ctx = f"reset_after={ra}"
        before = len(fb.findings)
        for with_h0 in (True, False):
            probe = make_probe(batch, time, m, n, ra, seed, with_h0=with_h0)
            n_before = len(fb.findings)
            _diagnose(fb, run, probe, reference_states, "gru_forward", "h_seq",
                      ctx + ("" if with_h0 else ", h0=None"), (batch, time, n),
                      "(batch, time, units)", _forward_shape_mistakes)
            if len(fb.findings) > n_before:
                _refine_forward(fb, run, probe, n_before)
                break  # one diagnosis per variant is enough
        if len(fb.findings) == before:
            ok_variants.append(ra)
    _single_variant_note(fb, ok_variants, reset_after)
    if fb.passed:
        fb.note("Checked against gru_edu.cell with and without h0, for reset_after in"
                f" {list(reset_after)}.")
    else:
        _blame_step(fb, gru_forward, reset_after, seconds)
    return fb


def _blame_step(fb: Feedback, fn: Any, reset_after: Sequence[bool],
                seconds: float | None) -> bool:
    """If ``fn`` calls the learner's failing gru_step, say that alone, first."""
    step = _called_learner_function(fn, "gru_step")
    if step is None:
        return False
    step_fb = check_gru_step(step, reset_after=reset_after, seconds=seconds)
    if step_fb.passed:
        return False
    titles = "; ".join(f"{f.title} ({f.context})" if f.context else f.title
                       for f in step_fb.findings)
    own = [f for f in fb.findings if f.mistake in _OWN_CODE]
    fb.findings = [Finding("depends_on_step", f"It has: {titles}.")] + own
    fb.probes, fb.notes = [], []
    return True


#: findings about the function's own code that a wrong gru_step cannot cause
_OWN_CODE = {"timeout", "uses_reference", "grader_tampering"}


def _called_learner_function(fn: Any, name: str) -> Callable | None:
    """The learner's function ``name`` if ``fn`` calls it by that name."""
    code = getattr(fn, "__code__", None)
    if code is None or name not in code.co_names:
        return None
    obj = getattr(fn, "__globals__", {}).get(name)
    if isinstance(obj, types.FunctionType) and not (obj.__module__ or "").startswith("gru_edu"):
        return obj
    return None


def _forward_shape_mistakes(fb: Feedback, arr: np.ndarray, probe: Probe, ctx: str) -> bool:
    ref = reference_states(probe)
    b, t, n = ref.shape
    cases = [
        ((b, n), lambda a: close(a, ref[:, -1]), "last_state_only"),
        ((t, b, n), lambda a: close(a, ref.transpose(1, 0, 2)), "time_major"),
        ((b, t + 1, n), lambda a: close(a[:, 1:], ref), "includes_h0"),
    ]
    for shp, test, mistake in cases:
        if arr.shape == shp and test(arr):
            fb.add(mistake, f"gru_forward returned shape {arr.shape}; expected"
                   f" {(b, t, n)} = (batch, time, units).", ctx)
            return True
    if arr.shape == (b, n):
        fb.add("last_state_only", f"gru_forward returned shape {arr.shape}, one state per"
               " sequence; expected (batch, time, units).", ctx)
        return True
    return False


def _refine_forward(fb: Feedback, run: Callable[[Probe], Call], probe: Probe,
                    first: int) -> None:
    """Sequence-level mistakes the step-level hypotheses cannot see."""
    new = fb.findings[first:]
    if not new or new[0].mistake != "wrong_values":
        return
    call = run(probe)
    arr = call.value
    ref = reference_states(probe)
    h0 = probe.h0_or_zeros()
    t = probe.x.shape[1]
    per_step = np.stack(
        [cell.gru_forward(probe.x[:, i:i + 1], probe.params, h0=h0)[0][:, 0]
         for i in range(t)], axis=1)
    candidates = [
        ("state_not_carried", per_step,
         "Every step of yours starts from h0: the state is not handed on."),
        ("shifted_states", np.concatenate([h0[:, None], ref[:, :-1]], axis=1),
         "Your output at step t is the reference state of step t-1."),
        ("reversed_time", ref[:, ::-1], "Your states are the reference's in reverse order."),
        ("reversed_time", reference_states(probe.replace(x=probe.x[:, ::-1]))[:, ::-1],
         "Your loop runs from the last input to the first."),
        ("reversed_time", reference_states(probe.replace(x=probe.x[:, ::-1])),
         "Your loop runs from the last input to the first."),
    ]
    if probe.h0 is not None:
        candidates.append(("h0_ignored", reference_states(probe.replace(h0=None)),
                           "Your output equals the reference started from zeros."))
    for mistake, expected, detail in candidates:
        if close(arr, expected):
            fb.findings[first] = Finding(mistake, detail, new[0].context)
            # the ablation table would only repeat that everything differs
            fb.probes = [pr for pr in fb.probes if pr[0] != new[0].context]
            return
    # step right, sequence wrong: say so
    one = probe.replace(x=probe.x[:, :1])
    call1 = run(one)
    if call1.ok and close(call1.value, reference_states(one)):
        fb.findings[first].detail += (
            " With a single time step your output is right, so the step is fine and"
            " the loop over time is not: check how h_prev is updated and where h_t"
            " is stored.")


@forbids(lambda: _a1_forbidden())
def check_gru_backward(gru_backward: Any, gru_forward: Any = None,
                       reset_after: Sequence[bool] = (True, False),
                       shape: tuple[int, int, int, int] = (3, 4, 5, 2), seed: int = 0,
                       seconds: float | None = DEFAULT_SECONDS, tol: float = 1e-5) -> Feedback:
    """Check ``gru_backward(dh_seq, x, kernel, recurrent_kernel, bias, reset_after, h0)``.

    It must return a dict of gradients of ``L = sum(dh_seq * h_seq)`` with the
    keys ``kernel``, ``recurrent_kernel``, ``bias``, ``x``, ``h0``, equal to
    :func:`gru_edu.cell.gru_backward` (relative error ``<= tol``). When it is
    not, the errors are shown block by block (z, r, h); when ``gru_forward``
    (the learner's) is given, the gradients are also compared with central
    finite differences of it, which tells a wrong forward from a wrong backward.
    """
    fb = Feedback("gru_backward")
    if not check_defined(fb, gru_backward, "gru_backward", 7, BACKWARD_SIGNATURE):
        return fb
    ok_variants = []
    for ra in reset_after:
        ctx = f"reset_after={ra}"
        before = len(fb.findings)
        _diagnose_backward(fb, gru_backward, gru_forward, ra, seed, shape, seconds, tol, ctx)
        if len(fb.findings) == before:
            ok_variants.append(ra)
    if not fb.passed and _blame_step(fb, gru_backward, reset_after, seconds):
        return fb
    _single_variant_note(fb, ok_variants, reset_after, hint=False)
    if fb.passed:
        fb.note(f"Every gradient within relative error {tol:g} of gru_edu.cell for"
                f" reset_after in {list(reset_after)}.")
    return fb


def _diagnose_backward(fb: Feedback, backward: Callable, forward: Any, ra: bool, seed: int,
                       shape: tuple[int, int, int, int], seconds: float | None, tol: float,
                       ctx: str) -> None:
    """Run one probe through ``backward``; name what is wrong with its gradients."""
    probe, dh = grad_probe(ra, seed, shape)
    got = _backward_grads(fb, backward, probe, dh, seconds, ctx)
    if got is None:
        return
    grads, ref = got
    if grads_close(grads, ref, tol=tol):
        return
    if _named_gradient_mistake(fb, grads, ref, probe, dh, tol, ctx):
        return
    forward_ok = True
    if forward is not None:
        fwd = check_gru_forward(forward, reset_after=(ra,), seconds=seconds)
        forward_ok = fwd.passed
        if not forward_ok and _forward_wrong(fb, grads, backward, forward, fwd, probe,
                                             dh, seconds, ctx):
            return
    _gradient_blocks(fb, grads, ref, backward, forward if forward_ok else None, probe, dh,
                     seconds, tol, ctx)


def _backward_grads(fb: Feedback, backward: Callable, probe: Probe, dh: np.ndarray,
                    seconds: float | None, ctx: str
                    ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]] | None:
    """The learner's gradients and the reference's; None, with a finding, unless
    every gradient is there, of the right shape and finite."""
    p = probe.params
    args = (dh.copy(), probe.x.copy(), p.kernel.copy(), p.recurrent_kernel.copy(),
            p.bias.copy(), p.reset_after, probe.h0.copy())
    call = call_learner(fb, backward, args, seconds, "gru_backward", ctx)
    if call is None:
        return None
    grads = grads_dict(call.value)
    if grads is None:
        fb.add("missing_gradient", f"gru_backward returned a {type(call.value).__name__};"
               " expected a dict of gradients.", ctx)
        return None
    missing = [k for k in GRAD_KEYS if k not in grads or grads[k] is None]
    if missing:
        fb.add("missing_gradient", "Missing: " + ", ".join(missing) + ".", ctx)
        return None
    ref = reference_grads(probe, dh)
    bad_shapes = []
    for k in GRAD_KEYS:
        arr = as_array(grads[k])
        if arr is None or arr.shape != ref[k].shape:
            got = None if arr is None else arr.shape
            hint = " (transposed)" if got == ref[k].shape[::-1] else ""
            bad_shapes.append(f"d{k} is {got}, expected {ref[k].shape}{hint}")
        grads[k] = arr
    if bad_shapes:
        fb.add("gradient_shape", "; ".join(bad_shapes) + ".", ctx)
        return None
    if any(not np.all(np.isfinite(g)) for g in grads.values()):
        fb.add("non_finite", "Some gradients are NaN or infinite.", ctx)
        return None
    return grads, ref


def _named_gradient_mistake(fb: Feedback, grads: dict, ref: dict, probe: Probe,
                            dh: np.ndarray, tol: float, ctx: str) -> bool:
    """Gradients equal to those of a known mistake: name it (True), else False."""
    last = np.zeros_like(dh)
    last[:, -1] = dh[:, -1]
    hyps = [
        ("gradient_sign", {k: -v for k, v in ref.items()},
         "Your gradients are the reference's times -1."),
        ("no_bptt", truncated_grads(probe, dh),
         "Your gradients equal those of a backward pass where nothing flows from"
         " step t+1 back to step t."),
        ("last_step_only", reference_grads(probe, last),
         "Your gradients equal the reference's for a loss on the last state only."),
    ]
    for mistake, expected, detail in hyps:
        if grads_close(grads, expected, tol=tol):
            fb.add(mistake, detail, ctx)
            return True
    if probe.params.reset_after:
        s_bias = grads["bias"]
        if (np.allclose(s_bias[1], s_bias[0], atol=1e-9)
                and not np.allclose(ref["bias"][1], ref["bias"][0])
                and relative_error(s_bias[0], ref["bias"][0]) <= tol):
            fb.add("recurrent_bias_row", "Your bias gradient has two equal rows.", ctx)
            return True
    return False


def _gradient_blocks(fb: Feedback, grads: dict, ref: dict, backward: Callable,
                     forward: Callable | None, probe: Probe, dh: np.ndarray,
                     seconds: float | None, tol: float, ctx: str) -> None:
    """The wrong blocks, over the whole sequence or (if clearer) one step; with a
    right ``forward``, its finite differences show the backward is what differs."""
    p = probe.params
    lines, wrong = block_table(grads, ref, p.units, p.reset_after, tol)
    detail = "Relative error of each block against gru_edu.cell (✓ ≤ %g):\n" % tol
    detail += indent("\n".join(lines))
    one = one_step_table(backward, probe, dh, seconds, tol)
    if one is not None:
        one_lines, one_wrong = one
        if not one_wrong:
            detail += ("\nWith a single time step every gradient is right: the derivative"
                       " of one step is fine, and the error is in what flows between"
                       " steps (dh_next, dh_prev).")
        elif len(one_wrong) < len(wrong) or len(one_wrong) < len(one_lines) * 3:
            detail = ("With a single time step, where an error cannot spread through"
                      " time, the relative error of each block (✓ ≤ %g) is:\n" % tol
                      + indent("\n".join(one_lines)))
            if len(wrong) > len(one_wrong):
                detail += (f"\nOver {probe.x.shape[1]} steps the error spreads to"
                           f" {len(wrong)} blocks.")
            wrong = one_wrong
    if forward is not None:
        fd = student_fd(forward, probe, dh, seconds)
        if fd is not None:
            e = max(relative_error(grads[k], fd[k]) for k in GRAD_KEYS)
            detail += (f"\nAgainst central finite differences of your gru_forward the"
                       f" largest relative error is {e:.1e}: your forward is right, so"
                       " the backward is what differs.")
    fb.add("gradient_blocks", detail, ctx, "some gradient blocks are wrong: "
           + ", ".join(wrong[:4]) + (" ..." if len(wrong) > 4 else ""))


def _forward_wrong(fb: Feedback, grads: dict, backward: Callable, forward: Callable,
                   fwd: Feedback, probe: Probe, dh: np.ndarray, seconds: float | None,
                   ctx: str) -> bool:
    """Blame the forward pass only when the backward pass really depends on it.

    That is when ``backward`` calls the learner's ``gru_forward``, or when its
    gradients are exactly those of the learner's (wrong) forward pass: then
    the derivative is right and the forward equations it differentiates are not.
    """
    titles = ", ".join(f.title for f in fwd.findings)
    if _called_learner_function(backward, "gru_forward") is not None:
        fb.add("forward_wrong", f"Your gru_backward calls your gru_forward, which has:"
               f" {titles}.", ctx)
        return True
    fd = student_fd(forward, probe, dh, seconds)
    if fd is not None and grads_close(grads, fd, tol=1e-4):
        fb.add("forward_wrong", f"Your gru_forward has: {titles}. Your gradients match"
               " finite differences of YOUR forward pass, so the derivative is"
               " consistent; the forward equations inside gru_backward repeat the"
               " forward's mistake.", ctx)
        return True
    return False


# --- Gradient-check helpers (CS231n style)


@forbids(lambda: _a1_forbidden())
def check_numerical_gradient(numerical_gradient: Any,
                             seconds: float | None = DEFAULT_SECONDS) -> Feedback:
    """Check ``numerical_gradient(f, x, eps=1e-5)``: central differences of ``f`` at ``x``.

    ``f`` takes the array ``x`` and returns a float; the result has the shape
    of ``x``, and ``x`` must hold its original values afterwards.
    """
    fb = Feedback("numerical_gradient")
    if not check_defined(fb, numerical_gradient, "numerical_gradient", 3,
                         "numerical_gradient(f, x, eps=1e-5)"):
        return fb
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 4))
    c = rng.standard_normal((3, 4))
    eps = 1e-3  # large enough that one-sided and central differences differ clearly

    def f(a: np.ndarray) -> float:
        return float(np.sum(c * a**3))

    exact = 3 * c * x**2
    x_in = x.copy()
    call = call_learner(fb, numerical_gradient, (f, x_in, eps), seconds, "numerical_gradient")
    if call is None:
        return fb
    arr = as_array(call.value)
    if arr is None or arr.shape != x.shape:
        got = None if arr is None else arr.shape
        fb.add("output_shape", f"Returned {got}; expected the shape of x, {x.shape}.")
        return fb
    if not np.array_equal(x_in, x):
        fb.add("input_not_restored", "After your call x holds different values.")
    forward_d = c * ((x + eps) ** 3 - x**3) / eps
    backward_d = c * (x**3 - (x - eps) ** 3) / eps
    central = c * ((x + eps) ** 3 - (x - eps) ** 3) / (2 * eps)
    if close(arr, central, 1e-6, 1e-9):
        pass
    elif close(arr, forward_d, 1e-6, 1e-9) or close(arr, backward_d, 1e-6, 1e-9):
        fb.add("one_sided_difference", "With eps=1e-3 on f(x) = Σ c x³ your result is off"
               f" by {relative_error(arr, exact):.1e} (central: "
               f"{relative_error(central, exact):.1e}).")
    elif close(arr, 2 * central, 1e-6, 1e-9):
        fb.add("wrong_step_scale", "Your result is twice the derivative.")
    elif not fb.findings:
        fb.add("values_differ", "On f(x) = Σ c x³ your result differs from 3 c x²"
               f" (relative error {relative_error(arr, exact):.1e}).")
    if fb.passed:
        _closure_case(fb, numerical_gradient, x, c, eps, central, seconds)
    if fb.passed:
        fb.note("Checked on f(x) = Σ c x³ with eps = 1e-3, once through f's argument"
                " and once with f reading x itself (as a loss over weights does).")
    return fb


def _closure_case(fb: Feedback, numerical_gradient: Callable, x: np.ndarray,
                  c: np.ndarray, eps: float, central: np.ndarray,
                  seconds: float | None) -> None:
    """The same f, reading x through a closure: a copy-perturbing gradient gives 0."""
    x_in = x.copy()

    def f_closure(_: np.ndarray) -> float:
        return float(np.sum(c * x_in**3))

    call = call_learner(fb, numerical_gradient, (f_closure, x_in, eps), seconds,
                        "numerical_gradient", "f reading x itself")
    if call is None:
        return
    arr = as_array(call.value)
    if arr is None or arr.shape != x.shape or close(arr, central, 1e-6, 1e-9):
        return
    if np.allclose(arr, 0.0):
        fb.add("perturbs_copy", "With an f that reads the array x itself, not its"
               " argument, your numerical gradient is all zeros.")
    else:
        fb.add("values_differ", "With an f that reads the array x itself, not its"
               " argument, your result differs from the central difference.")


@forbids(lambda: _a1_forbidden())
def check_relative_error(relative_error_fn: Any,
                         seconds: float | None = DEFAULT_SECONDS) -> Feedback:
    """Check ``relative_error(a, b)`` against :func:`gru_edu.cell.gradcheck.relative_error`.

    That is ``max |a - b| / max(1e-8, max(|a| + |b|))``: the largest difference
    over the largest magnitude (CS231n divides entry by entry instead).
    """
    fb = Feedback("relative_error")
    if not check_defined(fb, relative_error_fn, "relative_error", 2,
                         "relative_error(a, b)"):
        return fb
    rng = np.random.default_rng(5)
    a = rng.standard_normal((4, 3))
    b = a + 1e-3 * rng.standard_normal((4, 3))
    cases = [
        ("random arrays", a, b),
        ("arrays of very different scales", a * 1e3, b),
        ("a vector and zeros", a[0], np.zeros(3)),
    ]
    for label, u, v in cases:
        call = call_learner(fb, relative_error_fn, (u.copy(), v.copy()), seconds,
                            "relative_error")
        if call is None:
            return fb
        want = relative_error(u, v)
        got = as_number(call.value)
        if got is None:
            fb.add("relative_error_formula", f"For {label} it returned"
                   f" {kind_and_shape(call.value)}; expected one number.")
            return fb
        if not np.isclose(got, want, rtol=1e-6, atol=1e-12):
            absolute = float(np.max(np.abs(u - v)))
            per_entry = np.abs(u - v) / np.maximum(1e-8, np.abs(u) + np.abs(v))
            hint = ""
            if np.isclose(got, absolute):
                hint = " That is the absolute error max |a - b|, not divided by |a| + |b|."
            elif np.isclose(got, float(np.max(per_entry))) or np.isclose(
                    got, float(np.max(np.abs(u - v) / np.maximum(
                        1e-8, np.maximum(np.abs(u), np.abs(v)))))):
                hint = (" That divides entry by entry, as CS231n's rel_error does;"
                        " this assignment divides the largest difference by the"
                        " largest |a| + |b|, once.")
            elif np.isclose(got, float(np.mean(per_entry))):
                hint = " That is a mean over entries; take the largest difference."
            fb.add("relative_error_formula", f"For {label} it returned {got:.3g};"
                   f" expected {want:.3g}.{hint}")
            return fb
    zeros = np.zeros(3)
    call = safe_call(relative_error_fn, (zeros, zeros.copy()), seconds)
    value = as_array(call.value) if call.ok else None
    if not call.ok or value is None or not np.all(np.isfinite(value)):
        fb.add("zero_division", "relative_error(zeros, zeros) should be 0; yours gave "
               + (f"{type(call.error).__name__}" if not call.ok else f"{call.value}") + ".")
    elif float(np.max(value)) != 0.0:
        fb.add("relative_error_formula", "relative_error(zeros, zeros) should be 0.")
    return fb


@functools.cache
def _a1_forbidden() -> guard.Forbidden:
    """What assignment 1's questions forbid: the reference GRU and the checks' solvers."""
    return guard.Forbidden(
        "the reference implementation this assignment grades against (gru_edu.cell,"
        " the checks' own solvers, or another library's GRU)",
        (numpy_gru, gradcheck, reference_states, _step_reference, reference_grads,
         truncated_grads),
        files=("keras/src/layers/rnn/gru.py", "torch/nn/modules/rnn.py"),
    )
