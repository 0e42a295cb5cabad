"""The call detector: every route to the reference is caught, own code never is.

Each bypass route a teacher found is one test case: a learner's
function that reaches the reference that way must get the finding
"calls the reference implementation" (``uses_reference``) and nothing else;
independently written correct solutions must pass untouched.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from gru_edu.grading import a1_cell, a1_probes, a3_gates

# The learner's notebook imports numpy and gru_edu.grading.a1_cell (see the A1
# master); each route is written as it would be in a notebook cell.
HEADER = ("import numpy as np\nfrom gru_edu.grading import a1_cell, a1_probes, a3_gates\n"
          "from gru_edu.cell import GRUParams as P\n")
FORWARD = "def gru_forward(x, kernel, recurrent_kernel, bias, reset_after=True, h0=None):\n"
REF_CALL = ("P(kernel, recurrent_kernel, bias, reset_after),"
            " np.zeros((x.shape[0], recurrent_kernel.shape[0])) if h0 is None else h0)[0]")

FORWARD_ROUTES = {
    "importlib with a computed name": FORWARD + textwrap.indent(
        "import importlib\n"
        "m = importlib.import_module('gru_edu.' + 'cell')\n"
        "return m.gru_forward(x, " + REF_CALL, "    "),
    "local import inside the function": FORWARD + textwrap.indent(
        "import gru_edu.cell\n"
        "return gru_edu.cell.gru_forward(x, " + REF_CALL, "    "),
    "from-import inside the function": FORWARD + textwrap.indent(
        "from gru_edu.cell import gru_forward as ref\n"
        "return ref(x, " + REF_CALL, "    "),
    "a1_cell.cell, no import at all": FORWARD + textwrap.indent(
        "return a1_cell.cell.gru_forward(x, " + REF_CALL, "    "),
    "an alias in a global": "from gru_edu import cell as _c\nMY_TOOL = _c.gru_forward\n"
        + FORWARD + "    return MY_TOOL(x, " + REF_CALL,
    "an attribute chain through another module": FORWARD + textwrap.indent(
        "import sys\n"
        "m = sys.modules['gru_edu.grading.a1_cell'].guard.sys.modules['gru_edu.cell']\n"
        "return m.gru_forward(x, " + REF_CALL, "    "),
    "functools.partial": "import functools\nfrom gru_edu import cell as _c\n"
        "FWD = functools.partial(_c.gru_forward)\n"
        + FORWARD + "    return FWD(x, " + REF_CALL,
    "a module object copied into a dict": "import gru_edu.cell\n"
        "TOOLS = {'m': vars(gru_edu)['cell']}\n"
        + FORWARD + "    return TOOLS['m'].gru_forward(x, " + REF_CALL,
    "a copy of the function object": "import types\nfrom gru_edu import cell as _c\n"
        "COPY = types.FunctionType(_c.gru_forward.__code__, _c.__dict__, 'mine')\n"
        + FORWARD + "    return COPY(x, " + REF_CALL,
    "exec of the source fetched with inspect, at the top of the notebook":
        "import inspect\nfrom gru_edu.cell import numpy_gru as _c\n"
        "mine = {'__name__': '__main__'}\n"
        "exec(inspect.getsource(_c), mine)\n"
        + FORWARD + "    P = mine['GRUParams']\n    return mine['gru_forward'](x, " + REF_CALL,
    "exec of the source fetched with inspect, inside the function": FORWARD + textwrap.indent(
        "import inspect\nfrom gru_edu.cell import numpy_gru as _c\n"
        "mine = {'__name__': '__main__'}\n"
        "exec(inspect.getsource(_c), mine)\n"
        "P = mine['GRUParams']\n"
        "return mine['gru_forward'](x, " + REF_CALL, "    "),
    "the checks' own solver": FORWARD + textwrap.indent(
        "p = a1_probes.Probe(P(kernel, recurrent_kernel, bias, reset_after),"
        " x, h0)\n"
        "return a1_probes.reference_states(p)", "    "),
    "a thread that runs the reference": FORWARD + textwrap.indent(
        "import threading\nfrom gru_edu import cell as _c\nbox = {}\n"
        "t = threading.Thread(target=lambda: box.update(h=_c.gru_forward(x, " + REF_CALL
        + "))\nt.start(); t.join()\nreturn box['h']", "    "),
    "switching the detector off first": FORWARD + textwrap.indent(
        "import sys\nfrom gru_edu import cell as _c\n"
        "saved = sys.getprofile()\nsys.setprofile(None)\n"
        "h = _c.gru_forward(x, " + REF_CALL + "\nsys.setprofile(saved)\nreturn h",
        "    "),
    "switching it off through map (no call event)": FORWARD + textwrap.indent(
        "import sys\nfrom gru_edu import cell as _c\n"
        "list(map(sys.setprofile, [None]))\n"
        "return _c.gru_forward(x, " + REF_CALL, "    "),
}


def learner_namespace(source: str) -> dict:
    ns: dict = {}
    exec(compile(HEADER + source, "<learner>", "exec"), ns)
    return ns


@pytest.mark.parametrize("route", list(FORWARD_ROUTES))
def test_every_route_to_the_reference_is_caught(route):
    ns = learner_namespace(FORWARD_ROUTES[route])
    fb = a1_cell.check_gru_forward(ns["gru_forward"], seconds=5)
    assert not fb.passed
    assert fb.mistakes[0] in ("uses_reference", "grader_tampering"), str(fb)
    text = str(fb)
    assert "Calls the reference implementation" in text
    assert "gru_edu.cell." in text or "gru_edu.grading.a1_probes.reference_states" in text
    if route.startswith("switching"):  # it does not work, and it is named
        assert fb.mistakes == ["uses_reference", "grader_tampering"], text
        assert "switches off the grader's call detector (sys.setprofile)" in text
    else:
        assert fb.mistakes == ["uses_reference"], text
    if route.startswith("exec") and route.endswith("notebook"):  # new code, same bytecode
        assert "(a copy of its code)" in text
    if route.startswith("exec") and route.endswith("function"):  # reading the source is named
        assert "the source of gru_edu.cell.numpy_gru (inspect)" in text
    with pytest.raises(AssertionError, match="reference implementation|into the grader"):
        fb.require()


def test_the_hidden_tests_catch_it_too():
    ns = learner_namespace(FORWARD_ROUTES["a1_cell.cell, no import at all"])
    assert a1_cell.check_gru_forward(ns["gru_forward"], reset_after=(True, False),
                                    shape=(3, 7, 2, 4), seed=4).mistakes == ["uses_reference"]


def test_step_backward_and_gradient_tools_are_watched():
    ns = learner_namespace(
        "from gru_edu import cell\n"
        "def gru_step(x_t, h_prev, kernel, recurrent_kernel, bias, reset_after=True):\n"
        "    p = cell.GRUParams(kernel, recurrent_kernel, bias, reset_after)\n"
        "    return cell.gru_step(x_t, h_prev, p)[0]\n"
        "def gru_backward(dh_seq, x, kernel, recurrent_kernel, bias, reset_after=True,"
        " h0=None):\n"
        "    p = cell.GRUParams(kernel, recurrent_kernel, bias, reset_after)\n"
        "    h0 = np.zeros((x.shape[0], p.units)) if h0 is None else h0\n"
        "    _, cache = cell.gru_forward(x, p, h0)\n"
        "    return cell.gru_backward(dh_seq, cache).as_dict()\n"
        "from gru_edu.cell import gradcheck\n"
        "def relative_error(a, b):\n"
        "    return gradcheck.relative_error(a, b)\n"
        "def numerical_gradient(f, x, eps=1e-5):\n"
        "    return gradcheck.numerical_gradient(f, x, eps)\n")
    assert a1_cell.check_gru_step(ns["gru_step"]).mistakes == ["uses_reference"]
    assert a1_cell.check_gru_backward(ns["gru_backward"]).mistakes == ["uses_reference"]
    assert a1_cell.check_relative_error(ns["relative_error"]).mistakes == ["uses_reference"]
    assert a1_cell.check_numerical_gradient(
        ns["numerical_gradient"]).mistakes == ["uses_reference"]


TAMPERING = {
    "sys._getframe": ("import sys\nf = sys._getframe(1)", "reads the grader's frames"),
    "inspect.stack": ("import inspect\nf = inspect.stack()", "reads the grader's frames"),
    "gc.get_objects": ("import gc\nn = len(gc.get_objects())", "searches the grader's objects"),
    "the time limit's signal": ("import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)",
                                "changes the time limit's signals (signal.signal)"),
    "ctypes": ("import ctypes\nctypes.pythonapi.Py_IsInitialized()", "uses ctypes"),
}


def test_switching_the_time_limit_off_does_not_work():
    ns = learner_namespace(
        FORWARD + "    import signal\n    signal.setitimer(signal.ITIMER_REAL, 0)\n"
        "    signal.signal(signal.SIGALRM, signal.SIG_IGN)\n    while True:\n        pass\n")
    fb = a1_cell.check_gru_forward(ns["gru_forward"], seconds=0.5)
    assert fb.mistakes == ["grader_tampering"], str(fb)
    assert "signal.setitimer" in str(fb)


@pytest.mark.parametrize("route", list(TAMPERING))
def test_reaching_into_the_grader_is_named(route):
    code, words = TAMPERING[route]
    ns = learner_namespace(
        FORWARD + textwrap.indent(code, "    ") + "\n"
        "    return np.zeros((x.shape[0], x.shape[1], recurrent_kernel.shape[0]))\n")
    fb = a1_cell.check_gru_forward(ns["gru_forward"])
    assert fb.mistakes == ["grader_tampering"], str(fb)
    assert words in str(fb)


def test_another_librarys_gru_is_the_reference_too():
    keras = pytest.importorskip("keras")
    ns = learner_namespace(
        FORWARD + textwrap.indent(
            "import keras\n"
            "layer = keras.layers.GRU(recurrent_kernel.shape[0], return_sequences=True,"
            " reset_after=reset_after)\n"
            "layer.build(x.shape)\n"
            "layer.set_weights([kernel, recurrent_kernel, bias])\n"
            "return np.asarray(layer(x, initial_state=h0))", "    "))
    assert keras  # imported by the learner's code too
    fb = a1_cell.check_gru_forward(ns["gru_forward"], reset_after=(True,))
    assert fb.mistakes == ["uses_reference"], str(fb)
    assert "gru" in str(fb).lower()


# ---------------------------------------------------------------- own code is never flagged

INDEPENDENT_A1 = '''
import numpy as np


class _Gates:
    """Split Keras arrays into per-gate views (written for this test, not the master)."""

    def __init__(self, kernel, recurrent_kernel, bias, reset_after):
        n = recurrent_kernel.shape[0]
        self.W = [kernel[:, i * n:(i + 1) * n] for i in range(3)]
        self.U = [recurrent_kernel[:, i * n:(i + 1) * n] for i in range(3)]
        if reset_after:
            self.b = [bias[0, i * n:(i + 1) * n] for i in range(3)]
            self.c = [bias[1, i * n:(i + 1) * n] for i in range(3)]
        else:
            self.b = [bias[i * n:(i + 1) * n] for i in range(3)]
            self.c = [np.zeros(n)] * 3
        self.after = reset_after


def _logistic(v):
    return np.exp(-np.logaddexp(0.0, -v))


def gru_step(x_t, h_prev, kernel, recurrent_kernel, bias, reset_after=True):
    g = _Gates(kernel, recurrent_kernel, bias, reset_after)
    z = _logistic(np.einsum("bi,ij->bj", x_t, g.W[0]) + h_prev @ g.U[0] + g.b[0] + g.c[0])
    r = _logistic(np.einsum("bi,ij->bj", x_t, g.W[1]) + h_prev @ g.U[1] + g.b[1] + g.c[1])
    inner = r * (h_prev @ g.U[2] + g.c[2]) if g.after else (r * h_prev) @ g.U[2]
    cand = np.tanh(x_t @ g.W[2] + g.b[2] + inner)
    return cand + z * (h_prev - cand)


def gru_forward(x, kernel, recurrent_kernel, bias, reset_after=True, h0=None):
    out = np.empty(x.shape[:2] + (recurrent_kernel.shape[0],))
    state = np.zeros((x.shape[0], recurrent_kernel.shape[0])) if h0 is None else h0
    t = 0
    while t < x.shape[1]:
        state = gru_step(x[:, t, :], state, kernel, recurrent_kernel, bias, reset_after)
        out[:, t, :] = state
        t += 1
    return out


def numerical_gradient(f, x, eps=1e-5):
    g = np.zeros(x.shape)
    flat, gflat = x.reshape(-1), g.reshape(-1)
    for i in range(flat.size):
        keep = flat[i]
        flat[i] = keep + eps
        hi = f(x)
        flat[i] = keep - eps
        lo = f(x)
        flat[i] = keep
        gflat[i] = (hi - lo) / (2 * eps)
    return g


def relative_error(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    den = (np.abs(a) + np.abs(b)).max()
    return float(np.abs(a - b).max() / (den if den > 1e-8 else 1e-8))
'''


def test_independent_correct_solutions_are_never_flagged():
    ns = learner_namespace(INDEPENDENT_A1)
    for fb in (a1_cell.check_gru_step(ns["gru_step"], seed=1),
               a1_cell.check_gru_step(ns["gru_step"], shape=(1, 3, 5), seed=2),
               a1_cell.check_gru_forward(ns["gru_forward"], seed=3),
               a1_cell.check_gru_forward(ns["gru_forward"], shape=(3, 7, 2, 4), seed=4),
               a1_cell.check_numerical_gradient(ns["numerical_gradient"]),
               a1_cell.check_relative_error(ns["relative_error"])):
        assert fb.passed, str(fb)


def test_the_reference_running_inside_the_check_is_not_counted():
    # The checks call gru_edu.cell themselves (expected answers, hypotheses,
    # ablations): a wrong learner function makes them call it a lot, and the
    # feedback must still be about the learner's mistake.
    ns = learner_namespace(INDEPENDENT_A1.replace("cand + z * (h_prev - cand)",
                                                  "h_prev + z * (cand - h_prev)"))
    fb = a1_cell.check_gru_step(ns["gru_step"])
    assert fb.mistakes == ["z_convention"], str(fb)


# ---------------------------------------------------------------- assignment 3

A3_ROUTES = {
    "gate_reaction": ("def gate_reaction(z, ids, cue_ids):\n"
                      "    return a3_gates.gate_reaction_reference(z, ids, cue_ids)\n",
                      a3_gates.check_gate_reaction),
    "effect_size": ("import importlib\n"
                    "def effect_size(z, ids, cue_ids, unit):\n"
                    "    m = importlib.import_module('gru_edu.grading.' + 'a3_gates')\n"
                    "    return getattr(m, 'effect_size' + '_reference')(z, ids, cue_ids, unit)\n",
                    a3_gates.check_effect_size),
    "strongest_units": ("import functools\n"
                        "BEST = functools.partial(a3_gates.strongest_units_reference)\n"
                        "def strongest_units(reaction, k=3):\n"
                        "    return BEST(reaction, k)\n",
                        a3_gates.check_strongest_units),
}


@pytest.mark.parametrize("name", list(A3_ROUTES))
def test_a3_reference_answers_are_under_the_detector(name):
    source, check = A3_ROUTES[name]
    fb = check(learner_namespace(source)[name])
    assert fb.mistakes == ["uses_reference"], str(fb)
    assert "_reference" in str(fb)


def test_a3_allows_what_the_assignment_is_about():
    # gru_edu.cell (which gru_edu.gates replays with) is forbidden in A1, not in A3
    ns = learner_namespace(
        "from gru_edu import cell\n"
        "def gate_reaction(z, ids, cue_ids):\n"
        "    words = ids > 1\n"
        "    cue = words & np.isin(ids, cue_ids)\n"
        "    zz = 2 * cell.sigmoid(np.zeros(1))[0] * z\n"
        "    return zz[cue].mean(axis=0) - zz[words & ~cue].mean(axis=0)\n")
    assert a3_gates.check_gate_reaction(ns["gate_reaction"]).passed


def test_a3_findings_must_come_from_the_learners_functions():
    from types import SimpleNamespace

    rng = np.random.default_rng(0)
    ids = rng.integers(2, 40, (30, 20))
    ids[:, 0] = 1
    ids[:, 15:] = 0
    z = rng.uniform(size=(30, 20, 6))
    trained = SimpleNamespace(model=object())
    key = (id(trained.model), ids.shape, hash(ids.tobytes()))
    a3_gates._Z_CACHE.clear()
    a3_gates._Z_CACHE[key] = z
    cues = {"negation": [3, 4, 5], "contrast": [6, 7], "control": [8, 9]}
    right = {
        "negation_reaction": a3_gates.gate_reaction_reference(z, ids, cues["negation"]),
        "contrast_reaction": a3_gates.gate_reaction_reference(z, ids, cues["contrast"]),
    }
    right["top_negation_units"] = a3_gates.strongest_units_reference(right["negation_reaction"])
    right["top_contrast_units"] = a3_gates.strongest_units_reference(right["contrast_reaction"])
    unit = right["top_negation_units"][0]
    right["negation_effect"] = a3_gates.effect_size_reference(z, ids, cues["negation"], unit)
    right["control_effect"] = a3_gates.effect_size_reference(z, ids, cues["control"], unit)
    own = learner_namespace(
        "def gate_reaction(z, ids, cue_ids):\n"
        "    w = ids > 1\n    c = w & np.isin(ids, cue_ids)\n"
        "    return z[c].mean(0) - z[w & ~c].mean(0)\n"
        "def strongest_units(reaction, k=3):\n"
        "    return [int(i) for i in np.argsort(-np.abs(reaction))[:k]]\n"
        "def effect_size(z, ids, cue_ids, unit):\n"
        "    w = ids > 1\n    c = w & np.isin(ids, cue_ids)\n"
        "    a, b = z[c][:, unit], z[w & ~c][:, unit]\n"
        "    s = np.sqrt(((len(a) - 1) * a.var(ddof=1) + (len(b) - 1) * b.var(ddof=1))"
        " / (len(a) + len(b) - 2))\n"
        "    return (a.mean() - b.mean()) / s\n")
    functions = {n: own[n] for n in ("gate_reaction", "strongest_units", "effect_size")}
    try:
        assert a3_gates.check_gate_findings(trained, ids, cues, right, functions).passed
        # right answers (taken from the reference, e.g. read off the grader's
        # messages) with a gate_reaction that is not right: not the learner's
        wrong = dict(functions, gate_reaction=lambda z, ids, c: -own["gate_reaction"](z, ids, c))
        fb = a3_gates.check_gate_findings(trained, ids, cues, right, wrong)
        assert fb.mistakes and fb.mistakes[0] == "not_from_functions", str(fb)
        assert "negation_reaction" in str(fb)
    finally:
        a3_gates._Z_CACHE.clear()
