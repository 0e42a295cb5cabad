"""Keras models for IMDB sentiment: the tutorial's seed model, the fixed classifiers,
training, and a saved bundle that carries everything needed to use a model on raw text.

* :func:`seed_model` is the classic Keras GRU sentiment model exactly as the
  source tutorial wrote it (word ids as one float feature, ``GRU(50)`` then
  ``GRU(1)``). Notebook 03 reproduces it, then diagnoses why it stays at 50%.
* :func:`build_classifier` is the fixed model: an ``Embedding`` with
  ``mask_zero=True`` feeding a GRU, LSTM or SimpleRNN, and a sigmoid ``Dense``.
* :class:`TrainedModel` bundles a Keras model with its vocabulary, ``maxlen``
  and padding, and saves/loads them together, so a model trained on a GPU
  box opens on a laptop and reads typed reviews with no retraining.

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

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from . import config  # noqa: E402

config.quiet_tensorflow()  # before keras: no start-up log lines

import keras  # noqa: E402
from keras import layers  # noqa: E402

from .data import Vocabulary, pad_sequences  # noqa: E402

__all__ = [
    "RECURRENT_LAYERS",
    "seed_model",
    "seed_features",
    "build_classifier",
    "AppendPolarity",
    "cudnn_compatible",
    "xla_on_cpu",
    "device_name",
    "TrainedModel",
    "EpochTimer",
    "fit",
    "evaluate",
    "length_batches",
    "default_model_dir",
    "shipped_model_dir",
    "load_explorer_model",
]

#: Recurrent layer classes by the names the builders and the CLI accept.
RECURRENT_LAYERS = {
    "gru": layers.GRU,
    "lstm": layers.LSTM,
    "simple_rnn": layers.SimpleRNN,
}


def seed_model(maxlen: int = 300) -> keras.Model:
    """The tutorial's model, as written (Keras 3 spelling, same layers and loss).

    Input: padded word ids reshaped to ``(maxlen, 1)`` floats — see
    :func:`seed_features`. ``GRU(50, return_sequences=True)`` then ``GRU(1)``,
    compiled with binary cross-entropy and Adam. The source used ``CuDNNGRU``
    on a GPU; Keras 3 picks cuDNN by itself, so plain ``GRU`` is the same model.
    """
    model = keras.Sequential(
        [
            keras.Input(shape=(maxlen, 1)),
            layers.GRU(50, return_sequences=True),
            layers.GRU(1, return_sequences=False),
        ],
        name="tutorial_seed_model",
    )
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def seed_features(x: np.ndarray) -> np.ndarray:
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
    (:func:`gru_edu.data.word_polarity`), a weight that training does not
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

    ``polarity`` (``(num_words,)``, from :func:`gru_edu.data.word_polarity`
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
    inputs = keras.Input(shape=(maxlen,), dtype="int32", name="word_ids")
    x = layers.Embedding(num_words, embed_dim, mask_zero=True, name="embedding")(inputs)
    if polarity is not None:
        x = AppendPolarity(polarity, name="polarity")([x, inputs])
    if dropout:
        x = layers.SpatialDropout1D(dropout, name="embedding_dropout")(x)
    x = RECURRENT_LAYERS[kind](units, name=kind)(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(1, activation="sigmoid", name="sentiment")(x)
    model = keras.Model(inputs, outputs, name=name or f"imdb_{kind}")
    rate: Any = learning_rate
    if decay_steps:
        rate = keras.optimizers.schedules.CosineDecay(learning_rate, int(decay_steps))
    model.compile(
        optimizer=keras.optimizers.Adam(
            rate, use_ema=average_weights, ema_momentum=_ema_momentum(decay_steps)
        ),
        loss="binary_crossentropy",
        metrics=["accuracy"],
        jit_compile=xla_on_cpu() if jit_compile is None else jit_compile,
    )
    return model


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


class EpochTimer(keras.callbacks.Callback):
    """Records wall-clock seconds per epoch in ``self.seconds``."""

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.seconds.append(time.perf_counter() - self._start)


def length_batches(
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    seed: int | None = None,
    multiple: int = 64,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Batches of reviews of similar length, each cut to its longest review.

    ``x`` is right-padded (``padding="post"``), so the columns after a
    batch's longest review are padding only; dropping them changes nothing
    for a masked model but saves the recurrent layer those steps (an IMDB
    review has 191 of its 300 steps on average). Widths are rounded up to a
    ``multiple`` of steps, so an XLA-compiled model sees few shapes.
    ``seed``: reviews of a length bucket and the batch order are shuffled
    with it; ``None`` keeps the order (sorted by length).
    """
    x = np.asarray(x)
    y = np.asarray(y)
    if x.ndim != 2:
        raise ValueError(f"x must be (reviews, maxlen) word ids, got shape {x.shape}")
    if ((x[:, 0] == 0) & x.any(axis=1)).any():  # a review after padding
        raise ValueError(
            "length_batches needs right-padded reviews (padding='post'): some "
            "rows start with padding"
        )
    width = x.shape[1]
    nonzero = x != 0
    lengths = np.where(nonzero.any(axis=1), width - np.argmax(nonzero[:, ::-1], axis=1), 0)
    rng = None if seed is None else np.random.default_rng(seed)
    buckets = -(-np.maximum(lengths, 1) // multiple)
    tiebreak = rng.random(len(x)) if rng is not None else np.arange(len(x))
    order = np.lexsort((tiebreak, buckets))
    batches = []
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        cut = min(width, int(-(-max(int(lengths[idx].max()), 1) // multiple) * multiple))
        batches.append((x[idx, :cut], y[idx]))
    if rng is not None:
        batches = [batches[i] for i in rng.permutation(len(batches))]
    return batches


def _batch_dataset(x: np.ndarray, y: np.ndarray, batch_size: int, seed: int | None) -> Any:
    """A tf.data pipeline over :func:`length_batches`, reshuffled every epoch."""
    import tensorflow as tf

    count = -(-len(x) // batch_size)
    epoch = [0]

    def batches() -> Any:
        s = None if seed is None else seed + epoch[0]
        epoch[0] += 1
        yield from length_batches(x, y, batch_size, seed=s)

    spec = (
        tf.TensorSpec((None, None), tf.as_dtype(x.dtype)),
        tf.TensorSpec((None,), tf.as_dtype(y.dtype)),
    )
    ds = tf.data.Dataset.from_generator(batches, output_signature=spec)
    return ds.apply(tf.data.experimental.assert_cardinality(count)).prefetch(2)


def fit(
    model: keras.Model,
    x: np.ndarray,
    y: np.ndarray,
    epochs: int,
    batch_size: int = 64,
    validation_data: tuple[np.ndarray, np.ndarray] | None = None,
    verbose: int | str = 2,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    buckets: bool = False,
    seed: int = 0,
) -> dict[str, list[float]]:
    """``model.fit`` that also records seconds per epoch; returns the history dict.

    ``verbose=2`` prints one line per epoch (readable in a notebook and in CI
    logs); ``verbose=1`` shows Keras's progress bar.

    ``buckets=True`` trains on :func:`length_batches` (reviews of similar
    length together, padding columns dropped), reshuffled each epoch with
    ``seed``: the same reviews and updates, fewer padded steps to compute.
    The model must take any length (``build_classifier(maxlen=None)``).
    Needs the TensorFlow backend.
    """
    timer = EpochTimer()
    if buckets:
        data: dict[str, Any] = {"x": _batch_dataset(x, y, batch_size, seed), "shuffle": False}
        if validation_data is not None:
            validation_data = _batch_dataset(*validation_data, 512, None)
    else:
        data = {"x": x, "y": y, "batch_size": batch_size}
    history = model.fit(
        **data,
        epochs=epochs,
        validation_data=validation_data,
        verbose=verbose,
        callbacks=[timer, *callbacks],
    )
    hist = {k: [float(v) for v in vals] for k, vals in history.history.items()}
    hist["seconds"] = timer.seconds
    return hist


def evaluate(
    model: keras.Model, x: np.ndarray, y: np.ndarray, buckets: bool = False
) -> tuple[float, float]:
    """``(loss, accuracy)`` on ``(x, y)``; ``buckets=True`` as in :func:`fit`."""
    if buckets:
        loss, accuracy = model.evaluate(_batch_dataset(x, y, 512, None), verbose=0)
    else:
        loss, accuracy = model.evaluate(x, y, batch_size=512, verbose=0)
    return float(loss), float(accuracy)


@dataclass
class TrainedModel:
    """A trained Keras model plus what it needs to read raw text.

    Saved as a folder: ``model.keras`` (Keras's own format), ``vocab.json``
    (the vocabulary, :class:`gru_edu.data.Vocabulary`) and ``meta.json``
    (maxlen, padding, truncating, and how it was trained: model kind, epochs,
    test accuracy, device, versions). Nothing is pickled.
    """

    model: keras.Model
    vocab: Vocabulary
    maxlen: int
    padding: str = "post"
    truncating: str = "pre"
    meta: dict[str, Any] = field(default_factory=dict)

    MODEL_FILE = "model.keras"
    VOCAB_FILE = "vocab.json"
    META_FILE = "meta.json"

    def encode(self, texts: str | Sequence[str]) -> np.ndarray:
        """Raw review text(s) → padded id matrix ``(n, maxlen)`` the model takes."""
        if isinstance(texts, str):
            texts = [texts]
        seqs = [self.vocab.encode(t) for t in texts]
        return pad_sequences(
            seqs, maxlen=self.maxlen, padding=self.padding, truncating=self.truncating
        )

    def predict_text(self, texts: str | Sequence[str]) -> np.ndarray:
        """Probability that each review is positive, shape ``(n,)``."""
        ids = self.encode(texts)
        return np.asarray(self.model.predict(ids, verbose=0)).reshape(-1)

    def save(self, path: str | os.PathLike, optimizer: bool = True) -> Path:
        """Write the bundle folder (created if needed); returns its path.

        ``optimizer=False`` leaves out the optimizer's state (Adam's moments:
        twice the weights again), for a bundle that is only read, never
        trained further: what is saved is an uncompiled model over the same
        layers.
        """
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        model = self.model
        if not optimizer:
            model = keras.Model(model.inputs, model.outputs, name=model.name)
        model.save(path / self.MODEL_FILE)
        self.vocab.save(path / self.VOCAB_FILE)
        meta = dict(self.meta)
        meta.update(
            maxlen=int(self.maxlen),
            padding=self.padding,
            truncating=self.truncating,
            keras_version=keras.__version__,
        )
        tmp = path / (self.META_FILE + ".tmp")
        tmp.write_text(json.dumps(meta, indent=2, default=_jsonable))
        os.replace(tmp, path / self.META_FILE)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> "TrainedModel":
        """Open a bundle saved by :meth:`save` — on any machine, GPU-trained or not."""
        path = Path(path)
        missing = [
            f for f in (cls.MODEL_FILE, cls.VOCAB_FILE, cls.META_FILE)
            if not (path / f).exists()
        ]
        if missing:
            raise FileNotFoundError(
                f"{path} is not a saved gru-edu model: missing {', '.join(missing)}. "
                "Train one with `python -m gru_edu train --out "
                f"{path}` or run notebook 03."
            )
        meta = json.loads((path / cls.META_FILE).read_text())
        model = keras.saving.load_model(path / cls.MODEL_FILE)
        vocab = Vocabulary.load(path / cls.VOCAB_FILE)
        return cls(
            model,
            vocab,
            int(meta["maxlen"]),
            meta.get("padding", "post"),
            meta.get("truncating", "pre"),
            meta,
        )


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)


def default_model_dir(kind: str = "gru") -> Path:
    """Where notebook 03 and the CLI save, and notebook 04 looks: ``artifacts/imdb_<kind>``."""
    return config.artifacts_dir() / f"imdb_{kind}"


def shipped_model_dir(kind: str = "gru") -> Path:
    """The trained bundle that ships with the collection: ``gru_edu/shipped/imdb_<kind>``.

    Made by ``python -m gru_edu train --ship`` (the default recipe, full
    setting, seed 0, saved without optimizer state); its ``meta.json`` and
    ``train_log.txt`` say how.
    """
    return Path(__file__).resolve().parent / "shipped" / f"imdb_{kind}"


def load_explorer_model(kind: str = "gru") -> tuple["TrainedModel", str]:
    """The model the gate explorer and assignment 3 show, and a line saying which.

    A model you trained in the full setting (notebook 03's full run or
    ``python -m gru_edu train``, saved in :func:`default_model_dir`) comes
    first; otherwise the shipped one (:func:`shipped_model_dir`). A model
    trained in the fast setting is never preferred: a few dozen batches leave
    its gates near 0.5, with nothing to see.
    """
    local = default_model_dir(kind)
    note = ""
    try:
        trained = TrainedModel.load(local)
    except FileNotFoundError:
        pass
    else:
        if str(trained.meta.get("mode", "")).startswith("full"):
            return trained, f"your model, trained in the full setting ({local})"
        note = f"; {local} holds a model trained in the {trained.meta.get('mode', '?')} mode"
    shipped = shipped_model_dir(kind)
    return TrainedModel.load(shipped), f"the model shipped with gru-edu ({shipped}){note}"
