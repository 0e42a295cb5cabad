"""Corpora of assignment submissions: what the public checks say vs the grade.

A1: each submission is the master's solution with one planted mistake (most
in one ``reset_after`` variant only), written into the generated student
notebook and graded end to end with the teacher's machinery
(``otter.generate`` and ``otter.grade``). For every submission and question
the log holds what the public checks say (all passed or not, their points)
and what the grade is, and whether the feedback file shows otter's noise or
hidden-test source.

A3, questions 2–4 (functions on arrays): each submission is the master's
solution with one of the usual slips; the autograder's own test files of
those questions are run on the functions (public and hidden cases, scored as
otter scores them; the notebook itself, which needs the trained model, is
not run). A2 has no corpus: each submission would be a trained model.

    python benchmarks/assignment_corpus.py --label after

``--label`` names the run (``before``: the code before the public checks
covered both variants; run it with ``PYTHONPATH`` pointing at that checkout).
The log, ``benchmarks/logs/assignment_corpus.json``, keeps one run per label.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
import zipfile
from pathlib import Path

A1 = "a1_gru_from_scratch"

STEP_RESET_TRUE = "r * (h_prev @ U_h + c_h)"
STEP_RESET_FALSE = "(r * h_prev) @ U_h)"

#: name -> (edits to the master's solution (old, new), what is planted)
CORPUS: dict[str, tuple[list[tuple[str, str]], str]] = {
    "correct": ([], "the master's solution"),
    "step_reset_false_after": (
        [(STEP_RESET_FALSE, "r * (h_prev @ U_h))")],
        "gru_step, reset_after=False only: reset gate applied after the product"),
    "step_reset_true_before": (
        [(STEP_RESET_TRUE, "(r * h_prev) @ U_h + c_h")],
        "gru_step, reset_after=True only: reset gate applied before the product"),
    "forward_h0_ignored": (
        [("h = np.zeros((batch, units)) if h0 is None else h0",
          "h = np.zeros((batch, units))")],
        "gru_forward: h0 ignored"),
    "backward_false_dUh_from_h_prev": (
        [("d_rec[:, 2 * n:] += (r * h_prev).T @ da_h",
          "d_rec[:, 2 * n:] += h_prev.T @ da_h")],
        "gru_backward, reset_after=False only: dU_h built from h_prev, not r * h_prev"),
    "backward_true_bias_not_times_r": (
        [("d_b_rec[2 * n:] += d_hu.sum(axis=0)",
          "d_b_rec[2 * n:] += da_h.sum(axis=0)")],
        "gru_backward, reset_after=True only: b'_h gradient not multiplied by r"),
    "step_and_backward_false": (
        [(STEP_RESET_FALSE, "r * (h_prev @ U_h))"),
         ("d_rec[:, 2 * n:] += (r * h_prev).T @ da_h",
          "d_rec[:, 2 * n:] += h_prev.T @ da_h")],
        "the issue's attempt: both reset_after=False bugs (step and dU_h)"),
    "numerical_gradient_copy": (
        [("    grad = np.zeros_like(x)\n    for idx",
          "    grad = np.zeros_like(x)\n    x = x.copy()\n    for idx")],
        "numerical_gradient perturbs a copy of x"),
    "relative_error_cs231n": (
        [("return np.max(np.abs(a - b)) / max(1e-8, np.max(np.abs(a) + np.abs(b)))",
          "return np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))")],
        "relative_error as CS231n's assignments' rel_error (entry by entry)"),
}

A3 = "a3_reading_the_gates"
A3_QUESTIONS = ("q2", "q3", "q4")

#: A3 name -> (edits to the master's solution, what is planted)
A3_CORPUS: dict[str, tuple[list[tuple[str, str]], str]] = {
    "correct": ([], "the master's solution"),
    "padding_counted": ([("words = ids > 1  # not padding", "words = ids >= 0  # not padding")],
                        "gate_reaction counts padding steps"),
    "start_counted": ([("words = ids > 1  # not padding", "words = ids > 0  # not padding")],
                      "gate_reaction counts the <start> marker"),
    "baseline_includes_cue": ([("other = words & ~cue", "other = words")],
                              "gate_reaction's baseline includes the cue steps"),
    "sign_reversed": ([("return z[cue].mean(axis=0) - z[other].mean(axis=0)",
                        "return z[other].mean(axis=0) - z[cue].mean(axis=0)")],
                      "gate_reaction the wrong way round"),
    "mean_of_means": ([("return z[cue].mean(axis=0) - z[other].mean(axis=0)",
                        "return np.mean([z[b][cue[b]].mean(0) - z[b][other[b]].mean(0)"
                        " for b in range(len(z))], axis=0)")],
                      "gate_reaction averages per-review means"),
    "ranked_by_value": ([("np.argsort(-np.abs(reaction))", "np.argsort(-reaction)")],
                        "strongest_units ranks by value, not size"),
    "population_variance": ([("a.var(ddof=1) + (n_b - 1) * b.var(ddof=1)",
                              "a.var(ddof=0) + (n_b - 1) * b.var(ddof=0)")],
                            "effect_size with population variances"),
}

#: words that must never reach a student: otter's headers, tracebacks, test source
NOISE = ("Error at line", "Traceback", "AssertionError", "a1_cell.", "check_gru_",
         "reset_after=(True, False)", "seed=", ".require()", "def test_")


def solution_cells(master: Path) -> dict[str, str]:
    """Function name -> source of each solution cell of the master notebook."""
    import nbformat

    nb = nbformat.read(master, as_version=4)
    out, inside = {}, False
    for cell in nb.cells:
        src = cell.source.strip()
        if cell.cell_type == "raw" and src.startswith("# BEGIN SOLUTION"):
            inside = True
        elif cell.cell_type == "raw" and src.startswith("# END SOLUTION"):
            inside = False
        elif inside and cell.cell_type == "code":
            name = re.search(r"^def (\w+)", cell.source, re.M)
            if name:  # a function (not question 5's answers)
                out[name.group(1)] = cell.source
    return out


def solution_code(master: Path, edits: list[tuple[str, str]]) -> dict[str, str]:
    """The master's solution cells with ``edits`` applied (each must apply once)."""
    cells = solution_cells(master)
    for old, new in edits:
        hits = [k for k, src in cells.items() if old in src]
        if not hits:
            raise ValueError(f"the solution no longer contains {old!r}")
        cells[hits[0]] = cells[hits[0]].replace(old, new, 1)
    return cells


def write_submission(student_nb: Path, dest: Path, code: dict[str, str]) -> None:
    """The student notebook with its answer cells filled in from ``code``."""
    import nbformat

    nb = nbformat.read(student_nb, as_version=4)
    for cell in nb.cells:
        if "otter_answer_cell" in cell.metadata.get("tags", []):
            name = re.search(r"^def (\w+)", cell.source, re.M)
            if name and name.group(1) in code:
                cell.source = code[name.group(1)]
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dest)


def public_results(autograder_zip: Path, code: dict[str, str],
                   questions: tuple[str, ...] | None = None) -> dict[str, dict]:
    """Question -> what its public cases say (``grader.check``) and its score.

    The score is that of all the question's cases, public and hidden, run
    here on the functions alone (as otter scores a test file).
    """
    import numpy as np
    from otter.test_files.exception_test import ExceptionTestFile

    env: dict = {"np": np}
    exec(compile("\n\n".join(code.values()), "<submission>", "exec"), env)
    out = {}
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(autograder_zip) as z:
        z.extractall(tmp)
        for path in sorted(Path(tmp, "tests").glob("q*.py")):
            if questions and path.stem not in questions:
                continue
            tf = ExceptionTestFile.from_file(str(path))
            tf.run(env)
            public = [r for r in tf.test_case_results if not r.test_case.hidden]
            out[tf.name] = {
                "public_all_passed": all(r.passed for r in public),
                "public_points": sum(r.test_case.points for r in public if r.passed),
                "public_possible": sum(r.test_case.points for r in public),
                "possible": tf.possible,
                "score_of_all_cases": tf.score,
            }
    return out


def run_corpus(work: Path, names: list[str] | None = None, jobs: int = 1) -> dict:
    """Generate A1, grade every corpus submission; the numbers per submission."""
    from gru_edu.grading import otter

    gen = otter.generate(A1, work / "dist", quiet=True)
    master = otter.masters()[A1]
    subs = work / "submissions"
    codes = {}
    for name in names or list(CORPUS):
        codes[name] = solution_code(master, CORPUS[name][0])
        write_submission(gen.student_notebook, subs / name / f"{A1}.ipynb", codes[name])
    grades = otter.grade(A1, subs, work / "grades", autograder=gen.autograder_zip,
                         cell_timeout=120, test_timeout=300, workers=jobs, quiet=True)
    result = {}
    for r in grades.results:
        public = public_results(gen.autograder_zip, codes[r.student])
        text = (work / "grades" / "feedback" / f"{r.student}.md").read_text()
        result[r.student] = {
            "planted": CORPUS[r.student][1],
            "questions": {q: {**public[q], "graded": r.scores.get(q, 0.0)}
                          for q in grades.questions},
            "graded_total": r.total,
            "max_total": grades.max_total,
            "feedback_noise": [w for w in NOISE if w in text],
        }
    return result


def run_a3_functions(work: Path) -> dict:
    """A3's questions 2-4 for every A3 corpus submission: public vs all cases."""
    from gru_edu.grading import otter

    gen = otter.generate(A3, work / "dist", quiet=True)
    master = otter.masters()[A3]
    result = {}
    for name, (edits, what) in A3_CORPUS.items():
        code = solution_code(master, edits)
        result[name] = {"planted": what, "questions": public_results(
            gen.autograder_zip, code, A3_QUESTIONS)}
    return result


def main(argv: list[str] | None = None) -> int:
    here = Path(__file__).resolve().parent
    sys.path.insert(0, str(here))
    from logbook import new_log, read_log, session, write_log

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", required=True, help="name of this run (before, after)")
    parser.add_argument("--log", default=str(here / "logs" / "assignment_corpus.json"))
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--source", default="this checkout",
                        help="what code was measured, for the log (e.g. a commit)")
    args = parser.parse_args(argv)
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="gru-edu-corpus-") as tmp:
        result = run_corpus(Path(tmp) / "a1", jobs=args.jobs)
        a3 = run_a3_functions(Path(tmp) / "a3")
    path = Path(args.log)
    log = read_log(path) or new_log("assignment_corpus", __doc__.splitlines()[0])
    log["runs"] = [r for r in log["runs"] if r["label"] != args.label]
    import gru_edu

    log["runs"].append({"label": args.label, **session(),
                        "source": args.source,
                        "package": str(Path(gru_edu.__file__).parent.parent),
                        "seconds": round(time.monotonic() - start, 1),
                        "a1": result, "a3_functions": a3})
    write_log(log, path)
    for name, r in result.items():
        cells = "  ".join(
            f"{q}: public {'pass' if v['public_all_passed'] else 'FAIL'}"
            f" {v['graded']:g}/{v['possible']:g}" for q, v in r["questions"].items())
        print(f"{name:34s} {r['graded_total']:g}/{r['max_total']:g}  {cells}"
              + (f"  noise: {r['feedback_noise']}" if r["feedback_noise"] else ""))
    for name, r in a3.items():
        cells = "  ".join(
            f"{q}: public {'pass' if v['public_all_passed'] else 'FAIL'}"
            f" {v['score_of_all_cases']:g}/{v['possible']:g}"
            for q, v in r["questions"].items())
        print(f"A3 {name:31s} {cells}")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
