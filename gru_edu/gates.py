"""Gate activations of a trained Keras GRU, replayed step by step with :mod:`gru_edu.cell`.

``keras.layers.GRU`` (and the cuDNN kernel it uses on a GPU) returns hidden
states only; the update gate ``z``, the reset gate ``r`` and the candidate
``h̃`` are never seen. This module recomputes them with :mod:`gru_edu.cell`
from each GRU layer's own weights and what the layer really received inside
the model (embedded words, or the previous GRU's states, with the mask Keras
gave it).

How: one compiled Keras pass gives every GRU layer's input, mask and *all*
of its states ``h_t`` (for a layer that returns only its last state, an
``RNN`` around the same cell object returns the others), together with the
weights it used. Step ``t`` is then recomputed from ``x_t`` and the layer's
own ``h_{t-1}`` — every step at once, with :func:`gru_edu.cell.gru_replay` —
which gives ``z_t``, ``r_t``, ``h̃_t`` and a replayed ``h_t``.

Every trace checks itself. The replayed ``h_t`` must equal the layer's
``h_t`` at every step, and the layer's own output (all steps with
``return_sequences=True``, else the last state), to within
:data:`TOLERANCE`; otherwise :class:`ReplayError` is raised, so a wrong gate
plot is never shown silently.

Public functions:

* :func:`trace` — one :class:`GateTrace` per GRU layer and direction.
* :func:`trace_text` — the same for a typed review, with the word read at
  every time step (:class:`TextTrace`).
* :func:`sentiment_so_far` — the model's output layers applied to every
  ``h_t``: where does the prediction flip?
* :func:`gate_statistics` — per-unit gate statistics over many reviews, and
  the words at which each unit writes (lowest z) and keeps (highest z) most.

Errors a learner can meet (no GRU in the model, an empty review, a review of
unknown words) are :class:`GatesError`, a ``ValueError``, with a message that
says what to do.

Orientation: every array of a :class:`GateTrace` is in *input* time order
(step ``t`` is the ``t``-th word), also for ``go_backwards=True`` and for the
backward half of a ``Bidirectional`` layer, which read the words from last to
first. ``trace.cache`` is the :class:`gru_edu.cell.GRUCache` of the replay,
in the order the steps were run.
"""

from __future__ import annotations

import contextlib
import os
import warnings
import weakref
from dataclasses import dataclass, field, replace
from typing import Any, Iterator, Sequence

import numpy as np

from . import config  # noqa: E402

config.quiet_tensorflow()  # before keras: no start-up log lines

import keras  # noqa: E402

from .cell import GRUCache, GRUParams, gru_replay  # noqa: E402

__all__ = [
    "TOLERANCE",
    "GatesError",
    "NoGRULayerError",
    "UnsupportedModelError",
    "EmptyReviewError",
    "UnknownWordsError",
    "ReplayError",
    "TruncationWarning",
    "GateTrace",
    "TextTrace",
    "GateStats",
    "trace",
    "trace_text",
    "sentiment_so_far",
    "gate_statistics",
    "clear_cache",
]

#: Largest accepted ``max |h_replay - h_keras|``. The replay runs in float64
#: from the float32 inputs and weights the layer used; what is left is the
#: rounding of Keras's float32 arithmetic (about 1e-7 per step, not growing
#: for trained or Keras-initialised weights: see tests/test_gates.py).
TOLERANCE = 1e-5

#: Reserved word ids (the Keras IMDB convention, as in :mod:`gru_edu.data`).
PAD, START, OOV = 0, 1, 2

GATES = ("z", "r", "h_tilde", "h")


# ---------------------------------------------------------------- errors


class GatesError(ValueError):
    """A model or review this module cannot explain; the message says why."""


class NoGRULayerError(GatesError):
    """The model has no GRU layer (it may have other recurrent layers)."""


class UnsupportedModelError(GatesError):
    """A GRU set-up the replay does not cover (stateful, nested model, ...)."""


class EmptyReviewError(GatesError):
    """There is no word to read."""


class UnknownWordsError(GatesError):
    """Every word of the review is unknown to the model's vocabulary."""


class ReplayError(GatesError):
    """The NumPy replay does not reproduce the layer's own output."""


class TruncationWarning(UserWarning):
    """A review was longer than the model reads; the rest was dropped."""


# ---------------------------------------------------------------- results


@dataclass(repr=False)
class GateTrace:
    """Gates of one GRU layer (one direction) over a batch of sequences.

    ``z``, ``r``, ``h_tilde``, ``h`` are ``(batch, time, units)`` float64
    arrays and ``mask`` is ``(batch, time)``, all in input time order: index
    ``t`` is the ``t``-th input step whichever direction the layer read.
    ``h`` is the state after step ``t``; at a masked step it is the state
    carried over (as Keras carries it). ``x`` is what the layer received.
    """

    layer_name: str
    direction: str  # "forward" or "backward"
    z: np.ndarray
    r: np.ndarray
    h_tilde: np.ndarray
    h: np.ndarray
    mask: np.ndarray
    x: np.ndarray
    params: GRUParams
    max_abs_error: float  # max |replayed h - the layer's own output|
    go_backwards: bool  # True: the steps ran from the last input to the first
    return_sequences: bool
    cache: GRUCache = field(repr=False)  # the replay's cache, in run order

    @property
    def units(self) -> int:
        return self.params.units

    @property
    def batch(self) -> int:
        return self.h.shape[0]

    @property
    def time(self) -> int:
        return self.h.shape[1]

    @property
    def h_prev(self) -> np.ndarray:
        """The state each step read (``h_{t-1}`` in run order), input order."""
        return _to_input_order(self.cache.h_prev, self.go_backwards)

    @property
    def final_state(self) -> np.ndarray:
        """The state after the last step run, ``(batch, units)``."""
        return self.cache.h[:, -1]

    def gate(self, name: str) -> np.ndarray:
        """``"z"``, ``"r"``, ``"h_tilde"`` or ``"h"`` by name."""
        if name not in GATES:
            raise ValueError(f"gate must be one of {GATES}, got {name!r}")
        return getattr(self, name)

    def crop(self, steps: slice) -> "GateTrace":
        """The same trace restricted to the time steps ``steps`` (input order)."""
        return replace(
            self,
            **{g: getattr(self, g)[:, steps] for g in GATES},
            mask=self.mask[:, steps],
            x=self.x[:, steps],
        )

    def __repr__(self) -> str:
        return (
            f"GateTrace({self.layer_name!r}, {self.direction}, batch={self.batch}, "
            f"time={self.time}, units={self.units}, "
            f"max_abs_error={self.max_abs_error:.1e})"
        )


@dataclass(repr=False)
class TextTrace:
    """The gates of a typed review, with the word read at each time step.

    The review is padded (and, if too long, truncated) exactly as the model's
    training data were, so ``ids`` is the model's real input, ``(maxlen,)``.
    ``words[t]`` is what the model read at step ``t`` (a vocabulary word,
    ``<start>``, ``<unk>`` or ``<pad>``); ``typed[t]`` is the word as typed.
    ``review`` is the slice of steps that hold the review (padding excluded);
    ``review_traces`` crops every trace to it.
    """

    text: str
    ids: np.ndarray
    words: list[str]
    typed: list[str]
    traces: list[GateTrace]
    review: slice
    prediction: Any  # the model's output for this review (float if one number)
    truncated: bool = False
    note: str = ""

    @property
    def trace(self) -> GateTrace:
        """The first trace (the first GRU layer, forward direction)."""
        return self.traces[0]

    @property
    def review_traces(self) -> list[GateTrace]:
        return [t.crop(self.review) for t in self.traces]

    @property
    def review_words(self) -> list[str]:
        return self.words[self.review]

    def __repr__(self) -> str:
        n = self.review.stop - self.review.start
        extra = f", truncated ({self.note})" if self.truncated else ""
        return (
            f"TextTrace({n} tokens, prediction={self.prediction!r}, "
            f"{len(self.traces)} traces{extra})"
        )


@dataclass(repr=False)
class GateStats:
    """Per-unit statistics of one GRU layer (one direction) over many reviews.

    ``mean``, ``std``, ``min``, ``max`` map each of ``z``, ``r``, ``h_tilde``,
    ``h`` to a ``(units,)`` array over every unmasked step of every review.
    ``frac_write`` is the fraction of those steps with ``z < 0.5`` (the unit
    writes more of the candidate than it keeps of its old state).

    Word statistics (when the model reads word ids): in each review, the step
    at which unit ``j``'s update gate is lowest (it *writes* most: ``1 - z``,
    the weight of the new candidate, is largest) and highest (it *keeps*
    most of its memory). ``writes_at[j]`` / ``keeps_at[j]`` list the
    ``top_k`` words found there most often, as ``(word, count)`` — "in
    ``count`` reviews, unit ``j`` wrote most at this word".
    ``mean_z_by_word(j)`` ranks words by their average ``z`` instead.
    """

    layer_name: str
    direction: str
    units: int
    n_reviews: int
    n_steps: int
    mean: dict[str, np.ndarray]
    std: dict[str, np.ndarray]
    min: dict[str, np.ndarray]
    max: dict[str, np.ndarray]
    frac_write: np.ndarray
    writes_at: list[list[tuple[Any, int]]] | None
    keeps_at: list[list[tuple[Any, int]]] | None
    max_abs_error: float
    word_counts: np.ndarray | None = field(default=None, repr=False)
    z_sum_by_word: np.ndarray | None = field(default=None, repr=False)  # (units, V)
    vocab: Any = field(default=None, repr=False)

    def mean_z_by_word(
        self, unit: int, k: int = 10, min_count: int = 20, lowest: bool = True
    ) -> list[tuple[Any, float, int]]:
        """Words with the lowest (or highest) average ``z`` at ``unit``.

        Only words read at least ``min_count`` times count. Returns
        ``(word, mean z, count)`` triples.
        """
        if self.z_sum_by_word is None:
            raise GatesError(
                "word statistics need a model that reads word ids (integers)"
            )
        counts = self.word_counts
        ok = np.flatnonzero(counts >= min_count)
        means = self.z_sum_by_word[unit, ok] / counts[ok]
        order = np.argsort(means if lowest else -means, kind="stable")[:k]
        return [
            (_word(self.vocab, ok[i]), float(means[i]), int(counts[ok[i]]))
            for i in order
        ]

    def __repr__(self) -> str:
        return (
            f"GateStats({self.layer_name!r}, {self.direction}, units={self.units}, "
            f"reviews={self.n_reviews}, steps={self.n_steps}, "
            f"max_abs_error={self.max_abs_error:.1e})"
        )


# ------------------------------------------------------ model inspection


def _keras_model(obj: Any) -> Any:
    """A Keras model, or the ``.model`` of a trained bundle."""
    if isinstance(obj, keras.Model):
        return obj
    inner = getattr(obj, "model", None)
    if isinstance(inner, keras.Model):
        return inner
    raise TypeError(
        f"expected a keras.Model (or an object with a .model), got {type(obj).__name__}"
    )


def _is_gru(layer: Any) -> bool:
    if isinstance(layer, keras.layers.GRU):
        return True
    return isinstance(layer, keras.layers.RNN) and isinstance(
        getattr(layer, "cell", None), keras.layers.GRUCell
    )


def _recurrent_kind(layer: Any) -> str | None:
    """``"GRU"``, ``"LSTM"``, ... for a recurrent layer (or a wrapper of one)."""
    inner = getattr(layer, "forward_layer", None) or getattr(layer, "layer", None)
    if isinstance(layer, keras.layers.Bidirectional) and inner is not None:
        kind = _recurrent_kind(inner)
        return f"Bidirectional({kind})" if kind else None
    if _is_gru(layer):
        return "GRU"
    if isinstance(layer, keras.layers.RNN):
        cell = getattr(layer, "cell", None)
        name = type(layer).__name__
        return f"RNN({type(cell).__name__})" if name == "RNN" else name
    return None


def _model_node(model: Any, layer: Any) -> Any:
    """The call of ``layer`` that belongs to ``model``'s graph.

    Keras records each call of a layer on symbolic tensors as a node (a
    layer shared between models has several); there is no public accessor.
    """
    nodes = list(getattr(layer, "_inbound_nodes", []))
    if len(nodes) == 1:
        return nodes[0]
    for node in nodes:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                keras.Model(model.inputs, node.output_tensors)
            return node
        except Exception:  # noqa: BLE001 - not this model's node
            continue
    raise UnsupportedModelError(
        f"layer {layer.name!r} is not connected inside this model's graph"
    )


def _node_inputs(node: Any) -> tuple[Any, Any, Any]:
    """(sequences, mask, initial_state) the layer was called with."""
    args, kwargs = node.arguments.args, node.arguments.kwargs
    x = args[0] if args else kwargs.get("sequences", kwargs.get("inputs"))
    if isinstance(x, (list, tuple)):
        x = x[0]
    mask = kwargs.get("mask")
    if mask is None:  # older Keras 3 keep the mask on the tensor
        mask = getattr(x, "_keras_mask", None)
    if isinstance(mask, (list, tuple)):
        mask = mask[0]
    return x, mask, kwargs.get("initial_state")


@dataclass
class _Entry:
    """One top-level GRU or Bidirectional(GRU) layer and where its data sit."""

    layer: Any
    directions: list[tuple[str, Any]]  # ("forward", sublayer), ...
    x: int
    mask: int | None
    h0: list[int]
    out: list[int]
    node: Any = field(repr=False)
    states: list[int] = field(default_factory=list)  # per direction: every h_t
    weights: list[list[int]] = field(default_factory=list)  # per direction


class _Plan:
    """Per-model extraction, built once: the GRU layers and one compiled call.

    The call is a sub-model from the model's inputs to every GRU layer's
    input, mask, initial state and output, plus the model's outputs, run as
    one XLA-compiled function (TensorFlow backend) so that a trace costs one
    fast Keras forward pass for its self-check.
    """

    def __init__(self, model: Any) -> None:
        self.model_name = model.name
        try:
            inputs = list(model.inputs)
        except (AttributeError, ValueError) as exc:
            raise UnsupportedModelError(
                f"model {model.name!r} is not built yet: give it a keras.Input "
                "or call it once on a batch, then trace it"
            ) from exc
        self.input_specs = [(tuple(t.shape), str(t.dtype)) for t in inputs]
        self.layer_names = [layer.name for layer in model.layers]
        self.entries: list[_Entry] = []
        tensors: list[Any] = []
        variables: list[Any] = []  # every GRU's kernel, recurrent kernel, bias
        index: dict[int, int] = {}

        def add(t: Any) -> int:
            if id(t) not in index:
                index[id(t)] = len(tensors)
                tensors.append(t)
            return index[id(t)]

        others: dict[str, list[str]] = {}
        nested: list[str] = []
        for layer in model.layers:
            kind = _recurrent_kind(layer)
            if isinstance(layer, keras.layers.Bidirectional) and _is_gru(
                layer.forward_layer
            ):
                dirs = [("forward", layer.forward_layer), ("backward", layer.backward_layer)]
            elif _is_gru(layer):
                dirs = [("forward", layer)]
            else:
                if kind:
                    others.setdefault(kind, []).append(layer.name)
                elif isinstance(layer, keras.Model) and _find_grus(layer):
                    nested.append(layer.name)
                continue
            for _, sub in dirs:
                if getattr(sub, "stateful", False):
                    raise UnsupportedModelError(
                        f"{layer.name}: a stateful GRU carries its state between "
                        "calls, so a replay from zeros cannot match it; build the "
                        "model with stateful=False (same weights) to trace it"
                    )
            node = _model_node(model, layer)
            x, mask, h0 = _node_inputs(node)
            h0_list = [] if h0 is None else list(h0 if isinstance(h0, (list, tuple)) else [h0])
            states, weights = [], []
            for k, (_, sub) in enumerate(dirs):
                GRUParams.from_keras(sub)  # a GRU gru_edu.cell can replay, or say why not
                weights.append(list(range(len(variables), len(variables) + 3)))
                variables.extend(sub.cell.weights)
                h0_k = None
                if h0_list:
                    h0_k = h0_list[0] if len(dirs) == 1 else h0_list[k * len(h0_list) // 2]
                states.append(add(_state_sequence(sub, x, mask, h0_k)))
            self.entries.append(
                _Entry(
                    layer,
                    dirs,
                    add(x),
                    None if mask is None else add(mask),
                    [add(t) for t in h0_list],
                    [add(t) for t in node.output_tensors],
                    node,
                    states,
                    weights,
                )
            )
        if not self.entries:
            error = UnsupportedModelError if nested else NoGRULayerError
            raise error(_no_gru_message(model, others, nested))
        self.model_out = [add(t) for t in model.outputs]
        self.n_inputs = len(inputs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.sub = keras.Model(inputs[0] if len(inputs) == 1 else inputs, tensors)
        self._calls = _compiled_calls(self.sub, variables)

    def run(self, arrays: list[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Every tensor of the plan for these inputs, and the GRU weights the
        pass used (read in the same call), as NumPy arrays."""
        feed = arrays[0] if self.n_inputs == 1 else arrays
        last: Exception | None = None
        while self._calls:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    out = self._calls[0](feed)
                break
            except Exception as exc:  # noqa: BLE001 - fall back to a slower call
                last = exc
                if len(self._calls) == 1:
                    raise
                self._calls.pop(0)
        else:  # pragma: no cover
            raise RuntimeError("no way to run the model") from last
        out, weights = out
        if not isinstance(out, (list, tuple)):
            out = [out]
        return [np.asarray(t) for t in out], [np.asarray(w) for w in weights]


def _state_sequence(sub: Any, x: Any, mask: Any, h0: Any) -> Any:
    """Every state ``h_t`` the GRU direction ``sub`` computes, as a graph tensor.

    A GRU with ``return_sequences=False`` gives out its last state only. Its
    twin here, ``keras.layers.RNN`` around the *same* cell object (the same
    weight variables, nothing copied), returns all of them, in the order the
    steps run, with masked steps carrying the state. It is what Keras runs
    for the layer on a CPU: ``GRU`` is an ``RNN`` of a ``GRUCell``.
    """
    twin = keras.layers.RNN(
        sub.cell,
        return_sequences=True,
        go_backwards=bool(getattr(sub, "go_backwards", False)),
        zero_output_for_mask=False,
        dtype=sub.dtype_policy,
        name=f"{sub.name}_states",
    )
    kwargs: dict[str, Any] = {}
    if mask is not None:
        kwargs["mask"] = mask
    if h0 is not None:
        kwargs["initial_state"] = [h0]
    return twin(x, **kwargs)


def _compiled_calls(sub: Any, variables: list[Any]) -> list[Any]:
    """Ways to run ``sub``, fastest first: XLA, a TensorFlow graph, eager.

    Each returns ``sub``'s outputs and the values of ``variables`` (the GRU
    weights), so the replay uses the weights of this very pass.

    With TensorFlow the pass runs on the CPU even where a GPU is present: the
    GPU may round matrix products to TF32 (10-bit mantissa), which would make
    the 1e-5 self-check fail although the weights and the replay are right.
    The layer's own output on the CPU is the same function of the same weights.
    """

    def eager(feed: Any) -> Any:
        return sub(feed, training=False), [keras.ops.convert_to_tensor(v) for v in variables]

    if keras.backend.backend() != "tensorflow":
        return [eager]
    import tensorflow as tf

    def fn(feed: Any) -> Any:
        with tf.device("/CPU:0"):
            return sub(feed, training=False), [tf.identity(v.value) for v in variables]

    return [
        tf.function(fn, jit_compile=True, reduce_retracing=True),
        tf.function(fn, reduce_retracing=True),
        fn,
    ]


def _find_grus(model: Any) -> list[str]:
    found = []
    for layer in getattr(model, "layers", []):
        kind = _recurrent_kind(layer)
        if kind and "GRU" in kind:
            found.append(layer.name)
        elif isinstance(layer, keras.Model):
            found += _find_grus(layer)
    return found


def _no_gru_message(model: Any, others: dict[str, list[str]], nested: list[str]) -> str:
    if nested:
        return (
            f"the GRU layers of model {model.name!r} sit inside the nested model(s) "
            f"{', '.join(nested)}; gates.trace reads GRU layers of the model it "
            "is given: build the model flat (one Sequential or functional model)"
        )
    if others:
        has = "; ".join(f"{k} layers: {', '.join(v)}" for k, v in others.items())
        return (
            f"model {model.name!r} has no GRU layer — this model has {has}. "
            "gates.trace explains GRU layers (keras.layers.GRU, also inside "
            "Bidirectional)"
        )
    names = ", ".join(layer.name for layer in model.layers) or "none"
    return (
        f"model {model.name!r} has no recurrent layer at all (its layers: {names}). "
        "gates.trace explains GRU layers (keras.layers.GRU)"
    )


_PLANS: "weakref.WeakKeyDictionary[Any, _Plan]" = weakref.WeakKeyDictionary()


def _plan(model: Any) -> _Plan:
    plan = _PLANS.get(model)
    if plan is None or plan.layer_names != [layer.name for layer in model.layers]:
        plan = _Plan(model)
        _PLANS[model] = plan
    return plan


def clear_cache(model: Any = None) -> None:
    """Forget the compiled extraction of ``model`` (of every model if None)."""
    if model is None:
        _PLANS.clear()
    else:
        _PLANS.pop(_keras_model(model), None)


# ---------------------------------------------------------------- replay


_BLAS = None


@contextlib.contextmanager
def _one_blas_thread() -> Iterator[None]:
    """Run the per-step products on one BLAS thread.

    The replay's products are small (one review: 300 rows of ``units``
    values) and run right after Keras's own threaded pass; on a busy machine
    OpenBLAS's threads wait for each other (measured with the earlier
    step-by-step replay: 30x slower on 2 shared cores). ``threadpoolctl``
    is optional; without it nothing changes.
    """
    global _BLAS
    if _BLAS is None:
        try:
            from threadpoolctl import ThreadpoolController

            _BLAS = ThreadpoolController()
        except ImportError:  # pragma: no cover - optional dependency
            _BLAS = False
    if _BLAS is False:
        yield
        return
    with _BLAS.limit(limits=1, user_api="blas"):
        yield


def _to_input_order(a: np.ndarray, backwards: bool) -> np.ndarray:
    return a[:, ::-1] if backwards else a


def _prepare(plan: _Plan, inputs: Any) -> list[np.ndarray]:
    seq = inputs if plan.n_inputs > 1 else [inputs]
    if len(seq) != plan.n_inputs:
        raise GatesError(f"the model takes {plan.n_inputs} inputs, got {len(seq)}")
    arrays = []
    for a, (shape, dtype) in zip(seq, plan.input_specs):
        a = np.asarray(a)
        if a.ndim == len(shape) - 1 and all(  # one sequence: add the batch axis
            d is None or d == s for d, s in zip(shape[2:], a.shape[1:])
        ):
            a = a[None]
        if a.ndim != len(shape) or any(
            d is not None and d != s for d, s in zip(shape[2:], a.shape[2:])
        ):
            raise GatesError(
                f"the model takes inputs of shape {_shape_str(shape)}, got an "
                f"array of shape {a.shape}"
            )
        if a.shape[0] == 0 or a.shape[1] == 0:
            raise EmptyReviewError(
                f"nothing to trace: the input has shape {a.shape} "
                "(no sequence, or no time step)"
            )
        if shape[1] is not None and a.shape[1] != shape[1]:
            raise GatesError(
                f"this model reads sequences of exactly {shape[1]} steps (its "
                f"Input shape is {_shape_str(shape)}), got {a.shape[1]}: pad or "
                f"cut them to {shape[1]} first (keras.utils.pad_sequences(..., "
                f"maxlen={shape[1]})), or use gates.trace_text for a typed review"
            )
        arrays.append(a.astype(dtype, copy=False))
    return arrays


def _shape_str(shape: tuple) -> str:
    dims = ["batch", "time" if shape[1] is None else str(shape[1])]
    dims += ["?" if d is None else str(d) for d in shape[2:]]
    return "(" + ", ".join(dims) + ")"


def _last_unmasked(mask: np.ndarray, before: bool) -> np.ndarray:
    """Index of the last unmasked step up to each step (-1: none yet), run order.

    ``before=False`` counts the step itself, ``before=True`` only the steps
    before it (the state a step reads).
    """
    batch, time = mask.shape
    last = np.maximum.accumulate(np.where(mask, np.arange(time), -1), axis=1)
    if before:
        last = np.concatenate([np.full((batch, 1), -1), last[:, :-1]], axis=1)
    return last


def _carried(
    states: np.ndarray, mask: np.ndarray, h0: np.ndarray, before: bool
) -> np.ndarray:
    """States with masked steps carrying the state, as Keras carries it (run order).

    Each step gets the state after the last *unmasked* step up to it
    (``before=False``: the step itself included) or strictly before it
    (``before=True``: the ``h_{t-1}`` the step reads), or ``h0`` when there is
    none yet.
    """
    last = _last_unmasked(mask, before)
    picked = np.take_along_axis(states, np.maximum(last, 0)[..., None], axis=1)
    return np.where(last[..., None] >= 0, picked, h0[:, None, :])


def _replay_direction(
    sub: Any, x: np.ndarray, mask: np.ndarray, h0: Any, states: np.ndarray,
    weights: list[np.ndarray], masked_steps: bool = True,
) -> tuple:
    """Every step of one direction, replayed from the state Keras had before it.

    ``states`` are the layer's own ``h_t`` (run order). Each step ``t`` is
    recomputed with :func:`gru_edu.cell.gru_replay` from the input ``x_t`` and
    the layer's ``h_{t-1}``: all steps at once, so the gates cost a few
    matrix products instead of a loop of ``time`` small ones. The replayed
    ``h_t`` is then checked against the layer's ``h_t`` at every unmasked
    step, so the error cannot hide in an average or pile up over the review.

    ``masked_steps=False`` skips masked steps (padding), which
    :func:`gate_statistics` never reads: their gates and states are NaN then.
    """
    params = GRUParams(*weights, reset_after=bool(sub.cell.reset_after))
    back = bool(getattr(sub, "go_backwards", False))
    xp = np.asarray(_to_input_order(x, back), dtype=np.float64)
    mp = np.ascontiguousarray(_to_input_order(mask, back))
    batch, time = mp.shape
    h0 = np.zeros((batch, params.units)) if h0 is None else np.asarray(h0, np.float64)
    keras_h = np.asarray(states, dtype=np.float64)
    if masked_steps or mp.all():
        h_prev = _carried(keras_h, mp, h0, before=True)
        step = gru_replay(xp, h_prev, params)
        z, r, h_tilde, hu_h, h_new = step.z, step.r, step.h_tilde, step.hu_h, step.h
    else:  # only the unmasked steps, gathered into one sequence
        b_idx = np.nonzero(mp)[0]
        t_prev = _last_unmasked(mp, before=True)[mp]
        hp = np.where(
            (t_prev >= 0)[:, None], keras_h[b_idx, np.maximum(t_prev, 0)], h0[b_idx]
        )
        step = gru_replay(xp[mp][None], hp[None], params)
        z, r, h_tilde, hu_h, h_new = (np.full(keras_h.shape, np.nan) for _ in range(5))
        for full, part in zip(
            (z, r, h_tilde, hu_h, h_new),
            (step.z[0], step.r[0], step.h_tilde[0], step.hu_h[0], step.h[0]),
        ):
            full[mp] = part
    step_err = _err(h_new[mp], keras_h[mp])
    h = _carried(h_new, mp, h0, before=False) if masked_steps else h_new
    cache = GRUCache(xp, h0, h, z, r, h_tilde, hu_h, mp, step.params)
    # The layer's own output as the replay gives it, for the second check.
    if getattr(sub, "return_sequences", False):
        out = h if masked_steps else _carried(h_new, mp, h0, before=False)
        if getattr(sub, "zero_output_for_mask", False):
            out = np.where(mp[..., None], out, 0.0)
    elif masked_steps or mp[:, -1].all():
        out = h[:, -1]
    else:
        final = np.flatnonzero(mp.any(axis=1))
        last_step = time - 1 - np.argmax(mp[:, ::-1], axis=1)
        out = h0.copy()
        out[final] = h_new[final, last_step[final]]
    return params, back, cache, out, step_err


def _err(a: np.ndarray, b: np.ndarray) -> float:
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return float("inf")
    d = np.abs(a - b)
    return float(d.max()) if d.size else 0.0


def _merge(mode: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return {"sum": a + b, "ave": (a + b) / 2, "mul": a * b}[mode]


def _replay_entry(
    entry: _Entry, values: list[np.ndarray], params: list[np.ndarray], tolerance: float,
    masked_steps: bool = True,
) -> list[GateTrace]:
    x = values[entry.x]
    batch, time = x.shape[:2]
    mask = (
        np.ones((batch, time), dtype=bool)
        if entry.mask is None
        else np.asarray(values[entry.mask], dtype=bool).reshape(batch, time)
    )
    outs = [values[i] for i in entry.out]
    h0s = [np.asarray(values[i], dtype=np.float64) for i in entry.h0]
    layer = entry.layer
    replays = []
    for k, (_, sub) in enumerate(entry.directions):
        h0 = None
        if h0s:
            h0 = h0s[0] if len(entry.directions) == 1 else h0s[k * len(h0s) // 2]
        states = values[entry.states[k]]
        weights = [params[i] for i in entry.weights[k]]
        replays.append(
            _replay_direction(sub, x, mask, h0, states, weights, masked_steps)
        )

    # The layer's own output(s), laid out as Keras lays them out.
    errors: list[float]
    if len(entry.directions) == 1:
        _, _, cache, out, _ = replays[0]
        err = _err(out, outs[0])
        for state in outs[1:]:  # return_state=True
            err = max(err, _err(cache.h[:, -1], state))
        errors = [err]
    else:
        (_, _, cf, yf, _), (_, _, cb, yb, _) = replays
        if layer.return_sequences:
            yb = yb[:, ::-1]  # Bidirectional flips the backward output back
        mode = layer.merge_mode
        states = outs[2:] if mode is None else outs[1:]
        if mode == "concat":
            nf = yf.shape[-1]
            errors = [_err(yf, outs[0][..., :nf]), _err(yb, outs[0][..., nf:])]
        elif mode is None:
            errors = [_err(yf, outs[0]), _err(yb, outs[1])]
        else:
            e = _err(_merge(mode, yf, yb), outs[0])
            errors = [e, e]
        if len(states) == 2:
            errors = [
                max(errors[0], _err(cf.h[:, -1], states[0])),
                max(errors[1], _err(cb.h[:, -1], states[1])),
            ]

    traces = []
    for (direction, sub), (params, back, cache, _, step_err), err in zip(
        entry.directions, replays, errors
    ):
        err = max(err, step_err)
        if not err <= tolerance:
            raise ReplayError(_replay_message(layer, direction, sub, err, tolerance))
        traces.append(
            GateTrace(
                layer_name=layer.name,
                direction=direction,
                z=_to_input_order(cache.z, back),
                r=_to_input_order(cache.r, back),
                h_tilde=_to_input_order(cache.h_tilde, back),
                h=_to_input_order(cache.h, back),
                mask=mask,
                x=x,
                params=params,
                max_abs_error=err,
                go_backwards=back,
                return_sequences=bool(getattr(sub, "return_sequences", False)),
                cache=cache,
            )
        )
    return traces


def _replay_message(layer: Any, direction: str, sub: Any, err: float, tol: float) -> str:
    msg = (
        f"the NumPy replay of GRU layer {layer.name!r} ({direction}) does not "
        f"reproduce the layer's own output: max |h_replay - h_keras| = {err:.3g} "
        f"> {tol:g}. Its gate values would be wrong, so they are not shown."
    )
    dtype = str(getattr(sub, "compute_dtype", "float32"))
    if dtype not in ("float32", "float64"):
        return msg + f" The layer computes in {dtype}; trace a float32 copy of the model."
    return msg + (
        " Did the weights change during the trace, or does the layer use a "
        "setting gru_edu.cell does not model? (Weights far from trained or "
        "Keras-initialised ones can amplify float32 rounding over hundreds of "
        "steps; then the layer itself drifts, and a larger tolerance= accepts it.)"
    )


def _trace(
    model: Any, inputs: Any, tolerance: float, masked_steps: bool = True
) -> tuple[list[GateTrace], list[np.ndarray]]:
    plan = _plan(model)
    arrays = _prepare(plan, inputs)
    values, weights = plan.run(arrays)
    traces: list[GateTrace] = []
    with _one_blas_thread():
        for entry in plan.entries:
            traces += _replay_entry(entry, values, weights, tolerance, masked_steps)
    return traces, [values[i] for i in plan.model_out]


# ---------------------------------------------------------------- public API


def trace(model: Any, inputs: Any, *, tolerance: float = TOLERANCE) -> list[GateTrace]:
    """Replay every GRU layer of ``model`` on ``inputs`` and return its gates.

    Args:
        model: a built Keras model (Sequential or functional; a trained
            bundle with a ``.model`` works too) with one or more ``GRU`` or
            ``Bidirectional(GRU)`` layers.
        inputs: what the model takes: word ids ``(batch, time)`` for a model
            that starts with an ``Embedding``, or features
            ``(batch, time, features)``. One sequence without the batch axis
            is accepted too.
        tolerance: largest accepted ``max |h_replay - h_keras|``.

    Returns:
        One :class:`GateTrace` per GRU layer in model order, two for a
        ``Bidirectional`` layer (forward, then backward).

    Raises:
        NoGRULayerError: the model has no GRU layer.
        ReplayError: the replay does not reproduce the layer's output.
    """
    return _trace(_keras_model(model), inputs, tolerance)[0]


def _word(vocab: Any, i: int) -> Any:
    if vocab is None:
        return int(i)
    words = vocab.decode([int(i)]) if int(i) != PAD else ["<pad>"]
    return words[0] if words else str(int(i))


def _decode_each(vocab: Any, ids: Sequence[int]) -> list[str]:
    real = [i for i in ids if i != PAD]
    words = list(vocab.decode(real))
    if len(words) != len(real):  # a decode that drops markers: one at a time
        words = [_word(vocab, i) for i in real]
    it = iter(words)
    return ["<pad>" if i == PAD else next(it) for i in ids]


def trace_text(trained: Any, text: str, *, tolerance: float = TOLERANCE) -> TextTrace:
    """Trace the gates while the model reads a typed review.

    ``trained`` has ``.model``, ``.vocab`` (``encode(text)`` → ids with the
    start marker 1 and unknown words as 2; ``decode(ids)`` → words),
    ``.maxlen`` and ``.padding`` (``"post"``/``"pre"``) — a
    :class:`gru_edu.models.TrainedModel`. The review is encoded, truncated
    (``trained.truncating``, default ``"pre"`` as ``pad_sequences``) and padded
    to ``maxlen`` exactly as the training reviews were.

    A review longer than ``maxlen`` is truncated with a
    :class:`TruncationWarning`, and the result says so (``.truncated``,
    ``.note``). An empty review raises :class:`EmptyReviewError`; one made only
    of words the vocabulary does not know raises :class:`UnknownWordsError`.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    model = _keras_model(trained)
    vocab = trained.vocab
    maxlen = int(trained.maxlen)
    padding = getattr(trained, "padding", "post")
    truncating = getattr(trained, "truncating", "pre")
    ids = [int(i) for i in vocab.encode(text)]
    words_only = [i for i in ids if i not in (PAD, START)]
    if not text.strip() or not words_only:
        raise EmptyReviewError(
            "the review is empty: there is no word for the model to read. "
            "Type a sentence, e.g. 'a wonderful film with a moving story'."
        )
    if all(i == OOV for i in words_only):
        size = len(vocab) if hasattr(vocab, "__len__") else "its"
        raise UnknownWordsError(
            f"none of the {len(words_only)} word(s) of this review is in the "
            f"model's vocabulary ({size} words), so the model would read only "
            "the unknown-word marker <unk>. Try common English words."
        )
    typed: list[str] = []
    if hasattr(vocab, "tokenize"):
        tokens = list(vocab.tokenize(text))
        if len(tokens) == len(ids) - 1:
            typed = ["<start>"] + tokens
    if not typed:
        typed = _decode_each(vocab, ids)

    truncated, note = len(ids) > maxlen, ""
    if truncated:
        dropped = len(ids) - maxlen
        keep = slice(dropped, None) if truncating == "pre" else slice(0, maxlen)
        where = "first" if truncating == "pre" else "last"
        note = (
            f"the review has {len(ids)} tokens (start marker included) but the "
            f"model reads at most {maxlen}: the {where} {dropped} were dropped "
            f"(truncating={truncating!r}, as for the training reviews)"
        )
        warnings.warn(note, TruncationWarning, stacklevel=2)
        ids, typed = ids[keep], typed[keep]
    pad = maxlen - len(ids)
    start = pad if padding == "pre" else 0
    padded = [PAD] * pad + ids if padding == "pre" else ids + [PAD] * pad
    typed = [""] * pad + typed if padding == "pre" else typed + [""] * pad
    arr = np.asarray(padded, dtype=np.int64)
    traces, outputs = _trace(model, arr[None], tolerance)
    pred = np.asarray(outputs[0])[0] if outputs else None
    if pred is not None and pred.size == 1:
        pred = float(pred.reshape(-1)[0])
    return TextTrace(
        text=text,
        ids=arr,
        words=_decode_each(vocab, padded),
        typed=typed,
        traces=traces,
        review=slice(start, start + len(ids)),
        prediction=pred,
        truncated=truncated,
        note=note,
    )


#: Layers that act on each time step alone, so they may follow the last GRU
#: in :func:`sentiment_so_far`.
_PER_STEP = (
    "Dense", "Dropout", "GaussianNoise", "GaussianDropout", "AlphaDropout",
    "Activation", "ReLU", "LeakyReLU", "ELU", "Softmax",
    "LayerNormalization", "BatchNormalization",
)


def _head(model: Any, plan: _Plan) -> tuple[_Entry, list[Any]]:
    """The last GRU entry and the per-step layers from it to the output."""
    entry = plan.entries[-1]
    if len(entry.directions) != 1:
        raise UnsupportedModelError(
            f"the last GRU layer {entry.layer.name!r} is bidirectional: its "
            "backward half at step t has read the words after t, so there is "
            "no 'prediction so far' to show"
        )
    if len(model.outputs) != 1:
        raise UnsupportedModelError("sentiment_so_far needs a model with one output")
    layers_ = list(model.layers)
    current = entry.node.output_tensors[0]
    head = []
    for layer in layers_[layers_.index(entry.layer) + 1:]:
        node = _model_node(model, layer)
        x, _, _ = _node_inputs(node)
        if x is not current:
            raise UnsupportedModelError(
                f"layer {layer.name!r} does not read the last GRU's output "
                "directly; sentiment_so_far needs GRU → Dense layers in a chain"
            )
        if type(layer).__name__ not in _PER_STEP:
            raise UnsupportedModelError(
                f"layer {layer.name!r} ({type(layer).__name__}) after the last GRU "
                "mixes time steps, so it cannot be applied to each state h_t; "
                "sentiment_so_far needs GRU → Dense (and Dropout/Activation) only"
            )
        head.append(layer)
        current = node.output_tensors[0]
    if current is not model.outputs[0]:
        raise UnsupportedModelError(
            "the last GRU's output does not lead straight to the model's output"
        )
    return entry, head


def sentiment_so_far(model: Any, traced: Any) -> np.ndarray:
    """The model's output read after every word: its head applied to each ``h_t``.

    For a model ending ``GRU → Dense(s)`` (Dropout and activations allowed)
    the prediction is the head applied to the GRU's last state; applying the
    same layers to every ``h_t`` shows what the model would say had the
    review stopped after word ``t`` — and where the prediction flips.

    Args:
        model: the Keras model (or a trained bundle with ``.model``).
        traced: a :class:`TextTrace`, a list of traces from :func:`trace`, or
            the last GRU layer's :class:`GateTrace`.

    Returns:
        ``(batch, time, outputs)`` array, input time order. At the last step
        that was read it equals the model's prediction.
    """
    model = _keras_model(model)
    entry, head = _head(model, _plan(model))
    if isinstance(traced, TextTrace):
        traced = traced.traces
    if isinstance(traced, GateTrace):
        traced = [traced]
    found = [t for t in traced if t.layer_name == entry.layer.name]
    if not found:
        raise GatesError(
            f"no trace of the last GRU layer {entry.layer.name!r} was given"
        )
    out = found[0].h.astype(entry.layer.compute_dtype)
    for layer in head:
        out = layer(out, training=False)
    return np.asarray(out, dtype=np.float64)


# ------------------------------------------------------------ statistics


class _Accumulator:
    """Running sums for one GateStats."""

    def __init__(self, units: int, vocab_size: int | None) -> None:
        self.n = 0
        self.reviews = 0
        self.err = 0.0
        self.sum = {g: np.zeros(units) for g in GATES}
        self.sq = {g: np.zeros(units) for g in GATES}
        self.min = {g: np.full(units, np.inf) for g in GATES}
        self.max = {g: np.full(units, -np.inf) for g in GATES}
        self.write = np.zeros(units)
        self.vocab_size = vocab_size
        if vocab_size:
            self.writes_at = np.zeros((units, vocab_size), dtype=np.int64)
            self.keeps_at = np.zeros((units, vocab_size), dtype=np.int64)
            self.z_by_word = np.zeros((units, vocab_size))
            self.words = np.zeros(vocab_size, dtype=np.int64)

    def add(self, t: GateTrace, ids: np.ndarray | None) -> None:
        mask = t.mask
        valid = mask.any(axis=1)
        self.reviews += int(valid.sum())
        self.err = max(self.err, t.max_abs_error)
        self.n += int(mask.sum())
        for g in GATES:
            v = t.gate(g)[mask]  # (n_valid, units)
            self.sum[g] += v.sum(axis=0)
            self.sq[g] += np.einsum("ij,ij->j", v, v)
            if len(v):
                np.minimum(self.min[g], v.min(axis=0), out=self.min[g])
                np.maximum(self.max[g], v.max(axis=0), out=self.max[g])
        z_valid = t.z[mask]
        self.write += (z_valid < 0.5).sum(axis=0)
        if ids is None or not self.vocab_size:
            return
        units = t.units
        z = t.z
        lo = np.where(mask[..., None], z, np.inf).argmin(axis=1)  # (batch, units)
        hi = np.where(mask[..., None], z, -np.inf).argmax(axis=1)
        rows = np.flatnonzero(valid)
        unit_idx = np.broadcast_to(np.arange(units), (len(rows), units))
        np.add.at(self.writes_at, (unit_idx, ids[rows[:, None], lo[rows]]), 1)
        np.add.at(self.keeps_at, (unit_idx, ids[rows[:, None], hi[rows]]), 1)
        w = ids[mask]
        V = self.vocab_size
        self.words += np.bincount(w, minlength=V)
        flat = (np.arange(units)[None, :] * V + w[:, None]).ravel()
        self.z_by_word += np.bincount(
            flat, weights=z_valid.ravel(), minlength=units * V
        ).reshape(units, V)

    def result(self, t: GateTrace, top_k: int, vocab: Any) -> GateStats:
        n = max(self.n, 1)
        mean = {g: self.sum[g] / n for g in GATES}
        std = {g: np.sqrt(np.maximum(self.sq[g] / n - mean[g] ** 2, 0.0)) for g in GATES}

        def top(counts: np.ndarray) -> list[list[tuple[Any, int]]]:
            result = []
            for row in counts:
                order = np.argsort(-row, kind="stable")[:top_k]
                result.append([(_word(vocab, i), int(row[i])) for i in order if row[i]])
            return result

        has_words = bool(self.vocab_size)
        return GateStats(
            layer_name=t.layer_name,
            direction=t.direction,
            units=t.units,
            n_reviews=self.reviews,
            n_steps=self.n,
            mean=mean,
            std=std,
            min=self.min,
            max=self.max,
            frac_write=self.write / n,
            writes_at=top(self.writes_at) if has_words else None,
            keeps_at=top(self.keeps_at) if has_words else None,
            max_abs_error=self.err,
            word_counts=self.words if has_words else None,
            z_sum_by_word=self.z_by_word if has_words else None,
            vocab=vocab,
        )


def gate_statistics(
    model: Any,
    inputs: Any,
    *,
    batch_size: int = 64,
    top_k: int = 10,
    vocab: Any = None,
    tolerance: float = TOLERANCE,
    progress: bool = False,
) -> list[GateStats]:
    """Per-unit gate statistics of every GRU layer over many sequences.

    The sequences are traced ``batch_size`` at a time (each batch checks
    itself against Keras, as :func:`trace` does); only running sums are
    kept, so memory does not grow with the number of reviews.

    Args:
        model: the Keras model (or a trained bundle: its ``.vocab`` is then
            used to turn word ids into words).
        inputs: ``(n, time)`` word ids (or ``(n, time, features)``).
        batch_size: sequences per Keras call and per replay.
        top_k: words listed per unit in ``writes_at`` / ``keeps_at``.
        vocab: turns ids into words (``decode``); ids are reported without.
        progress: show a tqdm progress bar.

    Returns:
        One :class:`GateStats` per GRU layer and direction, as :func:`trace`.
    """
    if vocab is None and not isinstance(model, keras.Model):
        vocab = getattr(model, "vocab", None)
    model = _keras_model(model)
    plan = _plan(model)
    if plan.n_inputs != 1:
        raise UnsupportedModelError("gate_statistics takes models with one input")
    data = np.asarray(inputs)
    if data.ndim == len(plan.input_specs[0][0]) - 1:
        data = data[None]
    if data.shape[0] == 0:
        raise EmptyReviewError("no sequences given")
    ids = None
    vocab_size = None
    if np.issubdtype(data.dtype, np.integer) and data.ndim == 2:
        ids = data
        vocab_size = int(data.max()) + 1
    batch_size = max(1, int(batch_size))
    starts = range(0, len(data), batch_size)
    if progress:
        from .config import progress_bar

        starts = progress_bar(starts, desc="gate statistics", unit="batch")
    accs: list[_Accumulator] | None = None
    last: list[GateTrace] = []
    for s in starts:
        chunk = data[s: s + batch_size]
        n = len(chunk)
        if n < batch_size and s > 0:  # same shape as before: no recompilation
            chunk = np.concatenate([chunk, np.repeat(chunk[:1], batch_size - n, 0)])
        traces, _ = _trace(model, chunk, tolerance, masked_steps=False)
        if accs is None:
            accs = [_Accumulator(t.units, vocab_size) for t in traces]
        for acc, t in zip(accs, traces):
            if n < len(chunk):
                t = _rows(t, n)
            acc.add(t, None if ids is None else ids[s: s + n])
        last = traces
    assert accs is not None
    return [acc.result(t, top_k, vocab) for acc, t in zip(accs, last)]


def _rows(t: GateTrace, n: int) -> GateTrace:
    """The first ``n`` sequences of a trace (padding rows dropped)."""
    return replace(
        t,
        **{g: getattr(t, g)[:n] for g in GATES},
        mask=t.mask[:n],
        x=t.x[:n],
    )
