"""What the checks of every assignment share: reading a learner's answer.

Is the function there with the assignment's parameters (:func:`check_defined`),
what its error means (:func:`report_error`, :func:`call_learner`), its result
as an array or a number (:func:`as_array`, :func:`as_number`), close to the
expected one (:func:`close`). What goes wrong becomes a named finding of
:mod:`.feedback`, never a crash.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable, Sequence

import numpy as np

from .feedback import Feedback
from .limits import Call, TimeLimitExceeded, safe_call

__all__ = ["check_defined", "report_error", "call_learner", "as_array", "as_number",
           "kind_and_shape", "close"]


def check_defined(fb: Feedback, fn: Any, name: str, n_params: int, signature: str) -> bool:
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


def report_error(fb: Feedback, call: Call, name: str, context: str = "") -> None:
    """Turn an exception from learner code into a named finding.

    A shape error on a line with a transpose names the transposed kernel;
    other shape errors get a hint on how weight blocks are cut.
    """
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


def call_learner(fb: Feedback, fn: Callable, args: Sequence[Any], seconds: float | None,
                 name: str, context: str = "") -> Call | None:
    """``fn(*args)`` under the check's limits; None, its error a finding, if it failed."""
    call = safe_call(fn, args, seconds)
    if not call.ok:
        report_error(fb, call, name, context)
        return None
    return call


def as_array(value: Any) -> np.ndarray | None:
    """A learner's result as a float array (of ``(h, gates)``, ``h``); None if it is none."""
    if isinstance(value, (tuple, list)) and value and isinstance(value[0], np.ndarray):
        value = value[0]  # (h, gates) is accepted: the first item is h
    if value is None:
        return None
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return arr


def as_number(value: Any) -> float | None:
    """A learner's result as one float; None if it is not one number."""
    try:
        return float(np.asarray(value, dtype=np.float64))
    except (TypeError, ValueError):
        return None


def kind_and_shape(value: Any) -> str:
    """``"list (2, 3)"``: what a result that is not what was asked for is."""
    return f"{type(value).__name__} {np.shape(value)}"


def close(a: Any, b: np.ndarray, rtol: float = 1e-5, atol: float = 1e-6) -> bool:
    """Same shape and all close: ``a`` (anything a learner returned) against ``b``."""
    try:
        a = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))
