"""Keras models for IMDB sentiment: the tutorial's model and the fixed classifiers.

* :func:`tutorial_model` is the classic Keras GRU sentiment model exactly as
  the source tutorial wrote it (word ids as one float feature, ``GRU(50)``
  then ``GRU(1)``). Notebook 03 reproduces it, then diagnoses why it stays at
  50%.
* :func:`build_classifier` is the fixed model: an ``Embedding`` with
  ``mask_zero=True`` feeding a GRU, LSTM or SimpleRNN, and a sigmoid ``Dense``.

**cuDNN.** On a GPU, Keras 3 runs ``GRU`` and ``LSTM`` with the fused cuDNN
kernel by itself (``use_cudnn="auto"``) when the layer is cuDNN-compatible:
``activation="tanh"``, ``recurrent_activation="sigmoid"``, no recurrent
dropout, ``unroll=False``, ``use_bias=True`` and, for GRU, ``reset_after=True``
(the defaults) — and when the mask, if any, is *right-padded* (``padding="post"``:
cuDNN is told each sequence's length and skips the tail). The builders here
keep to all of that; :func:`cudnn_compatible` checks a layer and says why not.
The weights are the same either way, so a cuDNN-trained model replays on CPU.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from gru_edu import config

config.quiet_tensorflow()  # before keras: no start-up log lines

import keras  # noqa: E402
from keras import layers  # noqa: E402

__all__ = [
    "RECURRENT_LAYERS",
    "tutorial_model",
    "tutorial_features",
    "build_classifier",
    "AppendPolarity",
    "cudnn_compatible",
    "xla_on_cpu",
    "device_name",
    "device_record",
    "adam_optimizer",
]

#: Recurrent layer classes by the names the builders and the CLI accept.
RECURRENT_LAYERS = {
    "gru": layers.GRU,
    "lstm": layers.LSTM,
    "simple_rnn": layers.SimpleRNN,
}


def tutorial_model(maxlen: int = 300) -> keras.Model:
    """The tutorial's model, as written (Keras 3 spelling, same layers and loss).

    Input: padded word ids reshaped to ``(maxlen, 1)`` floats — see
    :func:`tutorial_features`. ``GRU(50, return_sequences=True)`` then ``GRU(1)``,
    compiled with binary cross-entropy and Adam. The source used ``CuDNNGRU``
    on a GPU; Keras 3 picks cuDNN by itself, so plain ``GRU`` is the same model.
    """
    model = keras.Sequential(
        [
            keras.Input(shape=(maxlen, 1)),
            layers.GRU(50, return_sequences=True),
            layers.GRU(1, return_sequences=False),
        ],
        name="tutorial_model",
    )
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def tutorial_features(x: np.ndarray) -> np.ndarray:
    """The tutorial's input: each word id as one float feature, ``(n, maxlen, 1)``."""
    x = np.asarray(x)
    return x.reshape(x.shape + (1,)).astype("float32")


def _ema_momentum(steps: int | None) -> float:
    """0.99 (an average over the last ~100 batches), less for a short training.

    The average starts from the initial weights; with only a few dozen
    batches (the fast CI setting) 0.99 would leave it mostly untrained, so
    the momentum is lowered until the start weighs < 1% (``m**steps``);
    0 (the last weights) for 5 batches or fewer.
    """
    if not steps:
        return 0.99
    return float(min(0.99, max(0.0, 1.0 - 5.0 / steps)))


@keras.saving.register_keras_serializable(package="gru_edu")
class AppendPolarity(layers.Layer):
    """Appends one fixed number per word to its learned vector: its polarity.

    Called on ``[vectors, word_ids]``: ``vectors`` ``(batch, time, d)`` from
    an ``Embedding`` and the ids they came from; returns ``(batch, time,
    d + 1)``, the last feature ``polarity[id]``
    (:func:`gru_edu.imdb.word_polarity`), a weight that training does not
    change. The mask of ``vectors`` passes through, so the recurrent layer
    still skips the padding. (A plain ``Concatenate`` would work too, but it
    rebuilds the mask from both inputs with a handful of extra graph nodes.)
    """

    def __init__(self, polarity: Any = None, num_words: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if polarity is None and num_words is None:
            raise ValueError("give polarity values or num_words")
        self.num_words = int(num_words if polarity is None else len(polarity))
        self._initial = None if polarity is None else np.asarray(polarity, "float32")
        self.supports_masking = True

    def build(self, input_shape: Any) -> None:
        self.table = self.add_weight(
            shape=(self.num_words,), initializer="zeros", trainable=False, name="table"
        )
        if self._initial is not None:
            self.table.assign(self._initial)

    def call(self, inputs: Any) -> Any:
        vectors, ids = inputs
        value = keras.ops.take(self.table, keras.ops.cast(ids, "int32"), axis=0)
        value = keras.ops.cast(value[..., None], vectors.dtype)
        return keras.ops.concatenate([vectors, value], axis=-1)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return None if mask is None else mask[0]

    def compute_output_shape(self, input_shape: Any) -> Any:
        shape = tuple(input_shape[0])
        return shape[:-1] + ((shape[-1] + 1) if shape[-1] is not None else None,)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "num_words": self.num_words}


def build_classifier(
    kind: str = "gru",
    num_words: int = 30000,
    maxlen: int | None = 300,
    embed_dim: int = 32,
    units: int = 32,
    dropout: float = 0.0,
    learning_rate: float = 1e-3,
    name: str | None = None,
    decay_steps: int | None = None,
    polarity: np.ndarray | None = None,
    average_weights: bool = False,
    jit_compile: bool | str | None = None,
) -> keras.Model:
    """Embedding → GRU/LSTM/SimpleRNN → Dense(1, sigmoid), compiled.

    The three fixes of notebook 03 are built in: word ids go through a learned
    ``Embedding`` (ids are names, not magnitudes); the output is a sigmoid
    probability, which is what binary cross-entropy expects; and
    ``mask_zero=True`` makes the recurrent layer skip the padding, so its
    last state is the state after the review's last real word.

    Written so that Keras can use cuDNN on a GPU (see the module docstring):
    default activations, no recurrent dropout, ``reset_after=True``. Pad with
    ``padding="post"`` so masks are right-padded.

    ``dropout`` drops whole word vectors (``SpatialDropout1D``) and inputs of
    the output layer while training. ``maxlen=None`` takes reviews of any
    length (needed by ``fit(..., buckets=True)``). ``decay_steps`` lowers the
    learning rate along a cosine to 0 over that many batches.

    ``polarity`` (``(num_words,)``, from :func:`gru_edu.imdb.word_polarity`
    on the training reviews) adds one fixed input per word next to the
    learned vector: how much more often the word appears in positive than in
    negative training reviews. ``average_weights=True`` keeps a moving
    average of the weights during training (Adam's ``use_ema``, momentum
    0.99, lower when ``decay_steps`` is short) and ends training on it: the
    average of the last hundred or so batches generalises better than the
    last batch's weights. ``jit_compile``: XLA on or off; ``None`` lets
    :func:`xla_on_cpu` decide.
    """
    if kind not in RECURRENT_LAYERS:
        raise ValueError(f"kind must be one of {sorted(RECURRENT_LAYERS)}, got {kind!r}")
    if polarity is not None and len(polarity) != num_words:
        raise ValueError(
            f"polarity must have one value per word id ({num_words}), "
            f"got shape {np.shape(polarity)}"
        )
    model = keras.Model(
        *_classifier_graph(kind, num_words, maxlen, embed_dim, units, dropout, polarity),
        name=name or f"imdb_{kind}",
    )
    model.compile(
        optimizer=adam_optimizer(learning_rate, decay_steps, average_weights),
        loss="binary_crossentropy",
        metrics=["accuracy"],
        jit_compile=xla_on_cpu() if jit_compile is None else jit_compile,
    )
    return model


def adam_optimizer(learning_rate: float, decay_steps: int | None,
                   average_weights: bool) -> keras.optimizers.Optimizer:
    """Adam, its rate along a cosine to 0 over ``decay_steps`` batches if
    given, and with a moving average of the weights if asked."""
    rate: Any = learning_rate
    if decay_steps:
        rate = keras.optimizers.schedules.CosineDecay(learning_rate, int(decay_steps))
    return keras.optimizers.Adam(
        rate, use_ema=average_weights, ema_momentum=_ema_momentum(decay_steps)
    )


def _classifier_graph(kind: str, num_words: int, maxlen: int | None, embed_dim: int,
                      units: int, dropout: float, polarity: np.ndarray | None) -> tuple:
    """The inputs and outputs of :func:`build_classifier`'s model."""
    inputs = keras.Input(shape=(maxlen,), dtype="int32", name="word_ids")
    x = layers.Embedding(num_words, embed_dim, mask_zero=True, name="embedding")(inputs)
    if polarity is not None:
        x = AppendPolarity(polarity, name="polarity")([x, inputs])
    if dropout:
        x = layers.SpatialDropout1D(dropout, name="embedding_dropout")(x)
    x = RECURRENT_LAYERS[kind](units, name=kind)(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout")(x)
    return inputs, layers.Dense(1, activation="sigmoid", name="sentiment")(x)


def xla_on_cpu() -> bool | str:
    """``True`` on a CPU-only machine, else ``"auto"``.

    Keras's ``"auto"`` turns XLA off on CPUs, but for these small recurrent
    models XLA compiles the time loop into one kernel and trains faster on a
    CPU: ``benchmarks/bench_xla.py`` measures the ratio side by side (its log,
    ``benchmarks/logs/bench_xla.json``, is rendered in ``RESULTS.md``). On a
    GPU, ``"auto"`` lets Keras choose: cuDNN kernels are not XLA-compatible,
    and Keras knows.
    """
    import tensorflow as tf

    return "auto" if tf.config.list_physical_devices("GPU") else True


def cudnn_compatible(layer: Any) -> tuple[bool, list[str]]:
    """Can Keras run this GRU/LSTM layer with cuDNN on a GPU? ``(ok, reasons)``.

    Mirrors the conditions Keras 3 checks (``backend.tensorflow.rnn.cudnn_ok``)
    plus the ones on the layer itself; the reasons say what to change. The
    mask condition (right padding) depends on the data, so it is only noted.
    """
    if isinstance(layer, layers.SimpleRNN):
        return False, ["SimpleRNN has no cuDNN kernel in Keras: it always runs step by step"]
    cell = getattr(layer, "cell", layer)
    reasons = []
    act = getattr(cell.activation, "__name__", str(cell.activation))
    rec = getattr(cell.recurrent_activation, "__name__", str(cell.recurrent_activation))
    if act != "tanh":
        reasons.append(f"activation is {act!r}, cuDNN needs 'tanh'")
    if rec != "sigmoid":
        reasons.append(f"recurrent_activation is {rec!r}, cuDNN needs 'sigmoid'")
    if getattr(cell, "recurrent_dropout", 0):
        reasons.append("recurrent_dropout > 0 (use dropout on the inputs instead)")
    if getattr(layer, "unroll", False):
        reasons.append("unroll=True")
    if not getattr(cell, "use_bias", True):
        reasons.append("use_bias=False")
    if isinstance(layer, layers.GRU) and not cell.reset_after:
        reasons.append("reset_after=False (cuDNN computes the reset_after=True variant)")
    if getattr(layer, "use_cudnn", "auto") is False:
        reasons.append("use_cudnn=False")
    return not reasons, reasons


def device_name() -> str:
    """``"GPU (<name>)"`` when TensorFlow sees a GPU, else ``"CPU (<n> cores)"``."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        try:
            details = tf.config.experimental.get_device_details(gpus[0])
            return f"GPU ({details.get('device_name', gpus[0].name)})"
        except Exception:  # pragma: no cover - depends on the driver
            return f"GPU ({gpus[0].name})"
    return f"CPU ({os.cpu_count()} cores)"


def device_record(layer: Any) -> dict[str, Any]:
    """What a bundle's ``meta.json`` says of where ``layer`` trained: the
    device, whether Keras could run it on cuDNN (and why not), and whether it did."""
    eligible, reasons = cudnn_compatible(layer)
    device = device_name()
    return {"device": device, "cudnn_eligible": eligible,
            "cudnn_used": eligible and device.startswith("GPU"), "cudnn_reasons": reasons}
