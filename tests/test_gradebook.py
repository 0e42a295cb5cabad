"""A graded class: gradebook.csv with a named status per student, and clean feedback files (gru_edu.grading.gradebook)."""

from __future__ import annotations

import csv
import os
import re
import shutil
import time
import zipfile
from pathlib import Path

import pytest
from assignment_learners import A1, STEP_ZR, submission, learner

from gru_edu.grading import a1_cell, otter, release

POINTS = otter.questions_of(otter.masters()[A1])  # question -> points, from the master
FULL = sum(POINTS.values())
GATE_ORDER = [(STEP_ZR, STEP_ZR.replace("z =", "R =").replace("r =", "z =").replace("R =", "r ="))]


@pytest.fixture(scope="module")
def graded_class(generated_assignments, tmp_path_factory):
    """An LMS download of six students and four bad files, graded once."""
    gen = generated_assignments[A1]
    subs = tmp_path_factory.mktemp("download")
    work = tmp_path_factory.mktemp("work")

    def filled(dest: Path, edits=(), cells=()) -> Path:
        submission(gen.student_notebook, dest, edits=edits, cells=cells)
        return dest

    # Canvas, two hand-ins: the older one is faulty, the newer one right
    old = filled(subs / "doejane_12345_100_a1_gru_from_scratch.ipynb", edits=GATE_ORDER)
    filled(subs / "doejane_12345_101_a1_gru_from_scratch-1.ipynb")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    # Canvas, late, otter's export zip with a gate-order mistake
    nb = filled(work / f"{A1}.ipynb", edits=GATE_ORDER)
    with zipfile.ZipFile(subs / "roesam_late_23456_200_a1_gru_from_scratch_2026.zip", "w") as z:
        z.write(nb, f"{A1}.ipynb")
    # Moodle, one folder per student: kills its kernel
    folder = subs / "Ann Lee_34567_assignsubmission_file_"
    folder.mkdir()
    filled(folder / f"{A1}.ipynb", cells=[(5, "import os\nos._exit(1)")])
    # Moodle, flat: one cell exhausts its memory, the rest is right
    filled(subs / "Bo Chen_45678_assignsubmission_file_a1.ipynb",
           cells=[(5, "import numpy as np\nhog = np.ones(2**34)")])
    # plain: a cell that never ends
    filled(subs / "s005.ipynb", cells=[(5, "while True:\n    pass")])
    (subs / "s001.ipynb").write_bytes(b"")
    (subs / "s002.ipynb").write_text("{ not json")
    (subs / "s003.txt").write_text("my answers are in the notebook")
    shutil.copy(generated_assignments["a3_reading_the_gates"].student_notebook, subs / "s004.ipynb")
    out = tmp_path_factory.mktemp("grades")
    grades = otter.grade(A1, subs, out_dir=out, autograder=gen.autograder_zip,
                         cell_timeout=10, test_timeout=120, workers=2, memory_mb=4096,
                         quiet=True)
    return grades, out


def test_gradebook_has_one_row_per_student_with_a_named_status(graded_class):
    grades, out = graded_class
    with open(out / "gradebook.csv", newline="") as fh:
        rows = {r["student"]: r for r in csv.DictReader(fh)}
    assert list(next(iter(rows.values()))) == ["student", "score", "max_score", "status",
                                                "message"]
    status = {k: r["status"] for k, r in rows.items()}
    assert status == {"12345": "graded", "23456": "graded", "34567": "kernel_died",
                      "45678": "out_of_memory", "s005": "cell_timeout", "s001": "empty_file",
                      "s002": "invalid_json", "s003": "not_a_notebook",
                      "s004": "wrong_assignment"}, rows
    score = {k: float(r["score"]) for k, r in rows.items()}
    assert score["12345"] == FULL and score["45678"] == FULL and score["s005"] == FULL
    assert 0 < score["23456"] < FULL
    assert all(score[k] == 0 for k in ("34567", "s001", "s002", "s003", "s004"))
    assert all(float(r["max_score"]) == FULL for r in rows.values())
    assert "graded the newest, doejane_12345_101" in rows["12345"]["message"]
    assert rows["23456"]["message"].startswith("late")
    assert "time limit (10 s)" in rows["s005"]["message"]
    assert "out of memory" in rows["45678"]["message"]


def test_feedback_has_the_checks_words_and_no_test_source(graded_class):
    grades, out = graded_class
    master = otter.masters()[A1]
    hidden = release.secret_lines(master)["hidden test"]
    assert hidden
    expected = a1_cell.check_gru_step(learner(*GATE_ORDER)["gru_step"], reset_after=(True,))
    sam = (out / "feedback" / "23456.md").read_text()
    assert expected.findings[0].title in sam
    q1 = re.search(r"## q1: ([\d.]+) / ([\d.]+) points", sam)
    assert q1 and float(q1[1]) < float(q1[2]) == POINTS["q1"]
    for student in ("12345", "23456", "34567", "45678", "s001", "s004", "s005"):
        for ext in ("md", "html"):
            text = (out / "feedback" / f"{student}.{ext}").read_text()
            assert "Error at line" not in text and "Traceback" not in text, student
            assert "Test case failed" not in text
            assert not any(line in text for line in hidden), student
    assert "Status: kernel_died" in (out / "feedback" / "34567.md").read_text()

