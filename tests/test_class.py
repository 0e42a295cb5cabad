"""A class runs on it: the one command line, the release students receive (and
what it must never hold), handing in as an LMS gives it, bad submissions,
the gradebook and feedback, Gradescope's layout, the Colab cell."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest
from test_assignments import A1, STEP_ZR, _submission, learner

from gru_edu.__main__ import _parser, main
from gru_edu.grading import a1_cell, otter, release, submissions

ROOT = Path(__file__).resolve().parent.parent
STUDENT_REPO = "https://github.com/example/gru-edu-students"
POINTS = otter.questions_of(otter.masters()[A1])  # question -> points, from the master
FULL = sum(POINTS.values())
GATE_ORDER = [(STEP_ZR, STEP_ZR.replace("z =", "R =").replace("r =", "z =").replace("R =", "r ="))]


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    return {name: otter.generate(name, out, quiet=True) for name in (A1, "a3_reading_the_gates")}


# ---------------------------------------------------------------- one command line

def _options(parser):
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return sub.choices


def test_every_command_is_a_subcommand_with_defaults_in_its_help():
    commands = _options(_parser())
    assert {"train", "render", "hub-link", "fetch-data", "list", "generate", "grade",
            "release", "autograder-env"} <= set(commands)
    for name, parser in commands.items():
        options = parser.format_help().split("options:", 1)[1]
        entries = {e.split()[0].rstrip(","): e for e in options.split("\n  -")[1:]}
        for action in parser._actions:
            if action.option_strings and action.default not in (None, False, "==SUPPRESS=="):
                flag = action.option_strings[0].lstrip("-")
                entry = entries["-" + flag] if "-" + flag in entries else entries[flag]
                assert "default" in entry, (name, flag, entry)


def test_old_entry_points_are_gone():
    for module in ("gru_edu.assign", "gru_edu.grading.otter", "gru_edu.grading.containers"):
        run = subprocess.run([sys.executable, "-m", module, "--help"], capture_output=True,
                             text=True, timeout=120)
        assert "usage:" not in run.stdout, module
    assert not (ROOT / "gru_edu" / "assign.py").exists()
    callers = [p for p in ROOT.rglob("*") if p.suffix in (".md", ".py", ".txt", ".ipynb")
               and ".git" not in p.parts and "dist" not in p.parts]
    old = re.compile(r"python -m gru_edu\.(assign|grading\.otter|grading\.containers)\b")
    stale = [p for p in callers if old.search(p.read_text(errors="replace"))]
    assert stale == [], stale


def test_list_names_every_assignment(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in otter.masters())


# ---------------------------------------------------------------- LMS names

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


def test_collect_screens_each_file_and_keeps_the_newest(generated, tmp_path):
    a1 = generated[A1].student_notebook
    (tmp_path / "empty.ipynb").write_bytes(b"")
    (tmp_path / "broken.ipynb").write_text('{"cells": [')
    (tmp_path / "essay_12_3_report.pdf").write_bytes(b"%PDF-1.4 not a notebook")
    shutil.copy(generated["a3_reading_the_gates"].student_notebook, tmp_path / "other.ipynb")
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


# ---------------------------------------------------------------- grading a class

@pytest.fixture(scope="module")
def graded_class(generated, tmp_path_factory):
    """An LMS download of six students and four bad files, graded once."""
    gen = generated[A1]
    subs = tmp_path_factory.mktemp("download")
    work = tmp_path_factory.mktemp("work")

    def filled(dest: Path, edits=(), cells=()) -> Path:
        _submission(gen.student_notebook, dest, edits=edits, cells=cells)
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
    shutil.copy(generated["a3_reading_the_gates"].student_notebook, subs / "s004.ipynb")
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


# ---------------------------------------------------------------- Gradescope

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


def test_the_autograder_runs_as_gradescope_runs_it(generated, tmp_path):
    gen = generated[A1]
    right = _gradescope(gen.autograder_zip, gen.autograder_notebook, tmp_path / "right")
    assert _total(right) == (FULL, FULL)
    faulty_nb = tmp_path / f"{A1}.ipynb"
    _submission(gen.student_notebook, faulty_nb, edits=GATE_ORDER)
    faulty = _gradescope(gen.autograder_zip, faulty_nb, tmp_path / "faulty")
    assert _total(faulty)[0] < FULL
    q1 = next(t for t in faulty["tests"] if t.get("name") == "q1")
    assert q1["score"] < q1["max_score"] == POINTS["q1"]


# ---------------------------------------------------------------- release and Colab

@pytest.fixture(scope="module")
def released(tmp_path_factory):
    return release.release(tmp_path_factory.mktemp("students") / "tree", STUDENT_REPO,
                           quiet=True)


def test_release_holds_what_students_need_and_no_solution(released):
    root = released.root
    numbered = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert sorted(p.name for p in (root / "notebooks").glob("*.ipynb")) == numbered
    for name in otter.masters():
        student = root / "notebooks" / "assignments" / name / f"{name}.ipynb"
        text = student.read_text()
        assert "BEGIN SOLUTION" not in text and "hidden=True" not in text
    for needed in ("gru_edu/__init__.py", "gru_edu/cell/numpy_gru.py", "requirements.txt",
                   "pyproject.toml", "binder/postBuild", "README.md"):
        assert (root / needed).exists(), needed
    files = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()]
    assert not [f for f in files if f.endswith(".zip") or "answer_key" in f
                or f.startswith(("tests/", "benchmarks/", "dist/"))]
    assert release.leaks(root) == []


def test_leak_scan_finds_a_master_and_a_hidden_test(released, tmp_path):
    tree = tmp_path / "tree"
    shutil.copytree(released.root / "notebooks", tree / "notebooks")
    assert release.leaks(tree) == []
    shutil.copy(otter.masters()[A1], tree / "notebooks" / "copied_master.ipynb")
    hidden = {name: release.secret_lines(path)["hidden test"]
              for name, path in otter.masters().items()}
    assert hidden[A1]  # A1 keeps hidden cases (A2's and A3's checks are all public)
    (tree / "hidden.py").write_text("\n".join(sorted(hidden[A1])))
    found = release.leaks(tree)
    assert any(f.startswith("notebooks/copied_master.ipynb: solution of a1") for f in found)
    assert any(f.startswith("notebooks/copied_master.ipynb: hidden test of a1")
               for f in found)
    assert any(f.startswith(f"hidden.py: hidden test of {A1}") for f in found)


def test_release_refuses_a_non_empty_folder(tmp_path, capsys):
    (tmp_path / "keep.txt").write_text("x")
    assert main(["release", "--out", str(tmp_path), "--student-repo", STUDENT_REPO]) == 2
    assert "not empty" in capsys.readouterr().err


def test_colab_cell_is_first_and_harmless_in_a_local_kernel(released, tmp_path):
    from nbclient import NotebookClient

    for nb_path in released.notebooks + released.assignments:
        first = json.loads(nb_path.read_text())["cells"][0]
        assert first["id"] == release.COLAB_CELL_ID
    source = release.colab_cell_source(STUDENT_REPO)
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(source),
        nbformat.v4.new_code_cell("import sys; print('google.colab' in sys.modules)")])
    NotebookClient(nb, timeout=120, resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert nb.cells[0].outputs == []  # nothing installed, nothing printed
    assert nb.cells[1].outputs[0]["text"].strip() == "False"


def test_colab_cell_installs_from_the_student_repo_on_colab(monkeypatch):
    import importlib.util
    import types

    calls = []
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: calls.append(cmd))
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    exec(release.colab_cell_source(STUDENT_REPO + "/"), {})
    assert calls[0][-3:] == [f"gru-edu @ git+{STUDENT_REPO}", "otter-grader~=7.0", "ipympl"]
    assert calls[1][-3:] == ["gru_edu", "fetch-data", "--quiet"]
