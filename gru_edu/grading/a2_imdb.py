"""Assignment 2's checks: a Keras GRU classifier for IMDB under stated rules."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .feedback import Feedback
from .answers import call_learner, check_defined


__all__ = [
    "ImdbRules",
    "imdb_rules",
    "check_imdb_model",
    "check_imdb_learns",
    "check_imdb_training",
    "evaluate_saved_model",
    "optimizer_steps",
    "check_imdb_saved_model",
    "check_reported_accuracy",
]

@dataclass(frozen=True)
class ImdbRules:
    """The rules of assignment 2; :func:`imdb_rules` gives those of the run mode."""

    max_params: int = 400_000
    max_epochs: int = 3
    # the master solution's mean test accuracy over 5 seeds less 2 points,
    # rounded down (benchmarks/bench_a2_master.py; a test keeps them equal)
    accuracy: float = 0.84
    partial_accuracy: float = 0.79
    maxlen: int = 300
    train_size: int | None = None  # None: the whole training part (22,500 reviews)
    val_size: int = 2500  # carved from the training reviews (gru_edu.imdb.splits)
    test_size: int | None = None  # None: all 25,000 test reviews
    fast: bool = False

    def describe(self) -> str:
        """The rules as a few lines of text, for the notebook to print."""
        train = f"{self.train_size:,}" if self.train_size else f"{25_000 - self.val_size:,}"
        test = f"{self.test_size:,}" if self.test_size else "all 25,000"
        lines = [
            f"parameters:     at most {self.max_params:,}",
            f"epochs:         at most {self.max_epochs}, on {train} training reviews"
            f" ({self.val_size:,} more held out for validation)",
            f"accuracy bar:   {self.accuracy:.2f} on {test} test reviews"
            f" (partial credit from {self.partial_accuracy:.2f})",
            f"input:          word ids padded to maxlen={self.maxlen}, padding='post'",
        ]
        if self.fast:
            lines.append("fast (CI) setting: smaller data, fewer epochs, so the bar is"
                         f" scaled to {self.accuracy:.2f} (full run:"
                         f" {ImdbRules.accuracy:.2f})")
        return "\n".join(lines)


def imdb_rules() -> ImdbRules:
    """The rules in the current run mode: full, or the fast CI setting (scaled)."""
    from ..config import fast_mode

    if fast_mode():
        from ..imdb.training import FAST_TRAIN_SIZE, FAST_VAL_SIZE

        return ImdbRules(max_epochs=2, accuracy=0.60, partial_accuracy=0.55,
                         train_size=FAST_TRAIN_SIZE, val_size=FAST_VAL_SIZE,
                         test_size=FAST_TRAIN_SIZE, fast=True)
    return ImdbRules()


def _keras_layers(model: Any) -> list[Any]:
    """Every layer, nested models and Bidirectional wrappers opened."""
    import keras

    out = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            out += _keras_layers(layer)
            continue
        out.append(layer)
        if isinstance(layer, keras.layers.Bidirectional):
            out += [layer.forward_layer, layer.backward_layer]
    return out


def _loss_name(loss: Any) -> str:
    if isinstance(loss, str):
        return loss
    name = getattr(loss, "name", None) or getattr(loss, "__name__", None)
    return str(name or type(loss).__name__).lower()


def check_imdb_model(model_or_builder: Any, rules: ImdbRules | None = None,
                     seconds: float | None = 120.0) -> Feedback:
    """Does the model (or what ``build_model()`` returns) follow assignment 2's rules?

    Checks, naming what is wrong: a Keras model reading ``(maxlen,)`` word
    ids, an ``Embedding`` with ``mask_zero=True``, a ``GRU`` and no other
    sequence layer, a sigmoid probability out, compiled with binary
    cross-entropy, and at most ``rules.max_params`` parameters.
    """
    import keras

    rules = rules or imdb_rules()
    fb = Feedback("build_model")
    model = model_or_builder
    if not isinstance(model, keras.Model):
        if not check_defined(fb, model_or_builder, "build_model", 0, "build_model()"):
            return fb
        call = call_learner(fb, model_or_builder, (), seconds, "build_model")
        if call is None:
            return fb
        model = call.value
    if not isinstance(model, keras.Model):
        fb.add("not_a_model", f"It returned {type(model).__name__}.")
        return fb
    shape = tuple(model.inputs[0].shape)
    if len(shape) == 3 and shape[-1] == 1:
        fb.add("ids_as_numbers", f"The input shape is {shape}: one number per step,"
               " as in the tutorial's model.")
    elif len(shape) != 2 or shape[1] != rules.maxlen:
        fb.add("input_shape", f"The input shape is {shape}; expected (None, {rules.maxlen}).")
    layers = _keras_layers(model)
    grus = _check_layers(fb, layers)
    _check_output_and_loss(fb, model, layers)
    n = int(model.count_params())
    if n > rules.max_params:
        parts = sorted(((int(layer.count_params()), layer.name) for layer in model.layers
                        if layer.count_params()), reverse=True)
        top = ", ".join(f"{name} {count:,}" for count, name in parts[:3])
        fb.add("over_budget", f"{n:,} parameters for a budget of {rules.max_params:,}"
               f" ({top}).")
    if fb.passed:
        fb.note(f"{n:,} parameters (budget {rules.max_params:,}); GRU layer(s): "
                + ", ".join(f"{g.name} ({g.units} units)" for g in grus) + ".")
    return fb


def _check_layers(fb: Feedback, layers: list[Any]) -> list[Any]:
    """A GRU, no other sequence layer, an Embedding that masks padding; the GRUs."""
    import keras

    grus = [layer for layer in layers if isinstance(layer, keras.layers.GRU)]
    forbidden = (keras.layers.LSTM, keras.layers.SimpleRNN, keras.layers.Conv1D,
                 keras.layers.Conv2D, keras.layers.MultiHeadAttention,
                 keras.layers.Attention)
    others = [layer for layer in layers if isinstance(layer, forbidden)]
    if not grus:
        fb.add("no_gru", "Layers found: " + ", ".join(
            type(layer).__name__ for layer in layers) + ".")
    if others:
        fb.add("other_sequence_layer", "Found: " + ", ".join(
            f"{layer.name} ({type(layer).__name__})" for layer in others) + ".")
    embeddings = [layer for layer in layers if isinstance(layer, keras.layers.Embedding)]
    if not embeddings and "ids_as_numbers" not in fb.mistakes:
        fb.add("no_embedding")
    elif embeddings and not embeddings[0].mask_zero:
        fb.add("no_mask", f"{embeddings[0].name} has mask_zero=False.")
    return grus


def _check_output_and_loss(fb: Feedback, model: Any, layers: list[Any]) -> None:
    """A sigmoid probability out, compiled with binary cross-entropy."""
    out_shape = tuple(model.outputs[0].shape)
    last = layers[-1] if layers else None
    act = getattr(getattr(last, "activation", None), "__name__", "")
    if out_shape[-1:] != (1,) or act != "sigmoid":
        fb.add("output_not_probability", f"The output has shape {out_shape} and the"
               f" last layer's activation is {act or 'none'}.")
    loss = getattr(model, "loss", None)
    if not getattr(model, "compiled", False) or loss is None:
        fb.add("not_compiled")
    elif "binary_crossentropy" not in _loss_name(loss).replace(" ", "_"):
        fb.add("wrong_loss", f"The loss is {_loss_name(loss)!r}.")


def _imdb_slice(num_words: int, rules: ImdbRules, split: str, size: int | None
                ) -> tuple[np.ndarray, np.ndarray]:
    """Reviews of the A2 notebook's parts, encoded as the student's model saw them.

    The same :func:`gru_edu.imdb.load_splits` call as the notebook's, so
    the vocabulary (ranked on the training part) gives the same ids.
    """
    from ..imdb.splits import load_splits

    parts = load_splits(num_words=num_words, maxlen=rules.maxlen, val_size=rules.val_size,
                        train_size=rules.train_size, test_size=rules.test_size,
                        progress=False)
    x, y = (parts.x_train, parts.y_train) if split == "train" else (parts.x_test, parts.y_test)
    return (x, y) if size is None else (x[:size], y[:size])


def _embedding_words(model: Any, default: int = 30000) -> int:
    import keras

    for layer in _keras_layers(model):
        if isinstance(layer, keras.layers.Embedding):
            return int(layer.input_dim)
    return default


def check_imdb_learns(build_model: Any, rules: ImdbRules | None = None,
                      seconds: float | None = 300.0) -> Feedback:
    """A fresh ``build_model()`` must fit 128 training reviews quickly.

    20 epochs of 4 batches; the training loss must fall to half its first
    value. A model with a tiny learning rate, a wrong output or loss fails.
    """
    import keras

    rules = rules or imdb_rules()
    fb = check_imdb_model(build_model, rules, seconds)
    fb.what = "build_model (learning)"
    if not fb.passed:
        return fb

    def run() -> tuple[float, float]:
        keras.utils.set_random_seed(0)
        model = build_model()
        x, y = _imdb_slice(_embedding_words(model), rules, "train", 128)
        hist = model.fit(x, y, epochs=20, batch_size=32, verbose=0)
        loss = hist.history["loss"]
        return float(loss[0]), float(min(loss))

    call = call_learner(fb, run, (), seconds, "training build_model() on 128 reviews")
    if call is None:
        return fb
    first, best = call.value
    if not best < 0.5 * first:
        fb.add("does_not_learn", f"On 128 training reviews the loss went from {first:.3f}"
               f" to at best {best:.3f} in 20 epochs (expected below {0.5 * first:.3f}).")
    else:
        fb.note(f"On 128 reviews the loss fell from {first:.3f} to {best:.3f}.")
    return fb


def _whole(value: Any) -> bool:
    """A whole number (NumPy's included), not a bool."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def check_imdb_training(epochs: Any, batch_size: Any, rules: ImdbRules | None = None
                        ) -> Feedback:
    """``EPOCHS`` and ``BATCH_SIZE`` within the rules."""
    rules = rules or imdb_rules()
    fb = Feedback("EPOCHS and BATCH_SIZE")
    if not _whole(epochs) or not 1 <= epochs <= rules.max_epochs:
        fb.add("epochs_rule", f"EPOCHS = {epochs!r}; allowed: 1 to {rules.max_epochs}.")
    if not _whole(batch_size) or batch_size < 1:
        fb.add("epochs_rule", f"BATCH_SIZE = {batch_size!r}; a positive whole number.")
    return fb


_EVALUATIONS: dict[tuple, float] = {}


def evaluate_saved_model(model_file: str | os.PathLike, rules: ImdbRules | None = None
                         ) -> float:
    """Accuracy of a saved model on the test reviews of the rules (cached per file)."""
    import keras

    rules = rules or imdb_rules()
    path = Path(model_file)
    key = (str(path.resolve()), path.stat().st_mtime_ns, rules.train_size, rules.val_size,
           rules.test_size)
    if key not in _EVALUATIONS:
        model = keras.saving.load_model(path)
        x, y = _imdb_slice(_embedding_words(model), rules, "test", rules.test_size)
        prob = np.asarray(model.predict(x, batch_size=500, verbose=0)).reshape(-1)
        _EVALUATIONS[key] = float(np.mean((prob > 0.5) == (y == 1)))
    return _EVALUATIONS[key]


def optimizer_steps(model: Any) -> int:
    """How many batches the optimizer of a loaded Keras model has applied (0: none stored).

    Keras 3 saves the optimizer's variables, ``iterations`` among them, in
    the ``.keras`` file of a compiled model; each training batch adds one.
    """
    iterations = getattr(getattr(model, "optimizer", None), "iterations", None)
    try:
        return int(np.asarray(iterations))
    except (TypeError, ValueError):
        return 0


def _history_epochs(history_file: str | os.PathLike | None) -> int | None:
    """Epochs listed in the learner's history file (None if unreadable): a hint only."""
    try:
        return len(json.loads(Path(history_file).read_text())["loss"])
    except (TypeError, ValueError, KeyError, OSError):
        return None


def _check_epochs(fb: Feedback, model: Any, batch_size: Any, train_reviews: Any,
                  rules: ImdbRules, history_file: str | os.PathLike | None) -> None:
    """The epochs rule, on the optimizer's step count stored in the saved model.

    One epoch is ``ceil(train_reviews / batch_size)`` steps. ``train_reviews``
    (what the learner's notebook trains on) is capped at the training reviews
    the rules allow, so a larger stated number buys no extra epochs.
    """
    steps = optimizer_steps(model)
    if steps <= 0:
        fb.add("epochs_unverifiable", "The file's optimizer has taken no recorded steps.")
        return
    if not _whole(batch_size) or batch_size < 1:
        fb.add("epochs_rule", f"BATCH_SIZE = {batch_size!r}: the grader needs it (a positive"
               " whole number) to count the epochs of the saved model.")
        return
    most = rules.train_size or 25_000 - rules.val_size
    n = min(int(train_reviews), most) if _whole(train_reviews) and train_reviews > 0 else most
    per_epoch = -(-n // int(batch_size))
    if steps > rules.max_epochs * per_epoch:
        detail = (f"The saved model's optimizer took {steps:,} steps: {steps / per_epoch:.1f}"
                  f" epochs of {per_epoch:,} batches ({n:,} training reviews in batches of"
                  f" {batch_size}); at most {rules.max_epochs} are allowed.")
        listed = _history_epochs(history_file)
        if listed is not None:
            detail += f" (Your history file lists {listed}.)"
        fb.add("epochs_rule", detail)


def check_imdb_saved_model(model_file: str | os.PathLike,
                           history_file: str | os.PathLike | None = None,
                           min_accuracy: float | None = None,
                           rules: ImdbRules | None = None,
                           seconds: float | None = 900.0, batch_size: Any = None,
                           train_reviews: Any = None) -> Feedback:
    """The saved model: it loads, follows the rules, and (with ``min_accuracy``) is accurate.

    Every rule is checked on evidence the grader produces itself: the
    parameters and layers on the loaded model, the epochs from the
    optimizer's step count stored in the file (against ``batch_size`` and
    ``train_reviews``, the learner's ``BATCH_SIZE`` and number of training
    reviews), the accuracy by evaluating the file on the test reviews.
    ``history_file`` (written by the learner) only adds hints.
    """
    import keras

    rules = rules or imdb_rules()
    fb = Feedback(f"saved model {Path(model_file).name}")
    path = Path(model_file)
    if not path.exists():
        fb.add("no_saved_model", f"{path} does not exist (working folder: {Path.cwd()}).")
        return fb
    call = call_learner(fb, keras.saving.load_model, (path,), seconds, f"loading {path.name}")
    if call is None:
        return fb
    rules_fb = check_imdb_model(call.value, rules)
    fb.findings += rules_fb.findings
    fb.passed = fb.passed and rules_fb.passed
    _check_epochs(fb, call.value, batch_size, train_reviews, rules, history_file)
    if min_accuracy is None or not fb.passed:
        return fb
    call = call_learner(fb, evaluate_saved_model, (path, rules), seconds,
                        "evaluating the saved model")
    if call is None:
        return fb
    acc = call.value
    n = rules.test_size or 25000
    if acc < min_accuracy:
        detail = f"Accuracy {acc:.4f} on {n:,} test reviews; needed: {min_accuracy:.2f}."
        try:
            history = json.loads(Path(history_file).read_text())
            train_acc = history["accuracy"][-1]
            val = history.get("val_accuracy")
            detail += f" Last training accuracy: {train_acc:.3f}"
            detail += f", validation: {val[-1]:.3f}." if val else "."
        except (ValueError, KeyError, TypeError, IndexError, OSError):
            pass
        fb.add("below_bar", detail)
    else:
        fb.note(f"Accuracy {acc:.4f} on {n:,} test reviews (needed {min_accuracy:.2f}).")
    return fb


def check_reported_accuracy(test_accuracy: Any, model_file: str | os.PathLike,
                            rules: ImdbRules | None = None, tol: float = 0.005) -> Feedback:
    """The learner's ``test_accuracy`` against the grader's evaluation of the file."""
    rules = rules or imdb_rules()
    fb = Feedback("test_accuracy")
    try:
        value = float(test_accuracy)
    except (TypeError, ValueError):
        fb.add("reported_accuracy", f"test_accuracy is {test_accuracy!r}, not a number.")
        return fb
    path = Path(model_file)
    if not path.exists():
        fb.add("no_saved_model", f"{path} does not exist.")
        return fb
    acc = evaluate_saved_model(path, rules)
    if abs(value - acc) > tol:
        fb.add("reported_accuracy", f"You report {value:.4f}; the saved model scores"
               f" {acc:.4f} on the {rules.test_size or 25000:,} test reviews.")
    return fb
