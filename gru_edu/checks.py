"""Assignment feedback: what a teaching assistant would say about a learner's GRU.

The graded assignments ask learners to write a GRU in NumPy (Keras layout,
gate order ``[z, r, h]``). A bare "wrong" teaches nothing, so each ``check_*``
function here compares the learner's function with :mod:`gru_edu.cell` and,
when they differ, works out *why*, the way a TA reading the code would:

* **Hypotheses.** Each common mistake is the correct GRU run on transformed
  weights: gate order ``[r, z, h]`` is the correct GRU with the z and r blocks
  swapped, the ``(1 - z)`` convention swapped is the correct GRU with the z
  block negated (``1 - σ(a) = σ(-a)``), a missing bias is the correct GRU
  with that bias zeroed, the other ``reset_after`` variant is
  ``gru_edu.cell`` with the flag flipped. If the learner's output equals one
  of these, the mistake is named. Nothing here re-derives the equations.
* **Ablation probes** (as in deeplearning.ai's public tests). Keep one part of
  the GRU and zero the rest (only the input weights; only the biases; only the
  update gate, candidate forced to 0; ...) and see which parts agree, which
  localises an error no hypothesis explains.
* **Gradient checks** (as in CS231n). Gradients are compared block by block
  (z, r, h) with the reference and with central finite differences of the
  learner's own forward pass.

Every call into learner code runs under a time limit (:func:`call_with_time_limit`)
and under the call detector of :mod:`gru_edu.guard`: each check declares what
its question forbids (:func:`forbids`), and a learner's function that runs
forbidden code by any route gets the one finding "calls the reference
implementation". An exception, an infinite loop or a wrong shape becomes
feedback, never a crash of the grader. Each check returns a :class:`Feedback`: ``passed``, the named
``mistakes`` and a plain-language text; ``feedback.require()`` raises
``AssertionError(text)``, which is what the assignments' otter tests call.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import itertools
import json
import os
import signal
import threading
import traceback
import types
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from time import monotonic
from typing import Any, Callable, Sequence

import numpy as np

from . import cell, gradcheck, guard
from .cell import GRUParams
from .gradcheck import numerical_gradient, relative_error

__all__ = [
    "MISTAKES",
    "Feedback",
    "Finding",
    "TimeLimitExceeded",
    "call_with_time_limit",
    "check_gru_step",
    "check_gru_forward",
    "check_gru_backward",
    "check_numerical_gradient",
    "check_relative_error",
    "DEFAULT_SECONDS",
]

DEFAULT_SECONDS = float(os.environ.get("GRU_EDU_CHECK_SECONDS", "10"))
"""Time limit for one call of a learner's function on the small probe inputs
(seconds; environment variable ``GRU_EDU_CHECK_SECONDS``, default 10)."""

GATES = ("z", "r", "h")
GATE_NAMES = {"z": "update gate z", "r": "reset gate r", "h": "candidate h̃"}

# --------------------------------------------------------------------------
# The catalogue of mistakes: id -> (short title, what to do about it)
# --------------------------------------------------------------------------

MISTAKES: dict[str, tuple[str, str]] = {
    "not_defined": (
        "function not defined",
        "Run the cell that defines it (and the cells above it), then check again.",
    ),
    "not_implemented": (
        "not implemented yet",
        "Replace the `raise NotImplementedError` line with your code.",
    ),
    "signature": (
        "signature differs from the assignment's",
        "Keep the parameters the stub gives, in the same order.",
    ),
    "exception": (
        "your code raised an error",
        "Read the error and the line it points at; print the shapes of the"
        " arrays on that line.",
    ),
    "timeout": (
        "time limit exceeded: an infinite loop?",
        "On these tiny inputs a GRU takes milliseconds. Look for a `while`"
        " loop whose condition never changes, or a loop over the wrong range.",
    ),
    "uses_reference": (
        "calls the reference implementation",
        "This question grades your own code: write it yourself with NumPy"
        " instead of calling the reference it is graded against (or a copy of"
        " it); nothing else is checked while it does.",
    ),
    "grader_tampering": (
        "reaches into the grader",
        "Compute the answer from the function's inputs only: no switching off"
        " the grader's checks or time limits, no reading its frames or objects.",
    ),
    "non_finite": (
        "NaN or infinite values",
        "An exponential overflowed or something was divided by zero. With"
        " `1 / (1 + np.exp(-a))` the sigmoid is safe; `np.exp(a) / ...` is not.",
    ),
    "output_shape": (
        "wrong output shape",
        "Check the shape of what you return against the docstring.",
    ),
    "gate_order": (
        "gate order [r, z, h] instead of [z, r, h]",
        "Keras stores the three gates side by side in the order [z | r | h]:"
        " with n units, columns 0..n-1 belong to the update gate z, n..2n-1"
        " to the reset gate r and 2n..3n-1 to the candidate h̃ (in kernel,"
        " recurrent_kernel and bias alike).",
    ),
    "transposed_kernel": (
        "transposed kernel",
        "The Keras kernel is (input_dim, 3*units) and the recurrent kernel"
        " (units, 3*units): compute x_t @ kernel and h_prev @ recurrent_kernel"
        " and cut the result into column blocks. PyTorch stores the transpose"
        " (3*units, input_dim) and multiplies by W.T; Keras does not.",
    ),
    "swapped_kernels": (
        "kernel and recurrent_kernel swapped",
        "The input x_t multiplies `kernel`; the previous state h_prev"
        " multiplies `recurrent_kernel`.",
    ),
    "reset_position": (
        "reset gate applied on the wrong side of the recurrent product",
        "reset_after=True (Keras default, cuDNN): h̃ = tanh(x W_h + b_h +"
        " r * (h_prev U_h + b'_h)), reset AFTER the product."
        " reset_after=False (Cho et al. 2014): h̃ = tanh(x W_h + b_h +"
        " (r * h_prev) U_h), reset BEFORE the product.",
    ),
    "z_convention": (
        "the (1 - z) convention swapped",
        "Keras, PyTorch and Cho et al. 2014 (eq. 7) keep the OLD state with"
        " weight z: h_t = z * h_prev + (1 - z) * h̃. You wrote"
        " h_t = (1 - z) * h_prev + z * h̃, as Chung et al. 2014 and many"
        " tutorials do. Both are valid GRUs, but not with the same weights.",
    ),
    "missing_bias": (
        "missing biases",
        "Every gate adds its bias: x W + b for all three gates and, with"
        " reset_after=True, the recurrent bias b' (bias[1]) inside h_prev U + b'.",
    ),
    "single_variant": (
        "works for one reset_after variant only",
        "The bias is (2, 3*units) when reset_after=True (row 0 input, row 1"
        " recurrent) and (3*units,) when reset_after=False; the reset gate"
        " goes after the recurrent product in the first, before it in the second.",
    ),
    "state_not_carried": (
        "the state is not carried from step to step",
        "Each step must start from the state the previous step produced:"
        " h_prev = h_t at the end of the loop body, starting from h0.",
    ),
    "h0_ignored": (
        "the initial state h0 is ignored",
        "Start the loop from h0 when it is given; use zeros only when h0 is None.",
    ),
    "last_state_only": (
        "returns only the last state",
        "Return every state, shape (batch, time, units): store h_t at index t.",
    ),
    "time_major": (
        "time-major output (time, batch, units)",
        "Keras is batch-major: stack the states along axis 1, e.g."
        " np.stack(states, axis=1).",
    ),
    "includes_h0": (
        "the output includes h0",
        "The output holds h_1 .. h_T (one per input step), not h0.",
    ),
    "shifted_states": (
        "each output is the previous step's state",
        "Store h_t after computing it, not h_prev before.",
    ),
    "reversed_time": (
        "the sequence runs backwards",
        "Loop t = 0, 1, ..., T-1 and store h_t at index t.",
    ),
    "missing_gradient": (
        "a gradient is missing",
        "Return a dict with the keys kernel, recurrent_kernel, bias, x and h0.",
    ),
    "gradient_shape": (
        "a gradient has the wrong shape",
        "Every gradient has the shape of what it differentiates"
        " (dkernel like kernel, dx like x, ...).",
    ),
    "gradient_sign": (
        "gradients with the wrong sign",
        "These are gradients of the loss (to be subtracted by gradient descent);"
        " yours point the opposite way.",
    ),
    "no_bptt": (
        "no backpropagation through time",
        "dL/dh_t has two sources: dh_seq[:, t] and the gradient flowing back"
        " from step t+1 (dh_next). Add them before using dh, and pass"
        " dh_prev on to step t-1.",
    ),
    "last_step_only": (
        "only the last step's dh_seq is used",
        "The loss reads every h_t: add dh_seq[:, t] at every step of the"
        " backward loop, not only at t = T-1.",
    ),
    "recurrent_bias_row": (
        "recurrent-bias gradient copied from the input bias",
        "With reset_after=True the candidate's recurrent bias b'_h sits inside"
        " r * (h_prev U_h + b'_h): its gradient is multiplied by r, so"
        " bias[1] differs from bias[0] in the h block.",
    ),
    "gradient_blocks": (
        "some gradient blocks are wrong",
        "The blocks marked ✗ are off and the ✓ ones right: the error is in the"
        " part of the backward pass that feeds only the ✗ blocks.",
    ),
    "forward_wrong": (
        "the forward pass is not right yet",
        "Fix gru_forward first: the backward pass differentiates it.",
    ),
    "one_sided_difference": (
        "one-sided instead of central difference",
        "Use (f(x + eps) - f(x - eps)) / (2 eps): its error is O(eps²)"
        " instead of O(eps) for (f(x + eps) - f(x)) / eps.",
    ),
    "wrong_step_scale": (
        "central difference divided by eps instead of 2 eps",
        "x + eps and x - eps are 2 eps apart: divide by 2 * eps.",
    ),
    "input_not_restored": (
        "the input x is not restored after perturbing it",
        "After evaluating f at x[i] + eps and x[i] - eps, set x[i] back to its"
        " old value; otherwise every later entry is measured at a shifted point.",
    ),
    "zero_division": (
        "division by zero when both values are 0",
        "Divide by max(1e-8, max(|a| + |b|)), as CS231n does.",
    ),
    "relative_error_formula": (
        "not the relative error asked for",
        "max |a - b| / max(1e-8, max(|a| + |b|)): the largest difference over"
        " the largest magnitude.",
    ),
    "wrong_values": (
        "values differ from the reference; cause not recognised",
        "The ablation probes below show which part of the GRU differs.",
    ),
}


# --------------------------------------------------------------------------
# Feedback
# --------------------------------------------------------------------------


@dataclass
class Finding:
    """One named mistake: its id in :data:`MISTAKES`, a title and an explanation."""

    mistake: str
    detail: str = ""
    context: str = ""  # e.g. "reset_after=True"
    title: str = ""

    def __post_init__(self) -> None:
        if not self.title:
            self.title = MISTAKES[self.mistake][0]

    def text(self) -> str:
        where = f" ({self.context})" if self.context else ""
        lines = [f"✗ {self.title[0].upper()}{self.title[1:]}{where}."]
        if self.detail:
            lines.append(_indent(self.detail))
        advice = MISTAKES[self.mistake][1]
        if advice:
            lines.append(_indent("What to do: " + advice))
        return "\n".join(lines)


@dataclass
class Feedback:
    """What a check found: ``passed``, named ``findings`` and extra notes.

    ``str(feedback)`` is the text a learner reads; :meth:`require` raises it
    as an ``AssertionError`` when the check did not pass.
    """

    what: str
    passed: bool = True
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    probes: list[tuple[str, str]] = field(default_factory=list)  # (context, table)

    @property
    def mistakes(self) -> list[str]:
        """Ids (keys of :data:`MISTAKES`) of everything found, in order."""
        return [f.mistake for f in self.findings]

    def add(self, mistake: str, detail: str = "", context: str = "", title: str = "") -> None:
        self.passed = False
        self.findings.append(Finding(mistake, detail, context, title))

    def note(self, text: str) -> None:
        self.notes.append(text)

    def merge_variants(self, label: str = "both reset_after variants") -> None:
        """One finding (and one probe table) for what every variant got wrong alike."""
        merged: list[Finding] = []
        for f in self.findings:
            twin = next((g for g in merged if (g.mistake, g.title) == (f.mistake, f.title)
                         and g.context != f.context and g.context and f.context), None)
            if twin is None:
                merged.append(f)
            else:
                twin.context = label
        self.findings = merged
        tables = {t for _, t in self.probes}
        if len(self.probes) > 1 and len(tables) == 1:
            self.probes = [(label, self.probes[0][1])]

    def __str__(self) -> str:
        if self.passed:
            head = f"✓ {self.what}: correct."
        else:
            n = len(self.findings)
            head = f"{self.what}: not right yet ({n} problem{'s' * (n != 1)} found)."
        parts = [head] + [f.text() for f in self.findings]
        for ctx, table in self.probes:
            where = f" ({ctx})" if ctx else ""
            parts.append(f"Ablation probes{where}, each keeping one part of the GRU"
                         f" and zeroing the rest:\n{table}")
        return "\n".join(parts + self.notes)

    def __repr__(self) -> str:  # what a notebook cell shows
        return str(self)

    def require(self) -> "Feedback":
        """Raise ``AssertionError(str(self))`` unless the check passed."""
        if not self.passed:
            raise AssertionError("\n" + str(self))
        return self


def _indent(text: str, prefix: str = "  ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


# --------------------------------------------------------------------------
# Running learner code: time limits, exceptions, where it failed
# --------------------------------------------------------------------------


class TimeLimitExceeded(BaseException):
    """Raised inside learner code that ran past its time limit.

    A ``BaseException`` so that ``except Exception`` in learner code does not
    swallow it.
    """


_ALARM = {"active": False, "fires": 0}


def _on_alarm(signum: int, frame: Any) -> None:
    if _ALARM["active"]:
        _ALARM["fires"] += 1
        if _ALARM["fires"] >= 3:  # still running 0.2 s on: it catches the exception
            guard.stop_learner_code(frame, TimeLimitExceeded)
        raise TimeLimitExceeded("time limit exceeded")


def call_with_time_limit(fn: Callable, *args: Any, seconds: float | None = DEFAULT_SECONDS,
                         **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)``, stopped with :class:`TimeLimitExceeded` after ``seconds``.

    In the main thread (a notebook, the grader) a ``SIGALRM`` timer interrupts
    the call, so even ``while True: pass`` ends; the timer re-fires every
    0.1 s until the call returns, and from the third time on every line of
    learner code raises (:func:`gru_edu.guard.stop_learner_code`), so a bare
    ``except:``, even in a loop, cannot keep it alive.
    Elsewhere the call runs in a daemon thread that is abandoned when late.
    Nested calls run under the outer limit.
    """
    if seconds is None or seconds <= 0 or _ALARM["active"]:
        return fn(*args, **kwargs)
    use_alarm = (
        hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not use_alarm:
        return _call_in_thread(fn, args, kwargs, seconds)
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    _ALARM["active"], _ALARM["fires"] = True, 0
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.1)
    try:
        return fn(*args, **kwargs)
    finally:
        while True:  # the alarm may fire while we clean up: retry until done
            try:
                _ALARM["active"] = False
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
                guard.clear_stop()
                break
            except TimeLimitExceeded:
                continue


def _call_in_thread(fn: Callable, args: tuple, kwargs: dict, seconds: float) -> Any:
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as err:  # noqa: BLE001 - handed back to the caller
            box["error"] = err

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise TimeLimitExceeded("time limit exceeded")
    if "error" in box:
        raise box["error"]
    return box["value"]


@dataclass
class _Call:
    value: Any = None
    error: BaseException | None = None
    where: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None


_HERE = str(Path(__file__).resolve())


def _learner_line(err: BaseException, chain: bool = False) -> str:
    """'line 7 in gru_step: `h = ...`' for the deepest frame of learner code.

    With ``chain``, the learner frames from the outermost in (up to three),
    which says more for a loop that never ends than where it happened to be.
    """
    frames = traceback.extract_tb(err.__traceback__)
    mine = [
        f for f in frames
        if f.filename != _HERE
        and "site-packages" not in f.filename
        and "/numpy/" not in f.filename
        and not f.filename.endswith(("threading.py", "gru_edu/cell.py", "gru_edu/guard.py"))
    ]
    if not mine:
        return ""

    def fmt(f: traceback.FrameSummary) -> str:
        code = (f.line or "").strip()
        return f"line {f.lineno} in {f.name}" + (f": `{code}`" if code else "")

    if chain and len(mine) > 1:
        return " → ".join(fmt(f) for f in mine[:3])
    return fmt(mine[-1])


# Functions that ran out of time once fail at once afterwards, so that a
# learner's infinite loop costs one time limit, not one per probe.
_TIMED_OUT: "weakref.WeakKeyDictionary[Any, str]" = weakref.WeakKeyDictionary()


# The watch of the check running now (see :func:`forbids`); None outside checks
# and in checks whose question forbids nothing.
_WATCH: contextvars.ContextVar[guard.Watch | None] = contextvars.ContextVar(
    "gru_edu_checks_watch", default=None)


def forbids(forbidden: Callable[[], guard.Forbidden]) -> Callable[[Callable], Callable]:
    """Decorator: the check's calls of learner code run under :class:`gru_edu.guard.Watch`.

    ``forbidden()`` says what the question forbids. If a learner's function
    ran any of it (or reached into the grader) during the check, the check's
    own findings are replaced by that one finding: a result obtained from the
    reference says nothing about the learner's code.
    """

    def decorate(check: Callable[..., Feedback]) -> Callable[..., Feedback]:
        @functools.wraps(check)
        def run(*args: Any, **kwargs: Any) -> Feedback:
            watch = guard.Watch(forbidden())
            token = _WATCH.set(watch)
            try:
                fb = check(*args, **kwargs)
            finally:
                _WATCH.reset(token)
            return _caught(fb, watch) if watch.hits else fb

        return run

    return decorate


def _caught(fb: Feedback, watch: guard.Watch) -> Feedback:
    """The feedback of a check whose learner code ran forbidden code."""
    out = Feedback(fb.what)
    calls, tampering = watch.reference_calls, watch.tampering
    if calls:
        out.add("uses_reference", f"While the check ran {fb.what}, it ran"
                f" {', '.join(calls[:3])}: {watch.forbidden.label}.")
    if tampering:
        out.add("grader_tampering", f"While the check ran {fb.what}, it"
                f" {'; '.join(tampering[:3])}.")
    return out


def _safe_call(fn: Callable, args: Sequence[Any], seconds: float | None,
               kwargs: dict | None = None) -> _Call:
    try:
        if fn in _TIMED_OUT:
            return _Call(error=TimeLimitExceeded("time limit exceeded"), where=_TIMED_OUT[fn])
    except TypeError:  # not weak-referenceable or unhashable: just call it
        pass
    watch = _WATCH.get()
    try:
        if watch is not None:
            return _Call(call_with_time_limit(watch.call, fn, *args, seconds=seconds,
                                              **(kwargs or {})))
        return _Call(call_with_time_limit(fn, *args, seconds=seconds, **(kwargs or {})))
    except TimeLimitExceeded as err:
        where = _learner_line(err, chain=True)
        try:
            _TIMED_OUT[fn] = where
        except TypeError:
            pass
        return _Call(error=err, where=where)
    except Exception as err:  # noqa: BLE001 - learner code may raise anything
        return _Call(error=err, where=_learner_line(err))


def _copy(a: Any) -> Any:
    return np.array(a, copy=True) if isinstance(a, np.ndarray) else a


def _report_error(fb: Feedback, call: _Call, name: str, context: str = "") -> None:
    """Turn an exception from learner code into a named finding."""
    err = call.error
    where = f" at {call.where}" if call.where else ""
    if isinstance(err, TimeLimitExceeded):
        fb.add("timeout", f"{name} did not return{where}.", context)
    elif isinstance(err, NotImplementedError):
        fb.add("not_implemented", f"{name} still raises NotImplementedError.", context)
    else:
        msg = f"{type(err).__name__}: {err}".strip()
        detail = f"{name} raised {msg}{where}."
        line = call.where.lower()
        shape_error = isinstance(err, ValueError) and any(
            s in str(err) for s in ("matmul", "shapes", "aligned", "broadcast", "dimension")
        )
        if shape_error and (".t`" in line or ".t)" in line or ".t " in line
                            or "transpose" in line):
            fb.add("transposed_kernel", detail, context)
        elif shape_error:
            fb.add("exception", detail + " A size mismatch in a product usually means"
                   " a transposed weight matrix or a gate block cut along the wrong"
                   " axis (cut columns: kernel[:, :n], not kernel[:n]).", context)
        else:
            fb.add("exception", detail, context)


def _check_defined(fb: Feedback, fn: Any, name: str, n_params: int, signature: str) -> bool:
    """Is ``fn`` a function taking the assignment's parameters? Findings if not."""
    if fn is None:
        fb.add("not_defined", f"No function called {name} was found.")
        return False
    if not callable(fn):
        fb.add("not_defined", f"{name} is a {type(fn).__name__}, not a function.")
        return False
    try:
        inspect.signature(fn).bind(*range(n_params))
    except TypeError:
        fb.add("signature", f"Expected {signature}; yours is"
               f" {name}{inspect.signature(fn)}.")
        return False
    except ValueError:  # builtins without a signature: just try calling
        pass
    return True


# --------------------------------------------------------------------------
# Probes: small, reproducible inputs
# --------------------------------------------------------------------------


@dataclass
class _Probe:
    """Inputs for one call: weights, x ``(batch, time, input_dim)``, h0."""

    params: GRUParams
    x: np.ndarray
    h0: np.ndarray | None

    def h0_or_zeros(self) -> np.ndarray:
        if self.h0 is not None:
            return self.h0
        return np.zeros((self.x.shape[0], self.params.units))

    def replace(self, params: GRUParams | None = None, x: Any = None, h0: Any = "keep") -> "_Probe":
        return _Probe(
            params if params is not None else self.params,
            x if x is not None else self.x,
            self.h0 if isinstance(h0, str) else h0,
        )


def _make_probe(batch: int, time: int, input_dim: int, units: int, reset_after: bool,
                seed: int, with_h0: bool = True) -> _Probe:
    params = GRUParams.random(input_dim, units, reset_after=reset_after, seed=seed, scale=0.8)
    rng = np.random.default_rng(seed + 1000)
    x = rng.standard_normal((batch, time, input_dim))
    h0 = np.tanh(rng.standard_normal((batch, units))) if with_h0 else None
    return _Probe(params, x, h0)


def _reference(probe: _Probe) -> np.ndarray:
    return cell.gru_forward(probe.x, probe.params, h0=probe.h0_or_zeros())[0]


def _close(a: Any, b: np.ndarray, rtol: float = 1e-5, atol: float = 1e-6) -> bool:
    try:
        a = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


# --------------------------------------------------------------------------
# Hypotheses: a mistake is the correct GRU on transformed weights
# --------------------------------------------------------------------------


def _blocks(a: np.ndarray, n: int) -> list[np.ndarray]:
    return [a[..., i * n:(i + 1) * n] for i in range(3)]


def _with(p: GRUParams, kernel: Any = None, recurrent_kernel: Any = None, bias: Any = None,
          reset_after: bool | None = None) -> GRUParams:
    return GRUParams(
        p.kernel if kernel is None else kernel,
        p.recurrent_kernel if recurrent_kernel is None else recurrent_kernel,
        p.bias if bias is None else bias,
        p.reset_after if reset_after is None else reset_after,
    )


def _permute(order: tuple[str, str, str]) -> Callable[[GRUParams], GRUParams]:
    """The learner reads the blocks as ``order`` (e.g. r, z, h)."""

    def transform(p: GRUParams) -> GRUParams:
        n = p.units

        def perm(a: np.ndarray) -> np.ndarray:
            b = _blocks(a, n)
            return np.concatenate([b[order.index(g)] for g in GATES], axis=-1)

        return _with(p, perm(p.kernel), perm(p.recurrent_kernel), perm(p.bias))

    return transform


def _negate_z(p: GRUParams) -> GRUParams:
    n = p.units

    def neg(a: np.ndarray) -> np.ndarray:
        a = a.copy()
        a[..., :n] *= -1
        return a

    return _with(p, neg(p.kernel), neg(p.recurrent_kernel), neg(p.bias))


def _flip_reset(p: GRUParams) -> GRUParams:
    if p.reset_after:  # learner applied the reset before the product
        return _with(p, bias=p.bias[0] + p.bias[1], reset_after=False)
    return _with(p, bias=np.stack([p.bias, np.zeros_like(p.bias)]), reset_after=True)


def _drop_bias(which: str) -> Callable[[GRUParams], GRUParams | None]:
    def transform(p: GRUParams) -> GRUParams | None:
        n = p.units
        b = p.bias.copy()
        if which == "all":
            b[...] = 0
        elif which in ("input", "recurrent"):
            if not p.reset_after:
                return None
            b[0 if which == "input" else 1] = 0
        elif which == "h_recurrent":
            if not p.reset_after:
                return None
            b[1, 2 * n:] = 0
        else:  # one gate, every row
            i = GATES.index(which)
            b[..., i * n:(i + 1) * n] = 0
        return _with(p, bias=b)

    return transform


def _transpose_recurrent_blocks(p: GRUParams) -> GRUParams:
    u = np.concatenate([blk.T for blk in _blocks(p.recurrent_kernel, p.units)], axis=-1)
    return _with(p, recurrent_kernel=u)


def _transpose_kernel_blocks(p: GRUParams) -> GRUParams | None:
    if p.input_dim != p.units:
        return None
    k = np.concatenate([blk.T for blk in _blocks(p.kernel, p.units)], axis=-1)
    return _with(p, kernel=k)


def _transpose_kernel(p: GRUParams) -> GRUParams | None:
    if p.input_dim != 3 * p.units:
        return None
    return _with(p, kernel=p.kernel.T.copy())


def _swap_kernels(p: GRUParams) -> GRUParams | None:
    if p.input_dim != p.units:
        return None
    return _with(p, kernel=p.recurrent_kernel, recurrent_kernel=p.kernel)


@dataclass
class _Hypothesis:
    mistake: str
    transform: Callable[[GRUParams], GRUParams | None]
    title: Callable[[GRUParams], str] | None = None
    detail: Callable[[GRUParams], str] | None = None


def _bias_title(which: str) -> Callable[[GRUParams], str]:
    texts = {
        "all": "missing biases: no bias is added",
        "input": "missing biases: the input bias bias[0] is not added",
        "recurrent": "missing biases: the recurrent bias bias[1] is not added",
        "h_recurrent": "missing biases: the candidate's recurrent bias b'_h"
                       " (bias[1, 2n:]) is not added inside r * (...)",
    }
    if which in texts:
        return lambda p: texts[which]
    return lambda p: f"missing biases: the bias of the {GATE_NAMES[which]} is not added"


def _reset_title(p: GRUParams) -> str:
    if p.reset_after:
        return "reset gate applied before instead of after the recurrent product"
    return "reset gate applied after instead of before the recurrent product"


def _order_title(order: tuple[str, ...]) -> Callable[[GRUParams], str]:
    text = f"gate order [{', '.join(order)}] instead of [z, r, h]"
    return lambda p: text


def _hypotheses() -> list[_Hypothesis]:
    hyps = [_Hypothesis("gate_order", _permute(("r", "z", "h")))]
    for order in itertools.permutations(GATES):
        if order not in (GATES, ("r", "z", "h")):
            hyps.append(_Hypothesis("gate_order", _permute(order), _order_title(order)))
    hyps += [
        _Hypothesis("transposed_kernel", _transpose_recurrent_blocks,
                    lambda p: "transposed kernel: each recurrent block U_z, U_r, U_h"
                              " is used transposed (h_prev @ U.T)"),
        _Hypothesis("transposed_kernel", _transpose_kernel_blocks,
                    lambda p: "transposed kernel: each input block W_z, W_r, W_h"
                              " is used transposed (x @ W.T)"),
        _Hypothesis("transposed_kernel", _transpose_kernel,
                    lambda p: "transposed kernel: the kernel is read as"
                              " (3*units, input_dim), PyTorch's layout"),
        _Hypothesis("swapped_kernels", _swap_kernels),
    ]
    for which in ("all", "input", "recurrent", "h_recurrent", "z", "r", "h"):
        hyps.append(_Hypothesis("missing_bias", _drop_bias(which), _bias_title(which)))
    hyps += [
        _Hypothesis("reset_position", _flip_reset, _reset_title),
        _Hypothesis("z_convention", _negate_z),
    ]
    return hyps


HYPOTHESES = _hypotheses()


def _explain(student: np.ndarray, probe: _Probe, reference: np.ndarray,
             reference_fn: Callable[[_Probe], np.ndarray] = _reference,
             ) -> list[tuple[_Hypothesis, ...]]:
    """Hypotheses (one, else pairs) whose transformed reference equals ``student``."""
    outputs: list[tuple[tuple[_Hypothesis, ...], GRUParams]] = []
    for h in HYPOTHESES:
        q = h.transform(probe.params)
        if q is not None:
            outputs.append(((h,), q))
    singles = []
    seen_outputs: list[np.ndarray] = [reference]
    for hs, q in outputs:
        y = reference_fn(probe.replace(params=q))
        if any(_close(y, o, 1e-9, 1e-9) for o in seen_outputs):
            continue  # this transform does not change anything here
        seen_outputs.append(y)
        if _close(student, y):
            singles.append(hs)
    if singles:
        return singles
    pairs = []
    for (h1,), q1 in outputs:
        for (h2,), _ in outputs:
            if h1 is h2 or h1.mistake == h2.mistake:
                continue
            q = h2.transform(q1)
            if q is None:
                continue
            y = reference_fn(probe.replace(params=q))
            if any(_close(y, o, 1e-9, 1e-9) for o in seen_outputs):
                continue
            if _close(student, y):
                pairs.append((h1, h2))
        if pairs:
            break
    return pairs


def _add_hypotheses(fb: Feedback, matches: list[tuple[_Hypothesis, ...]], probe: _Probe,
                    context: str, what: str) -> None:
    hs = matches[0]
    both = " together with " if len(hs) == 2 else ""
    for h in hs:
        title = h.title(probe.params) if h.title else ""
        detail = f"Your {what} equals that of a correct GRU with this mistake"
        detail += (" (and the one named next to it)." if both else ".")
        if h.mistake == "gate_order" and not h.title:
            detail = (f"Your {what} equals that of a correct GRU whose z and r"
                      " weight blocks are swapped: you took z from columns n..2n-1"
                      " and r from columns 0..n-1.")
        if h.mistake == "z_convention":
            detail = (f"Your {what} equals that of a correct GRU with z replaced"
                      " by 1 - z.")
        fb.add(h.mistake, detail, context, title)


# --------------------------------------------------------------------------
# Ablation probes: keep one part of the GRU, zero the rest
# --------------------------------------------------------------------------


def _zero_blocks(a: np.ndarray, n: int, gates: str) -> np.ndarray:
    a = a.copy()
    for g in gates:
        i = GATES.index(g)
        a[..., i * n:(i + 1) * n] = 0
    return a


def _ablations(probe: _Probe) -> list[tuple[str, str, _Probe]]:
    """(name, what it isolates, probe) for each ablation."""
    p = probe.params
    n = p.units
    zb = np.zeros_like(p.bias)
    zk = np.zeros_like(p.kernel)
    zu = np.zeros_like(p.recurrent_kernel)
    h0 = probe.h0_or_zeros()
    zeros_h0 = np.zeros_like(h0)
    z_off_bias = _zero_blocks(p.bias, n, "z")
    if p.reset_after:
        z_off_bias[0, :n] = -40.0
    else:
        z_off_bias[:n] = -40.0
    return [
        ("input weights only", "x_t @ kernel and its split into gates",
         probe.replace(_with(p, recurrent_kernel=zu, bias=zb), h0=zeros_h0)),
        ("recurrent weights only", "h_prev @ recurrent_kernel and the reset gate",
         probe.replace(_with(p, kernel=zk, bias=zb))),
        ("biases only", "how the biases are added",
         probe.replace(_with(p, kernel=zk, recurrent_kernel=zu), h0=zeros_h0)),
        ("update gate only (candidate h̃ = 0)", "z and the blend z * h_prev + (1 - z) * h̃",
         probe.replace(_with(p, _zero_blocks(p.kernel, n, "h"),
                             _zero_blocks(p.recurrent_kernel, n, "h"),
                             _zero_blocks(p.bias, n, "h")))),
        ("candidate only (update gate z ≈ 0)", "h̃, including the reset gate",
         probe.replace(_with(p, _zero_blocks(p.kernel, n, "z"),
                             _zero_blocks(p.recurrent_kernel, n, "z"), z_off_bias))),
    ]


def _ablation_table(run: Callable[[_Probe], _Call], probe: _Probe,
                    reference_fn: Callable[[_Probe], np.ndarray]) -> str:
    marks, hints = [], []
    for name, isolates, ab in _ablations(probe):
        call = run(ab)
        ok = call.ok and _close(call.value, reference_fn(ab))
        marks.append(f"{'✓' if ok else '✗'} {name}")
        if not ok:
            hints.append(isolates)
    text = _indent("\n".join(marks))
    if hints and len(hints) < len(marks):
        text += "\n" + _indent("Look at: " + "; ".join(hints) + ".")
    elif hints:
        text += "\n" + _indent("Every part differs: look at what they share, the"
                               " split into [z | r | h] blocks and the final blend.")
    return text


# --------------------------------------------------------------------------
# Output checks shared by the step and the sequence
# --------------------------------------------------------------------------


def _as_array(value: Any) -> np.ndarray | None:
    if isinstance(value, (tuple, list)) and value and isinstance(value[0], np.ndarray):
        value = value[0]  # (h, gates) is accepted: the first item is h
    if value is None:
        return None
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return arr


def _check_output(fb: Feedback, value: Any, expected_shape: tuple, name: str,
                  context: str, shape_words: str) -> np.ndarray | None:
    """Shape and finiteness; the array when both are fine."""
    if value is None:
        fb.add("output_shape", f"{name} returned None: did you forget `return`?", context,
               "wrong output shape: nothing returned")
        return None
    arr = _as_array(value)
    if arr is None:
        fb.add("output_shape", f"{name} returned a {type(value).__name__}, not an array.",
               context)
        return None
    if arr.shape != expected_shape:
        return arr  # the caller names the shape mistake
    if not np.all(np.isfinite(arr)):
        fb.add("non_finite", f"{name} returned NaN or inf values.", context)
        return None
    return arr


def _shape_finding(fb: Feedback, arr: np.ndarray, expected: tuple, name: str,
                   context: str, shape_words: str) -> None:
    detail = (f"{name} returned shape {arr.shape}; expected {expected}"
              f" = {shape_words}.")
    if arr.shape == expected[::-1]:
        detail += " The axes are swapped: is the result transposed?"
    elif arr.size == int(np.prod(expected)):
        detail += " Same number of values, arranged differently."
    fb.add("output_shape", detail, context)


# --------------------------------------------------------------------------
# check_gru_step
# --------------------------------------------------------------------------

STEP_SIGNATURE = "gru_step(x_t, h_prev, kernel, recurrent_kernel, bias, reset_after=True)"
FORWARD_SIGNATURE = ("gru_forward(x, kernel, recurrent_kernel, bias, reset_after=True,"
                     " h0=None)")
BACKWARD_SIGNATURE = ("gru_backward(dh_seq, x, kernel, recurrent_kernel, bias,"
                      " reset_after=True, h0=None)")


def _step_runner(fn: Callable, seconds: float | None) -> Callable[[_Probe], _Call]:
    def run(probe: _Probe) -> _Call:
        p = probe.params
        args = (_copy(probe.x[:, 0]), _copy(probe.h0_or_zeros()), _copy(p.kernel),
                _copy(p.recurrent_kernel), _copy(p.bias), p.reset_after)
        call = _safe_call(fn, args, seconds)
        if call.ok:
            arr = _as_array(call.value)
            call.value = arr if arr is not None else call.value
        return call
    return run


def _step_reference(probe: _Probe) -> np.ndarray:
    return _reference(probe)[:, 0]


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
    if not _check_defined(fb, gru_step, "gru_step", 6, STEP_SIGNATURE):
        return fb
    batch, m, n = shape
    run = _step_runner(gru_step, seconds)
    ok_variants = []
    for ra in reset_after:
        ctx = f"reset_after={ra}"
        probe = _make_probe(batch, 1, m, n, ra, seed)
        before = len(fb.findings)
        _diagnose(fb, run, probe, _step_reference, "gru_step", "h_t", ctx,
                  (batch, n), "(batch, units)", _step_shape_mistakes)
        if len(fb.findings) == before:
            ok_variants.append(ra)
    _single_variant_note(fb, ok_variants, reset_after)
    if fb.passed:
        fb.note(f"Checked against gru_edu.cell for reset_after in {list(reset_after)}.")
    return fb


def _single_variant_note(fb: Feedback, ok: list[bool], tried: Sequence[bool]) -> None:
    if len(tried) == 2 and len(ok) == 1:
        fb.add("single_variant", f"Correct for reset_after={ok[0]} only.")
    fb.merge_variants()


def _step_shape_mistakes(fb: Feedback, arr: np.ndarray, probe: _Probe, ctx: str) -> bool:
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


def _diagnose(fb: Feedback, run: Callable[[_Probe], _Call], probe: _Probe,
              reference_fn: Callable[[_Probe], np.ndarray], name: str, what: str,
              ctx: str, expected: tuple, shape_words: str,
              shape_mistakes: Callable[[Feedback, np.ndarray, _Probe, str], bool]) -> None:
    """Run one probe; name what is wrong (exception, shape, hypothesis, ablation)."""
    call = run(probe)
    reference = reference_fn(probe)
    if not call.ok:
        # A shape error on the main probe: on square or PyTorch-like shapes
        # the same code may run, and its result may name the mistake.
        if not isinstance(call.error, (TimeLimitExceeded, NotImplementedError)):
            if _try_special_shapes(fb, run, probe, reference_fn, what, ctx):
                return
        _report_error(fb, call, name, ctx)
        return
    arr = _check_output(fb, call.value, expected, name, ctx, shape_words)
    if arr is None:
        return
    if arr.shape != expected:
        if not shape_mistakes(fb, arr, probe, ctx):
            _shape_finding(fb, arr, expected, name, ctx, shape_words)
        return
    if _close(arr, reference):
        return
    matches = _explain(arr, probe, reference, reference_fn)
    if matches:
        _add_hypotheses(fb, matches, probe, ctx, what)
    elif not _try_special_shapes(fb, run, probe, reference_fn, what, ctx):
        err = float(np.max(np.abs(arr - reference)))
        fb.add("wrong_values", f"Largest difference from the reference: {err:.3g}.", ctx)
    fb.probes.append((ctx, _ablation_table(run, probe, reference_fn)))


def _try_special_shapes(fb: Feedback, run: Callable[[_Probe], _Call], probe: _Probe,
                        reference_fn: Callable[[_Probe], np.ndarray], what: str,
                        ctx: str) -> bool:
    """Square (input_dim == units) and PyTorch-like (input_dim == 3*units) probes."""
    b, t, _ = probe.x.shape
    n, ra = probe.params.units, probe.params.reset_after
    for m in (n, 3 * n):
        special = _make_probe(b, t, m, n, ra, seed=11, with_h0=probe.h0 is not None)
        call = run(special)
        if not call.ok:
            continue
        arr = _as_array(call.value)
        ref = reference_fn(special)
        if arr is None or arr.shape != ref.shape or _close(arr, ref):
            continue
        matches = _explain(arr, special, ref, reference_fn)
        matches = [hs for hs in matches
                   if any(h.mistake in ("transposed_kernel", "swapped_kernels") for h in hs)]
        if matches:
            _add_hypotheses(fb, matches, special, ctx, what)
            fb.findings[-1].detail += (
                f" (Found with input_dim={m} and units={n}: with other sizes the"
                " same code fails or gives different numbers.)")
            return True
    return False


# --------------------------------------------------------------------------
# check_gru_forward
# --------------------------------------------------------------------------


def _forward_runner(fn: Callable, seconds: float | None) -> Callable[[_Probe], _Call]:
    def run(probe: _Probe) -> _Call:
        p = probe.params
        args = (_copy(probe.x), _copy(p.kernel), _copy(p.recurrent_kernel), _copy(p.bias),
                p.reset_after, _copy(probe.h0))
        call = _safe_call(fn, args, seconds)
        if call.ok:
            arr = _as_array(call.value)
            call.value = arr if arr is not None else call.value
        return call
    return run


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
    if not _check_defined(fb, gru_forward, "gru_forward", 6, FORWARD_SIGNATURE):
        return fb
    batch, time, m, n = shape
    run = _forward_runner(gru_forward, seconds)
    ok_variants = []
    for ra in reset_after:
        ctx = f"reset_after={ra}"
        before = len(fb.findings)
        for with_h0 in (True, False):
            probe = _make_probe(batch, time, m, n, ra, seed, with_h0=with_h0)
            n_before = len(fb.findings)
            _diagnose(fb, run, probe, _reference, "gru_forward", "h_seq",
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
        step = _called_learner_function(gru_forward, "gru_step")
        if step is not None:
            step_fb = check_gru_step(step, reset_after=reset_after, seconds=seconds)
            if not step_fb.passed:
                titles = "; ".join(f.title for f in step_fb.findings)
                fb.notes.insert(0, f"Note: your gru_forward calls your gru_step, which is"
                                f" not right yet ({titles}). Fix gru_step first: the"
                                " problems above may all come from it.")
    return fb


def _called_learner_function(fn: Any, name: str) -> Callable | None:
    """The learner's function ``name`` if ``fn`` calls it by that name."""
    code = getattr(fn, "__code__", None)
    if code is None or name not in code.co_names:
        return None
    obj = getattr(fn, "__globals__", {}).get(name)
    if isinstance(obj, types.FunctionType) and not (obj.__module__ or "").startswith("gru_edu"):
        return obj
    return None


def _forward_shape_mistakes(fb: Feedback, arr: np.ndarray, probe: _Probe, ctx: str) -> bool:
    ref = _reference(probe)
    b, t, n = ref.shape
    cases = [
        ((b, n), lambda a: _close(a, ref[:, -1]), "last_state_only"),
        ((t, b, n), lambda a: _close(a, ref.transpose(1, 0, 2)), "time_major"),
        ((b, t + 1, n), lambda a: _close(a[:, 1:], ref), "includes_h0"),
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


def _refine_forward(fb: Feedback, run: Callable[[_Probe], _Call], probe: _Probe,
                    first: int) -> None:
    """Sequence-level mistakes the step-level hypotheses cannot see."""
    new = fb.findings[first:]
    if not new or new[0].mistake != "wrong_values":
        return
    call = run(probe)
    arr = call.value
    ref = _reference(probe)
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
        ("reversed_time", _reference(probe.replace(x=probe.x[:, ::-1]))[:, ::-1],
         "Your loop runs from the last input to the first."),
        ("reversed_time", _reference(probe.replace(x=probe.x[:, ::-1])),
         "Your loop runs from the last input to the first."),
    ]
    if probe.h0 is not None:
        candidates.append(("h0_ignored", _reference(probe.replace(h0=None)),
                           "Your output equals the reference started from zeros."))
    for mistake, expected, detail in candidates:
        if _close(arr, expected):
            fb.findings[first] = Finding(mistake, detail, new[0].context)
            # the ablation table would only repeat that everything differs
            fb.probes = [pr for pr in fb.probes if pr[0] != new[0].context]
            return
    # step right, sequence wrong: say so
    one = probe.replace(x=probe.x[:, :1])
    call1 = run(one)
    if call1.ok and _close(call1.value, _reference(one)):
        fb.findings[first].detail += (
            " With a single time step your output is right, so the step is fine and"
            " the loop over time is not: check how h_prev is updated and where h_t"
            " is stored.")


# --------------------------------------------------------------------------
# check_gru_backward
# --------------------------------------------------------------------------

GRAD_KEYS = ("kernel", "recurrent_kernel", "bias", "x", "h0")


def _grads_dict(value: Any) -> dict[str, Any] | None:
    if isinstance(value, dict):
        return value
    if hasattr(value, "as_dict"):
        return value.as_dict()
    if all(hasattr(value, k) for k in GRAD_KEYS):
        return {k: getattr(value, k) for k in GRAD_KEYS}
    return None


def _grad_probe(reset_after: bool, seed: int, shape: tuple[int, int, int, int]
                ) -> tuple[_Probe, np.ndarray]:
    batch, time, m, n = shape
    probe = _make_probe(batch, time, m, n, reset_after, seed)
    dh = np.random.default_rng(seed + 7).standard_normal((batch, time, n))
    return probe, dh


def _reference_grads(probe: _Probe, dh: np.ndarray) -> dict[str, np.ndarray]:
    _, cache = cell.gru_forward(probe.x, probe.params, h0=probe.h0_or_zeros())
    return cell.gru_backward(dh, cache).as_dict()


def _truncated_grads(probe: _Probe, dh: np.ndarray) -> dict[str, np.ndarray]:
    """Gradients with no flow from step t+1 to step t (each step on its own)."""
    _, cache = cell.gru_forward(probe.x, probe.params, h0=probe.h0_or_zeros())
    out = {k: None for k in GRAD_KEYS}
    dxs = []
    for t in range(probe.x.shape[1]):
        _, c = cell.gru_forward(probe.x[:, t:t + 1], probe.params, h0=cache.h_prev[:, t])
        g = cell.gru_backward(dh[:, t:t + 1], c)
        for k in ("kernel", "recurrent_kernel", "bias"):
            out[k] = g.as_dict()[k] if out[k] is None else out[k] + g.as_dict()[k]
        dxs.append(g.x[:, 0])
        if t == 0:
            out["h0"] = g.h0
    out["x"] = np.stack(dxs, axis=1)
    return out


def _grads_close(student: dict[str, np.ndarray], ref: dict[str, np.ndarray],
                 keys: Sequence[str] = GRAD_KEYS, tol: float = 1e-5) -> bool:
    for k in keys:
        s = np.asarray(student[k], dtype=np.float64)
        if s.shape != ref[k].shape or relative_error(s, ref[k]) > tol:
            return False
    return True


def _block_table(student: dict[str, np.ndarray], ref: dict[str, np.ndarray],
                 n: int, reset_after: bool, tol: float) -> tuple[list[str], list[str]]:
    """Per-block relative errors: (lines, names of wrong blocks)."""
    lines, wrong = [], []
    for k in ("kernel", "recurrent_kernel", "bias"):
        s, r = np.asarray(student[k], dtype=np.float64), ref[k]
        rows = [("", s, r)]
        if k == "bias" and reset_after:
            rows = [(" input row", s[0], r[0]), (" recurrent row", s[1], r[1])]
        for label, ss, rr in rows:
            cells = []
            for g, sb, rb in zip(GATES, _blocks(ss, n), _blocks(rr, n)):
                e = relative_error(sb, rb)
                ok = e <= tol
                cells.append(f"{'✓' if ok else '✗'} {g} {e:.1e}")
                if not ok:
                    wrong.append(f"d{k}{label} [{g} block]")
            lines.append(f"d{k}{label}: " + "   ".join(cells))
    for k in ("x", "h0"):
        e = relative_error(student[k], ref[k])
        ok = e <= tol
        lines.append(f"d{k}: {'✓' if ok else '✗'} {e:.1e}")
        if not ok:
            wrong.append(f"d{k}")
    return lines, wrong


def _student_fd(forward: Callable, probe: _Probe, dh: np.ndarray,
                seconds: float | None) -> dict[str, np.ndarray] | None:
    """Central differences of sum(dh * forward(...)) for the learner's own forward."""
    p = probe.params
    arrays = {"kernel": p.kernel.copy(), "recurrent_kernel": p.recurrent_kernel.copy(),
              "bias": p.bias.copy(), "x": probe.x.copy(), "h0": probe.h0_or_zeros().copy()}

    # Only the learner's forward runs under the watch (through _safe_call);
    # the finite differences around it are the checks' own code.
    deadline = None if seconds is None else monotonic() + 6 * seconds

    def loss(_: np.ndarray) -> float:
        left = None if deadline is None else deadline - monotonic()
        if left is not None and left <= 0:
            raise TimeLimitExceeded("time limit exceeded")
        call = _safe_call(forward, (
            arrays["x"].copy(), arrays["kernel"].copy(),
            arrays["recurrent_kernel"].copy(), arrays["bias"].copy(),
            p.reset_after, arrays["h0"].copy()), left)
        if not call.ok:
            raise call.error
        return float(np.sum(dh * np.asarray(_as_array(call.value), dtype=np.float64)))

    try:
        return {k: numerical_gradient(loss, a) for k, a in arrays.items()}
    except (Exception, TimeLimitExceeded):  # noqa: BLE001 - learner code
        return None


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
    if not _check_defined(fb, gru_backward, "gru_backward", 7, BACKWARD_SIGNATURE):
        return fb
    ok_variants = []
    for ra in reset_after:
        ctx = f"reset_after={ra}"
        before = len(fb.findings)
        _diagnose_backward(fb, gru_backward, gru_forward, ra, seed, shape, seconds, tol, ctx)
        if len(fb.findings) == before:
            ok_variants.append(ra)
    _single_variant_note(fb, ok_variants, reset_after)
    if fb.passed:
        fb.note(f"Every gradient within relative error {tol:g} of gru_edu.cell for"
                f" reset_after in {list(reset_after)}.")
    return fb


def _diagnose_backward(fb: Feedback, backward: Callable, forward: Any, ra: bool, seed: int,
                       shape: tuple[int, int, int, int], seconds: float | None, tol: float,
                       ctx: str) -> None:
    probe, dh = _grad_probe(ra, seed, shape)
    p = probe.params
    args = (dh.copy(), probe.x.copy(), p.kernel.copy(), p.recurrent_kernel.copy(),
            p.bias.copy(), ra, probe.h0.copy())
    call = _safe_call(backward, args, seconds)
    if not call.ok:
        _report_error(fb, call, "gru_backward", ctx)
        return
    grads = _grads_dict(call.value)
    if grads is None:
        fb.add("missing_gradient", f"gru_backward returned a {type(call.value).__name__};"
               " expected a dict of gradients.", ctx)
        return
    missing = [k for k in GRAD_KEYS if k not in grads or grads[k] is None]
    if missing:
        fb.add("missing_gradient", "Missing: " + ", ".join(missing) + ".", ctx)
        return
    ref = _reference_grads(probe, dh)
    bad_shapes = []
    for k in GRAD_KEYS:
        arr = _as_array(grads[k])
        if arr is None or arr.shape != ref[k].shape:
            got = None if arr is None else arr.shape
            hint = " (transposed)" if got == ref[k].shape[::-1] else ""
            bad_shapes.append(f"d{k} is {got}, expected {ref[k].shape}{hint}")
        grads[k] = arr
    if bad_shapes:
        fb.add("gradient_shape", "; ".join(bad_shapes) + ".", ctx)
        return
    if any(not np.all(np.isfinite(g)) for g in grads.values()):
        fb.add("non_finite", "Some gradients are NaN or infinite.", ctx)
        return
    if _grads_close(grads, ref, tol=tol):
        return
    # named hypotheses
    neg = {k: -v for k, v in ref.items()}
    last = np.zeros_like(dh)
    last[:, -1] = dh[:, -1]
    hyps = [
        ("gradient_sign", neg, "Your gradients are the reference's times -1."),
        ("no_bptt", _truncated_grads(probe, dh),
         "Your gradients equal those of a backward pass where nothing flows from"
         " step t+1 back to step t."),
        ("last_step_only", _reference_grads(probe, last),
         "Your gradients equal the reference's for a loss on the last state only."),
    ]
    for mistake, expected, detail in hyps:
        if _grads_close(grads, expected, tol=tol):
            fb.add(mistake, detail, ctx)
            return
    if ra:
        s_bias = grads["bias"]
        if (np.allclose(s_bias[1], s_bias[0], atol=1e-9)
                and not np.allclose(ref["bias"][1], ref["bias"][0])
                and relative_error(s_bias[0], ref["bias"][0]) <= tol):
            fb.add("recurrent_bias_row", "Your bias gradient has two equal rows.", ctx)
            return
    forward_ok = True
    if forward is not None:
        fwd = check_gru_forward(forward, reset_after=(ra,), seconds=seconds)
        forward_ok = fwd.passed
        if not forward_ok:
            titles = ", ".join(f.title for f in fwd.findings)
            detail = f"Your gru_forward has: {titles}."
            fd = _student_fd(forward, probe, dh, seconds)
            if fd is not None and _grads_close(grads, fd, tol=1e-4):
                detail += (" Your backward matches finite differences of YOUR forward"
                           " pass, so the backward is consistent; fix the forward.")
            fb.add("forward_wrong", detail, ctx)
            return
    lines, wrong = _block_table(grads, ref, p.units, ra, tol)
    detail = "Relative error of each block against gru_edu.cell (✓ ≤ %g):\n" % tol
    detail += _indent("\n".join(lines))
    one = _one_step_table(backward, probe, dh, seconds, tol)
    if one is not None:
        one_lines, one_wrong = one
        if not one_wrong:
            detail += ("\nWith a single time step every gradient is right: the derivative"
                       " of one step is fine, and the error is in what flows between"
                       " steps (dh_next, dh_prev).")
        elif len(one_wrong) < len(wrong) or len(one_wrong) < len(one_lines) * 3:
            detail = ("With a single time step, where an error cannot spread through"
                      " time, the relative error of each block (✓ ≤ %g) is:\n" % tol
                      + _indent("\n".join(one_lines)))
            if len(wrong) > len(one_wrong):
                detail += (f"\nOver {probe.x.shape[1]} steps the error spreads to"
                           f" {len(wrong)} blocks.")
            wrong = one_wrong
    if forward is not None and forward_ok:
        fd = _student_fd(forward, probe, dh, seconds)
        if fd is not None:
            e = max(relative_error(grads[k], fd[k]) for k in GRAD_KEYS)
            detail += (f"\nAgainst central finite differences of your gru_forward the"
                       f" largest relative error is {e:.1e}: your forward is right, so"
                       " the backward is what differs.")
    fb.add("gradient_blocks", detail, ctx, "some gradient blocks are wrong: "
           + ", ".join(wrong[:4]) + (" ..." if len(wrong) > 4 else ""))


def _one_step_table(backward: Callable, probe: _Probe, dh: np.ndarray,
                    seconds: float | None, tol: float) -> tuple[list[str], list[str]] | None:
    """The block table for the first time step alone, or None if that fails."""
    p = probe.params
    one = probe.replace(x=probe.x[:, :1])
    dh1 = dh[:, :1]
    args = (dh1.copy(), one.x.copy(), p.kernel.copy(), p.recurrent_kernel.copy(),
            p.bias.copy(), p.reset_after, one.h0.copy())
    call = _safe_call(backward, args, seconds)
    grads = _grads_dict(call.value) if call.ok else None
    if grads is None or any(k not in grads for k in GRAD_KEYS):
        return None
    ref = _reference_grads(one, dh1)
    try:
        grads = {k: np.asarray(grads[k], dtype=np.float64) for k in GRAD_KEYS}
    except (TypeError, ValueError):
        return None
    if any(grads[k].shape != ref[k].shape for k in GRAD_KEYS):
        return None
    return _block_table(grads, ref, p.units, p.reset_after, tol)


# --------------------------------------------------------------------------
# Gradient-check helpers (CS231n style)
# --------------------------------------------------------------------------


@forbids(lambda: _a1_forbidden())
def check_numerical_gradient(numerical_gradient: Any,
                             seconds: float | None = DEFAULT_SECONDS) -> Feedback:
    """Check ``numerical_gradient(f, x, eps=1e-5)``: central differences of ``f`` at ``x``.

    ``f`` takes the array ``x`` and returns a float; the result has the shape
    of ``x``, and ``x`` must hold its original values afterwards.
    """
    fb = Feedback("numerical_gradient")
    if not _check_defined(fb, numerical_gradient, "numerical_gradient", 3,
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
    call = _safe_call(numerical_gradient, (f, x_in, eps), seconds)
    if not call.ok:
        _report_error(fb, call, "numerical_gradient")
        return fb
    arr = _as_array(call.value)
    if arr is None or arr.shape != x.shape:
        got = None if arr is None else arr.shape
        fb.add("output_shape", f"Returned {got}; expected the shape of x, {x.shape}.")
        return fb
    if not np.array_equal(x_in, x):
        fb.add("input_not_restored", "After your call x holds different values.")
    forward_d = c * ((x + eps) ** 3 - x**3) / eps
    backward_d = c * (x**3 - (x - eps) ** 3) / eps
    central = c * ((x + eps) ** 3 - (x - eps) ** 3) / (2 * eps)
    if _close(arr, central, 1e-6, 1e-9):
        pass
    elif _close(arr, forward_d, 1e-6, 1e-9) or _close(arr, backward_d, 1e-6, 1e-9):
        fb.add("one_sided_difference", "With eps=1e-3 on f(x) = Σ c x³ your result is off"
               f" by {relative_error(arr, exact):.1e} (central: "
               f"{relative_error(central, exact):.1e}).")
    elif _close(arr, 2 * central, 1e-6, 1e-9):
        fb.add("wrong_step_scale", "Your result is twice the derivative.")
    elif not fb.findings:
        fb.add("values_differ", "On f(x) = Σ c x³ your result differs from 3 c x²"
               f" (relative error {relative_error(arr, exact):.1e}).")
    if fb.passed:
        fb.note("Checked on f(x) = Σ c x³ with eps = 1e-3.")
    return fb


@forbids(lambda: _a1_forbidden())
def check_relative_error(relative_error_fn: Any,
                         seconds: float | None = DEFAULT_SECONDS) -> Feedback:
    """Check ``relative_error(a, b)`` against :func:`gru_edu.gradcheck.relative_error`.

    That is ``max |a - b| / max(1e-8, max(|a| + |b|))`` (CS231n, normalised by
    the largest magnitude).
    """
    fb = Feedback("relative_error")
    if not _check_defined(fb, relative_error_fn, "relative_error", 2,
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
        call = _safe_call(relative_error_fn, (u.copy(), v.copy()), seconds)
        if not call.ok:
            _report_error(fb, call, "relative_error")
            return fb
        want = relative_error(u, v)
        try:
            got = float(np.asarray(call.value, dtype=np.float64))
        except (TypeError, ValueError):
            fb.add("relative_error_formula", f"For {label} it returned"
                   f" {type(call.value).__name__} {np.shape(call.value)}; expected one number.")
            return fb
        if not np.isclose(got, want, rtol=1e-6, atol=1e-12):
            absolute = float(np.max(np.abs(u - v)))
            per_entry = np.abs(u - v) / np.maximum(1e-8, np.abs(u) + np.abs(v))
            hint = ""
            if np.isclose(got, absolute):
                hint = " That is the absolute error max |a - b|, not divided by |a| + |b|."
            elif np.isclose(got, float(np.max(per_entry))):
                hint = (" That divides entry by entry; divide the largest difference"
                        " by the largest |a| + |b|.")
            elif np.isclose(got, float(np.mean(per_entry))):
                hint = " That is a mean over entries; take the largest difference."
            fb.add("relative_error_formula", f"For {label} it returned {got:.3g};"
                   f" expected {want:.3g}.{hint}")
            return fb
    zeros = np.zeros(3)
    call = _safe_call(relative_error_fn, (zeros, zeros.copy()), seconds)
    value = _as_array(call.value) if call.ok else None
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
        (cell, gradcheck, _reference, _step_reference, _reference_grads,
         _truncated_grads),
        files=("keras/src/layers/rnn/gru.py", "torch/nn/modules/rnn.py"),
    )


# ==========================================================================
# Assignment 2: a Keras GRU classifier for IMDB under stated rules
# ==========================================================================

MISTAKES.update({
    "not_a_model": (
        "build_model does not return a Keras model",
        "Return the compiled keras.Model (keras.Sequential or keras.Model).",
    ),
    "ids_as_numbers": (
        "word ids fed to the GRU as numbers",
        "Ids are names, not magnitudes (id 500 is not 'more' than id 50): start"
        " with keras.layers.Embedding(num_words, dim, mask_zero=True) on inputs"
        " of shape (maxlen,) integers.",
    ),
    "input_shape": (
        "wrong input shape",
        "The model reads padded word ids: keras.Input(shape=(maxlen,), dtype='int32').",
    ),
    "no_gru": (
        "no GRU layer",
        "This assignment is about GRUs: the recurrent layer must be keras.layers.GRU"
        " (alone or inside Bidirectional).",
    ),
    "other_sequence_layer": (
        "a sequence layer other than GRU",
        "The rules allow GRU layers only (no LSTM, SimpleRNN, convolution or"
        " attention); Embedding, Dropout and Dense layers are fine.",
    ),
    "no_embedding": (
        "no Embedding layer",
        "Turn word ids into learned vectors with keras.layers.Embedding.",
    ),
    "no_mask": (
        "padding not masked",
        "With padding='post' a review of 80 words is followed by 220 zeros, and"
        " the GRU's last state is read after them: it has forgotten the review."
        " Embedding(..., mask_zero=True) makes the GRU skip the padding.",
    ),
    "output_not_probability": (
        "the output is not a probability",
        "End with Dense(1, activation='sigmoid'): binary cross-entropy and the"
        " grader (prediction > 0.5 means positive) expect P(positive).",
    ),
    "not_compiled": (
        "the model is not compiled",
        "Call model.compile(optimizer=..., loss='binary_crossentropy',"
        " metrics=['accuracy']) inside build_model.",
    ),
    "wrong_loss": (
        "not the binary cross-entropy loss",
        "Two classes and a sigmoid output: loss='binary_crossentropy'.",
    ),
    "over_budget": (
        "over the parameter budget",
        "The embedding, num_words × dim, is by far the largest part: fewer words"
        " (rare words carry little) or shorter vectors. 10,000 words × 32 = 320,000.",
    ),
    "does_not_learn": (
        "the model does not learn",
        "On a few reviews the training loss should fall fast. Check the learning"
        " rate (1e-3 is a good start for Adam), the output activation and the loss.",
    ),
    "epochs_rule": (
        "epochs or batch size outside the rules",
        "Train for at least one and at most the allowed number of epochs, with a"
        " positive whole batch size.",
    ),
    "no_saved_model": (
        "no saved model",
        "Run the training cell: it saves the model next to the notebook. Hand in"
        " the notebook and the model file together (a zip).",
    ),
    "epochs_unverifiable": (
        "the number of epochs cannot be checked on the saved file",
        "The grader counts the optimizer's steps stored in the .keras file; this"
        " file holds none (saved before training, or without its compiled"
        " optimizer). Save with model.save(...) right after model.fit(...), as the"
        " training cell does.",
    ),
    "below_bar": (
        "test accuracy below the bar",
        "Compare training and validation accuracy in your history: a large gap"
        " means overfitting (dropout, fewer epochs), both low means underfitting"
        " (more units or a longer embedding within the budget, or a different"
        " learning rate).",
    ),
    "reported_accuracy": (
        "the reported test accuracy is not the model's",
        "Evaluate the trained model on x_test, y_test (all of them):"
        " model.evaluate(...) returns [loss, accuracy].",
    ),
})


@dataclass(frozen=True)
class ImdbRules:
    """The rules of assignment 2; :func:`imdb_rules` gives those of the run mode."""

    max_params: int = 400_000
    max_epochs: int = 3
    accuracy: float = 0.85
    partial_accuracy: float = 0.80
    maxlen: int = 300
    train_size: int | None = None  # None: the whole training part (22,500 reviews)
    val_size: int = 2500  # carved from the training reviews (gru_edu.splits)
    test_size: int | None = None  # None: all 25,000 test reviews
    fast: bool = False

    def describe(self) -> str:
        """The rules as a few lines of text, for the notebook to print."""
        train = f"{self.train_size:,}" if self.train_size else f"{25_000 - self.val_size:,}"
        test = f"{self.test_size:,}" if self.test_size else "all 25,000"
        lines = [
            f"parameters:     at most {self.max_params:,}",
            f"epochs:         at most {self.max_epochs}, on {train} training reviews"
            f" ({self.val_size:,} more held out for validation)",
            f"accuracy bar:   {self.accuracy:.2f} on {test} test reviews"
            f" (partial credit from {self.partial_accuracy:.2f})",
            f"input:          word ids padded to maxlen={self.maxlen}, padding='post'",
        ]
        if self.fast:
            lines.append("fast (CI) setting: smaller data, fewer epochs, so the bar is"
                         f" scaled to {self.accuracy:.2f} (full run: 0.85)")
        return "\n".join(lines)


def imdb_rules() -> ImdbRules:
    """The rules in the current run mode: full, or the fast CI setting (scaled)."""
    from .config import fast_mode

    if fast_mode():
        from .training import FAST_TRAIN_SIZE, FAST_VAL_SIZE

        return ImdbRules(max_epochs=2, accuracy=0.60, partial_accuracy=0.55,
                         train_size=FAST_TRAIN_SIZE, val_size=FAST_VAL_SIZE,
                         test_size=FAST_TRAIN_SIZE, fast=True)
    return ImdbRules()


def _keras_layers(model: Any) -> list[Any]:
    """Every layer, nested models and Bidirectional wrappers opened."""
    import keras

    out = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            out += _keras_layers(layer)
            continue
        out.append(layer)
        if isinstance(layer, keras.layers.Bidirectional):
            out += [layer.forward_layer, layer.backward_layer]
    return out


def _loss_name(loss: Any) -> str:
    if isinstance(loss, str):
        return loss
    name = getattr(loss, "name", None) or getattr(loss, "__name__", None)
    return str(name or type(loss).__name__).lower()


def check_imdb_model(model_or_builder: Any, rules: ImdbRules | None = None,
                     seconds: float | None = 120.0) -> Feedback:
    """Does the model (or what ``build_model()`` returns) follow assignment 2's rules?

    Checks, naming what is wrong: a Keras model reading ``(maxlen,)`` word
    ids, an ``Embedding`` with ``mask_zero=True``, a ``GRU`` and no other
    sequence layer, a sigmoid probability out, compiled with binary
    cross-entropy, and at most ``rules.max_params`` parameters.
    """
    import keras

    rules = rules or imdb_rules()
    fb = Feedback("build_model")
    model = model_or_builder
    if not isinstance(model, keras.Model):
        if not _check_defined(fb, model_or_builder, "build_model", 0, "build_model()"):
            return fb
        call = _safe_call(model_or_builder, (), seconds)
        if not call.ok:
            _report_error(fb, call, "build_model")
            return fb
        model = call.value
    if not isinstance(model, keras.Model):
        fb.add("not_a_model", f"It returned {type(model).__name__}.")
        return fb
    shape = tuple(model.inputs[0].shape)
    if len(shape) == 3 and shape[-1] == 1:
        fb.add("ids_as_numbers", f"The input shape is {shape}: one number per step,"
               " as in the tutorial's seed model.")
    elif len(shape) != 2 or shape[1] != rules.maxlen:
        fb.add("input_shape", f"The input shape is {shape}; expected (None, {rules.maxlen}).")
    layers = _keras_layers(model)
    grus = [layer for layer in layers if isinstance(layer, keras.layers.GRU)]
    forbidden = (keras.layers.LSTM, keras.layers.SimpleRNN, keras.layers.Conv1D,
                 keras.layers.Conv2D, keras.layers.MultiHeadAttention,
                 keras.layers.Attention)
    others = [layer for layer in layers if isinstance(layer, forbidden)]
    if not grus:
        fb.add("no_gru", "Layers found: " + ", ".join(
            type(layer).__name__ for layer in layers) + ".")
    if others:
        fb.add("other_sequence_layer", "Found: " + ", ".join(
            f"{layer.name} ({type(layer).__name__})" for layer in others) + ".")
    embeddings = [layer for layer in layers if isinstance(layer, keras.layers.Embedding)]
    if not embeddings and "ids_as_numbers" not in fb.mistakes:
        fb.add("no_embedding")
    elif embeddings and not embeddings[0].mask_zero:
        fb.add("no_mask", f"{embeddings[0].name} has mask_zero=False.")
    out_shape = tuple(model.outputs[0].shape)
    last = layers[-1] if layers else None
    act = getattr(getattr(last, "activation", None), "__name__", "")
    if out_shape[-1:] != (1,) or act != "sigmoid":
        fb.add("output_not_probability", f"The output has shape {out_shape} and the"
               f" last layer's activation is {act or 'none'}.")
    loss = getattr(model, "loss", None)
    if not getattr(model, "compiled", False) or loss is None:
        fb.add("not_compiled")
    elif "binary_crossentropy" not in _loss_name(loss).replace(" ", "_"):
        fb.add("wrong_loss", f"The loss is {_loss_name(loss)!r}.")
    n = int(model.count_params())
    if n > rules.max_params:
        parts = sorted(((int(layer.count_params()), layer.name) for layer in model.layers
                        if layer.count_params()), reverse=True)
        top = ", ".join(f"{name} {count:,}" for count, name in parts[:3])
        fb.add("over_budget", f"{n:,} parameters for a budget of {rules.max_params:,}"
               f" ({top}).")
    if fb.passed:
        fb.note(f"{n:,} parameters (budget {rules.max_params:,}); GRU layer(s): "
                + ", ".join(f"{g.name} ({g.units} units)" for g in grus) + ".")
    return fb


def _imdb_slice(num_words: int, rules: ImdbRules, split: str, size: int | None
                ) -> tuple[np.ndarray, np.ndarray]:
    """Reviews of the A2 notebook's parts, encoded as the student's model saw them.

    The same :func:`gru_edu.splits.load_splits` call as the notebook's, so
    the vocabulary (ranked on the training part) gives the same ids.
    """
    from .splits import load_splits

    parts = load_splits(num_words=num_words, maxlen=rules.maxlen, val_size=rules.val_size,
                        train_size=rules.train_size, test_size=rules.test_size,
                        progress=False)
    x, y = (parts.x_train, parts.y_train) if split == "train" else (parts.x_test, parts.y_test)
    return (x, y) if size is None else (x[:size], y[:size])


def _embedding_words(model: Any, default: int = 30000) -> int:
    import keras

    for layer in _keras_layers(model):
        if isinstance(layer, keras.layers.Embedding):
            return int(layer.input_dim)
    return default


def check_imdb_learns(build_model: Any, rules: ImdbRules | None = None,
                      seconds: float | None = 300.0) -> Feedback:
    """A fresh ``build_model()`` must fit 128 training reviews quickly.

    20 epochs of 4 batches; the training loss must fall to half its first
    value. A model with a tiny learning rate, a wrong output or loss fails.
    """
    import keras

    rules = rules or imdb_rules()
    fb = check_imdb_model(build_model, rules, seconds)
    fb.what = "build_model (learning)"
    if not fb.passed:
        return fb

    def run() -> tuple[float, float]:
        keras.utils.set_random_seed(0)
        model = build_model()
        x, y = _imdb_slice(_embedding_words(model), rules, "train", 128)
        hist = model.fit(x, y, epochs=20, batch_size=32, verbose=0)
        loss = hist.history["loss"]
        return float(loss[0]), float(min(loss))

    call = _safe_call(run, (), seconds)
    if not call.ok:
        _report_error(fb, call, "training build_model() on 128 reviews")
        return fb
    first, best = call.value
    if not best < 0.5 * first:
        fb.add("does_not_learn", f"On 128 training reviews the loss went from {first:.3f}"
               f" to at best {best:.3f} in 20 epochs (expected below {0.5 * first:.3f}).")
    else:
        fb.note(f"On 128 reviews the loss fell from {first:.3f} to {best:.3f}.")
    return fb


def check_imdb_training(epochs: Any, batch_size: Any, rules: ImdbRules | None = None
                        ) -> Feedback:
    """``EPOCHS`` and ``BATCH_SIZE`` within the rules."""
    rules = rules or imdb_rules()
    fb = Feedback("EPOCHS and BATCH_SIZE")
    ok_int = lambda v: isinstance(v, (int, np.integer)) and not isinstance(v, bool)
    if not ok_int(epochs) or not 1 <= epochs <= rules.max_epochs:
        fb.add("epochs_rule", f"EPOCHS = {epochs!r}; allowed: 1 to {rules.max_epochs}.")
    if not ok_int(batch_size) or batch_size < 1:
        fb.add("epochs_rule", f"BATCH_SIZE = {batch_size!r}; a positive whole number.")
    return fb


_EVALUATIONS: dict[tuple, float] = {}


def evaluate_saved_model(model_file: str | os.PathLike, rules: ImdbRules | None = None
                         ) -> float:
    """Accuracy of a saved model on the test reviews of the rules (cached per file)."""
    import keras

    rules = rules or imdb_rules()
    path = Path(model_file)
    key = (str(path.resolve()), path.stat().st_mtime_ns, rules.train_size, rules.val_size,
           rules.test_size)
    if key not in _EVALUATIONS:
        model = keras.saving.load_model(path)
        x, y = _imdb_slice(_embedding_words(model), rules, "test", rules.test_size)
        prob = np.asarray(model.predict(x, batch_size=500, verbose=0)).reshape(-1)
        _EVALUATIONS[key] = float(np.mean((prob > 0.5) == (y == 1)))
    return _EVALUATIONS[key]


def optimizer_steps(model: Any) -> int:
    """How many batches the optimizer of a loaded Keras model has applied (0: none stored).

    Keras 3 saves the optimizer's variables, ``iterations`` among them, in
    the ``.keras`` file of a compiled model; each training batch adds one.
    """
    iterations = getattr(getattr(model, "optimizer", None), "iterations", None)
    try:
        return int(np.asarray(iterations))
    except (TypeError, ValueError):
        return 0


def _history_epochs(history_file: str | os.PathLike | None) -> int | None:
    """Epochs listed in the learner's history file (None if unreadable): a hint only."""
    try:
        return len(json.loads(Path(history_file).read_text())["loss"])
    except (TypeError, ValueError, KeyError, OSError):
        return None


def _check_epochs(fb: Feedback, model: Any, batch_size: Any, train_reviews: Any,
                  rules: ImdbRules, history_file: str | os.PathLike | None) -> None:
    """The epochs rule, on the optimizer's step count stored in the saved model.

    One epoch is ``ceil(train_reviews / batch_size)`` steps. ``train_reviews``
    (what the learner's notebook trains on) is capped at the training reviews
    the rules allow, so a larger stated number buys no extra epochs.
    """
    ok_int = lambda v: isinstance(v, (int, np.integer)) and not isinstance(v, bool)
    steps = optimizer_steps(model)
    if steps <= 0:
        fb.add("epochs_unverifiable", "The file's optimizer has taken no recorded steps.")
        return
    if not ok_int(batch_size) or batch_size < 1:
        fb.add("epochs_rule", f"BATCH_SIZE = {batch_size!r}: the grader needs it (a positive"
               " whole number) to count the epochs of the saved model.")
        return
    most = rules.train_size or 25_000 - rules.val_size
    n = min(int(train_reviews), most) if ok_int(train_reviews) and train_reviews > 0 else most
    per_epoch = -(-n // int(batch_size))
    if steps > rules.max_epochs * per_epoch:
        detail = (f"The saved model's optimizer took {steps:,} steps: {steps / per_epoch:.1f}"
                  f" epochs of {per_epoch:,} batches ({n:,} training reviews in batches of"
                  f" {batch_size}); at most {rules.max_epochs} are allowed.")
        listed = _history_epochs(history_file)
        if listed is not None:
            detail += f" (Your history file lists {listed}.)"
        fb.add("epochs_rule", detail)


def check_imdb_saved_model(model_file: str | os.PathLike,
                           history_file: str | os.PathLike | None = None,
                           min_accuracy: float | None = None,
                           rules: ImdbRules | None = None,
                           seconds: float | None = 900.0, batch_size: Any = None,
                           train_reviews: Any = None) -> Feedback:
    """The saved model: it loads, follows the rules, and (with ``min_accuracy``) is accurate.

    Every rule is checked on evidence the grader produces itself: the
    parameters and layers on the loaded model, the epochs from the
    optimizer's step count stored in the file (against ``batch_size`` and
    ``train_reviews``, the learner's ``BATCH_SIZE`` and number of training
    reviews), the accuracy by evaluating the file on the test reviews.
    ``history_file`` (written by the learner) only adds hints.
    """
    import keras

    rules = rules or imdb_rules()
    fb = Feedback(f"saved model {Path(model_file).name}")
    path = Path(model_file)
    if not path.exists():
        fb.add("no_saved_model", f"{path} does not exist (working folder: {Path.cwd()}).")
        return fb
    call = _safe_call(keras.saving.load_model, (path,), seconds)
    if not call.ok:
        _report_error(fb, call, f"loading {path.name}")
        return fb
    rules_fb = check_imdb_model(call.value, rules)
    fb.findings += rules_fb.findings
    fb.passed = fb.passed and rules_fb.passed
    _check_epochs(fb, call.value, batch_size, train_reviews, rules, history_file)
    if min_accuracy is None or not fb.passed:
        return fb
    call = _safe_call(evaluate_saved_model, (path, rules), seconds)
    if not call.ok:
        _report_error(fb, call, "evaluating the saved model")
        return fb
    acc = call.value
    n = rules.test_size or 25000
    if acc < min_accuracy:
        detail = f"Accuracy {acc:.4f} on {n:,} test reviews; needed: {min_accuracy:.2f}."
        try:
            history = json.loads(Path(history_file).read_text())
            train_acc = history["accuracy"][-1]
            val = history.get("val_accuracy")
            detail += f" Last training accuracy: {train_acc:.3f}"
            detail += f", validation: {val[-1]:.3f}." if val else "."
        except (ValueError, KeyError, TypeError, IndexError, OSError):
            pass
        fb.add("below_bar", detail)
    else:
        fb.note(f"Accuracy {acc:.4f} on {n:,} test reviews (needed {min_accuracy:.2f}).")
    return fb


def check_reported_accuracy(test_accuracy: Any, model_file: str | os.PathLike,
                            rules: ImdbRules | None = None, tol: float = 0.005) -> Feedback:
    """The learner's ``test_accuracy`` against the grader's evaluation of the file."""
    rules = rules or imdb_rules()
    fb = Feedback("test_accuracy")
    try:
        value = float(test_accuracy)
    except (TypeError, ValueError):
        fb.add("reported_accuracy", f"test_accuracy is {test_accuracy!r}, not a number.")
        return fb
    path = Path(model_file)
    if not path.exists():
        fb.add("no_saved_model", f"{path} does not exist.")
        return fb
    acc = evaluate_saved_model(path, rules)
    if abs(value - acc) > tol:
        fb.add("reported_accuracy", f"You report {value:.4f}; the saved model scores"
               f" {acc:.4f} on the {rules.test_size or 25000:,} test reviews.")
    return fb


# ==========================================================================
# Assignment 3: reading the gates of a trained model
# ==========================================================================

MISTAKES.update({
    "padding_counted": (
        "padding steps counted",
        "Steps with id 0 are padding: the GRU skips them (the state is carried)."
        " Keep only steps with id > 1.",
    ),
    "start_counted": (
        "the start marker counted as a word",
        "Id 1 is the <start> marker every review begins with, not a word: keep"
        " steps with id > 1.",
    ),
    "baseline_includes_cue": (
        "the baseline includes the cue words",
        "Compare cue steps with the OTHER word steps (cue steps excluded), not"
        " with all steps.",
    ),
    "sign_reversed": (
        "the difference is the wrong way round",
        "Cue minus the rest: a negative value means the update gate z drops"
        " (the unit writes the new word) at the cue.",
    ),
    "mean_of_means": (
        "a mean of per-review means",
        "Pool the steps: average over every cue step of every review at once,"
        " so a review with 5 cues weighs more than one with 1.",
    ),
    "not_pooled_sd": (
        "not the pooled standard deviation",
        "Cohen's d divides by sqrt(((n1-1) s1² + (n2-1) s2²) / (n1 + n2 - 2)),"
        " with s² the sample variances (ddof=1).",
    ),
    "population_variance": (
        "population instead of sample variances",
        "Use np.var(..., ddof=1) (or np.std(..., ddof=1)) in the pooled deviation.",
    ),
    "off_by_one": (
        "off by one step",
        "Step 0 reads the <start> marker, so the k-th word of the text is read at"
        " step k + 1: use the trace's own words list to find the step.",
    ),
    "not_sorted_by_size": (
        "units not ranked by the size of the reaction",
        "Rank by |reaction| (np.argsort(-np.abs(reaction))): a strong negative"
        " reaction counts as much as a strong positive one.",
    ),
    "values_differ": (
        "values differ from the expected ones",
        "Work through a tiny example by hand and compare each intermediate"
        " array with the definition given above the question.",
    ),
    "wrong_quantity": (
        "the value differs from the one computed on the model",
        "Recompute it with your (checked) functions on z_all and ids_all.",
    ),
    "not_from_functions": (
        "the findings are not computed with your functions",
        "Question 5 asks for the values your gate_reaction, strongest_units and"
        " effect_size give on z_all and ids_all: compute them with those"
        " functions (and fix the functions first if their checks fail).",
    ),
})


def _cue_mask(ids: np.ndarray, cue_ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    from .data import START

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
        "the checks' own solution (gru_edu.checks' *_reference functions), which"
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


@forbids(lambda: _a3_forbidden())
def check_gate_reaction(gate_reaction: Any, seed: int = 0,
                        seconds: float | None = DEFAULT_SECONDS) -> Feedback:
    """Check ``gate_reaction(z, ids, cue_ids) -> (units,)`` on arrays with a known answer."""
    from .data import START

    fb = Feedback("gate_reaction")
    if not _check_defined(fb, gate_reaction, "gate_reaction", 3,
                          "gate_reaction(z, ids, cue_ids)"):
        return fb
    z, ids, cues = _gate_probe(seed)
    call = _safe_call(gate_reaction, (z.copy(), ids.copy(), list(cues)), seconds)
    if not call.ok:
        _report_error(fb, call, "gate_reaction")
        return fb
    arr = _as_array(call.value)
    want = gate_reaction_reference(z, ids, cues)
    if arr is None or arr.shape != want.shape:
        got = None if arr is None else arr.shape
        fb.add("output_shape", f"Returned shape {got}; expected (units,) = {want.shape}.")
        return fb
    if _close(arr, want, 1e-7, 1e-9):
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
        if _close(arr, value, 1e-7, 1e-9):
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
    if not _check_defined(fb, effect_size, "effect_size", 4,
                          "effect_size(z, ids, cue_ids, unit)"):
        return fb
    z, ids, cues = _gate_probe(seed)
    for unit in (0, 3):
        call = _safe_call(effect_size, (z.copy(), ids.copy(), list(cues), unit), seconds)
        if not call.ok:
            _report_error(fb, call, "effect_size")
            return fb
        want = effect_size_reference(z, ids, cues, unit)
        try:
            got = float(np.asarray(call.value, dtype=np.float64))
        except (TypeError, ValueError):
            fb.add("output_shape", f"Returned {type(call.value).__name__}"
                   f" {np.shape(call.value)}; expected one number.")
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
    if not _check_defined(fb, strongest_units, "strongest_units", 2,
                          "strongest_units(reaction, k=3)"):
        return fb
    reaction = np.array([0.02, -0.31, 0.12, 0.25, -0.05, 0.4, -0.18])
    if seed is not None:
        reaction = np.random.default_rng(seed).normal(0, 0.2, 9)
    for k in (3, 1):
        call = _safe_call(strongest_units, (reaction.copy(), k), seconds)
        if not call.ok:
            _report_error(fb, call, "strongest_units")
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
    if not _check_defined(fb, z_at_word, "z_at_word", 2, "z_at_word(text_trace, word)"):
        return fb
    call = _safe_call(z_at_word, (text_trace, word), seconds)
    if not call.ok:
        _report_error(fb, call, "z_at_word")
        return fb
    z = text_trace.trace.z[0]
    steps = [t for t, w in enumerate(text_trace.words) if w == word]
    if not steps:
        raise ValueError(f"{word!r} is not read in this review")
    want = z[steps[0]]
    arr = _as_array(call.value)
    if arr is None or arr.shape != want.shape:
        got = None if arr is None else arr.shape
        fb.add("output_shape", f"Returned shape {got}; expected (units,) = {want.shape}.")
        return fb
    if _close(arr, want, 1e-7, 1e-9):
        return fb
    t = steps[0]
    for dt in (-1, 1):
        if 0 <= t + dt < len(z) and _close(arr, z[t + dt], 1e-7, 1e-9):
            fb.add("off_by_one", f"Your values are z at step {t + dt}; {word!r} is read at"
                   f" step {t}.")
            return fb
    fb.add("values_differ", f"Largest difference from z at step {t}:"
           f" {float(np.max(np.abs(arr - want))):.3g}.")
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
        call = _safe_call(fn, args, DEFAULT_SECONDS)
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


def trace_z(trained: Any, ids: np.ndarray, batch_size: int = 100) -> np.ndarray:
    """Update gate ``z`` of the first GRU layer for every review, ``(n, time, units)``.

    :func:`gru_edu.gates.trace` in batches (each checked against Keras),
    keeping only ``z``; cached per model and ids, so the tests do not trace
    twice.
    """
    from . import gates

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
def check_gate_findings(trained: Any, ids_all: np.ndarray, cue_sets: dict[str, Any],
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
