"""Hand out and grade the assignments: otter-grader, run without Docker.

Each assignment is one *master* notebook, ``notebooks/assignments/NAME/NAME.ipynb``,
in otter-grader's format: solutions between ``# BEGIN SOLUTION`` / ``# END
SOLUTION``, public and hidden tests that call the checks of
:mod:`gru_edu.grading`. Commands (:mod:`gru_edu.__main__`)::

    python -m gru_edu list
    python -m gru_edu generate [NAME ...]             # student + autograder
    python -m gru_edu grade NAME SUBMISSIONS/ --out DIR  # gradebook + feedback

``generate`` runs ``otter assign`` and writes, reproducibly (same master, same
bytes), ``dist/assignments/NAME/student/`` (stubs instead of solutions, hidden
tests removed) and ``dist/assignments/NAME/autograder/autograder.zip``.

``grade`` reads an LMS bulk download (:mod:`gru_edu.grading.submissions`) and
runs every submission through ``otter run`` (``otter grade`` needs Docker) in
its own process, several at once, under the limits of :class:`Limits`: a
cell, or a question's tests, that runs too long costs that cell or question
only; a submission past its whole limit gets zero (``timed_out``). It writes
the gradebook and feedback files of :mod:`gru_edu.grading.gradebook`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..config import repo_root
from .gradebook import Grades, SubmissionResult, num, write
from .otter_run import TEST_TIMEOUT, resource_limits, run_limited, worker_command
from .submissions import Submission, collect

__all__ = [
    "masters",
    "questions_of",
    "generate",
    "grade",
    "list_assignments",
    "default_workers",
    "Generated",
    "Grades",
    "Limits",
    "SubmissionResult",
]

CELL_TIMEOUT = 300
SUBMISSION_TIMEOUT = 1800
MEMORY_MB = 16384


def assignments_dir() -> Path:
    """``notebooks/assignments`` of this checkout."""
    return repo_root() / "notebooks" / "assignments"


def dist_dir() -> Path:
    """Where generated material goes (``dist/``, ignored by git)."""
    return repo_root() / "dist"


def masters(root: Path | None = None) -> dict[str, Path]:
    """Name -> master notebook, for every ``NAME/NAME.ipynb`` under ``root``."""
    root = Path(root) if root else assignments_dir()
    found = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        nb = folder / f"{folder.name}.ipynb"
        if nb.exists():
            found[folder.name] = nb
    return found


def questions_of(master: Path) -> dict[str, float]:
    """Question name -> points, read from a master's ``# BEGIN QUESTION`` cells."""
    import nbformat

    nb = nbformat.read(master, as_version=4)
    found = {}
    for cell in nb.cells:
        src = cell.source.strip()
        if cell.cell_type == "raw" and src.startswith("# BEGIN QUESTION"):
            name = re.search(r"^name:\s*(\S+)", src, re.M)
            pts = re.search(r"^points:\s*([\d.]+)", src, re.M)
            if name:
                found[name.group(1)] = float(pts.group(1)) if pts else 1.0
    return found


def _master(name: str) -> Path:
    known = masters()
    if name not in known:
        raise ValueError(f"no assignment {name!r}; known: {', '.join(known) or 'none'}")
    return known[name]


# --- generate


@dataclass
class Generated:
    """Paths written by :func:`generate`."""

    name: str
    student_dir: Path
    student_notebook: Path
    autograder_zip: Path
    autograder_notebook: Path


def _normalise_notebook(path: Path, name: str) -> None:
    """Fixed cell ids, no outputs: the same master gives the same bytes."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{name[:50]}-{i:03d}"
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
    nbformat.write(nb, path)


def _deterministic_zip(src: Path, dest: Path) -> None:
    """Re-pack ``src`` with sorted entries and a fixed timestamp."""
    with zipfile.ZipFile(src) as zin:
        entries = sorted(zin.namelist())
        data = {n: zin.read(n) for n in entries}
    tmp = dest.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for n in entries:
            info = zipfile.ZipInfo(n, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if n == "run_autograder" else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(info, data[n])
    tmp.replace(dest)


def _otter_assign(master: Path, result: Path, run_tests: bool, quiet: bool) -> None:
    """``otter assign --no-pdfs [--no-run-tests] MASTER RESULT``, in this process.

    In-process, so that generating several assignments pays otter's (slow)
    imports once; its log lines are kept unless something fails.
    """
    import contextlib
    import io

    from otter.assign import main as otter_assign

    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            otter_assign(str(master), str(result), no_pdfs=True,
                         no_run_tests=not run_tests)
    except Exception as err:
        raise RuntimeError(f"otter assign failed for {master.name}:\n{out.getvalue()}") from err
    if not quiet and run_tests:
        print(out.getvalue())


def generate(name: str, out_dir: Path | str | None = None, run_tests: bool = False,
             quiet: bool = False) -> Generated:
    """Student notebook and autograder for assignment ``name`` (``otter assign``).

    ``run_tests=True`` makes otter also execute the master against the
    autograder (slower; the master's own test cells already do this under
    nbval).
    """
    master = _master(name)
    out = Path(out_dir) if out_dir else dist_dir() / "assignments"
    final = out / name
    with tempfile.TemporaryDirectory(prefix=f"gru-edu-assign-{name}-") as tmp:
        result = Path(tmp) / "out"
        _otter_assign(master, result, run_tests, quiet)
        zips = sorted((result / "autograder").glob("*.zip"))
        if len(zips) != 1:
            raise RuntimeError(f"expected one autograder zip, found {zips}")
        if final.exists():
            shutil.rmtree(final)
        (final / "autograder").mkdir(parents=True)
        shutil.copytree(result / "student", final / "student")
        for f in (result / "autograder").iterdir():
            if f.suffix != ".zip":
                if f.is_dir():
                    shutil.copytree(f, final / "autograder" / f.name)
                else:
                    shutil.copy2(f, final / "autograder" / f.name)
        _deterministic_zip(zips[0], final / "autograder" / "autograder.zip")
    for nb in [final / "student" / f"{name}.ipynb", final / "autograder" / f"{name}.ipynb"]:
        _normalise_notebook(nb, name)
    gen = Generated(name, final / "student", final / "student" / f"{name}.ipynb",
                    final / "autograder" / "autograder.zip",
                    final / "autograder" / f"{name}.ipynb")
    if not quiet:
        print(f"{name}: hand out {_rel(gen.student_dir)}/, grade with"
              f" {_rel(gen.autograder_zip)}")
    return gen


def _rel(p: Path) -> str:
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


# --- grade


def _questions(autograder_zip: Path) -> dict[str, float]:
    """Question name -> points, read from the autograder's test files."""
    qs: dict[str, float] = {}
    with zipfile.ZipFile(autograder_zip) as z:
        for n in sorted(z.namelist()):
            if n.startswith("tests/") and n.endswith(".py"):
                src = z.read(n).decode()
                name = re.search(r'^name = "(.+)"', src, re.M)
                pts = re.search(r"^points = ([\d.]+)", src, re.M)
                if name:
                    qs[name.group(1)] = float(pts.group(1)) if pts else 1.0
    return dict(sorted(qs.items(), key=lambda kv: _natural(kv[0])))


def _natural(s: str) -> list:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", s)]


def _zip_folder(folder: Path, dest: Path) -> Path:
    """The files of a student's folder, at the top level of a zip (as otter expects)."""
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(folder.rglob("*")):
            rel = f.relative_to(folder)
            if f.is_file() and not any(part.startswith(".") for part in rel.parts):
                z.write(f, rel.as_posix())
    return dest


@dataclass
class Limits:
    """Time and memory limits of grading one submission (see :func:`grade`)."""

    cell_timeout: int = CELL_TIMEOUT
    timeout: int = SUBMISSION_TIMEOUT
    test_timeout: int = TEST_TIMEOUT
    memory_mb: int | None = MEMORY_MB
    cpu_seconds: int | None = None


def _grade_one(sub: Submission, autograder_zip: Path, work: Path, limits: Limits
               ) -> SubmissionResult:
    """Run one screened submission in its own process; its row of the gradebook."""
    res = SubmissionResult(sub.student, sub.path, status=sub.status, message=sub.message)
    if sub.status != "ok":
        return res
    res.status = "graded"
    out = work / "results" / sub.student
    out.mkdir(parents=True, exist_ok=True)
    log = work / "logs" / f"{sub.student}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    cpu = limits.cpu_seconds or limits.timeout * max(1, os.cpu_count() or 1)
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="gru-edu-grade-") as cwd:
        path = sub.path.resolve()
        if path.is_dir():
            path = _zip_folder(path, Path(cwd) / f"{sub.student}.zip")
        elif path.suffix not in (".ipynb", ".zip"):  # an LMS name without the extension
            path = Path(shutil.copy(path, Path(cwd) / f"{sub.student}.ipynb"))
        cmd = worker_command(path, autograder_zip, out, limits.cell_timeout,
                             limits.test_timeout)
        rc = run_limited(cmd, log, cwd, limits.timeout,
                         resource_limits(limits.memory_mb, cpu))
    res.seconds = time.monotonic() - start
    _read_worker_results(res, out, rc, limits)
    return res


def _read_worker_results(res: SubmissionResult, out: Path, rc: int | None,
                         limits: Limits) -> None:
    """Scores, messages and status from what the worker wrote (or did not)."""
    checks = out / "checks.json"
    data = json.loads(checks.read_text()) if checks.exists() else None
    notes: list[str] = []
    if rc is None:
        res.status = "timed_out"
        notes.append(f"grading stopped after {limits.timeout} s")
    elif data is None or data.get("error"):
        res.status = (data or {}).get("error") or "grader_error"
        log_text = (out.parent.parent / "logs" / f"{res.student}.log").read_text(errors="replace")
        if res.status == "grader_error" and "MemoryError" in log_text:
            res.status = "out_of_memory"
        notes.append(f"exit code {rc}; see logs/{res.student}.log")
    if data:
        for q, info in data.get("questions", {}).items():
            res.scores[q] = float(info["score"])
            cases = sorted(info["cases"], key=lambda c: c["passed"])  # diagnoses first
            res.feedback[q] = [("further check: " if c["hidden"] else "") + c["message"]
                               for c in cases]
        found = list(dict.fromkeys(data.get("notes", [])))
        if found and res.status == "graded":
            res.status = ("out_of_memory" if any("memory" in n for n in found)
                          else "cell_timeout")
        notes += found
    res.message = "; ".join([m for m in [res.message] + notes if m])


def _note_unfinished(r: SubmissionResult, questions: dict[str, float],
                     test_timeout: int) -> None:
    """A graded submission's question without a result: its tests never finished."""
    if r.status in ("graded", "cell_timeout", "out_of_memory"):
        for q in questions:
            if q not in r.scores:
                r.feedback[q] = ["Its tests did not finish within the time limit"
                                 f" ({test_timeout} s) or could not run; 0 points."]


def default_workers() -> int:
    """Submissions graded at once by default: one per CPU core."""
    return max(1, os.cpu_count() or 1)


def grade(name: str, submissions: Path | str, out_dir: Path | str | None = None,
          autograder: Path | str | None = None, cell_timeout: int = CELL_TIMEOUT,
          timeout: int = SUBMISSION_TIMEOUT, workers: int | None = None, quiet: bool = False,
          test_timeout: int = TEST_TIMEOUT, memory_mb: int | None = MEMORY_MB,
          cpu_seconds: int | None = None) -> Grades:
    """Grade a folder as an LMS bulk download gives it; write and return the gradebook.

    ``submissions`` is laid out as :mod:`gru_edu.grading.submissions`
    describes (plain, Canvas or Moodle names; flat or a folder per student).
    Writes ``gradebook.csv``, ``scores.csv``, ``feedback/`` and ``logs/`` to
    ``out_dir`` (default ``dist/grades/NAME``). ``workers`` submissions are
    graded at once, each in its own process (default: one per CPU core);
    ``cell_timeout`` bounds each cell, ``test_timeout`` each question's
    tests, ``timeout`` the whole submission; ``memory_mb`` (address space)
    and ``cpu_seconds`` (default: ``timeout`` times the number of CPUs)
    bound its processes. A bad submission gets a row with its status and
    never stops the run.
    """
    if autograder is None:
        autograder = dist_dir() / "assignments" / name / "autograder" / "autograder.zip"
        if not Path(autograder).exists():
            if not quiet:
                print(f"no autograder yet: generating {name} first")
            autograder = generate(name, quiet=quiet).autograder_zip
    autograder = Path(autograder).resolve()
    out = (Path(out_dir) if out_dir else dist_dir() / "grades" / name).resolve()
    out.mkdir(parents=True, exist_ok=True)
    if not Path(submissions).exists():
        raise FileNotFoundError(f"no such folder: {submissions}")
    subs = collect(submissions, name)
    if not subs:
        raise FileNotFoundError(f"no submissions in {submissions}")
    questions = _questions(autograder)
    limits = Limits(cell_timeout, timeout, test_timeout, memory_mb, cpu_seconds)
    workers = workers or default_workers()
    if not quiet:
        print(f"grading {len(subs)} submission(s) of {name} with {workers} worker(s)"
              f" ({', '.join(f'{q}: {num(p)} pt' for q, p in questions.items())})", flush=True)

    def one(sub: Submission) -> SubmissionResult:
        r = _grade_one(sub, autograder, out, limits)
        _note_unfinished(r, questions, test_timeout)
        if not quiet:
            print(f"  {r.student}: {num(r.total)}/{num(sum(questions.values()))}"
                  f" {r.status} in {r.seconds:.0f} s", flush=True)
        return r

    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(one, subs))
    grades = Grades(name, questions, results)
    write(grades, out)
    shutil.rmtree(out / "results", ignore_errors=True)
    if not quiet:
        print()
        print(grades.table())
        print(f"\nwrote {_rel(out / 'gradebook.csv')}, {_rel(out / 'scores.csv')} and"
              f" {_rel(out / 'feedback')}/")
    return grades


def list_assignments() -> list[str]:
    """One line per assignment: name, points per question, master's path."""
    lines = []
    for name, path in masters().items():
        qs = questions_of(path)
        parts = ", ".join(f"{q} {num(p)} pt" for q, p in qs.items())
        lines.append(f"{name}  ({num(sum(qs.values()))} points: {parts})  {_rel(path)}")
    return lines
