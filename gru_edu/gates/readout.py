"""What the model reads out of its states, step by step.

:func:`sentiment_so_far` applies the layers after the last GRU to every
``h_t``; :func:`sentiment_crossings` finds where the prediction flips;
:func:`unit_sentiment_correlation` says which units follow it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import GatesError, UnsupportedModelError
from .keras_plumbing import (
    GatePlan, GRUEntry, gate_plan, keras_model, model_node, node_inputs,
)
from .replay import GateTrace
from .text import TextTrace


#: Layers that act on each time step alone, so they may follow the last GRU
#: in :func:`sentiment_so_far`.
_PER_STEP = (
    "Dense", "Dropout", "GaussianNoise", "GaussianDropout", "AlphaDropout",
    "Activation", "ReLU", "LeakyReLU", "ELU", "Softmax",
    "LayerNormalization", "BatchNormalization",
)


def _head(model: Any, plan: GatePlan) -> tuple[GRUEntry, list[Any]]:
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
        node = model_node(model, layer)
        x, _, _ = node_inputs(node)
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
    if not head:
        raise UnsupportedModelError(
            f"the model's output is the states of GRU {entry.layer.name!r} "
            "themselves (a language model's, say): there is no prediction to read "
            "after every word"
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
    model = keras_model(model)
    entry, head = _head(model, gate_plan(model))
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


def sentiment_crossings(sentiment: np.ndarray, level: float = 0.5) -> np.ndarray:
    """Steps ``t`` at which the curve lands on the other side of ``level``.

    ``t`` is listed when ``s[t-1] < level <= s[t]`` or ``s[t-1] >= level >
    s[t]``: the word read at step ``t`` flipped the prediction.
    """
    s = np.asarray(sentiment, dtype=float).reshape(-1)
    above = s >= level
    return np.flatnonzero(above[1:] != above[:-1]) + 1


def unit_sentiment_correlation(h: np.ndarray,
                               sentiment: np.ndarray | None) -> np.ndarray:
    """Pearson correlation over one review's steps of each unit's ``h_t``
    with the sentiment so far, ``(units,)``; 0 where either is constant."""
    h = np.asarray(h, dtype=float)
    if sentiment is None or len(h) < 2:
        return np.zeros(h.shape[1])
    s = np.asarray(sentiment, dtype=float).reshape(-1)
    hc, sc = h - h.mean(axis=0), s - s.mean()
    denom = np.sqrt((hc ** 2).sum(axis=0) * (sc ** 2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = (hc * sc[:, None]).sum(axis=0) / denom
    return np.where(denom > 1e-12, corr, 0.0)
