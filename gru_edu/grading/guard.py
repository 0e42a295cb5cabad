"""The call detector: what a learner's function executes while a check runs it.

A question forbids some code (assignment 1 :mod:`gru_edu.cell`, the reference
its checks compare with; assignment 3 the checks' own ``*_reference``
solvers). Reading names in the learner's code cannot see
``importlib.import_module("gru_edu." + "cell")``, a ``functools.partial`` or a
module kept in a dict, so this module watches *execution*: while a check runs
a learner's function, a profile hook (:func:`sys.setprofile`, and
:func:`threading.setprofile` for threads the function starts; Python 3.11 has
no ``sys.monitoring``) sees every Python function that starts. A start of
forbidden code is a :class:`Hit`, whatever route led there, and the check
names the mistake "calls the reference implementation". The hook is
installed only for the learner's call, so the reference the check itself runs
for the expected answer is never counted.

Forbidden code (a :class:`Forbidden` declares it): the functions and methods
of the forbidden modules and the forbidden functions, by code object (a copy
made with ``types.FunctionType(f.__code__, ...)`` is the same code) and by a
*fingerprint* of bytecode and names (their source run again with ``exec``;
helpers too small to tell from independent code are not fingerprinted);
reading their source with :mod:`inspect`; files of other GRU implementations
(``keras.layers.GRU``, ``torch.nn.GRU``) when a question says so.

Reaching into the grader is recorded too: switching the hook off
(``sys.setprofile``, ``sys.settrace``), reading the checks' frames
(``sys._getframe``, ``inspect.currentframe``, ``inspect.stack``), searching
the garbage collector's objects, changing the time limit's signals, using
``ctypes``. The hook's setters and the signal functions are replaced during
the call, so switching the hook or the time limit off does not work either.

Not covered: the checks' frames read through a traceback (the expected
answers are computed only after the learner's call returns), source edited
before it runs, work done before the check started, native code.
"""

from __future__ import annotations

import ctypes
import gc
import inspect
import signal
import sys
import sysconfig
import threading
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

__all__ = ["Forbidden", "Hit", "Watch"]

MIN_FINGERPRINT_BYTES = 120
"""Bytecode shorter than this is not fingerprinted: independent code may match."""

def _library_dirs() -> tuple[str, ...]:
    """Folders of the standard library, installed packages and gru_edu (as written and resolved)."""
    package = Path(__file__).parent.parent  # gru_edu/, grading/ included
    dirs = {str(package), str(package.resolve())}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            dirs |= {path, str(Path(path).resolve())}
    return tuple(sorted(d.rstrip("/") + "/" for d in dirs))


_LIBRARY_DIRS = _library_dirs()

_SOURCE_READERS = {inspect.getsource, inspect.getsourcelines, inspect.findsource,
                   inspect.getsourcefile, inspect.getfile}
_FRAME_READERS = {inspect.currentframe, inspect.stack, inspect.getouterframes,
                  inspect.trace}
_TAMPERING_BUILTINS = {
    sys._getframe: "reads the grader's frames (sys._getframe)",
    gc.get_objects: "searches the grader's objects (gc.get_objects)",
    gc.get_referrers: "searches the grader's objects (gc.get_referrers)",
    gc.get_referents: "searches the grader's objects (gc.get_referents)",
    signal.signal: "changes the time limit's signal handler (signal.signal)",
    signal.setitimer: "changes the time limit's timer (signal.setitimer)",
    signal.alarm: "changes the time limit's timer (signal.alarm)",
}


@dataclass(frozen=True)
class Hit:
    """One forbidden execution: ``kind`` is ``"reference"`` or ``"tampering"``."""

    kind: str
    what: str


def _is_library(filename: str) -> bool:
    """Code of the standard library, installed packages or gru_edu (not the learner's)."""
    if filename.startswith("<frozen"):
        return True
    return filename.startswith(_LIBRARY_DIRS)


def _fingerprint(code: types.CodeType) -> tuple[bytes, tuple[str, ...]]:
    return code.co_code, code.co_names


def _codes_of(obj: Any, seen: set[int], home: str | None = None
              ) -> Iterator[tuple[types.CodeType, str]]:
    """(code object, qualified name) of a function, a class's methods or a module's.

    Inside a module (``home``, its file) only code written in that file counts:
    a dataclass's generated ``__repr__`` is shared with every other dataclass.
    """
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, (classmethod, staticmethod)):
        obj = obj.__func__
    if isinstance(obj, property):
        for f in (obj.fget, obj.fset, obj.fdel):
            if f is not None:
                yield from _codes_of(f, seen, home)
        return
    if isinstance(obj, types.FunctionType):
        if home is not None and obj.__code__.co_filename != home:
            return
        label = f"{obj.__module__}.{obj.__qualname__}"
        stack = [obj.__code__]
        while stack:
            code = stack.pop()
            yield code, label
            stack += [c for c in code.co_consts if isinstance(c, types.CodeType)]
        return
    if isinstance(obj, type):
        home = home or getattr(sys.modules.get(obj.__module__), "__file__", None)
        for value in vars(obj).values():
            yield from _codes_of(value, seen, home)
        return
    if isinstance(obj, types.ModuleType):
        for value in vars(obj).values():
            if getattr(value, "__module__", None) == obj.__name__:
                yield from _codes_of(value, seen, obj.__file__)


@dataclass
class Forbidden:
    """What one question forbids: modules, functions, files of other GRUs.

    ``label`` is how the learner is told what was called (``"the reference
    implementation gru_edu.cell"``).
    """

    label: str
    objects: tuple[Any, ...] = ()
    files: tuple[str, ...] = ()  # path endings, e.g. "keras/src/layers/rnn/gru.py"
    codes: dict[types.CodeType, str] = field(default_factory=dict, init=False)
    prints: dict[tuple[bytes, tuple[str, ...]], str] = field(default_factory=dict, init=False)
    _originals: dict[types.CodeType, types.CodeType] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        seen: set[int] = set()
        for obj in self.objects:
            for code, name in _codes_of(obj, seen):
                self.codes.setdefault(code, name)
                self._originals.setdefault(code, code)
                if len(code.co_code) >= MIN_FINGERPRINT_BYTES:
                    self.prints.setdefault(_fingerprint(code), name)

    def owns(self, obj: Any) -> str | None:
        """The name of ``obj`` when it is (part of) what is forbidden."""
        if any(obj is o for o in self.objects):
            return getattr(obj, "__name__", repr(obj))
        code = getattr(obj, "__code__", None)
        if code is not None and code in self.codes:
            return self.codes[code]
        module = getattr(obj, "__module__", None)
        for o in self.objects:
            if isinstance(o, types.ModuleType) and module == o.__name__:
                return f"{module}.{getattr(obj, '__qualname__', '')}"
        return None

    def classify(self, code: types.CodeType) -> str | None:
        """The forbidden name ``code`` is (by identity, fingerprint or file), else None."""
        if code in self.codes:  # code objects compare by content, not by file
            original = self._originals[code]
            copy = " (a copy of its code)" if original is not code else ""
            return self.codes[code] + copy
        if self.files and code.co_name != "<module>" and code.co_filename.endswith(self.files):
            return f"{Path(code.co_filename).stem}.{code.co_name} ({code.co_filename})"
        if len(code.co_code) >= MIN_FINGERPRINT_BYTES:
            name = self.prints.get(_fingerprint(code))
            if name is not None:
                return f"{name} (a copy of its code)"
        return None


# Replaced during a watched call by versions that refuse learner code.
_GUARDED = ((sys, "setprofile"), (sys, "settrace"), (threading, "setprofile"),
            (threading, "settrace"), (signal, "signal"), (signal, "setitimer"),
            (signal, "alarm"))
_RUNNING: list["Watch"] = []  # the watch whose hook is installed now, if any


class Watch:
    """Records what runs during calls made with :meth:`call`; see the module docstring."""

    def __init__(self, forbidden: Forbidden):
        self.forbidden = forbidden
        self.hits: list[Hit] = []
        self._known: dict[types.CodeType, str | None] = {}
        self._active = False

    # -- the hook -------------------------------------------------------

    def _record(self, kind: str, what: str) -> None:
        hit = Hit(kind, what)
        if hit not in self.hits:
            self.hits.append(hit)

    def _profile(self, frame: types.FrameType, event: str, arg: Any) -> None:
        if not self._active:
            return
        try:
            if event == "call":
                self._on_call(frame)
            elif event == "c_call":
                self._on_c_call(frame, arg)
        except Exception:  # noqa: BLE001 - the hook must never break learner code
            pass

    def _on_call(self, frame: types.FrameType) -> None:
        code = frame.f_code
        if code not in self._known:
            self._known[code] = self.forbidden.classify(code)
        name = self._known[code]
        if name is not None:
            self._record("reference", name)
            return
        func = _FUNCTIONS_BY_CODE.get(code)
        if func is None:
            return
        caller = frame.f_back
        by_learner = caller is not None and not _is_library(caller.f_code.co_filename)
        if func in _SOURCE_READERS and by_learner:
            target = frame.f_locals.get("object")
            owned = self.forbidden.owns(target)
            if owned:
                self._record("reference", f"the source of {owned} (inspect)")
        elif func in _FRAME_READERS and by_learner:
            self._record("tampering", f"reads the grader's frames ({func.__qualname__})")
        elif func is _CTYPES_MARK and by_learner:
            self._record("tampering", "uses ctypes")
        elif func in _TAMPERING_BUILTINS and by_learner:  # Python wrappers (signal.signal)
            self._record("tampering", _TAMPERING_BUILTINS[func])

    def _on_c_call(self, frame: types.FrameType, func: Any) -> None:
        if _is_library(frame.f_code.co_filename):
            return
        for builtin, what in _TAMPERING_BUILTINS.items():
            if func is builtin:
                self._record("tampering", what)
                return

    # -- replaced setters ---------------------------------------------------

    def _guarded_setter(self, original: Callable, name: str) -> Callable:
        def setter(*args: Any, **kwargs: Any) -> Any:
            caller = sys._getframe(1)
            if self._active and not _is_library(caller.f_code.co_filename):
                what = ("changes the time limit's signals" if name.startswith("signal")
                        else "switches off the grader's call detector")
                self._record("tampering", f"{what} ({name})")
                return None
            return original(*args, **kwargs)

        setter.__name__ = getattr(original, "__name__", name)
        return setter

    # -- running a call -----------------------------------------------------

    def call(self, fn: Callable, *args: Any, **kwargs: Any) -> Any:
        """``fn(*args, **kwargs)`` with the hook installed in this thread and new threads.

        A call made while a watch is already running (a check calling a check)
        runs under the outer watch.
        """
        if _RUNNING:
            return fn(*args, **kwargs)
        _RUNNING.append(self)
        prof, thread_prof = sys.getprofile(), threading.getprofile()
        set_prof = sys.setprofile
        replaced = [(module, name, getattr(module, name)) for module, name in _GUARDED]
        self._active = True
        try:
            for module, name, original in replaced:
                setattr(module, name, self._guarded_setter(original, f"{module.__name__}.{name}"))
            threading._profile_hook = self._profile  # what new threads install
            set_prof(self._profile)
            return fn(*args, **kwargs)
        finally:
            self._active = False
            _RUNNING.pop()
            set_prof(prof)
            for module, name, original in replaced:
                setattr(module, name, original)
            threading._profile_hook = thread_prof

    @property
    def reference_calls(self) -> list[str]:
        """Names of the forbidden code that ran, in order."""
        return [h.what for h in self.hits if h.kind == "reference"]

    @property
    def tampering(self) -> list[str]:
        """What the learner's code did to the grader, in order."""
        return [h.what for h in self.hits if h.kind == "tampering"]


#: A ctypes function every use of ``ctypes.pythonapi``/``CDLL`` runs through.
_CTYPES_MARK = ctypes.CDLL.__getattr__
_FUNCTIONS_BY_CODE: dict[types.CodeType, Callable] = {
    f.__code__: f for f in (*_SOURCE_READERS, *_FRAME_READERS, _CTYPES_MARK,
                            *_TAMPERING_BUILTINS)
    if f is not None and hasattr(f, "__code__")
}


# --- Stopping learner code that catches the exception meant to stop it

_SETTRACE = sys.settrace  # the real one, whatever a watch has replaced
_STOPPING: dict[str, Any] = {"exc": None, "previous": None}


def _stop_tracer(frame: types.FrameType, event: str, arg: Any) -> Any:
    exc = _STOPPING["exc"]
    if exc is not None and event in ("call", "line") and not _is_library(
            frame.f_code.co_filename):
        raise exc("time limit exceeded")
    return _stop_tracer


def stop_learner_code(frame: types.FrameType | None, exc: type[BaseException]) -> None:
    """Make every line of learner code on this thread's stack raise ``exc`` from now on.

    For code that swallows the time limit (``except BaseException: pass`` in
    a loop): the handler's own next line raises again, so the exception
    leaves the ``try``. Library and grader frames are left alone, so the
    exception ends up where the call was made. Call from a signal handler
    (it runs on the main thread); :func:`clear_stop` undoes it.
    """
    if _STOPPING["exc"] is None:
        _STOPPING["previous"] = sys.gettrace()
    _STOPPING["exc"] = exc
    _SETTRACE(_stop_tracer)
    while frame is not None:
        if not _is_library(frame.f_code.co_filename):
            frame.f_trace = _stop_tracer
            frame.f_trace_lines = True
        frame = frame.f_back


def clear_stop() -> None:
    """Undo :func:`stop_learner_code` (no-op when nothing is being stopped)."""
    if _STOPPING["exc"] is not None:
        _STOPPING["exc"] = None
        _SETTRACE(_STOPPING["previous"])


def install_interrupt_escalation() -> None:
    """In a grading kernel: a cell interrupted twice is stopped line by line.

    The grader interrupts a cell that runs past its limit (``KeyboardInterrupt``);
    a cell that catches it keeps running and is interrupted again, and from
    the second interrupt on every line of its code raises. Installed on each
    cell (ipykernel resets the SIGINT handler per request) through IPython's
    ``pre_run_cell`` event.
    """
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        return
    state = {"interrupts": 0}

    def on_interrupt(signum: int, frame: Any) -> None:
        state["interrupts"] += 1
        if state["interrupts"] >= 2:
            stop_learner_code(frame, KeyboardInterrupt)
        raise KeyboardInterrupt

    def before(*_: Any) -> None:
        state["interrupts"] = 0
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, on_interrupt)

    def after(*_: Any) -> None:
        clear_stop()

    shell.events.register("pre_run_cell", before)
    shell.events.register("post_run_cell", after)
