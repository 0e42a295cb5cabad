"""Memory reach: which words the prediction depends on (gradient connectivity).

For one review, :func:`gradient_connectivity` gives the norm of the
gradient of the model's output logit with respect to each word's vector
(the ``Embedding`` output at that step): a word whose vector could change
the prediction a lot has a large norm, a word the model has forgotten by
the end has a norm near 0. This is the *connectivity* of Madsen's Distill
article "Visualizing memorization in RNNs" (2019).

Over many reviews, :func:`memory_reach` averages those norms by *distance
from the last word*: how far back a cell really reads. It works for any
recurrent layer (GRU, LSTM, SimpleRNN): the gradient comes from
TensorFlow's automatic differentiation through the Keras model, with the
padding mask in force (a padded step gets no gradient).

How: the model is called inside a ``tf.GradientTape`` with its
``Embedding`` layer's ``call`` wrapped for the duration of the call, so
that the tape watches the word vectors it returns, and its last ``Dense``
layer's ``call`` wrapped to keep its pre-activation (the logit). The whole
function is XLA-compiled once per model (and input shape).
"""

from __future__ import annotations

import warnings
import weakref
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .. import config  # noqa: E402

config.quiet_tensorflow()  # before keras: no start-up log lines

import keras  # noqa: E402

from .errors import EmptyReviewError, UnsupportedModelError
from .batches import fill_batch
from .keras_plumbing import ModelCache, keras_model
from ..imdb.vocab import PAD

__all__ = [
    "OUTPUTS",
    "Connectivity",
    "MemoryReach",
    "gradient_connectivity",
    "memory_reach",
    "check_against_keras",
    "clear_gradient_cache",
]

#: What the gradient is taken of: the logit (pre-sigmoid) or the probability.
OUTPUTS = ("logit", "probability")


@dataclass(repr=False)
class Connectivity:
    """Gradient norms of one batch of reviews.

    ``norm[i, t]`` is ``|d output_i / d v_{i,t}|`` (Euclidean norm over the
    vector's components), 0 at padded steps; ``grad`` the gradients
    themselves ``(batch, time, dim)`` when asked for; ``output`` the
    model's logit (or probability) per review; ``mask`` the unmasked steps.
    """

    norm: np.ndarray
    output: np.ndarray
    mask: np.ndarray
    of: str
    grad: np.ndarray | None = None

    def __repr__(self) -> str:
        return (f"Connectivity(of={self.of!r}, batch={self.norm.shape[0]}, "
                f"time={self.norm.shape[1]})")


def _single(model: Any, cls: type, what: str) -> Any:
    found = [layer for layer in model.layers if isinstance(layer, cls)]
    if not found:
        raise UnsupportedModelError(
            f"model {model.name!r} has no {cls.__name__} layer: gradient "
            f"connectivity needs {what}")
    return found[0] if cls is keras.layers.Embedding else found[-1]


class _GradFn:
    """The compiled gradient function of one model (cached per model)."""

    def __init__(self, model: Any) -> None:
        import tensorflow as tf

        if keras.backend.backend() != "tensorflow":  # pragma: no cover
            raise UnsupportedModelError(
                "gradient connectivity needs the TensorFlow backend")
        self.embedding = _single(model, keras.layers.Embedding,
                                 "word ids read through an Embedding layer")
        self.dense = _single(model, keras.layers.Dense,
                             "a Dense output layer")
        self.layer_names = [layer.name for layer in model.layers]
        self.model = weakref.ref(model)
        self._fns: dict[tuple[str, bool], Callable] = {}
        self._tf = tf

    def _fn(self, of: str, with_grad: bool, xla: bool) -> Callable:
        tf = self._tf
        key = (of, with_grad, xla)
        if key in self._fns:
            return self._fns[key]
        model, emb, dense = self.model(), self.embedding, self.dense
        box: dict[str, Any] = {}
        emb_call, dense_call = emb.call, dense.call

        def watched_embedding(inputs: Any, *args: Any, **kwargs: Any) -> Any:
            out = emb_call(inputs, *args, **kwargs)
            box["tape"].watch(out)
            box["vectors"] = out
            return out

        def kept_logit(inputs: Any, *args: Any, **kwargs: Any) -> Any:
            z = keras.ops.matmul(inputs, dense.kernel)
            box["logit"] = z + dense.bias if dense.use_bias else z
            return dense_call(inputs, *args, **kwargs)

        def fn(ids: Any) -> Any:
            with tf.device("/CPU:0"), tf.GradientTape() as tape:
                box["tape"] = tape
                emb.call, dense.call = watched_embedding, kept_logit
                try:
                    prob = model(ids, training=False)
                finally:
                    del emb.call, dense.call  # the class's own call again
                out = box["logit"] if of == "logit" else prob
                out = tf.reshape(out, (tf.shape(ids)[0], -1))[:, 0]
                # reviews are independent: d(sum)/d v_i,t = d out_i / d v_i,t
                total = tf.reduce_sum(out)
            grad = tape.gradient(total, box["vectors"])
            norm = tf.norm(grad, axis=-1)
            return (norm, out, grad) if with_grad else (norm, out)

        compiled = tf.function(fn, jit_compile=xla, reduce_retracing=True)
        self._fns[key] = compiled
        return compiled

    def __call__(self, ids: np.ndarray, of: str, with_grad: bool,
                 xla: bool = True) -> tuple:
        out = self._fn(of, with_grad, xla)(ids)
        return tuple(np.asarray(t) for t in out)


#: One compiled gradient function per model. Its closure holds the model, so
#: an entry lives until :func:`clear_gradient_cache` drops it
#: (``gates.clear_cache`` does, and so does an explorer's ``close()``).
_FNS = ModelCache(_GradFn)


def clear_gradient_cache(model: Any = None) -> None:
    """Forget the compiled gradient function of ``model`` (of every model if None)."""
    _FNS.clear(model)


def _ids(inputs: Any) -> np.ndarray:
    ids = np.asarray(inputs)
    if ids.ndim == 1:
        ids = ids[None]
    if ids.ndim != 2 or not np.issubdtype(ids.dtype, np.integer):
        raise UnsupportedModelError(
            f"gradient connectivity takes word ids (reviews, time) as "
            f"integers, got an array of shape {ids.shape} ({ids.dtype})")
    if ids.shape[0] == 0 or ids.shape[1] == 0 or not (ids != PAD).any():
        raise EmptyReviewError("no word to take the gradient for")
    return ids.astype("int32", copy=False)


def gradient_connectivity(model: Any, ids: Any, *, of: str = "logit",
                          return_grad: bool = False,
                          xla: bool = True) -> Connectivity:
    """How much each word's vector moves the prediction, for a batch of reviews.

    Args:
        model: a Keras model (or a trained bundle with ``.model``) that reads
            word ids through an ``Embedding`` and ends in a ``Dense`` layer
            (sigmoid or not), e.g. :func:`gru_edu.imdb.build_classifier`'s
            GRU, LSTM or SimpleRNN classifier.
        ids: ``(reviews, time)`` padded word ids, or one review ``(time,)``.
        of: ``"logit"`` (the ``Dense`` pre-activation: not squashed by the
            sigmoid, so a confident prediction still shows its dependencies)
            or ``"probability"`` (the model's output).
        return_grad: also return the gradients ``(reviews, time, dim)``.
        xla: XLA-compile the function (fast; ``False``: a plain graph).

    Returns:
        A :class:`Connectivity`; ``norm[i, t] = |d out_i / d v_{i,t}|``.
    """
    if of not in OUTPUTS:
        raise ValueError(f"of must be one of {OUTPUTS}, got {of!r}")
    model = keras_model(model)
    ids = _ids(ids)
    out = _FNS.get(model)(ids, of, return_grad, xla)
    mask = ids != PAD
    norm = np.where(mask, out[0], 0.0)
    return Connectivity(norm=norm, output=out[1], mask=mask, of=of,
                        grad=out[2] if return_grad else None)


@dataclass(repr=False)
class MemoryReach:
    """Gradient norm by distance from the last word, over many reviews.

    ``distance[d] = d`` (0: the last word); ``mean_norm[d]`` the mean
    ``|d logit / d v|`` of the words ``d`` steps before the last, over the
    ``count[d]`` reviews long enough to have one; ``mean_share[d]`` the same
    for each word's share of its review's total norm. ``reach90`` holds,
    per review, the distance within which the last words carry 90% of the
    review's total norm: its median says how far back the cell reads.
    """

    distance: np.ndarray
    mean_norm: np.ndarray
    mean_share: np.ndarray
    count: np.ndarray
    reach90: np.ndarray
    n_reviews: int
    seconds: float

    @property
    def median_reach90(self) -> float:
        return float(np.median(self.reach90))

    def __repr__(self) -> str:
        return (f"MemoryReach(reviews={self.n_reviews}, median reach90="
                f"{self.median_reach90:.0f} words)")


def _by_distance(norm: np.ndarray, mask: np.ndarray) -> tuple:
    """Rows right-aligned on their last word: ``[:, 0]`` is the last word."""
    time = mask.shape[1]
    lengths = mask.sum(axis=1)
    last = np.where(mask.any(axis=1),
                    time - 1 - np.argmax(mask[:, ::-1], axis=1), -1)
    d = np.arange(time)
    idx = last[:, None] - d[None, :]  # the step d words before the last
    ok = (d[None, :] < lengths[:, None]) & (idx >= 0)
    picked = np.take_along_axis(norm, np.maximum(idx, 0), axis=1)
    return np.where(ok, picked, 0.0), ok


def memory_reach(model: Any, ids: Any, *, batch_size: int = 128,
                 progress: bool = False) -> MemoryReach:
    """Mean gradient norm (of the logit) by distance from the last word.

    The reviews go through :func:`gradient_connectivity` ``batch_size`` at
    a time, sorted by length and cut to their longest review (fewer padded
    steps to compute; the padding has no gradient anyway). Reviews must be
    right-padded (``padding="post"``), as the IMDB bundles are.
    """
    import time as _time

    model = keras_model(model)
    ids = _ids(ids)
    if ((ids[:, 0] == PAD) & (ids != PAD).any(axis=1)).any():
        raise ValueError("memory_reach needs right-padded reviews "
                         "(padding='post'): some rows start with padding")
    start = _time.perf_counter()
    lengths = (ids != PAD).sum(axis=1)
    order = np.argsort(lengths, kind="stable")
    width = ids.shape[1]
    total = np.zeros(width)
    share = np.zeros(width)
    count = np.zeros(width, dtype=np.int64)
    reach: list[np.ndarray] = []
    starts = range(0, len(ids), batch_size)
    import tensorflow as tf

    quiet = tf.get_logger()  # one compiled shape per width: no retracing note
    level = quiet.level
    quiet.setLevel("ERROR")
    try:
        _reach_batches(model, ids, order, lengths, starts, batch_size, width,
                       progress, total, share, count, reach)
    finally:
        quiet.setLevel(level)
    n = np.maximum(count, 1)
    keep = count > 0
    return MemoryReach(
        distance=np.arange(width)[keep], mean_norm=(total / n)[keep],
        mean_share=(share / n)[keep], count=count[keep],
        reach90=np.concatenate(reach), n_reviews=len(ids),
        seconds=_time.perf_counter() - start)


def _reach_batches(model: Any, ids: np.ndarray, order: np.ndarray,
                   lengths: np.ndarray, starts: Any, batch_size: int,
                   width: int, progress: bool, total: np.ndarray,
                   share: np.ndarray, count: np.ndarray,
                   reach: list[np.ndarray]) -> None:
    """The batches of :func:`memory_reach`, summed into its arrays."""
    if progress:
        starts = config.progress_bar(starts, desc="memory reach", unit="batch")
    for s in starts:
        rows = order[s:s + batch_size]
        cut = int(min(width, -(-max(int(lengths[rows].max()), 1) // 32) * 32))
        chunk = ids[rows, :cut]
        chunk = fill_batch(chunk, batch_size, first=s == 0)
        con = gradient_connectivity(model, chunk)
        norm, mask = con.norm[:len(rows)], con.mask[:len(rows)]
        by_d, ok = _by_distance(norm, mask)
        sums = by_d.sum(axis=1, keepdims=True)
        frac = by_d / np.maximum(sums, 1e-30)
        total[:cut] += by_d.sum(axis=0)
        share[:cut] += frac.sum(axis=0)
        count[:cut] += ok.sum(axis=0)
        cum = np.cumsum(frac, axis=1)
        reach.append(np.argmax(cum >= 0.9, axis=1))


def check_against_keras(model: Any, ids: Any) -> float:
    """Max relative error of :func:`gradient_connectivity` against Keras's
    own gradient, on ``ids`` (a batch of reviews).

    Keras's side: the gradient of the model's output (the probability,
    its ``model(ids)``, run eagerly with no wrapped layer and no XLA) with
    respect to the ``Embedding`` weight table, as training computes it.
    Row ``w`` of that gradient is the sum of the per-word gradients at every
    step that reads word ``w``; the same sums are formed from
    ``gradient_connectivity(..., of="probability", return_grad=True)``.
    Returns ``max |ours - keras| / max |keras|``.
    """
    import tensorflow as tf

    model = keras_model(model)
    ids = _ids(ids)
    emb = _FNS.get(model).embedding
    with warnings.catch_warnings(), tf.device("/CPU:0"), \
            tf.GradientTape() as tape:
        warnings.simplefilter("ignore")  # Keras: input given without its name
        out = tf.reduce_sum(model(ids, training=False))
    table = tape.gradient(out, emb.embeddings)
    keras_rows = np.asarray(tf.convert_to_tensor(table), dtype=np.float64)
    con = gradient_connectivity(model, ids, of="probability", return_grad=True)
    ours = np.zeros_like(keras_rows)
    np.add.at(ours, ids[con.mask], con.grad[con.mask].astype(np.float64))
    used = np.unique(ids[con.mask])
    scale = np.abs(keras_rows[used]).max()
    return float(np.abs(ours[used] - keras_rows[used]).max() / max(scale, 1e-30))
