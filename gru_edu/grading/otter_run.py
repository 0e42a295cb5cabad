"""One submission, run by ``otter run`` in its own process, under limits.

:func:`resource_limits` caps the address space and the CPU time of the
process (and the kernel it starts); :func:`_run_limited` runs a command in its
own session and kills the whole group past a wall-clock limit; :func:`_run_one`
is what that process runs: ``otter run`` with every cell of the submission
under ``cell_timeout`` and each question's tests under ``test_timeout``.
:mod:`gru_edu.grading.otter` grades a folder with these.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path
from typing import Any, Callable

__all__ = ["resource_limits", "TEST_TIMEOUT", "STUDENT_CELL"]

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


def _run_limited(cmd: list[str], log: Path, cwd: str, timeout: int,
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


def _run_one(submission: str, autograder: str, output: str, cell_timeout: int,
             test_timeout: int = TEST_TIMEOUT) -> int:
    """One submission through ``otter run``, every cell under a time limit.

    The submission's own cells (marked before otter adds its cells) get
    ``cell_timeout``, check cells included: an endless loop there is
    interrupted like anywhere else. Otter's closing cell, which runs every
    question's tests not run yet, is split into one cell per question, each
    under ``test_timeout``: a question whose tests never end loses its points
    and the others keep theirs. A cell that catches the interrupt is stopped
    line by line from the second one on
    (:func:`gru_edu.grading.guard.install_interrupt_escalation`).
    """
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

    base = pre.ExecutePreprocessor

    def timeout_for(cell) -> int:  # noqa: ANN001
        return cell_timeout if _is_student_cell(cell) else test_timeout

    class TimedExecutePreprocessor(base):  # type: ignore[misc, valid-type]
        def __init__(self, **kw):  # noqa: ANN003
            super().__init__(**kw)
            self.timeout_func = timeout_for
            self.interrupt_on_timeout = True

    # otter imports both from these modules when it grades
    otter_pre.GradingPreprocessor = MarkingGradingPreprocessor
    pre.ExecutePreprocessor = TimedExecutePreprocessor
    from otter.run import main as otter_run

    otter_run(submission, autograder=autograder, output_dir=output, no_logo=True)
    return 0
