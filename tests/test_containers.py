"""An autograder zip run the way Gradescope runs it (gru_edu.grading.containers)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from assignment_learners import A1, STEP_ZR, submission

from gru_edu.grading import otter

POINTS = otter.questions_of(otter.masters()[A1])  # question -> points, from the master
FULL = sum(POINTS.values())
GATE_ORDER = [(STEP_ZR, STEP_ZR.replace("z =", "R =").replace("r =", "z =").replace("R =", "r ="))]


def _gradescope(autograder_zip: Path, submission: Path, root: Path) -> dict:
    """Lay out ``root/autograder`` as Gradescope does and run the zip's run_otter.py."""
    ag = root / "autograder"
    for sub in ("source", "submission", "results"):
        (ag / sub).mkdir(parents=True)
    with zipfile.ZipFile(autograder_zip) as z:
        z.extractall(ag / "source")
    (ag / "submission_metadata.json").write_text("{}")
    shutil.copy(submission, ag / "submission" / submission.name)
    run_autograder = (ag / "source" / "run_autograder").read_text()
    assert "python /autograder/source/run_otter.py" in run_autograder
    script = (ag / "source" / "run_otter.py").read_text()
    assert 'run_autograder("/autograder")' in script
    script = script.replace('"/autograder"', repr(str(ag)))
    subprocess.run([sys.executable, "-c", script], cwd=ag, check=True, timeout=600,
                   capture_output=True)
    return json.loads((ag / "results" / "results.json").read_text())


def _total(results: dict) -> tuple[float, float]:
    """What Gradescope shows when results.json has no top-level score: the tests' sum."""
    scored = [t for t in results["tests"] if t.get("max_score") is not None]
    assert {t["name"] for t in scored} == set(POINTS)
    return sum(t["score"] for t in scored), sum(t["max_score"] for t in scored)


def test_the_autograder_runs_as_gradescope_runs_it(generated_assignments, tmp_path):
    gen = generated_assignments[A1]
    right = _gradescope(gen.autograder_zip, gen.autograder_notebook, tmp_path / "right")
    assert _total(right) == (FULL, FULL)
    faulty_nb = tmp_path / f"{A1}.ipynb"
    submission(gen.student_notebook, faulty_nb, edits=GATE_ORDER)
    faulty = _gradescope(gen.autograder_zip, faulty_nb, tmp_path / "faulty")
    assert _total(faulty)[0] < FULL
    q1 = next(t for t in faulty["tests"] if t.get("name") == "q1")
    assert q1["score"] < q1["max_score"] == POINTS["q1"]

