"""Feedback: findings, and the one catalogue of mistakes every check names.

:data:`MISTAKES` maps a mistake id to a short title and what to do about it;
a check adds :class:`Finding` objects to a :class:`Feedback`, whose text is
what a learner reads and whose ``require()`` is what the otter tests call.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field


__all__ = [
    "KERAS_BLOCKS",
    "GATE_NAMES",
    "MISTAKES",
    "Finding",
    "Feedback",
    "FeedbackFailure",
    "indent",
]

#: The order of the three weight blocks in a Keras GRU kernel, bias and
#: recurrent kernel: update gate, reset gate, candidate.
KERAS_BLOCKS = ("z", "r", "h")
GATE_NAMES = {"z": "update gate z", "r": "reset gate r", "h": "candidate h̃"}

# --- The catalogue of mistakes: id -> (short title, what to do about it)

MISTAKES: dict[str, tuple[str, str]] = {
    "not_defined": (
        "function not defined",
        "Run the cell that defines it (and the cells above it), then check again.",
    ),
    "not_implemented": (
        "not implemented yet",
        "Replace the `raise NotImplementedError` line with your code.",
    ),
    "signature": (
        "signature differs from the assignment's",
        "Keep the parameters the stub gives, in the same order.",
    ),
    "exception": (
        "your code raised an error",
        "Read the error and the line it points at; print the shapes of the"
        " arrays on that line.",
    ),
    "timeout": (
        "time limit exceeded: an infinite loop?",
        "On these tiny inputs a GRU takes milliseconds. Look for a `while`"
        " loop whose condition never changes, or a loop over the wrong range.",
    ),
    "uses_reference": (
        "calls the reference implementation",
        "This question grades your own code: write it yourself with NumPy"
        " instead of calling the reference it is graded against (or a copy of"
        " it); nothing else is checked while it does.",
    ),
    "grader_tampering": (
        "reaches into the grader",
        "Compute the answer from the function's inputs only: no switching off"
        " the grader's checks or time limits, no reading its frames or objects.",
    ),
    "non_finite": (
        "NaN or infinite values",
        "An exponential overflowed or something was divided by zero. With"
        " `1 / (1 + np.exp(-a))` the sigmoid is safe; `np.exp(a) / ...` is not.",
    ),
    "output_shape": (
        "wrong output shape",
        "Check the shape of what you return against the docstring.",
    ),
    "gate_order": (
        "gate order [r, z, h] instead of [z, r, h]",
        "Keras stores the three gates side by side in the order [z | r | h]:"
        " with n units, columns 0..n-1 belong to the update gate z, n..2n-1"
        " to the reset gate r and 2n..3n-1 to the candidate h̃ (in kernel,"
        " recurrent_kernel and bias alike). [r, z, n] is PyTorch's and"
        " cuDNN's order: notebook 02, section 11 puts the two side by side.",
    ),
    "transposed_kernel": (
        "transposed kernel",
        "The Keras kernel is (input_dim, 3*units) and the recurrent kernel"
        " (units, 3*units): compute x_t @ kernel and h_prev @ recurrent_kernel"
        " and cut the result into column blocks. PyTorch stores the transpose"
        " (3*units, input_dim) and multiplies by W.T; Keras does not."
        " Notebook 02, section 11 converts between the two layouts"
        " (gru_edu.cell.conventions.to_torch / from_torch).",
    ),
    "swapped_kernels": (
        "kernel and recurrent_kernel swapped",
        "The input x_t multiplies `kernel`; the previous state h_prev"
        " multiplies `recurrent_kernel`.",
    ),
    "reset_position": (
        "reset gate applied on the wrong side of the recurrent product",
        "reset_after=True (Keras default, cuDNN): h̃ = tanh(x W_h + b_h +"
        " r * (h_prev U_h + b'_h)), reset AFTER the product."
        " reset_after=False (Cho et al. 2014): h̃ = tanh(x W_h + b_h +"
        " (r * h_prev) U_h), reset BEFORE the product.",
    ),
    "z_convention": (
        "the (1 - z) convention swapped",
        "Keras, PyTorch and Cho et al. 2014 (eq. 7) keep the OLD state with"
        " weight z: h_t = z * h_prev + (1 - z) * h̃. You wrote"
        " h_t = (1 - z) * h_prev + z * h̃, as Chung et al. 2014 and many"
        " tutorials do. Both are valid GRUs, but not with the same weights:"
        " negating the update gate's weights turns one into the other"
        " (notebook 02, section 11).",
    ),
    "missing_bias": (
        "missing biases",
        "Every gate adds its bias: x W + b for all three gates and, with"
        " reset_after=True, the recurrent bias b' (bias[1]) inside h_prev U + b'.",
    ),
    "single_variant": (
        "works for one reset_after variant only",
        "The bias is (2, 3*units) when reset_after=True (row 0 input, row 1"
        " recurrent) and (3*units,) when reset_after=False; the reset gate"
        " goes after the recurrent product in the first, before it in the second.",
    ),
    "state_not_carried": (
        "the state is not carried from step to step",
        "Each step must start from the state the previous step produced:"
        " h_prev = h_t at the end of the loop body, starting from h0.",
    ),
    "h0_ignored": (
        "the initial state h0 is ignored",
        "Start the loop from h0 when it is given; use zeros only when h0 is None.",
    ),
    "last_state_only": (
        "returns only the last state",
        "Return every state, shape (batch, time, units): store h_t at index t.",
    ),
    "time_major": (
        "time-major output (time, batch, units)",
        "Keras is batch-major: stack the states along axis 1, e.g."
        " np.stack(states, axis=1).",
    ),
    "includes_h0": (
        "the output includes h0",
        "The output holds h_1 .. h_T (one per input step), not h0.",
    ),
    "shifted_states": (
        "each output is the previous step's state",
        "Store h_t after computing it, not h_prev before.",
    ),
    "reversed_time": (
        "the sequence runs backwards",
        "Loop t = 0, 1, ..., T-1 and store h_t at index t.",
    ),
    "missing_gradient": (
        "a gradient is missing",
        "Return a dict with the keys kernel, recurrent_kernel, bias, x and h0.",
    ),
    "gradient_shape": (
        "a gradient has the wrong shape",
        "Every gradient has the shape of what it differentiates"
        " (dkernel like kernel, dx like x, ...).",
    ),
    "gradient_sign": (
        "gradients with the wrong sign",
        "These are gradients of the loss (to be subtracted by gradient descent);"
        " yours point the opposite way.",
    ),
    "no_bptt": (
        "no backpropagation through time",
        "dL/dh_t has two sources: dh_seq[:, t] and the gradient flowing back"
        " from step t+1 (dh_next). Add them before using dh, and pass"
        " dh_prev on to step t-1.",
    ),
    "last_step_only": (
        "only the last step's dh_seq is used",
        "The loss reads every h_t: add dh_seq[:, t] at every step of the"
        " backward loop, not only at t = T-1.",
    ),
    "recurrent_bias_row": (
        "recurrent-bias gradient copied from the input bias",
        "With reset_after=True the candidate's recurrent bias b'_h sits inside"
        " r * (h_prev U_h + b'_h): its gradient is multiplied by r, so"
        " bias[1] differs from bias[0] in the h block.",
    ),
    "gradient_blocks": (
        "some gradient blocks are wrong",
        "The blocks marked ✗ are off and the ✓ ones right: the error is in the"
        " part of the backward pass that feeds only the ✗ blocks.",
    ),
    "forward_wrong": (
        "the forward pass is not right yet",
        "Fix gru_forward first (question 2), and the same lines in the forward"
        " loop of gru_backward if it has its own.",
    ),
    "one_sided_difference": (
        "one-sided instead of central difference",
        "Use (f(x + eps) - f(x - eps)) / (2 eps): its error is O(eps²)"
        " instead of O(eps) for (f(x + eps) - f(x)) / eps.",
    ),
    "wrong_step_scale": (
        "central difference divided by eps instead of 2 eps",
        "x + eps and x - eps are 2 eps apart: divide by 2 * eps.",
    ),
    "input_not_restored": (
        "the input x is not restored after perturbing it",
        "After evaluating f at x[i] + eps and x[i] - eps, set x[i] back to its"
        " old value; otherwise every later entry is measured at a shifted point.",
    ),
    "perturbs_copy": (
        "perturbs a copy of x instead of x itself",
        "Change x[i] in place, evaluate f(x), and put x[i] back. A loss that"
        " reads the weights through a closure (as the gradient check below"
        " does, like CS231n's eval_numerical_gradient) never sees a copy: its"
        " numerical gradient comes out zero and a correct backward pass looks"
        " wrong.",
    ),
    "zero_division": (
        "division by zero when both values are 0",
        "Divide by max(1e-8, max(|a| + |b|)): the floor keeps 0 / 0 away.",
    ),
    "relative_error_formula": (
        "not the relative error asked for",
        "max |a - b| / max(1e-8, max(|a| + |b|)): the largest difference over"
        " the largest magnitude, one division for the whole array.",
    ),
    "wrong_values": (
        "values differ from the reference; cause not recognised",
        "The ablation probes below show which part of the GRU differs.",
    ),
    "depends_on_step": (
        "your gru_step is not right yet",
        "Fix gru_step first (question 1): this function calls it, so its"
        " mistakes show up here too.",
    ),
    # assignment 2
    "not_a_model": (
        "build_model does not return a Keras model",
        "Return the compiled keras.Model (keras.Sequential or keras.Model).",
    ),
    "ids_as_numbers": (
        "word ids fed to the GRU as numbers",
        "Ids are names, not magnitudes (id 500 is not 'more' than id 50): start"
        " with keras.layers.Embedding(num_words, dim, mask_zero=True) on inputs"
        " of shape (maxlen,) integers.",
    ),
    "input_shape": (
        "wrong input shape",
        "The model reads padded word ids: keras.Input(shape=(maxlen,), dtype='int32').",
    ),
    "no_gru": (
        "no GRU layer",
        "This assignment is about GRUs: the recurrent layer must be keras.layers.GRU"
        " (alone or inside Bidirectional).",
    ),
    "other_sequence_layer": (
        "a sequence layer other than GRU",
        "The rules allow GRU layers only (no LSTM, SimpleRNN, convolution or"
        " attention); Embedding, Dropout and Dense layers are fine.",
    ),
    "no_embedding": (
        "no Embedding layer",
        "Turn word ids into learned vectors with keras.layers.Embedding.",
    ),
    "no_mask": (
        "padding not masked",
        "With padding='post' a review of 80 words is followed by 220 zeros, and"
        " the GRU's last state is read after them: it has forgotten the review."
        " Embedding(..., mask_zero=True) makes the GRU skip the padding.",
    ),
    "output_not_probability": (
        "the output is not a probability",
        "End with Dense(1, activation='sigmoid'): binary cross-entropy and the"
        " grader (prediction > 0.5 means positive) expect P(positive).",
    ),
    "not_compiled": (
        "the model is not compiled",
        "Call model.compile(optimizer=..., loss='binary_crossentropy',"
        " metrics=['accuracy']) inside build_model.",
    ),
    "wrong_loss": (
        "not the binary cross-entropy loss",
        "Two classes and a sigmoid output: loss='binary_crossentropy'.",
    ),
    "over_budget": (
        "over the parameter budget",
        "The embedding, num_words × dim, is by far the largest part: fewer words"
        " (rare words carry little) or shorter vectors. 10,000 words × 32 = 320,000.",
    ),
    "does_not_learn": (
        "the model does not learn",
        "On a few reviews the training loss should fall fast. Check the learning"
        " rate (1e-3 is a good start for Adam), the output activation and the loss.",
    ),
    "epochs_rule": (
        "epochs or batch size outside the rules",
        "Train for at least one and at most the allowed number of epochs, with a"
        " positive whole batch size.",
    ),
    "no_saved_model": (
        "no saved model",
        "Run the training cell: it saves the model next to the notebook. Hand in"
        " the notebook and the model file together (a zip).",
    ),
    "epochs_unverifiable": (
        "the number of epochs cannot be checked on the saved file",
        "The grader counts the optimizer's steps stored in the .keras file; this"
        " file holds none (saved before training, or without its compiled"
        " optimizer). Save with model.save(...) right after model.fit(...), as the"
        " training cell does.",
    ),
    "below_bar": (
        "test accuracy below the bar",
        "Compare training and validation accuracy in your history: a large gap"
        " means overfitting (dropout, fewer epochs), both low means underfitting"
        " (more units or a longer embedding within the budget, or a different"
        " learning rate).",
    ),
    "reported_accuracy": (
        "the reported test accuracy is not the model's",
        "Evaluate the trained model on x_test, y_test (all of them):"
        " model.evaluate(...) returns [loss, accuracy].",
    ),
    # assignment 3
    "padding_counted": (
        "padding steps counted",
        "Steps with id 0 are padding: the GRU skips them (the state is carried)."
        " Keep only steps with id > 1.",
    ),
    "start_counted": (
        "the start marker counted as a word",
        "Id 1 is the <start> marker every review begins with, not a word: keep"
        " steps with id > 1.",
    ),
    "baseline_includes_cue": (
        "the baseline includes the cue words",
        "Compare cue steps with the OTHER word steps (cue steps excluded), not"
        " with all steps.",
    ),
    "sign_reversed": (
        "the difference is the wrong way round",
        "Cue minus the rest: a negative value means the update gate z drops"
        " (the unit writes the new word) at the cue.",
    ),
    "mean_of_means": (
        "a mean of per-review means",
        "Pool the steps: average over every cue step of every review at once,"
        " so a review with 5 cues weighs more than one with 1.",
    ),
    "not_pooled_sd": (
        "not the pooled standard deviation",
        "Cohen's d divides by sqrt(((n1-1) s1² + (n2-1) s2²) / (n1 + n2 - 2)),"
        " with s² the sample variances (ddof=1).",
    ),
    "population_variance": (
        "population instead of sample variances",
        "Use np.var(..., ddof=1) (or np.std(..., ddof=1)) in the pooled deviation.",
    ),
    "off_by_one": (
        "off by one step",
        "Step 0 reads the <start> marker, so the k-th word of the text is read at"
        " step k + 1: use the trace's own words list to find the step.",
    ),
    "absent_word": (
        "no error for a word the review does not contain",
        "When no step reads the word, raise a ValueError (text_trace.words.index"
        " does) or return None: a value there is z at some other step.",
    ),
    "not_sorted_by_size": (
        "units not ranked by the size of the reaction",
        "Rank by |reaction| (np.argsort(-np.abs(reaction))): a strong negative"
        " reaction counts as much as a strong positive one.",
    ),
    "values_differ": (
        "values differ from the expected ones",
        "Work through a tiny example by hand and compare each intermediate"
        " array with the definition given above the question.",
    ),
    "wrong_quantity": (
        "the value differs from the one computed on the model",
        "Recompute it with your (checked) functions on z_all and ids_all.",
    ),
    "not_from_functions": (
        "the findings are not computed with your functions",
        "Question 5 asks for the values your gate_reaction, strongest_units and"
        " effect_size give on z_all and ids_all: compute them with those"
        " functions (and fix the functions first if their checks fail).",
    ),
}


# --- Feedback


@dataclass
class Finding:
    """One named mistake: its id in :data:`MISTAKES`, a title and an explanation."""

    mistake: str
    detail: str = ""
    context: str = ""  # e.g. "reset_after=True"
    title: str = ""

    def __post_init__(self) -> None:
        if not self.title:
            self.title = MISTAKES[self.mistake][0]

    def text(self) -> str:
        where = f" ({self.context})" if self.context else ""
        lines = [f"✗ {self.title[0].upper()}{self.title[1:]}{where}."]
        if self.detail:
            lines.append(indent(self.detail))
        advice = MISTAKES[self.mistake][1]
        if advice:
            lines.append(indent("What to do: " + advice))
        return "\n".join(lines)


@dataclass
class Feedback:
    """What a check found: ``passed``, named ``findings`` and extra notes.

    ``str(feedback)`` is the text a learner reads; :meth:`require` raises it
    as an ``AssertionError`` when the check did not pass.
    """

    what: str
    passed: bool = True
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    probes: list[tuple[str, str]] = field(default_factory=list)  # (context, table)

    @property
    def mistakes(self) -> list[str]:
        """Ids (keys of :data:`MISTAKES`) of everything found, in order."""
        return [f.mistake for f in self.findings]

    def add(self, mistake: str, detail: str = "", context: str = "", title: str = "") -> None:
        self.passed = False
        self.findings.append(Finding(mistake, detail, context, title))

    def note(self, text: str) -> None:
        self.notes.append(text)

    def merge_variants(self, label: str = "both reset_after variants") -> None:
        """One finding (and one probe table) for what every variant got wrong alike."""
        merged: list[Finding] = []
        for f in self.findings:
            twin = next((g for g in merged if (g.mistake, g.title) == (f.mistake, f.title)
                         and g.context != f.context and g.context and f.context), None)
            if twin is None:
                merged.append(f)
            else:
                twin.context = label
        self.findings = merged
        tables = {t for _, t in self.probes}
        if len(self.probes) > 1 and len(tables) == 1:
            self.probes = [(label, self.probes[0][1])]

    def __str__(self) -> str:
        if self.passed:
            head = f"✓ {self.what}: correct."
        else:
            n = len(self.findings)
            head = f"{self.what}: not right yet ({n} problem{'s' * (n != 1)} found)."
        parts = [head] + [f.text() for f in self.findings]
        for ctx, table in self.probes:
            where = f" ({ctx})" if ctx else ""
            parts.append(f"Ablation probes{where}, each keeping one part of the GRU"
                         f" and zeroing the rest:\n{table}")
        return "\n".join(parts + self.notes)

    def __repr__(self) -> str:  # what a notebook cell shows
        return str(self)

    def require(self) -> "Feedback":
        """Raise :class:`FeedbackFailure` (an ``AssertionError``) unless the check passed.

        Inside otter's test runner the failure is then reported as this
        feedback alone (see :class:`FeedbackFailure`).
        """
        if not self.passed:
            _plain_otter_messages()
            raise FeedbackFailure(self)
        return self


class FeedbackFailure(AssertionError):
    """A check that did not pass; ``str()`` is its feedback, nothing else.

    Otter reports a failing test case as ``Error at line N in test q1:``,
    the test's source line (a hidden test's included) and
    ``AssertionError: ...``. While a check raises this failure, otter's
    message for it is the feedback text alone: the diagnosis comes first and
    no test source reaches the student or the feedback files.
    """

    def __init__(self, feedback: Feedback) -> None:
        super().__init__(str(feedback))
        self.feedback = feedback


def _plain_otter_messages() -> None:
    """Make otter report a :class:`FeedbackFailure` as its text (once, if otter runs)."""
    module = sys.modules.get("otter.test_files.exception_test")
    test_file = getattr(module, "ExceptionTestFile", None)
    original = getattr(test_file, "_generate_error_message", None)
    if original is None or getattr(original, "plain_feedback", False):
        return

    def message(self, excp: Exception, context: int = 0) -> str:  # noqa: ANN001
        if not isinstance(excp, FeedbackFailure):
            return original(self, excp, context)
        text = str(excp)
        earlier = [r.message or "" for r in getattr(self, "test_case_results", [])
                   if not r.passed]
        titles = _titles(text)
        if titles and any(titles == _titles(m) for m in earlier):
            return ("The same problem as above, found again by this question's other"
                    " cases.")
        return text

    message.plain_feedback = True  # type: ignore[attr-defined]
    test_file._generate_error_message = message


def _titles(text: str) -> list[str]:
    """The ✗ lines of a feedback text: what it diagnosed, without the details."""
    return [line.strip() for line in text.splitlines() if line.strip().startswith("✗")]


def indent(text: str, prefix: str = "  ") -> str:
    """``text`` with every line indented: details under a finding's ✗ line."""
    return "\n".join(prefix + line for line in text.splitlines())
