"""Assignment 1's diagnosis: probes, reference answers, hypotheses, ablations.

A probe is a small reproducible input. Each common mistake is the correct GRU
(:mod:`gru_edu.cell`) on transformed weights (a hypothesis); ablation probes
keep one part of the GRU and zero the rest; gradient tables compare block by
block. :mod:`.a1_cell` uses these to say *why* a learner's GRU differs.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from time import monotonic
from typing import Any, Callable, Sequence

import numpy as np

from .. import cell
from ..cell.numpy_gru import GRUParams
from ..cell.gradcheck import numerical_gradient, relative_error
from .answers import as_array, close
from .feedback import GATE_NAMES, KERAS_BLOCKS, Feedback, indent
from .limits import Call, TimeLimitExceeded, safe_call


__all__ = [
    "GRAD_KEYS", "HYPOTHESES", "Probe", "make_probe", "reference_states", "explain",
    "add_hypotheses", "ablation_table", "check_output", "shape_finding", "grads_dict",
    "grad_probe", "reference_grads", "truncated_grads", "grads_close", "block_table",
    "student_fd", "one_step_table",
]

# --- Probes: small, reproducible inputs


@dataclass
class Probe:
    """Inputs for one call: weights, x ``(batch, time, input_dim)``, h0."""

    params: GRUParams
    x: np.ndarray
    h0: np.ndarray | None

    def h0_or_zeros(self) -> np.ndarray:
        if self.h0 is not None:
            return self.h0
        return np.zeros((self.x.shape[0], self.params.units))

    def replace(self, params: GRUParams | None = None, x: Any = None, h0: Any = "keep") -> "Probe":
        return Probe(
            params if params is not None else self.params,
            x if x is not None else self.x,
            self.h0 if isinstance(h0, str) else h0,
        )


def make_probe(batch: int, time: int, input_dim: int, units: int, reset_after: bool,
               seed: int, with_h0: bool = True) -> Probe:
    """A reproducible random probe (``seed``); ``with_h0=False`` leaves h0 None."""
    params = GRUParams.random(input_dim, units, reset_after=reset_after, seed=seed, scale=0.8)
    rng = np.random.default_rng(seed + 1000)
    x = rng.standard_normal((batch, time, input_dim))
    h0 = np.tanh(rng.standard_normal((batch, units))) if with_h0 else None
    return Probe(params, x, h0)


def reference_states(probe: Probe) -> np.ndarray:
    """Every state ``(batch, time, units)`` of the correct GRU on ``probe``."""
    return cell.gru_forward(probe.x, probe.params, h0=probe.h0_or_zeros())[0]


# --- Hypotheses: a mistake is the correct GRU on transformed weights


def _blocks(a: np.ndarray, n: int) -> list[np.ndarray]:
    return [a[..., i * n:(i + 1) * n] for i in range(3)]


def _with(p: GRUParams, kernel: Any = None, recurrent_kernel: Any = None, bias: Any = None,
          reset_after: bool | None = None) -> GRUParams:
    return GRUParams(
        p.kernel if kernel is None else kernel,
        p.recurrent_kernel if recurrent_kernel is None else recurrent_kernel,
        p.bias if bias is None else bias,
        p.reset_after if reset_after is None else reset_after,
    )


def _permute(order: tuple[str, str, str]) -> Callable[[GRUParams], GRUParams]:
    """The learner reads the blocks as ``order`` (e.g. r, z, h)."""

    def transform(p: GRUParams) -> GRUParams:
        n = p.units

        def perm(a: np.ndarray) -> np.ndarray:
            b = _blocks(a, n)
            return np.concatenate([b[order.index(g)] for g in KERAS_BLOCKS], axis=-1)

        return _with(p, perm(p.kernel), perm(p.recurrent_kernel), perm(p.bias))

    return transform


def _negate_z(p: GRUParams) -> GRUParams:
    n = p.units

    def neg(a: np.ndarray) -> np.ndarray:
        a = a.copy()
        a[..., :n] *= -1
        return a

    return _with(p, neg(p.kernel), neg(p.recurrent_kernel), neg(p.bias))


def _flip_reset(p: GRUParams) -> GRUParams:
    if p.reset_after:  # learner applied the reset before the product
        return _with(p, bias=p.bias[0] + p.bias[1], reset_after=False)
    return _with(p, bias=np.stack([p.bias, np.zeros_like(p.bias)]), reset_after=True)


def _drop_bias(which: str) -> Callable[[GRUParams], GRUParams | None]:
    def transform(p: GRUParams) -> GRUParams | None:
        n = p.units
        b = p.bias.copy()
        if which == "all":
            b[...] = 0
        elif which in ("input", "recurrent"):
            if not p.reset_after:
                return None
            b[0 if which == "input" else 1] = 0
        elif which == "h_recurrent":
            if not p.reset_after:
                return None
            b[1, 2 * n:] = 0
        else:  # one gate, every row
            i = KERAS_BLOCKS.index(which)
            b[..., i * n:(i + 1) * n] = 0
        return _with(p, bias=b)

    return transform


def _transpose_recurrent_blocks(p: GRUParams) -> GRUParams:
    u = np.concatenate([blk.T for blk in _blocks(p.recurrent_kernel, p.units)], axis=-1)
    return _with(p, recurrent_kernel=u)


def _transpose_kernel_blocks(p: GRUParams) -> GRUParams | None:
    if p.input_dim != p.units:
        return None
    k = np.concatenate([blk.T for blk in _blocks(p.kernel, p.units)], axis=-1)
    return _with(p, kernel=k)


def _transpose_kernel(p: GRUParams) -> GRUParams | None:
    if p.input_dim != 3 * p.units:
        return None
    return _with(p, kernel=p.kernel.T.copy())


def _swap_kernels(p: GRUParams) -> GRUParams | None:
    if p.input_dim != p.units:
        return None
    return _with(p, kernel=p.recurrent_kernel, recurrent_kernel=p.kernel)


@dataclass
class _Hypothesis:
    mistake: str
    transform: Callable[[GRUParams], GRUParams | None]
    title: Callable[[GRUParams], str] | None = None
    detail: Callable[[GRUParams], str] | None = None


def _bias_title(which: str) -> Callable[[GRUParams], str]:
    texts = {
        "all": "missing biases: no bias is added",
        "input": "missing biases: the input bias bias[0] is not added",
        "recurrent": "missing biases: the recurrent bias bias[1] is not added",
        "h_recurrent": "missing biases: the candidate's recurrent bias b'_h"
                       " (bias[1, 2n:]) is not added inside r * (...)",
    }
    if which in texts:
        return lambda p: texts[which]
    return lambda p: f"missing biases: the bias of the {GATE_NAMES[which]} is not added"


def _reset_title(p: GRUParams) -> str:
    if p.reset_after:
        return "reset gate applied before instead of after the recurrent product"
    return "reset gate applied after instead of before the recurrent product"


def _order_title(order: tuple[str, ...]) -> Callable[[GRUParams], str]:
    text = f"gate order [{', '.join(order)}] instead of [z, r, h]"
    return lambda p: text


def _hypotheses() -> list[_Hypothesis]:
    hyps = [_Hypothesis("gate_order", _permute(("r", "z", "h")))]
    for order in itertools.permutations(KERAS_BLOCKS):
        if order not in (KERAS_BLOCKS, ("r", "z", "h")):
            hyps.append(_Hypothesis("gate_order", _permute(order), _order_title(order)))
    hyps += [
        _Hypothesis("transposed_kernel", _transpose_recurrent_blocks,
                    lambda p: "transposed kernel: each recurrent block U_z, U_r, U_h"
                              " is used transposed (h_prev @ U.T)"),
        _Hypothesis("transposed_kernel", _transpose_kernel_blocks,
                    lambda p: "transposed kernel: each input block W_z, W_r, W_h"
                              " is used transposed (x @ W.T)"),
        _Hypothesis("transposed_kernel", _transpose_kernel,
                    lambda p: "transposed kernel: the kernel is read as"
                              " (3*units, input_dim), PyTorch's layout"),
        _Hypothesis("swapped_kernels", _swap_kernels),
    ]
    for which in ("all", "input", "recurrent", "h_recurrent", "z", "r", "h"):
        hyps.append(_Hypothesis("missing_bias", _drop_bias(which), _bias_title(which)))
    hyps += [
        _Hypothesis("reset_position", _flip_reset, _reset_title),
        _Hypothesis("z_convention", _negate_z),
    ]
    return hyps


HYPOTHESES = _hypotheses()


def explain(student: np.ndarray, probe: Probe, reference: np.ndarray,
            reference_fn: Callable[[Probe], np.ndarray] = reference_states,
             ) -> list[tuple[_Hypothesis, ...]]:
    """Hypotheses (one, else pairs) whose transformed reference equals ``student``."""
    outputs: list[tuple[tuple[_Hypothesis, ...], GRUParams]] = []
    for h in HYPOTHESES:
        q = h.transform(probe.params)
        if q is not None:
            outputs.append(((h,), q))
    singles = []
    seen_outputs: list[np.ndarray] = [reference]
    for hs, q in outputs:
        y = reference_fn(probe.replace(params=q))
        if any(close(y, o, 1e-9, 1e-9) for o in seen_outputs):
            continue  # this transform does not change anything here
        seen_outputs.append(y)
        if close(student, y):
            singles.append(hs)
    if singles:
        return singles
    pairs = []
    for (h1,), q1 in outputs:
        for (h2,), _ in outputs:
            if h1 is h2 or h1.mistake == h2.mistake:
                continue
            q = h2.transform(q1)
            if q is None:
                continue
            y = reference_fn(probe.replace(params=q))
            if any(close(y, o, 1e-9, 1e-9) for o in seen_outputs):
                continue
            if close(student, y):
                pairs.append((h1, h2))
        if pairs:
            break
    return pairs


def add_hypotheses(fb: Feedback, matches: list[tuple[_Hypothesis, ...]], probe: Probe,
                   context: str, what: str) -> None:
    """Name the first explanation :func:`explain` found, one finding per mistake."""
    hs = matches[0]
    both = " together with " if len(hs) == 2 else ""
    for h in hs:
        title = h.title(probe.params) if h.title else ""
        detail = f"Your {what} equals that of a correct GRU with this mistake"
        detail += (" (and the one named next to it)." if both else ".")
        if h.mistake == "gate_order" and not h.title:
            detail = (f"Your {what} equals that of a correct GRU whose z and r"
                      " weight blocks are swapped: you took z from columns n..2n-1"
                      " and r from columns 0..n-1.")
        if h.mistake == "z_convention":
            detail = (f"Your {what} equals that of a correct GRU with z replaced"
                      " by 1 - z.")
        fb.add(h.mistake, detail, context, title)


# --- Ablation probes: keep one part of the GRU, zero the rest


def _zero_blocks(a: np.ndarray, n: int, gates: str) -> np.ndarray:
    a = a.copy()
    for g in gates:
        i = KERAS_BLOCKS.index(g)
        a[..., i * n:(i + 1) * n] = 0
    return a


def _ablations(probe: Probe) -> list[tuple[str, str, Probe]]:
    """(name, what it isolates, probe) for each ablation."""
    p = probe.params
    n = p.units
    zb = np.zeros_like(p.bias)
    zk = np.zeros_like(p.kernel)
    zu = np.zeros_like(p.recurrent_kernel)
    h0 = probe.h0_or_zeros()
    zeros_h0 = np.zeros_like(h0)
    z_off_bias = _zero_blocks(p.bias, n, "z")
    if p.reset_after:
        z_off_bias[0, :n] = -40.0
    else:
        z_off_bias[:n] = -40.0
    return [
        ("input weights only", "x_t @ kernel and its split into gates",
         probe.replace(_with(p, recurrent_kernel=zu, bias=zb), h0=zeros_h0)),
        ("recurrent weights only", "h_prev @ recurrent_kernel and the reset gate",
         probe.replace(_with(p, kernel=zk, bias=zb))),
        ("biases only", "how the biases are added",
         probe.replace(_with(p, kernel=zk, recurrent_kernel=zu), h0=zeros_h0)),
        ("update gate only (candidate h̃ = 0)", "z and the blend z * h_prev + (1 - z) * h̃",
         probe.replace(_with(p, _zero_blocks(p.kernel, n, "h"),
                             _zero_blocks(p.recurrent_kernel, n, "h"),
                             _zero_blocks(p.bias, n, "h")))),
        ("candidate only (update gate z ≈ 0)", "h̃, including the reset gate",
         probe.replace(_with(p, _zero_blocks(p.kernel, n, "z"),
                             _zero_blocks(p.recurrent_kernel, n, "z"), z_off_bias))),
    ]


def ablation_table(run: Callable[[Probe], Call], probe: Probe,
                   reference_fn: Callable[[Probe], np.ndarray]) -> str:
    """✓/✗ per ablation of ``probe`` run through ``run``: where a learner's GRU differs."""
    marks, hints = [], []
    for name, isolates, ab in _ablations(probe):
        call = run(ab)
        ok = call.ok and close(call.value, reference_fn(ab))
        marks.append(f"{'✓' if ok else '✗'} {name}")
        if not ok:
            hints.append(isolates)
    text = indent("\n".join(marks))
    if hints and len(hints) < len(marks):
        text += "\n" + indent("Look at: " + "; ".join(hints) + ".")
    elif hints:
        text += "\n" + indent("Every part differs: look at what they share, the"
                              " split into [z | r | h] blocks and the final blend.")
    return text


# --- Output checks shared by the step and the sequence


def check_output(fb: Feedback, value: Any, expected_shape: tuple, name: str,
                 context: str, shape_words: str) -> np.ndarray | None:
    """Shape and finiteness; the array when both are fine."""
    if value is None:
        fb.add("output_shape", f"{name} returned None: did you forget `return`?", context,
               "wrong output shape: nothing returned")
        return None
    arr = as_array(value)
    if arr is None:
        fb.add("output_shape", f"{name} returned a {type(value).__name__}, not an array.",
               context)
        return None
    if arr.shape != expected_shape:
        return arr  # the caller names the shape mistake
    if not np.all(np.isfinite(arr)):
        fb.add("non_finite", f"{name} returned NaN or inf values.", context)
        return None
    return arr


def shape_finding(fb: Feedback, arr: np.ndarray, expected: tuple, name: str,
                  context: str, shape_words: str) -> None:
    """The output-shape finding, with a hint when the axes are swapped or rearranged."""
    detail = (f"{name} returned shape {arr.shape}; expected {expected}"
              f" = {shape_words}.")
    if arr.shape == expected[::-1]:
        detail += " The axes are swapped: is the result transposed?"
    elif arr.size == int(np.prod(expected)):
        detail += " Same number of values, arranged differently."
    fb.add("output_shape", detail, context)


# --- check_gru_backward

GRAD_KEYS = ("kernel", "recurrent_kernel", "bias", "x", "h0")


def grads_dict(value: Any) -> dict[str, Any] | None:
    """Gradients as a dict, from a dict, ``as_dict()`` or attributes; None otherwise."""
    if isinstance(value, dict):
        return value
    if hasattr(value, "as_dict"):
        return value.as_dict()
    if all(hasattr(value, k) for k in GRAD_KEYS):
        return {k: getattr(value, k) for k in GRAD_KEYS}
    return None


def grad_probe(reset_after: bool, seed: int, shape: tuple[int, int, int, int]
                ) -> tuple[Probe, np.ndarray]:
    """A probe and the upstream gradient ``dh_seq`` for checking a backward pass."""
    batch, time, m, n = shape
    probe = make_probe(batch, time, m, n, reset_after, seed)
    dh = np.random.default_rng(seed + 7).standard_normal((batch, time, n))
    return probe, dh


def reference_grads(probe: Probe, dh: np.ndarray) -> dict[str, np.ndarray]:
    """The correct gradients of ``sum(dh * h_seq)`` on ``probe``."""
    _, cache = cell.gru_forward(probe.x, probe.params, h0=probe.h0_or_zeros())
    return cell.gru_backward(dh, cache).as_dict()


def truncated_grads(probe: Probe, dh: np.ndarray) -> dict[str, np.ndarray]:
    """Gradients with no flow from step t+1 to step t (each step on its own)."""
    _, cache = cell.gru_forward(probe.x, probe.params, h0=probe.h0_or_zeros())
    out = {k: None for k in GRAD_KEYS}
    dxs = []
    for t in range(probe.x.shape[1]):
        _, c = cell.gru_forward(probe.x[:, t:t + 1], probe.params, h0=cache.h_prev[:, t])
        g = cell.gru_backward(dh[:, t:t + 1], c)
        for k in ("kernel", "recurrent_kernel", "bias"):
            out[k] = g.as_dict()[k] if out[k] is None else out[k] + g.as_dict()[k]
        dxs.append(g.x[:, 0])
        if t == 0:
            out["h0"] = g.h0
    out["x"] = np.stack(dxs, axis=1)
    return out


def grads_close(student: dict[str, np.ndarray], ref: dict[str, np.ndarray],
                keys: Sequence[str] = GRAD_KEYS, tol: float = 1e-5) -> bool:
    """Every gradient in ``keys`` of the right shape and within relative error ``tol``."""
    for k in keys:
        s = np.asarray(student[k], dtype=np.float64)
        if s.shape != ref[k].shape or relative_error(s, ref[k]) > tol:
            return False
    return True


def block_table(student: dict[str, np.ndarray], ref: dict[str, np.ndarray],
                n: int, reset_after: bool, tol: float) -> tuple[list[str], list[str]]:
    """Per-block relative errors: (lines, names of wrong blocks)."""
    lines, wrong = [], []
    for k in ("kernel", "recurrent_kernel", "bias"):
        s, r = np.asarray(student[k], dtype=np.float64), ref[k]
        rows = [("", s, r)]
        if k == "bias" and reset_after:
            rows = [(" input row", s[0], r[0]), (" recurrent row", s[1], r[1])]
        for label, ss, rr in rows:
            cells = []
            for g, sb, rb in zip(KERAS_BLOCKS, _blocks(ss, n), _blocks(rr, n)):
                e = relative_error(sb, rb)
                ok = e <= tol
                cells.append(f"{'✓' if ok else '✗'} {g} {e:.1e}")
                if not ok:
                    wrong.append(f"d{k}{label} [{g} block]")
            lines.append(f"d{k}{label}: " + "   ".join(cells))
    for k in ("x", "h0"):
        e = relative_error(student[k], ref[k])
        ok = e <= tol
        lines.append(f"d{k}: {'✓' if ok else '✗'} {e:.1e}")
        if not ok:
            wrong.append(f"d{k}")
    return lines, wrong


def student_fd(forward: Callable, probe: Probe, dh: np.ndarray,
               seconds: float | None) -> dict[str, np.ndarray] | None:
    """Central differences of sum(dh * forward(...)) for the learner's own forward."""
    p = probe.params
    arrays = {"kernel": p.kernel.copy(), "recurrent_kernel": p.recurrent_kernel.copy(),
              "bias": p.bias.copy(), "x": probe.x.copy(), "h0": probe.h0_or_zeros().copy()}

    # Only the learner's forward runs under the watch (through safe_call);
    # the finite differences around it are the checks' own code.
    deadline = None if seconds is None else monotonic() + 6 * seconds

    def loss(_: np.ndarray) -> float:
        left = None if deadline is None else deadline - monotonic()
        if left is not None and left <= 0:
            raise TimeLimitExceeded("time limit exceeded")
        call = safe_call(forward, (
            arrays["x"].copy(), arrays["kernel"].copy(),
            arrays["recurrent_kernel"].copy(), arrays["bias"].copy(),
            p.reset_after, arrays["h0"].copy()), left)
        if not call.ok:
            raise call.error
        return float(np.sum(dh * np.asarray(as_array(call.value), dtype=np.float64)))

    try:
        return {k: numerical_gradient(loss, a) for k, a in arrays.items()}
    except (Exception, TimeLimitExceeded):  # noqa: BLE001 - learner code
        return None


def one_step_table(backward: Callable, probe: Probe, dh: np.ndarray,
                   seconds: float | None, tol: float) -> tuple[list[str], list[str]] | None:
    """The block table for the first time step alone, or None if that fails."""
    p = probe.params
    one = probe.replace(x=probe.x[:, :1])
    dh1 = dh[:, :1]
    args = (dh1.copy(), one.x.copy(), p.kernel.copy(), p.recurrent_kernel.copy(),
            p.bias.copy(), p.reset_after, one.h0.copy())
    call = safe_call(backward, args, seconds)
    grads = grads_dict(call.value) if call.ok else None
    if grads is None or any(k not in grads for k in GRAD_KEYS):
        return None
    ref = reference_grads(one, dh1)
    try:
        grads = {k: np.asarray(grads[k], dtype=np.float64) for k in GRAD_KEYS}
    except (TypeError, ValueError):
        return None
    if any(grads[k].shape != ref[k].shape for k in GRAD_KEYS):
        return None
    return block_table(grads, ref, p.units, p.reset_after, tol)
