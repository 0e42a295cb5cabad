"""Hand out and grade the assignments: otter-grader, run without Docker.

Each assignment is one *master* notebook, ``notebooks/assignments/NAME/NAME.ipynb``,
in otter-grader's format: solutions between ``# BEGIN SOLUTION`` / ``# END
SOLUTION``, public and hidden tests that call the checks of
:mod:`gru_edu.grading`. Commands::

    python -m gru_edu.grading.otter list
    python -m gru_edu.grading.otter generate [NAME ...]   # student + autograder
    python -m gru_edu.grading.otter grade NAME SUBMISSIONS/  # table of scores

``generate`` runs ``otter assign`` and writes, reproducibly (same master, same
bytes), ``dist/assignments/NAME/student/`` (the notebook to hand out: stubs
instead of solutions, hidden tests removed, public checks kept) and
``dist/assignments/NAME/autograder/autograder.zip``.

``grade`` runs every submission (``*.ipynb`` or ``*.zip``, directly in the
folder or one folder per student) through ``otter run``, each in its own
process with a time limit per cell and per submission, and writes
``scores.csv`` (one row per student, one column per question),
``feedback/STUDENT.md`` (the checks' messages, hidden tests included) and
``logs/``; the table is printed too. ``otter grade`` needs Docker; ``otter
run`` grades one notebook in the current environment, which is what this
wraps.

Every cell of a submission — its check cells (``grader.check("q1")``)
included — that runs past ``--cell-timeout`` is interrupted and grading goes
on with the next cell. The tests otter runs after the notebook run one
question per cell, each under ``--test-timeout``, so a question whose tests
never end costs that question only. A submission past ``--timeout`` gets zero
with a note. Inside the tests, every call of learner code has its own time
limit (:func:`gru_edu.grading.limits.call_with_time_limit`). Each submission's process
(and the kernel it starts) also runs under memory and CPU-time limits
(``resource``, Linux and macOS), ``--memory`` and ``--cpu-seconds``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from ..config import repo_root
from .otter_run import (TEST_TIMEOUT, _run_limited, _run_one,  # noqa: F401
                        resource_limits)

__all__ = [
    "masters",
    "generate",
    "grade",
    "Generated",
    "Grades",
    "SubmissionResult",
    "main",
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
        raise SystemExit(f"no assignment {name!r}; known: {', '.join(known) or 'none'}")
    return known[name]


# --------------------------------------------------------------------------
# generate
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# grade
# --------------------------------------------------------------------------


@dataclass
class SubmissionResult:
    """Scores of one submission: question -> (score, max), feedback text."""

    student: str
    path: Path
    scores: dict[str, float] = field(default_factory=dict)
    feedback: dict[str, str] = field(default_factory=dict)
    note: str = ""
    seconds: float = 0.0

    @property
    def total(self) -> float:
        return float(sum(self.scores.values()))


@dataclass
class Grades:
    """The table :func:`grade` returns: questions with their points, one row per student."""

    name: str
    questions: dict[str, float]
    results: list[SubmissionResult]
    csv_path: Path | None = None
    feedback_dir: Path | None = None

    @property
    def max_total(self) -> float:
        return float(sum(self.questions.values()))

    def rows(self) -> list[dict[str, object]]:
        out = []
        for r in self.results:
            row: dict[str, object] = {"student": r.student}
            for q in self.questions:
                row[q] = _num(r.scores.get(q, 0.0))
            row["total"] = _num(r.total)
            row["max"] = _num(self.max_total)
            row["percent"] = round(100 * r.total / self.max_total, 1) if self.max_total else 0
            row["note"] = r.note
            out.append(row)
        return out

    def table(self) -> str:
        """The scores as aligned text, one line per student."""
        heads = ["student"] + [f"{q} ({_num(p)})" for q, p in self.questions.items()]
        heads += [f"total ({_num(self.max_total)})", "%", "note"]
        body = []
        for row in self.rows():
            body.append([str(row["student"])] + [str(row[q]) for q in self.questions]
                        + [str(row["total"]), str(row["percent"]), str(row["note"])])
        widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h)
                  for i, h in enumerate(heads)]
        fmt = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()
        lines = [fmt(heads), fmt(["-" * w for w in widths])] + [fmt(b) for b in body]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(float(x), 2)


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


def find_submissions(folder: Path) -> list[tuple[str, Path]]:
    """(student, path) for ``folder/STUDENT.ipynb|zip`` and ``folder/STUDENT/``.

    A student's folder holds a zip, or one notebook, possibly with files it
    reads (a saved model); such a folder is zipped for grading.
    """
    folder = Path(folder)
    if folder.is_file():
        return [(folder.stem, folder)]
    found = []
    for p in sorted(folder.iterdir()):
        if p.name.startswith(".") or p.name == ".ipynb_checkpoints":
            continue
        if p.is_file() and p.suffix in (".ipynb", ".zip"):
            found.append((p.stem, p))
        elif p.is_dir():
            inner = sorted(q for q in p.iterdir() if not q.name.startswith("."))
            zips = [q for q in inner if q.suffix == ".zip"]
            notebooks = [q for q in inner if q.suffix == ".ipynb"]
            if zips:
                found.append((p.name, zips[0]))
            elif len(notebooks) == 1 and len(inner) > 1:
                found.append((p.name, p))  # notebook plus files (a saved model): zipped
            elif notebooks:
                found.append((p.name, notebooks[0]))
    return found


def _zip_folder(folder: Path, dest: Path) -> Path:
    """The files of a student's folder, at the top level of a zip (as otter expects)."""
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(folder.rglob("*")):
            rel = f.relative_to(folder)
            if f.is_file() and not any(part.startswith(".") for part in rel.parts):
                z.write(f, rel.as_posix())
    return dest


def _grade_one(student: str, path: Path, autograder_zip: Path, work: Path,
               cell_timeout: int, timeout: int, test_timeout: int = TEST_TIMEOUT,
               memory_mb: int | None = MEMORY_MB, cpu_seconds: int | None = None
               ) -> SubmissionResult:
    res = SubmissionResult(student, path)
    out = work / "results" / student
    out.mkdir(parents=True, exist_ok=True)
    log = work / "logs" / f"{student}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "gru_edu.grading.otter", "run-one", "--autograder",
           str(autograder_zip), "--output", str(out), "--cell-timeout", str(cell_timeout),
           "--test-timeout", str(test_timeout), str(path.resolve())]
    if cpu_seconds is None:
        cpu_seconds = timeout * max(1, os.cpu_count() or 1)
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="gru-edu-grade-") as cwd:
        if path.is_dir():
            cmd[-1] = str(_zip_folder(path, Path(cwd) / f"{student}.zip"))
        rc = _run_limited(cmd, log, cwd, timeout, resource_limits(memory_mb, cpu_seconds))
    res.seconds = time.monotonic() - start
    results = out / "results.json"
    if rc is None:
        res.note = f"grading stopped after {timeout} s"
    elif not results.exists():
        res.note = f"could not be graded (exit code {rc}); see logs/{student}.log"
    if results.exists():
        data = json.loads(results.read_text())
        for t in data.get("tests", []):
            if "score" in t and t.get("name") not in (None, "Public Tests"):
                res.scores[t["name"]] = float(t["score"] or 0)
                res.feedback[t["name"]] = t.get("output", "")
    return res


def grade(name: str, submissions: Path | str, out_dir: Path | str | None = None,
          autograder: Path | str | None = None, cell_timeout: int = CELL_TIMEOUT,
          timeout: int = SUBMISSION_TIMEOUT, jobs: int = 1, quiet: bool = False,
          test_timeout: int = TEST_TIMEOUT, memory_mb: int | None = MEMORY_MB,
          cpu_seconds: int | None = None) -> Grades:
    """Grade every submission in ``submissions``; write and return the score table.

    ``cell_timeout`` bounds each cell of a submission, ``test_timeout`` each
    question's tests run after it, ``timeout`` the whole submission;
    ``memory_mb`` (address space) and ``cpu_seconds`` (default: ``timeout``
    times the number of CPUs) bound its processes.
    """
    if autograder is None:
        autograder = dist_dir() / "assignments" / name / "autograder" / "autograder.zip"
        if not Path(autograder).exists():
            if not quiet:
                print(f"no autograder yet: generating {name} first")
            autograder = generate(name, quiet=quiet).autograder_zip
    autograder = Path(autograder).resolve()
    out = Path(out_dir) if out_dir else dist_dir() / "grades" / name
    out.mkdir(parents=True, exist_ok=True)
    subs = find_submissions(Path(submissions))
    if not subs:
        raise SystemExit(f"no .ipynb or .zip submissions in {submissions}")
    questions = _questions(autograder)
    if not quiet:
        print(f"grading {len(subs)} submission(s) of {name}"
              f" ({', '.join(f'{q}: {_num(p)} pt' for q, p in questions.items())})")

    def one(item: tuple[str, Path]) -> SubmissionResult:
        r = _grade_one(item[0], item[1], autograder, out, cell_timeout, timeout,
                       test_timeout, memory_mb, cpu_seconds)
        for q in questions:
            if q not in r.scores and not r.note:
                r.feedback[q] = ("Its tests did not finish within the time limit"
                                 f" ({test_timeout} s) or could not run; 0 points.")
        if not quiet:
            print(f"  {r.student}: {_num(r.total)}/{_num(sum(questions.values()))}"
                  f" in {r.seconds:.0f} s" + (f" ({r.note})" if r.note else ""), flush=True)
        return r

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        results = list(pool.map(one, subs))
    grades = Grades(name, questions, results)
    grades.csv_path = out / "scores.csv"
    with open(grades.csv_path, "w", newline="") as fh:
        rows = grades.rows()
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    grades.feedback_dir = out / "feedback"
    grades.feedback_dir.mkdir(exist_ok=True)
    for r in results:
        (grades.feedback_dir / f"{r.student}.md").write_text(_feedback_text(grades, r))
    shutil.rmtree(out / "results", ignore_errors=True)
    if not quiet:
        print()
        print(grades.table())
        print(f"\nwrote {_rel(grades.csv_path)} and {_rel(grades.feedback_dir)}/")
    return grades


def _feedback_text(grades: Grades, r: SubmissionResult) -> str:
    lines = [f"# {grades.name}: feedback for {r.student}", "",
             f"Total: {_num(r.total)} / {_num(grades.max_total)}", ""]
    if r.note:
        lines += [f"Note: {r.note}", ""]
    for q, pts in grades.questions.items():
        lines += [f"## {q}: {_num(r.scores.get(q, 0))} / {_num(pts)}", ""]
        text = r.feedback.get(q, "not graded")
        lines += ["```", text.strip(), "```", ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gru_edu.grading.otter",
        description="Generate and grade the gru-edu assignments (otter-grader, no Docker).",
    )
    sub = parser.add_subparsers(dest="command", required=True,
                                metavar="{list,generate,grade}")
    sub.add_parser("list", help="list the assignments and their questions")
    g = sub.add_parser("generate", help="write student notebooks and autograders")
    g.add_argument("names", nargs="*", help="assignments (default: all)")
    g.add_argument("--out", help="output folder (default: dist/assignments)")
    g.add_argument("--run-tests", action="store_true",
                   help="also let otter execute the master against the autograder")
    gr = sub.add_parser("grade", help="grade a folder of submitted notebooks")
    gr.add_argument("name", help="assignment name")
    gr.add_argument("submissions", help="folder of STUDENT.ipynb / STUDENT/*.ipynb (or .zip)")
    gr.add_argument("--out", help="output folder (default: dist/grades/NAME)")
    gr.add_argument("--autograder", help="autograder.zip (default: the generated one)")
    gr.add_argument("--cell-timeout", type=int, default=CELL_TIMEOUT,
                    help=f"seconds per notebook cell (default {CELL_TIMEOUT})")
    gr.add_argument("--timeout", type=int, default=SUBMISSION_TIMEOUT,
                    help=f"seconds per submission (default {SUBMISSION_TIMEOUT})")
    gr.add_argument("--test-timeout", type=int, default=TEST_TIMEOUT,
                    help=f"seconds for each question's tests (default {TEST_TIMEOUT})")
    gr.add_argument("--memory", type=int, default=MEMORY_MB,
                    help=f"address-space limit per submission in MiB, 0 for none"
                         f" (default {MEMORY_MB})")
    gr.add_argument("--cpu-seconds", type=int, default=None,
                    help="CPU-time limit per submission process (default: --timeout"
                         " times the number of CPUs)")
    gr.add_argument("--jobs", type=int, default=1, help="submissions graded in parallel")
    one = sub.add_parser("run-one")  # internal: one submission, in its own process
    one.add_argument("submission")
    one.add_argument("--autograder", required=True)
    one.add_argument("--output", required=True)
    one.add_argument("--cell-timeout", type=int, default=CELL_TIMEOUT)
    one.add_argument("--test-timeout", type=int, default=TEST_TIMEOUT)
    args = parser.parse_args(argv)

    if args.command == "list":
        for name, path in masters().items():
            qs = questions_of(path)
            parts = ", ".join(f"{q} {_num(p)} pt" for q, p in qs.items())
            print(f"{name}  ({_num(sum(qs.values()))} points: {parts})  {_rel(path)}")
        return 0
    if args.command == "generate":
        names = args.names or list(masters())
        for name in names:
            generate(name, args.out, run_tests=args.run_tests)
        return 0
    if args.command == "grade":
        grade(args.name, args.submissions, args.out, args.autograder,
              args.cell_timeout, args.timeout, args.jobs, test_timeout=args.test_timeout,
              memory_mb=args.memory or None, cpu_seconds=args.cpu_seconds)
        return 0
    if args.command == "run-one":
        return _run_one(args.submission, args.autograder, args.output, args.cell_timeout,
                        args.test_timeout)
    return 2


if __name__ == "__main__":
    sys.exit(main())
