"""Assignments a student can trust: public checks that tell the truth, clean feedback.

The corpus of ``benchmarks/assignment_corpus.py`` (A1's master solution, and
the same with one planted mistake each, most in one ``reset_after`` variant
only) is written into the generated student notebook and graded end to end
with the teacher's machinery. Asserted: a question whose public checks all
pass scores at least 80 % of its points, and every planted mistake fails a
public check; each feedback file names the diagnosis, first, and shows no
otter header, traceback or hidden-test source. The masters' test configs are
read to assert the same 80 % for every question of every assignment.
"""

from __future__ import annotations

import re
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace

import nbformat
import numpy as np
import pytest

from gru_edu.grading import a1_cell, a3_gates, otter, otter_run

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import assignment_corpus as corpus  # noqa: E402

A1 = corpus.A1
MASTER = otter.masters()[A1]


def grade_folder(name: str, submissions: Path, out: Path, autograder: Path):
    """The teacher's grading of a folder (the one call of the grading API here)."""
    return otter.grade(name, submissions, out, autograder=autograder, cell_timeout=120,
                       test_timeout=300, workers=2, quiet=True)


def feedback_file(out: Path, student: str) -> str:
    """The feedback file written for ``student``."""
    return (out / "feedback" / f"{student}.md").read_text()


# ---------------------------------------------------------------- every master

def _test_configs(master: Path) -> dict[str, list[dict]]:
    """Question -> the config (points, hidden, success_message) of each test cell."""
    nb = nbformat.read(master, as_version=4)
    found: dict[str, list[dict]] = {}
    question = None
    for cell in nb.cells:
        src = cell.source
        if cell.cell_type == "raw" and src.strip().startswith("# BEGIN QUESTION"):
            question = re.search(r"^name:\s*(\S+)", src, re.M).group(1)
        elif cell.cell_type == "code" and "# BEGIN TEST CONFIG" in src:
            config = src.split('""" # END TEST CONFIG')[0]
            found.setdefault(question, []).append({
                "points": float(re.search(r"^points:\s*([\d.]+)", config, re.M).group(1)),
                "hidden": bool(re.search(r"^hidden:\s*true", config, re.M)),
                "message": re.search(r'^success_message:\s*"([^"]+)"', config, re.M),
            })
    return found


@pytest.mark.parametrize("name", sorted(otter.masters()))
def test_public_checks_carry_at_least_80_percent_of_every_question(name):
    master = otter.masters()[name]
    points = otter.questions_of(master)
    configs = _test_configs(master)
    assert set(configs) == set(points)
    for q, tests in configs.items():
        assert sum(t["points"] for t in tests) == points[q], q
        public = sum(t["points"] for t in tests if not t["hidden"])
        assert public >= 0.8 * points[q], (name, q, public, points[q])
        for t in tests:  # a pass says what was checked and what it is worth
            if not t["hidden"]:
                assert t["message"] and "public:" in t["message"].group(1), (name, q)


def test_a1_points_follow_the_work():
    points = otter.questions_of(MASTER)
    assert points["q3"] > points["q1"] + points["q2"]  # the backward pass weighs most


# ---------------------------------------------------------------- A1 corpus, end to end

#: submission -> {question: words its feedback must contain}
DIAGNOSES = {
    "step_reset_false_after": {
        "q1": "Reset gate applied after instead of before the recurrent product"
              " (reset_after=False)",
        "q2": "Fix gru_step first"},
    "step_reset_true_before": {
        "q1": "Reset gate applied before instead of after the recurrent product"
              " (reset_after=True)",
        "q2": "Fix gru_step first"},
    "forward_h0_ignored": {"q2": "The initial state h0 is ignored"},
    "backward_false_dUh_from_h_prev": {
        "q3": "Some gradient blocks are wrong: drecurrent_kernel [h block]"
              " (reset_after=False)"},
    "backward_true_bias_not_times_r": {
        "q3": "Recurrent-bias gradient copied from the input bias (reset_after=True)"},
    "step_and_backward_false": {
        "q1": "Reset gate applied after instead of before",
        "q3": "drecurrent_kernel [h block] (reset_after=False)"},
    "numerical_gradient_copy": {"q4": "Perturbs a copy of x instead of x itself"},
    "relative_error_cs231n": {"q4": "as CS231n's rel_error does"},
}


@pytest.fixture(scope="module")
def graded_corpus(tmp_path_factory):
    """The whole corpus, generated and graded once: grades, their folder, public results."""
    work = tmp_path_factory.mktemp("corpus")
    gen = otter.generate(A1, work / "dist", quiet=True)
    codes = {}
    for name, (edits, _) in corpus.CORPUS.items():
        codes[name] = corpus.solution_code(MASTER, edits)
        corpus.write_submission(gen.student_notebook,
                                work / "subs" / name / f"{A1}.ipynb", codes[name])
    hand_in(work / "subs" / "forward_h0_ignored")  # one as the zip students upload
    out = work / "grades"
    grades = grade_folder(A1, work / "subs", out, gen.autograder_zip)
    public = {name: corpus.public_results(gen.autograder_zip, code)
              for name, code in codes.items()}
    return grades, out, public, gen.autograder_zip


def hand_in(folder: Path) -> Path:
    """What the notebook's submit cell does (otter's export), run in ``folder``."""
    import os

    import otter as otter_grader

    here = os.getcwd()
    os.chdir(folder)
    try:
        otter_grader.Notebook(f"{A1}.ipynb").export(
            f"{A1}.ipynb", pdf=False, export_path=f"{A1}.zip", display_link=False)
    finally:
        os.chdir(here)
    (folder / f"{A1}.ipynb").unlink()  # the zip alone is handed in
    return folder / f"{A1}.zip"


@pytest.mark.parametrize("name", sorted(otter.masters()))
def test_every_assignment_ends_with_a_submit_cell_named_after_it(name):
    nb = nbformat.read(otter.masters()[name], as_version=4)
    cell = next(c for c in nb.cells if "grader.export(" in c.source)
    assert f'export_path="{name}.zip"' in cell.source and "pdf=False" in cell.source
    assert {"otter_ignore", "nbval-skip"} <= set(cell.metadata.get("tags", []))
    heads = [c.source for c in nb.cells if c.cell_type == "markdown"]
    assert any(h.startswith("## Hand in") and "Restart" in h for h in heads)
    assert "project's environment" in heads[0]
    if name != A1:
        assert "84 MB" in heads[0]
    if name == "a2_imdb_gru":
        assert "imdb_gru.keras" in cell.source and "imdb_gru_history.json" in cell.source


def test_corpus_covers_the_issue():
    assert set(DIAGNOSES) | {"correct"} == set(corpus.CORPUS)


def test_passing_every_public_check_means_at_least_80_percent(graded_corpus):
    grades, _, public, _ = graded_corpus
    rows = {r.student: r for r in grades.results}
    assert set(rows) == set(corpus.CORPUS)
    assert rows["correct"].total == grades.max_total
    for student, r in rows.items():
        assert not r.note, (student, r.note)
        for q, pts in grades.questions.items():
            if public[student][q]["public_all_passed"]:
                assert r.scores[q] >= 0.8 * pts, (student, q, r.scores[q])
            else:
                assert r.scores[q] < pts, (student, q)
    for student, questions in DIAGNOSES.items():  # every planted mistake shows publicly
        for q in questions:
            assert not public[student][q]["public_all_passed"], (student, q)


@pytest.mark.parametrize("student", sorted(DIAGNOSES))
def test_feedback_names_the_diagnosis_first(graded_corpus, student):
    grades, out, _, _ = graded_corpus
    result = next(r for r in grades.results if r.student == student)
    text = feedback_file(out, student)
    for q, words in DIAGNOSES[student].items():
        assert words in text, (q, text)
        readable = result.feedback[q][0]  # the public case's message comes first
        assert re.match(r"\w+: not right yet", readable), readable
        assert words in readable
    if "backward" in student:  # gru_backward does not call gru_forward
        assert "Fix gru_forward first" not in text
        assert "The bias is (2, 3*units)" not in text  # the generic variant hint
    assert "Ablation probes" not in text  # every mistake here is named


def test_no_otter_noise_or_hidden_source_in_any_feedback(graded_corpus):
    grades, out, _, autograder = graded_corpus
    hidden_source = []
    with zipfile.ZipFile(autograder) as z:
        for n in z.namelist():
            if n.startswith("tests/q"):
                src = z.read(n).decode()
                hidden_source += [line.strip() for line in src.splitlines()
                                  if "a1_cell.check" in line]
    assert hidden_source
    for r in grades.results:
        text = feedback_file(out, r.student)
        for word in corpus.NOISE:
            assert word not in text, (r.student, word)
        for line in hidden_source:
            assert line not in text, (r.student, line)


# ---------------------------------------------------------------- the pieces

def test_otter_reports_a_failed_check_as_its_feedback_alone(tmp_path):
    from otter.test_files.exception_test import ExceptionTestFile

    test = tmp_path / "q1.py"
    test.write_text(
        "from otter.test_files import test_case\n\nOK_FORMAT = False\n\n"
        'name = "q1"\npoints = 2\n\n'
        '@test_case(points=1, hidden=False, success_message="public: one")\n'
        "def test_public(relative_error):\n"
        "    from gru_edu.grading import a1_cell\n"
        "    a1_cell.check_relative_error(relative_error).require()\n\n"
        "@test_case(points=1, hidden=True)\n"
        "def test_secret(relative_error):\n"
        "    from gru_edu.grading import a1_cell\n"
        "    a1_cell.check_relative_error(relative_error, seconds=5).require()\n")
    tf = ExceptionTestFile.from_file(str(test))
    tf.run({"relative_error": lambda a, b: float(np.max(np.abs(a - b)))})
    text = tf.summary()
    assert "That is the absolute error" in text
    assert "Error at line" not in text and "seconds=5" not in text
    assert "AssertionError" not in text
    said = [otter_run.case_message(r) for r in tf.test_case_results]
    assert said[0].startswith("relative_error: not right yet")
    assert "relative_error: not right yet" not in said[1]  # said once
    assert said[1].startswith("The same problem as above")  # the hidden repeat, short
    tf.run({"relative_error": corpus_function("relative_error")})
    assert [otter_run.case_message(r) for r in tf.test_case_results][0] == "public: one"


def corpus_function(name: str):
    """The master's solution of ``name``, executed."""
    ns: dict = {"np": np}
    exec(corpus.solution_code(MASTER, [])[name], ns)
    return ns[name]


def test_check_message_drops_otter_scaffolding_of_other_errors():
    raw = ("❌ Test case failed\n"
           "Error at line 3 in test q2:\n"
           "  assert ok, \"negation_reaction: one value per unit\"\n"
           "AssertionError: negation_reaction: one value per unit\n")
    assert otter_run.check_message(raw) == "negation_reaction: one value per unit"


def test_a_backward_pass_is_not_blamed_on_a_forward_it_does_not_call():
    ns: dict = {"np": np}
    wrong = corpus.solution_code(MASTER, [
        ("h = np.zeros((batch, units)) if h0 is None else h0",
         "h = np.zeros((batch, units))"),
        ("d_rec[:, 2 * n:] += (r * h_prev).T @ da_h", "d_rec[:, 2 * n:] += h_prev.T @ da_h")])
    exec("\n\n".join(wrong.values()), ns)
    fb = a1_cell.check_gru_backward(ns["gru_backward"], ns["gru_forward"])
    assert fb.mistakes == ["gradient_blocks"], str(fb)
    assert "Correct for reset_after=True" in str(fb)


def test_z_at_word_for_an_absent_word():
    z = np.random.default_rng(0).uniform(size=(1, 4, 3))
    trace = SimpleNamespace(words=["<start>", "not", "bad", "<pad>"],
                            trace=SimpleNamespace(z=z))

    def by_index(t, w):
        return t.trace.z[0, t.words.index(w)]

    def last_step(t, w):
        return t.trace.z[0, ([i for i, x in enumerate(t.words) if x == w] or [-1])[0]]

    assert a3_gates.check_z_at_word(by_index, trace, "good").passed
    assert a3_gates.check_z_at_word(lambda t, w: None, trace, "good").passed
    assert a3_gates.check_z_at_word(last_step, trace, "good").mistakes == ["absent_word"]
    assert a3_gates.check_z_at_word(last_step, trace, "bad").passed


def test_a3_function_slips_fail_publicly_and_a_public_pass_is_full_marks(tmp_path):
    result = corpus.run_a3_functions(tmp_path)
    for name, r in result.items():
        for q, v in r["questions"].items():
            if v["public_all_passed"]:
                assert v["score_of_all_cases"] >= 0.8 * v["possible"], (name, q)
        if name != "correct":  # each slip fails a public check of its question
            assert not all(v["public_all_passed"] for v in r["questions"].values()), name


def test_gradient_check_cell_blames_a_copy_perturbing_numerical_gradient(capsys):
    nb = nbformat.read(MASTER, as_version=4)
    cell = next(c.source for c in nb.cells if c.source.startswith("def gradient_check("))
    for edits, expected in [
            ([], "reset_after=False: kernel"),
            (corpus.CORPUS["numerical_gradient_copy"][0],
             "Check numerical_gradient first: the numerical gradient of kernel is all"
             " zeros")]:
        ns: dict = {"np": np}
        exec("\n\n".join(corpus.solution_code(MASTER, edits).values()), ns)
        exec(cell, ns)
        out = capsys.readouterr().out
        assert expected in out, out
        if not edits:  # a correct backward pass is confirmed, both variants
            errors = [float(e) for e in re.findall(r"\d\.\de-\d+", out)]
            assert len(errors) == 6 and max(errors) < 1e-6, out


def test_a2_accepts_the_layers_its_rules_allow():
    keras = pytest.importorskip("keras")
    from gru_edu.grading import a2_imdb

    rules = a2_imdb.ImdbRules()

    def model(*middle):
        m = keras.Sequential([keras.Input((rules.maxlen,), dtype="int32"),
                              keras.layers.Embedding(10000, 16, mask_zero=True),
                              *middle, keras.layers.Dense(1, activation="sigmoid")])
        m.compile("adam", "binary_crossentropy", metrics=["accuracy"])
        return m

    stacked = (keras.layers.GRU(16, return_sequences=True), keras.layers.GRU(16),
               keras.layers.Dropout(0.2))
    bidirectional = (keras.layers.Bidirectional(keras.layers.GRU(16)),)
    for layers in (stacked, bidirectional):
        fb = a2_imdb.check_imdb_model(lambda: model(*layers), rules)
        assert fb.passed, str(fb)
