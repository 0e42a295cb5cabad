"""The students release (gru_edu.grading.release): what it holds, the leak scan, the Colab cell."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from assignment_learners import A1

from gru_edu.__main__ import main
from gru_edu.grading import otter, release

ROOT = Path(__file__).resolve().parent.parent
STUDENT_REPO = "https://github.com/example/gru-edu-students"


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

