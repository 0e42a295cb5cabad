"""How long grading a class takes: N submissions of assignment 1, graded in bulk.

The student notebook is generated from the A1 master, and N submissions are
made from it the way a class hands them in (Canvas names): the master's
solutions filled in, with one of the usual mistakes planted in a share of
them (gate order, transposed kernel, the (1 - z) convention swapped, missing
biases, an exception), some left untouched (still ``NotImplementedError``),
and every tenth student handing in a second, older file. Then
``python -m gru_edu grade`` runs them (``gru_edu.grading.otter.grade``) with
``--workers`` processes, and the wall time, the seconds per submission and
the statuses and scores are logged.

    python benchmarks/bench_grading.py                  # 300 submissions, 2 workers
    python benchmarks/bench_grading.py -n 40 --workers 2

Results: ``benchmarks/logs/bench_grading.json`` (a run with fewer than 300
submissions also records the extrapolation to 300, labelled as such).
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import nbformat  # noqa: E402
from assignment_corpus import solution_cells  # noqa: E402
from logbook import new_log, write_log  # noqa: E402

from gru_edu.grading import otter  # noqa: E402

A1 = "a1_gru_from_scratch"
STEP_ZR = "z = sigmoid(x_z + h_prev @ U_z + c_z)\n    r = sigmoid(x_r + h_prev @ U_r + c_r)"
VARIANTS = {  # name: (share of the class, edits to the master's solution)
    "correct": (0.40, []),
    "gate order": (0.10, [(STEP_ZR, STEP_ZR.replace("z =", "R =").replace("r =", "z =")
                           .replace("R =", "r ="))]),
    "transposed kernel": (0.10, [("x_t @ kernel + b_in", "x_t @ kernel.T + b_in")]),
    "(1 - z) swapped": (0.10, [("return z * h_prev + (1 - z) * h_tilde",
                                "return (1 - z) * h_prev + z * h_tilde")]),
    "no BPTT": (0.10, [("dh = dh_seq[:, t] + dh_next", "dh = dh_seq[:, t]")]),
    "exception": (0.05, [("b_in, b_rec = bias[0], bias[1]", "b_in, b_rec = bias[0], bias[2]")]),
    "untouched": (0.15, None),
}


def make_submission(student_nb: Path, solutions: dict[str, str], edits, dest: Path) -> None:
    """The student notebook with the (edited) solutions filled in; None: untouched."""
    nb = nbformat.read(student_nb, as_version=4)
    applied = set()
    if edits is not None:
        for cell in nb.cells:
            if "otter_answer_cell" in cell.metadata.get("tags", []):
                src = solutions[re.match(r"def (\w+)", cell.source).group(1)]
                for old, new in edits:
                    if old in src:
                        src = src.replace(old, new, 1)
                        applied.add(old)
                cell.source = src
        missing = [old for old, _ in edits if old not in applied]
        if missing:
            raise SystemExit(f"the master changed; update the variant: {missing[0]!r}")
    nbformat.write(nb, dest)


def make_class(n: int, student_nb: Path, folder: Path) -> dict[str, str]:
    """N Canvas-named submissions in ``folder``; student id -> variant."""
    solutions = solution_cells(otter.masters()[A1])
    names = [v for v, (share, _) in VARIANTS.items() for _ in range(round(share * n))]
    names = (names + ["correct"] * n)[:n]
    made = {}
    for i, variant in enumerate(names):
        uid = 10000 + i
        dest = folder / f"student{i:03d}_{uid}_{50000 + i}_{A1}.ipynb"
        make_submission(student_nb, solutions, VARIANTS[variant][1], dest)
        if i % 10 == 0:  # an older, untouched hand-in too: the newest must win
            older = folder / f"student{i:03d}_{uid}_{40000 + i}_{A1}.ipynb"
            make_submission(student_nb, solutions, None, older)
            os.utime(older, (time.time() - 3600, time.time() - 3600))
        made[str(uid)] = variant
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=300, help="submissions (default 300)")
    parser.add_argument("--workers", type=int, default=otter.default_workers(),
                        help="grading processes (default: the CPU count)")
    args = parser.parse_args()
    log = new_log("bench_grading", __doc__.split("\n")[0])
    with tempfile.TemporaryDirectory(prefix="gru-edu-bench-grading-") as tmp:
        tmp = Path(tmp)
        gen = otter.generate(A1, tmp / "dist", quiet=True)
        (tmp / "download").mkdir()
        variants = make_class(args.n, gen.student_notebook, tmp / "download")
        start = time.perf_counter()
        grades = otter.grade(A1, tmp / "download", out_dir=tmp / "grades",
                             autograder=gen.autograder_zip, workers=args.workers)
        wall = time.perf_counter() - start
    per = [r.seconds for r in grades.results]
    by_variant = collections.defaultdict(list)
    for r in grades.results:
        by_variant[variants[r.student]].append(r.total)
    run = {
        "submissions": args.n,
        "workers": args.workers,
        "wall_seconds": round(wall, 1),
        "seconds_per_submission_wall": round(wall / args.n, 2),
        "seconds_one_submission": {"median": round(statistics.median(per), 1),
                                   "max": round(max(per), 1)},
        "statuses": dict(collections.Counter(r.status for r in grades.results)),
        "mean_score_by_variant": {v: round(statistics.mean(s), 2)
                                  for v, s in sorted(by_variant.items())},
        "max_score": grades.max_total,
    }
    if args.n != 300:
        run["extrapolated_300_seconds"] = round(wall / args.n * 300, 0)
        run["extrapolation_note"] = (f"measured on {args.n} submissions; 300 extrapolated "
                                     "linearly, not measured")
    log["runs"].append(run)
    path = write_log(log, ROOT / "benchmarks" / "logs" / "bench_grading.json")
    print(f"{args.n} submissions, {args.workers} workers: {wall / 60:.1f} min"
          f" ({wall / args.n:.1f} s each); statuses {run['statuses']}")
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
