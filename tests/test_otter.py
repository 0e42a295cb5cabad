"""The assignments with otter (gru_edu.grading.otter): generated student versions without solutions that run and score zero, reproducible generation, a folder graded with named feedback."""

from __future__ import annotations

import json
import shutil
import zipfile

import nbformat
import pytest

from gru_edu.grading import otter

from assignment_learners import A1, A2, A3, STEP_ZR, submission  # noqa: E402


@pytest.fixture(scope="module")
def generated_all(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    return {name: otter.generate(name, out, quiet=True) for name in otter.masters()}


@pytest.fixture(scope="module")
def generated(generated_all):
    return generated_all[A1]


@pytest.fixture
def untrained_model_artifacts(tmp_path, monkeypatch):
    """An untrained GRU where assignment 3 looks for notebook 03's model.

    The data cache of the session is reused (linked), so nothing is re-read.
    """
    from gru_edu import config
    from gru_edu.imdb import (TrainedModel, build_classifier, default_model_dir,
                              load_vocabulary)

    cache = config.artifacts_dir() / "cache"
    load_vocabulary(num_words=30000, progress=False)  # builds the cache if needed
    art = tmp_path / "artifacts"
    art.mkdir()
    (art / "cache").symlink_to(cache, target_is_directory=True)
    monkeypatch.setenv("GRU_EDU_ARTIFACTS", str(art))
    vocab = load_vocabulary(num_words=30000, progress=False)
    TrainedModel(build_classifier(num_words=30000), vocab, 300,
                 meta={"mode": "untrained (test)", "test_accuracy": 0.5}
                 ).save(default_model_dir("gru"))
    return art


def test_every_assignment_is_found():
    assert {A1, A2, A3} <= set(otter.masters())
    assert otter.questions_of(otter.masters()[A2]) == {"q1": 3, "q2": 1, "q3": 5, "q4": 1}


def test_student_version_has_stubs_and_no_hidden_tests(generated):
    nb = nbformat.read(generated.student_notebook, as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    assert "BEGIN SOLUTION" not in text and "# END PROMPT" not in text
    assert "np.stack(states, axis=1)" not in text  # a solution line
    assert text.count("raise NotImplementedError") == 6
    assert 'grader.check("q1")' in text
    tests = nb.metadata["otter"]["tests"]
    assert set(tests) == {"q1", "q2", "q3", "q4"}
    assert not any("hidden=True" in t for t in tests.values())
    assert all("hidden=False" in t for t in tests.values())


@pytest.mark.parametrize("name", [A1, A2, A3])
def test_generation_is_reproducible(generated_all, tmp_path, name):
    first = generated_all[name]
    again = otter.generate(name, tmp_path, quiet=True)
    assert again.student_notebook.read_bytes() == first.student_notebook.read_bytes()
    assert again.autograder_zip.read_bytes() == first.autograder_zip.read_bytes()
    student = json.loads(first.student_notebook.read_text())
    assert not any("hidden=True" in t for t in student["metadata"]["otter"]["tests"].values())


def test_student_version_runs_top_to_bottom(generated, tmp_path):
    from nbclient import NotebookClient

    work = tmp_path / "student"
    shutil.copytree(generated.student_dir, work)
    nb = nbformat.read(work / f"{A1}.ipynb", as_version=4)
    NotebookClient(nb, timeout=300, resources={"metadata": {"path": str(work)}}).execute()
    outputs = json.dumps([c.get("outputs", []) for c in nb.cells])
    assert "Not implemented yet" in outputs
    assert "still raises NotImplementedError" in outputs  # the public checks' feedback


def test_grading_a_folder(generated, tmp_path, monkeypatch):
    monkeypatch.setenv("GRU_EDU_CHECK_SECONDS", "3")  # the graders' kernels inherit it
    subs = tmp_path / "submitted"
    subs.mkdir()
    shutil.copy(generated.autograder_notebook, subs / "master.ipynb")
    shutil.copy(generated.student_notebook, subs / "untouched.ipynb")
    # one student folder: a gate-order mistake in gru_step, an infinite loop in
    # gru_forward, plus a cell that raises and a cell that never ends
    (subs / "sam").mkdir()
    submission(
        generated.student_notebook, subs / "sam" / f"{A1}.ipynb",
        edits=[(STEP_ZR, STEP_ZR.replace("z =", "R =").replace("r =", "z =")
                .replace("R =", "r =")),
               ("    for t in range(time):\n        h = gru_step",
                "    while True:\n        pass\n    for t in range(time):\n        h = gru_step")],
        cells=[(3, "raise RuntimeError('a cell that fails')"), (4, "while True:\n    pass")],
    )
    # an endless loop in a cell that mentions a check (the gru_forward cell,
    # which never ends: gru_forward stays undefined) and one that swallows the
    # interrupt in a check cell itself: every cell has its limit, each loop
    # costs at most its question
    (subs / "tina").mkdir()
    submission(
        generated.student_notebook, subs / "tina" / f"{A1}.ipynb",
        edits=[("def gru_forward(", '# then grader.check("q2")\nwhile True:\n    pass\n\n\n'
                                    "def gru_forward(")],
        checks=[("q4", "while True:\n    try:\n        while True:\n            pass\n"
                       "    except BaseException:\n        pass")],
    )
    # calls the reference through importlib inside gru_forward: caught at run time
    (subs / "uma").mkdir()
    submission(
        generated.student_notebook, subs / "uma" / f"{A1}.ipynb",
        edits=[("    batch, time, _ = x.shape\n    units",
                "    import importlib\n"
                "    ref = importlib.import_module('gru_edu.' + 'cell')\n"
                "    p = ref.GRUParams(kernel, recurrent_kernel, bias, reset_after)\n"
                "    return ref.gru_forward(x, p, h0)[0]\n"
                "    batch, time, _ = x.shape\n    units")],
    )
    out = tmp_path / "grades"
    grades = otter.grade(A1, subs, out, autograder=generated.autograder_zip,
                          cell_timeout=5, test_timeout=120, workers=2, quiet=True)
    rows = {r["student"]: r for r in grades.rows()}
    assert grades.questions == {"q1": 5, "q2": 5, "q3": 15, "q4": 5}
    assert rows["master"]["total"] == 30, (out / "feedback" / "master.md").read_text()
    assert rows["untouched"]["total"] == 0
    sam = rows["sam"]
    assert (sam["q1"], sam["q2"], sam["q3"], sam["q4"]) == (0, 0, 15, 5), sam
    feedback = (out / "feedback" / "sam.md").read_text()
    assert "Gate order [r, z, h] instead of [z, r, h]" in feedback
    assert "infinite loop" in feedback
    tina = rows["tina"]
    assert (tina["q1"], tina["q2"], tina["q3"], tina["q4"]) == (5, 0, 15, 5), tina
    assert tina["status"] == "cell_timeout" and "time limit (5 s)" in tina["note"], tina
    uma = rows["uma"]
    assert (uma["q1"], uma["q2"], uma["q3"], uma["q4"]) == (5, 0, 15, 5), uma
    assert "Calls the reference implementation" in (out / "feedback" / "uma.md").read_text()
    assert (out / "scores.csv").read_text().splitlines()[0].startswith("student,q1,q2,q3,q4")
    assert "total (30)" in grades.table()
    book = (out / "gradebook.csv").read_text().splitlines()
    assert book[0] == "student,score,max_score,status,message"
    assert "master,30,30,graded," in book


@pytest.mark.parametrize("name, points", [(A2, 10), (A3, 13)])
def test_student_version_runs_without_error_and_scores_zero(
        name, points, generated_all, untrained_model_artifacts, tmp_path, monkeypatch):
    from otter.execute import grade_notebook

    monkeypatch.setenv("GRU_EDU_FAST", "1")
    gen = generated_all[name]
    work = tmp_path / "work"
    shutil.copytree(gen.student_dir, work)
    with zipfile.ZipFile(gen.autograder_zip) as z:
        z.extractall(work / "ag")
    monkeypatch.chdir(work)
    # ignore_errors=False: any cell that raises fails this test
    results = grade_notebook(
        str(work / f"{name}.ipynb"),
        tests_glob=sorted(str(p) for p in (work / "ag" / "tests").glob("*.py")),
        cwd=str(work), test_dir=str(work / "ag" / "tests"), ignore_errors=False)
    assert results.possible == points
    assert results.total == 0

