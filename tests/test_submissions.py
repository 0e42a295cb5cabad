"""An LMS bulk download read into one screened file per student (gru_edu.grading.submissions)."""

from __future__ import annotations

import os
import shutil
import time
import zipfile

import pytest
from assignment_learners import A1

from gru_edu.grading import submissions


@pytest.mark.parametrize("name, student, original, late", [
    ("s1234567.ipynb", "s1234567", "s1234567.ipynb", False),
    ("s1234567.zip", "s1234567", "s1234567.zip", False),
    ("doejane_12345_67890_a1_gru_from_scratch.ipynb", "12345", f"{A1}.ipynb", False),
    ("doejane_late_12345_67890_a1_gru_from_scratch.ipynb", "12345", f"{A1}.ipynb", True),
    ("doejane_12345_67891_a1_gru_from_scratch-1.ipynb", "12345", f"{A1}.ipynb", False),
    ("doejane_12345_67890_a1_gru_from_scratch_2026_03_01T10_00_00_000000.zip", "12345",
     "a1_gru_from_scratch_2026_03_01T10_00_00_000000.zip", False),
    ("Jane Doe_4242_assignsubmission_file_a1_gru_from_scratch.ipynb", "4242",
     f"{A1}.ipynb", False),
    ("Jane Doe_4242_assignsubmission_file_", "4242", "", False),
])
def test_student_id_from_bulk_download_names(name, student, original, late):
    assert submissions.parse_name(name) == (student, original, late)


def test_collect_screens_each_file_and_keeps_the_newest(generated_assignments, tmp_path):
    a1 = generated_assignments[A1].student_notebook
    (tmp_path / "empty.ipynb").write_bytes(b"")
    (tmp_path / "broken.ipynb").write_text('{"cells": [')
    (tmp_path / "essay_12_3_report.pdf").write_bytes(b"%PDF-1.4 not a notebook")
    shutil.copy(generated_assignments["a3_reading_the_gates"].student_notebook, tmp_path / "other.ipynb")
    old = tmp_path / "doejane_12345_1_a1_gru_from_scratch.ipynb"
    new = tmp_path / "doejane_12345_2_a1_gru_from_scratch-1.ipynb"
    shutil.copy(a1, old)
    shutil.copy(a1, new)
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    (tmp_path / "Ann Lee_777_assignsubmission_onlinetext_onlinetext.html").write_text("hi")
    moodle = tmp_path / "Ann Lee_777_assignsubmission_file_"
    moodle.mkdir()
    shutil.copy(a1, moodle / f"{A1}.ipynb")
    with zipfile.ZipFile(tmp_path / "zed.zip", "w") as z:
        z.write(a1, f"{A1}.ipynb")
    got = {s.student: s for s in submissions.collect(tmp_path, A1)}
    assert {k: v.status for k, v in got.items()} == {
        "empty": "empty_file", "broken": "invalid_json", "12": "not_a_notebook",
        "other": "wrong_assignment", "12345": "ok", "777": "ok", "zed": "ok"}
    assert got["12345"].path == new and got["12345"].ignored == [old]
    assert "2 files handed in; graded the newest" in got["12345"].message
    assert "a3_reading_the_gates, not a1_gru_from_scratch" in got["other"].message

