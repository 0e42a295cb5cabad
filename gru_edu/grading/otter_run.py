"""One submission, run by ``otter run`` in its own process, under limits.

:func:`resource_limits` caps the address space and the CPU time of the
process (and the kernel it starts); :func:`run_limited` runs a command in its
own session and kills the whole group past a wall-clock limit;
:func:`worker_command` is the command line of that process, which runs
:func:`run_one`: ``otter run`` with every cell of the submission under
``cell_timeout`` and each question's tests under ``test_timeout``. The worker
writes ``checks.json`` beside otter's ``results.json``: per question its score
and the checks' own messages (:func:`check_message` takes otter's "Error at
line N in test qN" and the test's source line off them), and notes on cells
that ran out of time or memory, or a kernel that died.
:mod:`gru_edu.grading.otter` grades a folder with these.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

__all__ = ["resource_limits", "run_limited", "run_one", "worker_command", "check_message",
           "case_message",
           "TEST_TIMEOUT", "STUDENT_CELL"]

TEST_TIMEOUT = 600
STUDENT_CELL = "gru_edu_student_cell"  # metadata mark of the submission's own cells


def resource_limits(memory_mb: int | None, cpu_seconds: int | None
                    ) -> Callable[[], None] | None:
    """What a submission's process runs first: address-space and CPU-time limits.

    Children (the notebook's kernel) inherit them. ``None`` or 0 leaves a
    limit off; without the :mod:`resource` module (Windows) nothing is set.
    """
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    if not memory_mb and not cpu_seconds:
        return None

    def apply() -> None:
        if memory_mb:
            size = int(memory_mb) * 2**20
            resource.setrlimit(resource.RLIMIT_AS, (size, size))
        if cpu_seconds:
            resource.setrlimit(resource.RLIMIT_CPU, (int(cpu_seconds), int(cpu_seconds) + 5))

    return apply


def run_limited(cmd: list[str], log: Path, cwd: str, timeout: int,
                limits: Callable[[], None] | None) -> int | None:
    """Run ``cmd`` in its own session; None if it ran past ``timeout`` (then killed)."""
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=cwd,
                                start_new_session=True, preexec_fn=limits)
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # otter and what it started there
            except ProcessLookupError:
                pass
            proc.wait()
            return None


def _is_student_cell(cell: Any) -> bool:
    return bool(cell.get("metadata", {}).get(STUDENT_CELL))


def check_message(message: str) -> str:
    """What a check said, without otter's frame around it.

    Otter reports a failed test case as ``❌ Test case failed``, ``Error at
    line N in test qN:``, the test's source line (hidden tests' source
    included) and ``AssertionError: <message>``; only the message is kept.
    An error that is not the check's own keeps its type (``NameError: …``).
    """
    lines = message.strip().splitlines()
    if lines and lines[0].startswith("✅"):
        return "passed"
    if lines and lines[0].startswith("❌"):
        lines = lines[1:]
    if lines and lines[0].startswith("Error at line"):
        lines = lines[2:]  # the header and the test's source line
    text = "\n".join(lines).strip()
    return text.removeprefix("AssertionError:").strip() or "failed"


def case_message(result: Any) -> str:
    """What one test case tells the student: its pass message (what was checked), or
    the check's diagnosis without otter's frame (:func:`check_message`)."""
    if result.passed and getattr(result.test_case, "success_message", None):
        return result.test_case.success_message
    return check_message(result.message or "")


def _checks_summary(results: Any) -> dict[str, Any]:
    """Per question: score, points and each test case's (hidden, passed, message)."""
    out = {}
    for name, tf in results.results.items():
        cases = [{"hidden": bool(getattr(r.test_case, "hidden", False)), "passed": bool(r.passed),
                  "message": case_message(r)} for r in tf.test_case_results]
        out[name] = {"score": float(tf.score), "possible": float(tf.possible), "cases": cases}
    return out


def worker_command(submission: Path, autograder: Path, output: Path, cell_timeout: int,
                   test_timeout: int) -> list[str]:
    """The command line of the process that grades one submission."""
    return [sys.executable, "-c", "from gru_edu.grading.otter_run import worker; worker()",
            "--autograder", str(autograder), "--output", str(output),
            "--cell-timeout", str(cell_timeout), "--test-timeout", str(test_timeout),
            str(submission)]


def worker(argv: list[str] | None = None) -> None:
    """Entry of the grading process (:func:`worker_command`); exits with run_one's code."""
    p = argparse.ArgumentParser(prog="gru_edu grading worker")
    p.add_argument("submission")
    p.add_argument("--autograder", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--cell-timeout", type=int, required=True)
    p.add_argument("--test-timeout", type=int, required=True)
    a = p.parse_args(argv)
    sys.exit(run_one(a.submission, a.autograder, a.output, a.cell_timeout, a.test_timeout))


def run_one(submission: str, autograder: str, output: str, cell_timeout: int,
            test_timeout: int = TEST_TIMEOUT) -> int:
    """One submission through ``otter run``, every cell under a time limit.

    The submission's own cells (marked before otter adds its cells) get
    ``cell_timeout``, check cells included: an endless loop there is
    interrupted like anywhere else. Otter's closing cell, which runs every
    question's tests not run yet, is split into one cell per question, each
    under ``test_timeout``: a question whose tests never end loses its points
    and the others keep theirs. A cell that catches the interrupt is stopped
    line by line from the second one on
    (:func:`gru_edu.grading.guard.install_interrupt_escalation`). Writes
    ``checks.json`` to ``output``; returns 0, or 3 when otter could not
    grade (a dead kernel, memory, an error of the grader).
    """
    notes: list[str] = []
    _patch_otter(cell_timeout, test_timeout, notes)
    from otter.run import main as otter_run

    summary: dict[str, Any] = {"questions": {}, "notes": notes, "error": None}
    code = 0
    try:
        results = otter_run(submission, autograder=autograder, output_dir=output, no_logo=True)
        summary["questions"] = _checks_summary(results)
    except Exception as err:  # noqa: BLE001 - reported as the submission's status
        chain = [err, err.__cause__, err.__context__]
        names = {type(e).__name__ for e in chain if e is not None}
        summary["error"] = ("kernel_died" if "DeadKernelError" in names
                            else "out_of_memory" if "MemoryError" in names else "grader_error")
        summary["detail"] = f"{type(err).__name__}: {str(err)[:300]}"
        code = 3
    Path(output, "checks.json").write_text(json.dumps(summary, indent=1))
    return code


def _patch_otter(cell_timeout: int, test_timeout: int, notes: list[str]) -> None:
    """Otter's grading and execution preprocessors, with limits and notes added."""
    import nbconvert.preprocessors as pre
    import nbformat
    from otter.execute import preprocessor as otter_pre

    class MarkingGradingPreprocessor(otter_pre.GradingPreprocessor):  # type: ignore[misc]
        def preprocess(self, nb, resources=None):  # noqa: ANN001, ANN201
            for cell in nb.cells:
                cell.setdefault("metadata", {})[STUDENT_CELL] = True
            return super().preprocess(nb, resources)

        def add_init_and_export_cells(self, nb):  # noqa: ANN001, ANN201
            tests = list(self.tests_glob)
            self.tests_glob = []  # the closing cell then only writes the results
            try:
                super().add_init_and_export_cells(nb)
            finally:
                self.tests_glob = tests
            nb.cells.insert(0, nbformat.v4.new_code_cell(
                "from gru_edu.grading.guard import install_interrupt_escalation\n"
                "install_interrupt_escalation()"))
            export = nb.cells.pop()
            for test in tests:
                nb.cells.append(nbformat.v4.new_code_cell(
                    "from otter.execute import Checker\n"
                    f"Checker.check_if_not_already_checked({json.dumps(test)})"))
            nb.cells.append(export)

    def timeout_for(cell) -> int:  # noqa: ANN001
        return cell_timeout if _is_student_cell(cell) else test_timeout

    class TimedExecutePreprocessor(pre.ExecutePreprocessor):  # type: ignore[misc, valid-type]
        def __init__(self, **kw):  # noqa: ANN003
            super().__init__(**kw)
            self.timeout_func = timeout_for
            self.interrupt_on_timeout = True

        def preprocess_cell(self, cell, resources, index):  # noqa: ANN001, ANN201
            cell, resources = super().preprocess_cell(cell, resources, index)
            if _is_student_cell(cell):
                for out in cell.get("outputs", []):
                    note = _CELL_NOTES.get(out.get("ename", ""))
                    if out.get("output_type") == "error" and note:
                        notes.append(note.format(cell_timeout=cell_timeout))
            return cell, resources

    # otter imports both from these modules when it grades
    otter_pre.GradingPreprocessor = MarkingGradingPreprocessor
    pre.ExecutePreprocessor = TimedExecutePreprocessor


#: Errors of a submission's own cell that the feedback names.
_CELL_NOTES = {
    "KeyboardInterrupt": "a cell ran past the time limit ({cell_timeout} s) and was stopped",
    "MemoryError": "a cell ran out of memory",
}
