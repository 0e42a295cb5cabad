"""The assignments: TA-style checks, generation with otter, grading a folder.

Part 1 plants each common GRU mistake into the master solution of assignment 1
and asserts the check names it. Part 2 runs the teacher's workflow end to end
(``python -m gru_edu generate`` / ``grade``): the student version has
no solutions, runs top to bottom and scores zero; the master scores full
marks; a submission with mistakes, an exception and an infinite loop loses
only the questions concerned, with named feedback; generation is reproducible.
"""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pytest

from gru_edu.grading import a1_cell, a2_imdb, a3_gates, limits, otter, otter_run

A1 = "a1_gru_from_scratch"
A2 = "a2_imdb_gru"
A3 = "a3_reading_the_gates"
MASTER = otter.assignments_dir() / A1 / f"{A1}.ipynb"


def solution_cells(path: Path = MASTER) -> dict[str, str]:
    """Function name -> source of each solution cell of a master notebook."""
    nb = nbformat.read(path, as_version=4)
    out, inside = {}, False
    for cell in nb.cells:
        if cell.cell_type == "raw" and cell.source.strip().startswith("# BEGIN SOLUTION"):
            inside = True
        elif cell.cell_type == "raw" and cell.source.strip().startswith("# END SOLUTION"):
            inside = False
        elif inside and cell.cell_type == "code":
            name = re.match(r"def (\w+)", cell.source).group(1)
            out[name] = cell.source
    return out


SOLUTION = "\n\n".join(solution_cells().values())


def learner(*edits: tuple[str, str], extra: str = "") -> dict:
    """The master solution with ``(old, new)`` edits (first occurrence each), executed."""
    src = SOLUTION
    for old, new in edits:
        assert old in src, f"solution text changed, update the test: {old!r}"
        src = src.replace(old, new, 1)
    ns: dict = {"np": np}
    exec(compile(src + "\n" + extra, "<learner>", "exec"), ns)
    return ns


# ---------------------------------------------------------------- part 1

def test_master_solutions_pass_every_check():
    ns = learner()
    assert a1_cell.check_gru_step(ns["gru_step"]).passed
    assert a1_cell.check_gru_forward(ns["gru_forward"]).passed
    assert a1_cell.check_gru_backward(ns["gru_backward"], ns["gru_forward"]).passed
    assert a1_cell.check_numerical_gradient(ns["numerical_gradient"]).passed
    assert a1_cell.check_relative_error(ns["relative_error"]).passed


STEP_ZR = ("z = sigmoid(x_z + h_prev @ U_z + c_z)\n    r = sigmoid(x_r + h_prev @ U_r + c_r)")
STEP_RETURN = "return z * h_prev + (1 - z) * h_tilde"
STEP_BIASES = ("if reset_after:\n        b_in, b_rec = bias[0], bias[1]\n    else:\n"
               "        b_in, b_rec = bias, np.zeros_like(bias)")

STEP_MISTAKES = {
    # id: (edits, reset_after variants, mistake id, words the feedback must contain)
    "gate order [r, z, h]": (
        [(STEP_ZR, STEP_ZR.replace("z =", "R =").replace("r =", "z =").replace("R =", "r ="))],
        (True, False), "gate_order", "Gate order [r, z, h] instead of [z, r, h]"),
    "transposed kernel (PyTorch layout)": (
        [("x_t @ kernel + b_in", "x_t @ kernel.T + b_in")],
        (True, False), "transposed_kernel", "Transposed kernel"),
    "transposed recurrent blocks": (
        [("U_z, U_r, U_h = np.split(recurrent_kernel, 3, axis=1)",
          "U_z, U_r, U_h = (u.T for u in np.split(recurrent_kernel, 3, axis=1))")],
        (True, False), "transposed_kernel", "Transposed kernel"),
    "reset before the product (reset_after=True)": (
        [("r * (h_prev @ U_h + c_h)", "(r * h_prev) @ U_h + c_h")],
        (True,), "reset_position", "before instead of after the recurrent product"),
    "reset after the product (reset_after=False)": (
        [("(r * h_prev) @ U_h)", "r * (h_prev @ U_h))")],
        (False,), "reset_position", "after instead of before the recurrent product"),
    "(1 - z) convention swapped": (
        [(STEP_RETURN, "return (1 - z) * h_prev + z * h_tilde")],
        (True, False), "z_convention", "(1 - z) convention swapped"),
    "missing biases": (
        [(STEP_BIASES, "b_in = b_rec = np.zeros(kernel.shape[1])")],
        (True, False), "missing_bias", "Missing biases"),
    "missing recurrent bias": (
        [("r * (h_prev @ U_h + c_h)", "r * (h_prev @ U_h)")],
        (True,), "missing_bias", "recurrent bias"),
    "wrong output shape": (
        [(STEP_RETURN, "return (z * h_prev + (1 - z) * h_tilde).T")],
        (True, False), "output_shape", "Wrong output shape"),
    "exception": (
        [("b_in, b_rec = bias[0], bias[1]", "b_in, b_rec = bias[0], bias[2]")],
        (True,), "exception", "IndexError"),
    "infinite loop": (
        [(STEP_BIASES, "while True:\n        pass\n    " + STEP_BIASES)],
        (True, False), "timeout", "infinite loop"),
    "not implemented": (
        [(STEP_BIASES, "raise NotImplementedError('Q1')\n    " + STEP_BIASES)],
        (True,), "not_implemented", "Not implemented yet"),
}


@pytest.mark.parametrize("case", list(STEP_MISTAKES))
def test_each_planted_step_mistake_gets_its_named_feedback(case):
    edits, variants, mistake, words = STEP_MISTAKES[case]
    ns = learner(*edits)
    fb = a1_cell.check_gru_step(ns["gru_step"], reset_after=variants, seconds=0.5)
    assert not fb.passed
    assert fb.mistakes[0] == mistake, str(fb)
    assert words in str(fb)
    with pytest.raises(AssertionError, match=re.escape(words)):
        fb.require()


def test_ablation_probes_localise_an_unnamed_mistake():
    # tanh -> sigmoid in the candidate: no hypothesis explains it
    ns = learner(("h_tilde = np.tanh(x_h + r * (", "h_tilde = sigmoid(x_h + r * ("))
    fb = a1_cell.check_gru_step(ns["gru_step"], reset_after=(True,))
    assert fb.mistakes == ["wrong_values"]
    text = str(fb)
    assert "Ablation probes" in text and "✗ candidate only" in text


def test_a_mistake_in_one_variant_only_is_said_so():
    ns = learner(("r * (h_prev @ U_h + c_h)", "(r * h_prev) @ U_h + c_h"))
    fb = a1_cell.check_gru_step(ns["gru_step"])
    assert fb.mistakes == ["reset_position"]  # named: the generic hint would only repeat it
    assert "Correct for reset_after=False: only reset_after=True is wrong" in str(fb)


def test_calling_the_reference_is_not_accepted():
    extra = ("from gru_edu.cell import gru_forward as _ref, GRUParams as _P\n"
             "def gru_forward(x, kernel, recurrent_kernel, bias, reset_after=True,"
             " h0=None):\n"
             "    return _ref(x, _P(kernel, recurrent_kernel, bias, reset_after), h0)[0]\n")
    fb = a1_cell.check_gru_forward(learner(extra=extra)["gru_forward"])
    assert fb.mistakes == ["uses_reference"]


FORWARD_LOOP = ("        h = gru_step(x[:, t], h, kernel, recurrent_kernel, bias,"
                " reset_after)\n        states.append(h)")
FORWARD_MISTAKES = {
    "state not carried": (
        [(FORWARD_LOOP, "        states.append(gru_step(x[:, t], h, kernel,"
                        " recurrent_kernel, bias, reset_after))")], "state_not_carried"),
    "last state only": ([("return np.stack(states, axis=1)", "return states[-1]")],
                        "last_state_only"),
    "time-major": ([("return np.stack(states, axis=1)", "return np.stack(states)")],
                   "time_major"),
    "h0 ignored": ([("h = np.zeros((batch, units)) if h0 is None else h0",
                     "h = np.zeros((batch, units))")], "h0_ignored"),
    "step wrong": ([(STEP_RETURN, "return (1 - z) * h_prev + z * h_tilde")],
                   "depends_on_step"),
}


@pytest.mark.parametrize("case", list(FORWARD_MISTAKES))
def test_forward_mistakes_are_named(case):
    edits, mistake = FORWARD_MISTAKES[case]
    fb = a1_cell.check_gru_forward(learner(*edits)["gru_forward"], seconds=2)
    assert fb.mistakes and fb.mistakes[0] == mistake, str(fb)
    if case == "step wrong":
        assert fb.mistakes == ["depends_on_step"]  # said once, first; not q1's block again
        assert "Fix gru_step first" in str(fb) and "(1 - z) convention" in str(fb)


BACKWARD_MISTAKES = {
    "no BPTT": ([("dh = dh_seq[:, t] + dh_next", "dh = dh_seq[:, t]")], "no_bptt"),
    "recurrent bias row": ([("d_bias = np.stack([d_b_in, d_b_rec])",
                             "d_bias = np.stack([d_b_in, d_b_in])")], "recurrent_bias_row"),
    "dr without the sigmoid derivative": (
        [("da_r = da_h * hu * r * (1 - r)", "da_r = da_h * hu * r")], "gradient_blocks"),
    "forward wrong, backward consistent": (
        [(STEP_RETURN, "return (1 - z) * h_prev + z * h_tilde"),
         ("h = z * h + (1 - z) * h_tilde", "h = (1 - z) * h + z * h_tilde"),
         ("da_z = dh * (h_prev - h_tilde)", "da_z = dh * (h_tilde - h_prev)"),
         ("da_h = dh * (1 - z)", "da_h = dh * z"),
         ("+ dh * z\n", "+ dh * (1 - z)\n")], "forward_wrong"),
    "a missing gradient": ([('"x": dx, "h0": dh_next}', '"x": dx}')], "missing_gradient"),
}


@pytest.mark.parametrize("case", list(BACKWARD_MISTAKES))
def test_backward_mistakes_are_named(case):
    edits, mistake = BACKWARD_MISTAKES[case]
    ns = learner(*edits)
    fb = a1_cell.check_gru_backward(ns["gru_backward"], ns["gru_forward"],
                                   reset_after=(True,))
    assert fb.mistakes and fb.mistakes[0] == mistake, str(fb)
    if mistake == "gradient_blocks":  # localised to the r blocks at one step
        assert "r block" in fb.findings[0].title and "z block" not in fb.findings[0].title
    if mistake == "forward_wrong":
        assert "consistent" in str(fb)


def test_gradient_tool_mistakes_are_named():
    one_sided = learner(("grad[idx] = (up - down) / (2 * eps)",
                         "grad[idx] = (up - f(x)) / eps"))
    assert a1_cell.check_numerical_gradient(
        one_sided["numerical_gradient"]).mistakes == ["one_sided_difference"]
    not_restored = learner(("        x[idx] = old\n", ""))
    assert "input_not_restored" in a1_cell.check_numerical_gradient(
        not_restored["numerical_gradient"]).mistakes
    zero_div = learner(("max(1e-8, np.max(np.abs(a) + np.abs(b)))",
                        "np.max(np.abs(a) + np.abs(b))"))
    with np.errstate(all="ignore"):
        fb = a1_cell.check_relative_error(zero_div["relative_error"])
    assert fb.mistakes == ["zero_division"]


def test_undefined_or_wrong_signature_is_feedback_not_a_crash():
    assert a1_cell.check_gru_step(None).mistakes == ["not_defined"]
    assert a1_cell.check_gru_step(lambda x, h: x).mistakes == ["signature"]
    assert a1_cell.check_gru_backward(42).mistakes == ["not_defined"]


def test_time_limit_stops_an_infinite_loop_in_main_and_other_threads():
    def forever():
        while True:
            try:
                pass
            except Exception:  # noqa: BLE001 - a learner's overly broad except
                pass

    start = time.monotonic()
    with pytest.raises(limits.TimeLimitExceeded):
        limits.call_with_time_limit(forever, seconds=0.3)
    assert time.monotonic() - start < 5
    box = {}

    def in_thread():
        try:
            limits.call_with_time_limit(time.sleep, 30, seconds=0.3)
        except limits.TimeLimitExceeded:
            box["stopped"] = True

    worker = threading.Thread(target=in_thread)
    worker.start()
    worker.join(10)
    assert box.get("stopped")
    assert limits.call_with_time_limit(sum, [1, 2], seconds=1) == 3


def test_time_limit_stops_a_loop_that_swallows_it():
    ns: dict = {}
    exec(compile("def stubborn():\n"
                 "    while True:\n"
                 "        try:\n"
                 "            while True:\n"
                 "                pass\n"
                 "        except BaseException:\n"
                 "            pass\n", "<learner>", "exec"), ns)
    with pytest.raises(limits.TimeLimitExceeded):
        limits.call_with_time_limit(ns["stubborn"], seconds=0.3)
    assert limits.call_with_time_limit(sum, [1, 2], seconds=1) == 3  # back to normal
    fb = a1_cell.check_relative_error(lambda a, b: ns["stubborn"](), seconds=0.3)
    assert fb.mistakes == ["timeout"], str(fb)


# ---------------------------------------------------------------- part 2

@pytest.fixture(scope="module")
def generated_all(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    return {name: otter.generate(name, out, quiet=True) for name in otter.masters()}


@pytest.fixture(scope="module")
def generated(generated_all):
    return generated_all[A1]


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


def _submission(student_nb: Path, dest: Path, edits=(), cells=(), checks=()) -> None:
    """The student notebook with the master's (edited) solutions filled in.

    ``checks``: (question, source) pairs appended to that question's
    ``grader.check`` cell.
    """
    sol = solution_cells()
    nb = nbformat.read(student_nb, as_version=4)
    for cell in nb.cells:
        if "otter_answer_cell" in cell.metadata.get("tags", []):
            name = re.match(r"def (\w+)", cell.source).group(1)
            src = sol[name]
            for old, new in edits:
                src = src.replace(old, new, 1)
            cell.source = src
        for question, extra in checks:
            if cell.source.strip() == f'grader.check("{question}")':
                cell.source += "\n" + extra
    for index, source in cells:
        nb.cells.insert(index, nbformat.v4.new_code_cell(source))
    nbformat.write(nb, dest)


def test_grading_a_folder(generated, tmp_path, monkeypatch):
    monkeypatch.setenv("GRU_EDU_CHECK_SECONDS", "3")  # the graders' kernels inherit it
    subs = tmp_path / "submitted"
    subs.mkdir()
    shutil.copy(generated.autograder_notebook, subs / "master.ipynb")
    shutil.copy(generated.student_notebook, subs / "untouched.ipynb")
    # one student folder: a gate-order mistake in gru_step, an infinite loop in
    # gru_forward, plus a cell that raises and a cell that never ends
    (subs / "sam").mkdir()
    _submission(
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
    _submission(
        generated.student_notebook, subs / "tina" / f"{A1}.ipynb",
        edits=[("def gru_forward(", '# then grader.check("q2")\nwhile True:\n    pass\n\n\n'
                                    "def gru_forward(")],
        checks=[("q4", "while True:\n    try:\n        while True:\n            pass\n"
                       "    except BaseException:\n        pass")],
    )
    # calls the reference through importlib inside gru_forward: caught at run time
    (subs / "uma").mkdir()
    _submission(
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


def test_submission_processes_get_memory_and_cpu_limits(tmp_path):
    import sys

    log = tmp_path / "limits.log"
    show = ("import json, resource; print(json.dumps([resource.getrlimit(resource.RLIMIT_AS),"
            " resource.getrlimit(resource.RLIMIT_CPU)]))")
    rc = otter_run.run_limited([sys.executable, "-c", show], log, str(tmp_path), 60,
                               otter_run.resource_limits(2048, 77))
    assert rc == 0
    assert json.loads(log.read_text()) == [[2048 * 2**20] * 2, [77, 82]]
    # past its memory limit, a submission's process fails alone
    hog = "import numpy as np; np.ones(2**31)"
    rc = otter_run.run_limited([sys.executable, "-c", hog], log, str(tmp_path), 60,
                               otter_run.resource_limits(1024, None))
    assert rc != 0 and "MemoryError" in log.read_text()
    # past its wall-clock limit it is killed, with what it started
    rc = otter_run.run_limited(["sh", "-c", "sleep 60 & sleep 60"], log, str(tmp_path), 1,
                               None)
    assert rc is None


# ---------------------------------------------------------------- assignment 3 checks

def _gr(ids_rule="words", baseline="other", sign=1, pooled=True):
    """A learner's gate_reaction with one of the usual slips."""
    def gate_reaction(z, ids, cue_ids):
        keep = {"words": ids > 1, "with_start": ids > 0, "all": ids >= 0}[ids_rule]
        cue = keep & np.isin(ids, cue_ids)
        rest = keep & ~cue if baseline == "other" else keep
        if not pooled:
            per = [z[b][cue[b]].mean(0) - z[b][rest[b]].mean(0) for b in range(len(z))]
            return sign * np.mean(per, axis=0)
        return sign * (z[cue].mean(0) - z[rest].mean(0))
    return gate_reaction


@pytest.mark.parametrize("learner_fn, mistake", [
    (_gr(), None),
    (_gr(ids_rule="all"), "padding_counted"),
    (_gr(ids_rule="with_start"), "start_counted"),
    (_gr(baseline="all"), "baseline_includes_cue"),
    (_gr(sign=-1), "sign_reversed"),
    (_gr(pooled=False), "mean_of_means"),
])
def test_gate_reaction_slips_are_named(learner_fn, mistake):
    fb = a3_gates.check_gate_reaction(learner_fn)
    assert fb.mistakes == ([mistake] if mistake else []), str(fb)


def test_effect_size_and_ranking_slips_are_named():
    def d(z, ids, cue_ids, unit, ddof=1):
        words = ids > 1
        cue = words & np.isin(ids, cue_ids)
        a, b = z[cue][:, unit], z[words & ~cue][:, unit]
        pooled = ((len(a) - 1) * a.var(ddof=ddof) + (len(b) - 1) * b.var(ddof=ddof))
        return (a.mean() - b.mean()) / np.sqrt(pooled / (len(a) + len(b) - 2))

    assert a3_gates.check_effect_size(d).passed
    assert a3_gates.check_effect_size(
        lambda *a: d(*a, ddof=0)).mistakes == ["population_variance"]
    assert a3_gates.check_strongest_units(
        lambda r, k=3: list(np.argsort(-np.abs(r))[:k])).passed
    assert a3_gates.check_strongest_units(
        lambda r, k=3: list(np.argsort(-r)[:k])).mistakes == ["not_sorted_by_size"]


def test_z_at_word_off_by_one_is_named():
    from types import SimpleNamespace

    z = np.random.default_rng(0).uniform(size=(1, 6, 4))
    trace = SimpleNamespace(words=["<start>", "not", "bad", "at", "all", "<pad>"],
                            trace=SimpleNamespace(z=z))
    tokens = ["not", "bad", "at", "all"]
    assert a3_gates.check_z_at_word(
        lambda t, w: t.trace.z[0, t.words.index(w)], trace, "bad").passed
    assert a3_gates.check_z_at_word(
        lambda t, w: t.trace.z[0, tokens.index(w)], trace, "bad").mistakes == ["off_by_one"]


# ---------------------------------------------------------------- assignment 2 checks

def test_imdb_model_rules_name_each_mistake():
    keras = pytest.importorskip("keras")
    from gru_edu.imdb import build_classifier, tutorial_model

    rules = a2_imdb.ImdbRules()
    assert a2_imdb.check_imdb_model(lambda: build_classifier(num_words=10000), rules).passed

    def model(mask=True, out="sigmoid", loss="binary_crossentropy", compile_=True,
              words=10000, layer=None):
        m = keras.Sequential([keras.Input((300,), dtype="int32"),
                              keras.layers.Embedding(words, 16, mask_zero=mask),
                              layer or keras.layers.GRU(8),
                              keras.layers.Dense(1, activation=out)])
        if compile_:
            m.compile("adam", loss)
        return m

    cases = {
        "over_budget": lambda: model(words=30000),
        "no_mask": lambda: model(mask=False),
        "output_not_probability": lambda: model(out=None),
        "wrong_loss": lambda: model(loss="mse"),
        "not_compiled": lambda: model(compile_=False),
        "other_sequence_layer": lambda: model(layer=keras.layers.LSTM(8)),
        "ids_as_numbers": tutorial_model,
    }
    for mistake, build in cases.items():
        fb = a2_imdb.check_imdb_model(build, rules)
        assert mistake in fb.mistakes, (mistake, str(fb))
    assert "no_gru" in a2_imdb.check_imdb_model(cases["other_sequence_layer"], rules).mistakes


def test_imdb_schedule_and_missing_model_are_named(tmp_path):
    rules = a2_imdb.ImdbRules()
    assert a2_imdb.check_imdb_training(2, 32, rules).passed
    assert a2_imdb.check_imdb_training(5, 32, rules).mistakes == ["epochs_rule"]
    assert a2_imdb.check_imdb_training(..., ..., rules).mistakes == ["epochs_rule"] * 2
    fb = a2_imdb.check_imdb_saved_model(tmp_path / "none.keras", tmp_path / "h.json",
                                       min_accuracy=0.85, rules=rules)
    assert fb.mistakes == ["no_saved_model"]


def _tiny_imdb_model(tmp_path, epochs, name):
    """A rule-abiding GRU trained ``epochs`` epochs on 64 random reviews, saved."""
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((300,), dtype="int32"),
                              keras.layers.Embedding(100, 4, mask_zero=True),
                              keras.layers.GRU(4),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x, y = rng.integers(1, 100, (64, 300)), rng.integers(0, 2, 64)
    if epochs:
        model.fit(x, y, epochs=epochs, batch_size=32, verbose=0)
    path = tmp_path / f"{name}.keras"
    model.save(path)
    return path


def test_imdb_epochs_rule_is_read_from_the_saved_model(tmp_path):
    rules = a2_imdb.ImdbRules(max_epochs=2, train_size=64)
    history = tmp_path / "history.json"
    history.write_text(json.dumps({"loss": [0.7], "accuracy": [0.5]}))  # says 1 epoch
    over = _tiny_imdb_model(tmp_path, 5, "five_epochs")  # 5 epochs of 2 batches
    fb = a2_imdb.check_imdb_saved_model(over, history, rules=rules, batch_size=32,
                                       train_reviews=64)
    assert fb.mistakes == ["epochs_rule"], str(fb)
    assert "took 10 steps: 5.0 epochs of 2 batches" in str(fb)
    assert "Your history file lists 1" in str(fb)
    # stating more training reviews than the rules allow buys no extra epochs
    assert a2_imdb.check_imdb_saved_model(over, history, rules=rules, batch_size=32,
                                         train_reviews=10**6).mistakes == ["epochs_rule"]
    within = _tiny_imdb_model(tmp_path, 2, "two_epochs")
    fb = a2_imdb.check_imdb_saved_model(within, None, rules=rules, batch_size=32,
                                       train_reviews=64)
    assert fb.passed, str(fb)
    assert a2_imdb.check_imdb_saved_model(within, None, rules=rules, batch_size=None
                                         ).mistakes == ["epochs_rule"]
    untrained = _tiny_imdb_model(tmp_path, 0, "untrained")
    fb = a2_imdb.check_imdb_saved_model(untrained, None, rules=rules, batch_size=32)
    assert fb.mistakes == ["epochs_unverifiable"], str(fb)
    assert "cannot be checked on the saved file" in str(fb)


# ---------------------------------------------------------------- assignments 2, 3 end to end

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
