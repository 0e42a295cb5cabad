"""Assignment 1 checks (gru_edu.grading.a1_cell): the master passes, each planted GRU mistake gets its named feedback."""

from __future__ import annotations

import re

import numpy as np
import pytest

from gru_edu.grading import a1_cell

from assignment_learners import STEP_BIASES, STEP_RETURN, STEP_ZR, learner  # noqa: E402

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


def test_master_solutions_pass_every_check():
    ns = learner()
    assert a1_cell.check_gru_step(ns["gru_step"]).passed
    assert a1_cell.check_gru_forward(ns["gru_forward"]).passed
    assert a1_cell.check_gru_backward(ns["gru_backward"], ns["gru_forward"]).passed
    assert a1_cell.check_numerical_gradient(ns["numerical_gradient"]).passed
    assert a1_cell.check_relative_error(ns["relative_error"]).passed


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


@pytest.mark.parametrize("case", list(FORWARD_MISTAKES))
def test_forward_mistakes_are_named(case):
    edits, mistake = FORWARD_MISTAKES[case]
    fb = a1_cell.check_gru_forward(learner(*edits)["gru_forward"], seconds=2)
    assert fb.mistakes and fb.mistakes[0] == mistake, str(fb)
    if case == "step wrong":
        assert fb.mistakes == ["depends_on_step"]  # said once, first; not q1's block again
        assert "Fix gru_step first" in str(fb) and "(1 - z) convention" in str(fb)


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

