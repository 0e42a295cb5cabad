"""One GRU, four ways of writing it: converters between Keras, PyTorch/cuDNN
and the papers, and each convention's equations as a small NumPy reference.

The same function is written down in incompatible ways, and porting weights
or reading a paper against a library goes wrong in the same places:

* **Keras** ``GRU`` (default ``reset_after=True``): gate blocks ``[z | r | h]``
  along the last axis, kernel ``(in, 3n)``, bias ``(2, 3n)`` (input row,
  recurrent row), reset gate *after* the recurrent product,
  ``h_t = z h_{t-1} + (1 − z) h̃_t``.
* **Keras** ``reset_after=False`` = **Cho et al. 2014** (eq. 5–8) = d2l:
  the same, with one bias ``(3n,)`` and the reset gate *before* the
  recurrent product.
* **PyTorch** ``nn.GRU`` = **cuDNN**: row blocks ``[r | z | n]``,
  ``weight_ih`` ``(3n, in)``, ``weight_hh`` ``(3n, n)``, two biases
  ``bias_ih``, ``bias_hh``; reset after the product; ``h_t = (1 − z) n +
  z h_{t-1}``.
* **Chung et al. 2014** (eq. 5) and many tutorials: the update gate
  weighs the *candidate*, ``h_t = (1 − z) h_{t-1} + z h̃_t``.

Keras ``reset_after=True`` and PyTorch are the *same* equations: only the
order of the gate blocks, the orientation of the matrices and the names
differ, so :func:`to_torch` and :func:`from_torch` are exact (a reordering and
a transpose, no arithmetic). ``reset_after=False`` applies the reset gate
before the recurrent product; PyTorch cannot express it, and :func:`to_torch`
says so. Chung et al. write ``h_t = (1 − z_t) h_{t-1} + z_t h̃_t``; since
``1 − σ(a) = σ(−a)``, negating the update gate's weights and biases
(:func:`flip_update_gate`) turns a Keras GRU into the same function written in
Chung's convention, and back.

The references, one step each (``x_t`` ``(batch, in)``, ``h_prev``
``(batch, n)``), run over a sequence by :func:`run`:

* :func:`step_keras` – Keras, both ``reset_after`` variants (``False`` is
  Cho et al. 2014): :func:`gru_edu.cell.gru_step`;
* :func:`step_torch` – PyTorch's documented ``nn.GRU`` equations, on its own
  weight names and shapes;
* :func:`step_chung` – the Keras gates with Chung's ``(1 − z)`` mix.

Everything here is NumPy: no PyTorch is needed to convert. A ``state_dict``
saved as ``.npz`` (``np.savez(path, **{k: v.numpy() for k, v in
sd.items()})``) loads with ``from_torch(np.load(path))``; ``to_torch``'s
arrays load into ``torch.nn.GRU`` with ``torch.from_numpy``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

import numpy as np

from .numpy_gru import GRUParams, gru_step, sigmoid

__all__ = [
    "TORCH_NAMES",
    "from_torch",
    "to_torch",
    "torch_arrays",
    "flip_update_gate",
    "step_keras",
    "step_torch",
    "step_chung",
    "run",
]

#: PyTorch's names of one layer's four arrays, in ``nn.GRU``'s own order
#: (``gru.all_weights[layer]``); ``{layer}`` is the layer index.
TORCH_NAMES = ("weight_ih_l{layer}", "weight_hh_l{layer}",
               "bias_ih_l{layer}", "bias_hh_l{layer}")

_KEY = re.compile(
    r"^(?P<prefix>.*?)(?P<kind>weight|bias)_(?P<side>ih|hh)_l(?P<layer>\d+)"
    r"(?P<reverse>_reverse)?$"
)


# --------------------------------------------------------------- reordering
# Keras stores the gate blocks [z | r | h] along the last axis, PyTorch
# [r | z | n] along the first. Both helpers take and return the Keras side's
# block axis last; only slices and concatenation, so conversions are exact.


def _keras_to_torch_blocks(a: np.ndarray) -> np.ndarray:
    z, r, h = np.split(a, 3, axis=-1)
    return np.concatenate([r, z, h], axis=-1)


def _torch_to_keras_blocks(a: np.ndarray) -> np.ndarray:
    r, z, n = np.split(a, 3, axis=-1)
    return np.concatenate([z, r, n], axis=-1)


def _as_array(value: Any, name: str) -> np.ndarray:
    """A NumPy array from an array, a list, or a CPU ``torch.Tensor``."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # torch.Tensor
        value = value.detach().cpu().numpy()
    try:
        arr = np.asarray(value)
    except Exception as exc:  # e.g. a CUDA tensor without .cpu()
        raise ValueError(f"{name}: cannot read it as a NumPy array ({exc})") from exc
    if arr.dtype.kind not in "fiu":
        raise ValueError(f"{name}: expected numbers, got dtype {arr.dtype}")
    return arr


# --------------------------------------------------------------- from PyTorch


def _gru_keys(keys: Sequence[str], prefix: str | None) -> dict[str, list[re.Match]]:
    """The ``nn.GRU`` keys of a state_dict, grouped by their prefix."""
    groups: dict[str, list[re.Match]] = {}
    for key in keys:
        m = _KEY.match(key)
        if m and (prefix is None or m["prefix"] == prefix):
            groups.setdefault(m["prefix"], []).append(m)
    if not groups:
        shown = ", ".join(sorted(keys)[:8]) + (", ..." if len(keys) > 8 else "")
        where = f" with prefix {prefix!r}" if prefix is not None else ""
        raise ValueError(
            f"no torch.nn.GRU keys{where} (weight_ih_l0, weight_hh_l0, "
            f"bias_ih_l0, bias_hh_l0) in this state_dict; its keys: {shown}"
        )
    return groups


def torch_arrays(
    state_dict_or_arrays: Mapping[str, Any] | Sequence[Any] | str | os.PathLike,
    layer: int = 0,
    *,
    prefix: str | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One layer's ``weight_ih, weight_hh, bias_ih, bias_hh``, checked.

    Accepts what :func:`from_torch` accepts. Returns NumPy arrays in PyTorch's
    shapes ``(3n, in)``, ``(3n, n)``, ``(3n,)``, ``(3n,)``; raises
    ``ValueError`` naming the problem (bidirectional keys, a missing layer or
    key, a wrong shape) otherwise.
    """
    src = state_dict_or_arrays
    if isinstance(src, (str, os.PathLike)):
        with np.load(src) as npz:
            return torch_arrays(dict(npz), layer, prefix=prefix)
    if isinstance(src, Mapping):
        names, arrays = _layer_from_state_dict(src, layer, prefix)
    else:
        names, arrays = _layer_from_four_arrays(src, layer)
    _check_torch_shapes(names, arrays)
    w_ih, w_hh, b_ih, b_hh = arrays
    return w_ih, w_hh, b_ih, b_hh


def _layer_from_state_dict(src: Mapping[str, Any], layer: int, prefix: str | None
                           ) -> tuple[list[str], list[np.ndarray]]:
    """The four keys and arrays of one GRU layer of a ``state_dict``, or a ValueError."""
    groups = _gru_keys(list(src.keys()), prefix)
    if len(groups) > 1:
        prefixes = ", ".join(repr(p) for p in sorted(groups))
        raise ValueError(
            f"this state_dict holds several GRUs (key prefixes {prefixes});"
            " choose one with prefix=..."
        )
    (pre, matches), = groups.items()
    reverse = sorted(m.string for m in matches if m["reverse"])
    if reverse:
        raise ValueError(
            f"a bidirectional torch.nn.GRU ({reverse[0]}, ...): GRUParams "
            "holds one direction. Convert each direction on its own from "
            "its four arrays, e.g. from_torch([sd['weight_ih_l0_reverse'], "
            "sd['weight_hh_l0_reverse'], sd['bias_ih_l0_reverse'], "
            "sd['bias_hh_l0_reverse']]) for the backward one."
        )
    layers = sorted({int(m["layer"]) for m in matches})
    if layer not in layers:
        raise ValueError(
            f"layer={layer}: this state_dict holds the GRU layer(s) "
            f"{', '.join(map(str, layers))} (num_layers={len(layers)})"
        )
    names = [pre + n.format(layer=layer) for n in TORCH_NAMES]
    missing = [n for n in names if n not in src]
    if missing:
        hint = (" A GRU built with bias=False has no biases: pass four "
                "arrays with zero biases instead."
                if all("bias" in n for n in missing) else "")
        raise ValueError(f"missing key(s) {', '.join(missing)}.{hint}")
    arrays = [_as_array(src[n], n) for n in names]
    return names, arrays


def _layer_from_four_arrays(src: Any, layer: int) -> tuple[list[str], list[np.ndarray]]:
    """Four arrays given as a sequence, named as PyTorch names layer 0's."""
    if layer != 0:
        raise ValueError(
            f"layer={layer} selects a layer's keys in a state_dict; four "
            "arrays are one layer already (pass layer=0)"
        )
    try:
        given: list[Any] = list(cast(Sequence[Any], src))
    except TypeError:
        raise ValueError(
            "expected a state_dict (a mapping of names to arrays), a path "
            "to an .npz file, or the four arrays weight_ih, weight_hh, "
            f"bias_ih, bias_hh; got {type(src).__name__}"
        ) from None
    if len(given) != 4:
        raise ValueError(
            f"expected the four arrays weight_ih, weight_hh, bias_ih, "
            f"bias_hh of one layer, got {len(given)}"
        )
    names = [n.format(layer=0) for n in TORCH_NAMES]
    arrays = [_as_array(a, n) for a, n in zip(given, names)]
    return names, arrays


def _check_torch_shapes(names: Sequence[str], arrays: Sequence[np.ndarray]) -> None:
    w_ih, w_hh, b_ih, b_hh = arrays
    n_ih, n_hh, n_bi, n_bh = names
    if w_hh.ndim != 2 or w_hh.shape[0] != 3 * w_hh.shape[1]:
        hint = ""
        if w_hh.ndim == 2 and w_hh.shape[1] == 3 * w_hh.shape[0]:
            hint = (" This is the Keras layout (units, 3*units): PyTorch's is"
                    " its transpose.")
        elif w_hh.ndim == 2 and w_hh.shape[0] == 4 * w_hh.shape[1]:
            hint = " 4*hidden_size rows: is this an LSTM?"
        raise ValueError(
            f"{n_hh}: expected shape (3*hidden_size, hidden_size), got "
            f"{w_hh.shape}.{hint}"
        )
    n = w_hh.shape[1]
    if w_ih.ndim != 2 or w_ih.shape[0] != 3 * n:
        hint = ""
        if w_ih.ndim == 2 and w_ih.shape[1] == 3 * n:
            hint = (" This is the Keras layout (input_size, 3*hidden_size):"
                    " PyTorch's is its transpose.")
        raise ValueError(
            f"{n_ih}: expected shape ({3 * n}, input_size) (3*hidden_size "
            f"rows, hidden_size={n} read from {n_hh}), got {w_ih.shape}.{hint}"
        )
    for name, b in ((n_bi, b_ih), (n_bh, b_hh)):
        if b.shape != (3 * n,):
            raise ValueError(
                f"{name}: expected shape ({3 * n},) (3*hidden_size), got "
                f"{b.shape}"
            )


def from_torch(
    state_dict_or_arrays: Mapping[str, Any] | Sequence[Any] | str | os.PathLike,
    layer: int = 0,
    *,
    prefix: str | None = None,
) -> GRUParams:
    """A ``torch.nn.GRU`` layer's weights as :class:`GRUParams` (Keras layout).

    Args:
        state_dict_or_arrays: a ``state_dict`` (``gru.state_dict()``, a whole
            model's, or ``np.load("weights.npz")``: any mapping of names to
            arrays or CPU tensors), a path to such an ``.npz`` file, or one
            layer's four arrays ``[weight_ih, weight_hh, bias_ih, bias_hh]``.
        layer: which layer of a ``num_layers > 1`` GRU (keys ``..._l{layer}``).
        prefix: the keys' prefix (``"encoder.gru."``) when a model's
            state_dict holds several GRUs; found by itself when it holds one.

    Returns:
        ``GRUParams`` with ``reset_after=True`` (PyTorch's equations), the
        same dtype: ``kernel = weight_ih.T`` and ``recurrent_kernel =
        weight_hh.T`` with the gate blocks reordered from ``[r | z | n]`` to
        ``[z | r | h]``, ``bias = [bias_ih; bias_hh]`` reordered alike.

    Raises:
        ValueError: for bidirectional keys (``_reverse``), a missing layer or
            key, or arrays whose shapes are not ``nn.GRU``'s.
    """
    w_ih, w_hh, b_ih, b_hh = torch_arrays(state_dict_or_arrays, layer, prefix=prefix)
    return GRUParams(
        kernel=_torch_to_keras_blocks(w_ih.T),
        recurrent_kernel=_torch_to_keras_blocks(w_hh.T),
        bias=_torch_to_keras_blocks(np.stack([b_ih, b_hh])),
        reset_after=True,
    )


def to_torch(
    params: GRUParams, layer: int = 0, prefix: str = ""
) -> dict[str, np.ndarray]:
    """:class:`GRUParams` as a ``torch.nn.GRU`` state_dict of NumPy arrays.

    Keys ``{prefix}weight_ih_l{layer}`` ``(3n, in)``, ``weight_hh_l{layer}``
    ``(3n, n)``, ``bias_ih_l{layer}`` and ``bias_hh_l{layer}`` ``(3n,)``, gate
    rows ``[r | z | n]``, contiguous, in the params' dtype. Load them with
    ``gru.load_state_dict({k: torch.from_numpy(v) for k, v in d.items()})``
    (a float64 GRU needs ``nn.GRU(..., dtype=torch.float64)``).

    Raises:
        ValueError: for ``reset_after=False``: PyTorch applies the reset gate
            after the recurrent product, which is a different function; with
            more than one unit no weights of ``nn.GRU`` compute Cho et al.'s
            candidate (with one, ``(r h) U = r (h U)``: the notebook's
            exercise).
    """
    if not isinstance(params, GRUParams):
        raise TypeError(f"params must be GRUParams, got {type(params).__name__}")
    if not params.reset_after:
        raise ValueError(
            "reset_after=False (Cho et al. 2014) has no PyTorch equivalent: "
            "torch.nn.GRU computes r * (h U_h + b'_h), the reset gate AFTER "
            "the recurrent product (reset_after=True); with more than one "
            "unit no choice of weights turns one into the other. Train the "
            "Keras layer with reset_after=True (the default) to port it."
        )
    w_ih = _keras_to_torch_blocks(params.kernel).T
    w_hh = _keras_to_torch_blocks(params.recurrent_kernel).T
    b_ih, b_hh = _keras_to_torch_blocks(params.bias)
    arrays = (w_ih, w_hh, b_ih, b_hh)
    return {prefix + name.format(layer=layer): np.ascontiguousarray(a)
            for name, a in zip(TORCH_NAMES, arrays)}


# ------------------------------------------------------------ the (1 - z) flip


def flip_update_gate(params: GRUParams) -> GRUParams:
    """The same GRU for the other update-gate convention: ``z`` ↔ ``1 − z``.

    Negates the update gate's input weights, recurrent weights and biases
    (the ``z`` blocks; both bias rows when ``reset_after=True``). Since
    ``σ(−a) = 1 − σ(a)``, Chung et al.'s ``h = (1 − z) h_{t-1} + z h̃`` on
    the flipped weights is Keras' ``h = z h_{t-1} + (1 − z) h̃`` on the
    original ones (see :func:`step_chung`). Its own inverse.
    """
    n = params.units

    def flip(a: np.ndarray) -> np.ndarray:
        out = a.copy()
        out[..., :n] = -out[..., :n]
        return out

    return GRUParams(flip(params.kernel), flip(params.recurrent_kernel),
                     flip(params.bias), params.reset_after)


# ------------------------------------------------------------- the references


def step_keras(x_t: np.ndarray, h_prev: np.ndarray, params: GRUParams) -> np.ndarray:
    """Keras ``GRU``, one step; with ``reset_after=False`` Cho et al. 2014.

    ::

        z = σ(x W_z + b_z + h U_z + b'_z)
        r = σ(x W_r + b_r + h U_r + b'_r)
        h̃ = tanh(x W_h + b_h + r * (h U_h + b'_h))     reset_after=True
        h̃ = tanh(x W_h + b_h + (r * h) U_h)            reset_after=False
        h_t = z * h + (1 - z) * h̃

    (``b'`` is ``bias[1]``, absent for ``reset_after=False``.) This is
    :func:`gru_edu.cell.gru_step`, the collection's one NumPy GRU.
    """
    return gru_step(x_t, h_prev, params)[0]


def step_torch(
    x_t: np.ndarray,
    h_prev: np.ndarray,
    state_dict: Mapping[str, Any] | Sequence[Any],
    layer: int = 0,
) -> np.ndarray:
    """PyTorch ``nn.GRU`` (and cuDNN), one step, in PyTorch's own layout.

    The equations of PyTorch's documentation, on ``weight_ih`` ``(3n, in)``
    and ``weight_hh`` ``(3n, n)`` with rows ``[r | z | n]``::

        r = σ(W_ir x + b_ir + W_hr h + b_hr)
        z = σ(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
        h_t = (1 - z) * n + z * h

    With batches of row vectors, ``W x`` is written ``x @ W.T``.
    """
    W_ih, W_hh, b_ih, b_hh = torch_arrays(state_dict, layer)
    W_ir, W_iz, W_in = np.split(W_ih, 3)  # row blocks [r | z | n]
    W_hr, W_hz, W_hn = np.split(W_hh, 3)
    b_ir, b_iz, b_in = np.split(b_ih, 3)
    b_hr, b_hz, b_hn = np.split(b_hh, 3)
    x, h = np.atleast_2d(x_t), np.atleast_2d(h_prev)
    r = sigmoid(x @ W_ir.T + b_ir + h @ W_hr.T + b_hr)
    z = sigmoid(x @ W_iz.T + b_iz + h @ W_hz.T + b_hz)
    n = np.tanh(x @ W_in.T + b_in + r * (h @ W_hn.T + b_hn))
    return (1 - z) * n + z * h


def step_chung(x_t: np.ndarray, h_prev: np.ndarray, params: GRUParams) -> np.ndarray:
    """Chung et al. 2014 (eq. 5), one step: the old state weighted by ``1 − z``.

    The gates are Keras' (:func:`step_keras`), in either ``reset_after``
    variant; only the mix differs::

        h_t = (1 - z) * h + z * h̃

    On :func:`flip_update_gate`'s weights it equals :func:`step_keras` on
    the original ones.
    """
    h = np.atleast_2d(h_prev)
    _, g = gru_step(x_t, h, params)
    return (1 - g["z"]) * h + g["z"] * g["h_tilde"]


def run(
    step: Callable[..., np.ndarray],
    x: np.ndarray,
    weights: Any,
    h0: np.ndarray | None = None,
) -> np.ndarray:
    """Every state ``(batch, time, n)`` of ``step`` run over ``x`` from ``h0``.

    ``x`` is ``(batch, time, in)``; ``weights`` is what ``step`` takes
    (:class:`GRUParams` or a PyTorch state_dict); ``h0`` defaults to zeros.
    """
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"x: expected shape (batch, time, in), got {x.shape}")
    if isinstance(weights, GRUParams):
        n = weights.units
    else:
        n = torch_arrays(weights)[1].shape[1]
    h = np.zeros((x.shape[0], n), dtype=np.result_type(x, np.float32)) if h0 is None \
        else np.asarray(h0)
    states = []
    for t in range(x.shape[1]):
        h = step(x[:, t], h, weights)
        states.append(h)
    return np.stack(states, axis=1)
