"""Getting at what a GRU layer received inside a Keras model.

One compiled Keras pass (a :class:`GatePlan`, cached per model) gives every
GRU layer's input, mask and all of its states ``h_t``, together with the
weights it used; the replay in :mod:`gru_edu.gates.replay` starts from
them.
"""

from __future__ import annotations

import warnings
import weakref
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .. import config  # noqa: E402

config.quiet_tensorflow()  # before keras: no start-up log lines

import keras  # noqa: E402

from ..cell.numpy_gru import GRUParams  # noqa: E402
from .errors import NoGRULayerError, UnsupportedModelError


def keras_model(obj: Any) -> Any:
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


def model_node(model: Any, layer: Any) -> Any:
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


def node_inputs(node: Any) -> tuple[Any, Any, Any]:
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
class GRUEntry:
    """One top-level GRU or Bidirectional(GRU) layer of a :class:`GatePlan`:
    the positions of its data among the plan's outputs."""

    layer: Any
    directions: list[tuple[str, Any]]  # ("forward", sublayer), ...
    x: int
    mask: int | None
    h0: list[int]
    out: list[int]
    node: Any = field(repr=False)
    states: list[int] = field(default_factory=list)  # per direction: every h_t
    weights: list[list[int]] = field(default_factory=list)  # per direction


def direction_state(h0: list[Any], k: int, n_directions: int) -> Any:
    """The initial state of direction ``k`` among the layer's initial states
    ``h0`` (None if it has none): a Bidirectional layer takes the forward
    states first, then the backward ones."""
    if not h0:
        return None
    return h0[0] if n_directions == 1 else h0[k * len(h0) // 2]


class _Outputs:
    """The tensors a plan computes, each once; :meth:`add` gives a position."""

    def __init__(self) -> None:
        self.tensors: list[Any] = []
        self._index: dict[int, int] = {}

    def add(self, t: Any) -> int:
        if id(t) not in self._index:
            self._index[id(t)] = len(self.tensors)
            self.tensors.append(t)
        return self._index[id(t)]


class GatePlan:
    """Per-model extraction, built once: the GRU layers and one compiled call.

    The call is a sub-model from the model's inputs to every GRU layer's
    input, mask, initial state and all of its states, plus the model's
    outputs, run as one XLA-compiled function (TensorFlow backend) so that a
    trace costs one fast Keras forward pass for its self-check.
    """

    def __init__(self, model: Any) -> None:
        self.model_name = model.name
        inputs = _model_inputs(model)
        self.input_specs = [(tuple(t.shape), str(t.dtype)) for t in inputs]
        self.layer_names = [layer.name for layer in model.layers]
        self.entries: list[GRUEntry] = []
        outputs = _Outputs()
        variables: list[Any] = []  # every GRU's kernel, recurrent kernel, bias
        others: dict[str, list[str]] = {}
        nested: list[str] = []
        for layer in model.layers:
            dirs = _gru_directions(layer)
            if dirs is not None:
                self.entries.append(_entry(model, layer, dirs, outputs, variables))
            elif kind := _recurrent_kind(layer):
                others.setdefault(kind, []).append(layer.name)
            elif isinstance(layer, keras.Model) and _find_grus(layer):
                nested.append(layer.name)
        if not self.entries:
            error = UnsupportedModelError if nested else NoGRULayerError
            raise error(_no_gru_message(model, others, nested))
        self.model_out = [outputs.add(t) for t in model.outputs]
        self.n_inputs = len(inputs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.sub = keras.Model(inputs[0] if len(inputs) == 1 else inputs,
                                   outputs.tensors)
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


def _model_inputs(model: Any) -> list[Any]:
    try:
        return list(model.inputs)
    except (AttributeError, ValueError) as exc:
        raise UnsupportedModelError(
            f"model {model.name!r} is not built yet: give it a keras.Input "
            "or call it once on a batch, then trace it"
        ) from exc


def _gru_directions(layer: Any) -> list[tuple[str, Any]] | None:
    """``[("forward", gru)]``, the two halves of a Bidirectional(GRU), or
    None for any other layer; a stateful GRU is refused."""
    if isinstance(layer, keras.layers.Bidirectional) and _is_gru(layer.forward_layer):
        dirs = [("forward", layer.forward_layer), ("backward", layer.backward_layer)]
    elif _is_gru(layer):
        dirs = [("forward", layer)]
    else:
        return None
    if any(getattr(sub, "stateful", False) for _, sub in dirs):
        raise UnsupportedModelError(
            f"{layer.name}: a stateful GRU carries its state between "
            "calls, so a replay from zeros cannot match it; build the "
            "model with stateful=False (same weights) to trace it"
        )
    return dirs


def _entry(model: Any, layer: Any, dirs: list[tuple[str, Any]], outputs: _Outputs,
           variables: list[Any]) -> GRUEntry:
    """The :class:`GRUEntry` of one GRU layer; its tensors go into
    ``outputs`` and its weight variables into ``variables``."""
    node = model_node(model, layer)
    x, mask, h0 = node_inputs(node)
    h0_list = [] if h0 is None else list(h0 if isinstance(h0, (list, tuple)) else [h0])
    states, weights = [], []
    for k, (_, sub) in enumerate(dirs):
        GRUParams.from_keras(sub)  # a GRU gru_edu.cell can replay, or say why not
        weights.append(list(range(len(variables), len(variables) + 3)))
        variables.extend(sub.cell.weights)
        h0_k = direction_state(h0_list, k, len(dirs))
        states.append(outputs.add(_state_sequence(sub, x, mask, h0_k)))
    return GRUEntry(
        layer,
        dirs,
        outputs.add(x),
        None if mask is None else outputs.add(mask),
        [outputs.add(t) for t in h0_list],
        [outputs.add(t) for t in node.output_tensors],
        node,
        states,
        weights,
    )


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


class ModelCache:
    """One object built per Keras model (``build(model)``), kept while the
    model lives and rebuilt when its layers change.

    Every cache made is listed, so :func:`clear_cache` empties them all
    without knowing the modules that made them.
    """

    _all: list["ModelCache"] = []

    def __init__(self, build: Callable[[Any], Any]) -> None:
        self.build = build
        self._items: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        ModelCache._all.append(self)

    def get(self, model: Any) -> Any:
        """The object built for ``model``; built now if missing or stale."""
        item = self._items.get(model)
        if item is None or item.layer_names != [layer.name for layer in model.layers]:
            item = self._items[model] = self.build(model)
        return item

    def clear(self, model: Any = None) -> None:
        """Forget ``model``'s object (every model's if None)."""
        if model is None:
            self._items.clear()
        else:
            self._items.pop(model, None)

    def __contains__(self, model: Any) -> bool:
        return model in self._items


#: The :class:`GatePlan` of each model.
_PLANS = ModelCache(GatePlan)


def gate_plan(model: Any) -> GatePlan:
    """The :class:`GatePlan` of a Keras ``model``, built on first use."""
    return _PLANS.get(model)


def clear_cache(model: Any = None) -> None:
    """Forget what was compiled for ``model`` (for every model if None): its
    gate extraction and its gradient function (:mod:`.connectivity`)."""
    if model is not None:
        model = keras_model(model)
    for cache in ModelCache._all:
        cache.clear(model)
