"""Running learner code: time limits and the call detector.

Every call of a learner's function goes through :func:`safe_call`: a time
limit (:func:`call_with_time_limit`) and the watch of :mod:`.guard` when the
check forbids code (:func:`forbids`); an exception or an infinite loop comes
back as a :class:`Call` (:mod:`.answers` turns it into a named finding).
"""

from __future__ import annotations

import contextvars
import functools
import signal
import threading
import traceback
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from ..config import check_seconds
from . import guard
from .feedback import Feedback


__all__ = [
    "DEFAULT_SECONDS",
    "TimeLimitExceeded",
    "call_with_time_limit",
    "forbids",
    "safe_call",
    "Call",
]

DEFAULT_SECONDS = check_seconds()
"""Time limit for one call of a learner's function on the small probe inputs
(seconds; environment variable ``GRU_EDU_CHECK_SECONDS``, default 10)."""


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
    learner code raises (:func:`gru_edu.grading.guard.stop_learner_code`), so a bare
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
class Call:
    """What one call of learner code gave: its value, or the error and the line it came from."""

    value: Any = None
    error: BaseException | None = None
    where: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None


_GRADER = str(Path(__file__).resolve().parent) + "/"  # gru_edu/grading/


def _learner_line(err: BaseException, chain: bool = False) -> str:
    """'line 7 in gru_step: `h = ...`' for the deepest frame of learner code.

    With ``chain``, the learner frames from the outermost in (up to three),
    which says more for a loop that never ends than where it happened to be.
    """
    frames = traceback.extract_tb(err.__traceback__)
    mine = [
        f for f in frames
        if not f.filename.startswith(_GRADER)
        and "site-packages" not in f.filename
        and "/numpy/" not in f.filename
        and not f.filename.endswith(("threading.py", "gru_edu/cell/numpy_gru.py",
                                        "gru_edu/cell/gradcheck.py"))
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
    """Decorator: the check's calls of learner code run under :class:`gru_edu.grading.guard.Watch`.

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


def safe_call(fn: Callable, args: Sequence[Any], seconds: float | None,
              kwargs: dict | None = None) -> Call:
    """``fn(*args, **kwargs)`` as learner code: under the time limit and the check's
    watch (:func:`forbids`); an exception is returned in the :class:`Call`, not raised.

    A function that once ran out of time fails at once afterwards.
    """
    try:
        if fn in _TIMED_OUT:
            return Call(error=TimeLimitExceeded("time limit exceeded"), where=_TIMED_OUT[fn])
    except TypeError:  # not weak-referenceable or unhashable: just call it
        pass
    watch = _WATCH.get()
    try:
        if watch is not None:
            return Call(call_with_time_limit(watch.call, fn, *args, seconds=seconds,
                                             **(kwargs or {})))
        return Call(call_with_time_limit(fn, *args, seconds=seconds, **(kwargs or {})))
    except TimeLimitExceeded as err:
        where = _learner_line(err, chain=True)
        try:
            _TIMED_OUT[fn] = where
        except TypeError:
            pass
        return Call(error=err, where=where)
    except Exception as err:  # noqa: BLE001 - learner code may raise anything
        return Call(error=err, where=_learner_line(err))
