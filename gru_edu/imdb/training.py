"""Training an IMDB classifier end to end: data, model, fit, evaluate, bundle.

One function, :func:`train_classifier`, serves the CLI (``python -m gru_edu
train``), notebooks 03 and 04, the recipe search and the benchmark, so all of
them train the same model the same way and follow the same protocol
(:mod:`gru_edu.imdb.splits`): fitted on the training part, watched epoch by epoch
on the validation part, scored on the test reviews once, at the end.
:class:`TrainSettings` holds the recipe; :meth:`TrainSettings.default` is the
fixed GRU of notebook 03 in the full run, or its small CI version under
``GRU_EDU_FAST=1``.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from gru_edu import config

from .splits import VAL_SIZE, ImdbSplits, load_splits

if TYPE_CHECKING:  # typing only: importing the bundle imports Keras
    from .bundle import TrainedModel

__all__ = [
    "TrainSettings",
    "TrainResult",
    "train_classifier",
    "FAST_TRAIN_SIZE",
    "FAST_VAL_SIZE",
    "comparison_dir",
    "train_or_load",
]

#: Reviews used for training and testing in the fast (CI) setting.
FAST_TRAIN_SIZE = 2000
#: Validation reviews in the fast setting (the full run holds out 2,500).
FAST_VAL_SIZE = 500


@dataclass(frozen=True)
class TrainSettings:
    """The recipe for one IMDB classifier (see :func:`gru_edu.imdb.models.build_classifier`).

    The defaults are what the recipe search chose on validation accuracy,
    ingredient by ingredient, 5 seeds each (``benchmarks/search_recipe.py``;
    its log, ``benchmarks/logs/search_recipe.json``, is rendered in
    ``benchmarks/RESULTS.md``): ``dropout`` on the word vectors and the last
    state with a learning rate that decays along a cosine to 0 over the
    ``epochs`` (``cosine``); ``polarity``, each word's log-count ratio in the
    training reviews as a fixed input feature
    (:func:`gru_edu.imdb.features.word_polarity`); 64-dimensional vectors and 64
    units; the tutorial's 30,000-word vocabulary (validation preferred it to
    10,000); ``buckets``, batches of reviews of similar length (the same
    updates over fewer padded steps: faster). The moving average of the
    weights (``average_weights``) did not improve validation accuracy and is
    off; the option stays for experiments.
    """

    kind: str = "gru"
    num_words: int = 30000
    maxlen: int = 300
    embed_dim: int = 64
    units: int = 64
    dropout: float = 0.4
    learning_rate: float = 3e-3
    batch_size: int = 128
    epochs: int = 4
    cosine: bool = True
    average_weights: bool = False
    polarity: bool = True
    buckets: bool = True
    train_size: int | None = None  # None: the whole training part (22,500)
    test_size: int | None = None  # None: all 25,000 test reviews
    val_size: int = VAL_SIZE
    seed: int = 0

    @classmethod
    def default(cls, kind: str = "gru") -> "TrainSettings":
        """The fixed model's recipe: full run, or the fast CI setting.

        Notebook 03's recipe from scratch, what ``python -m gru_edu train
        --scratch`` trains; the command's default GRU is fine-tuned from the
        language model instead (:class:`gru_edu.lm.pretrain.FinetuneSettings`).

        The fast setting trains the same recipe on 2,000 reviews for 6 epochs:
        the candidate with the best validation accuracy in
        ``benchmarks/search_recipe.py --fast-setting`` (its log,
        ``benchmarks/logs/search_fast_setting.json``).
        """
        settings = cls(kind=kind)
        if config.fast_mode():
            settings = replace(
                settings,
                epochs=6,
                train_size=FAST_TRAIN_SIZE,
                val_size=FAST_VAL_SIZE,
                test_size=FAST_TRAIN_SIZE,
            )
        return settings


@dataclass
class TrainResult:
    """What :func:`train_classifier` returns: the bundle and the learning curves."""

    trained: TrainedModel
    history: dict[str, list[float]]


def train_classifier(
    settings: TrainSettings | None = None,
    archive: str | os.PathLike | None = None,
    verbose: int = 2,
    score_test: bool = True,
    strategy: Any = "auto",
    checkpoint_dir: str | os.PathLike | None = None,
) -> TrainResult:
    """Load IMDB, build and train the classifier; validation each epoch, test once.

    The data are :func:`gru_edu.imdb.splits.load_splits`: the vocabulary and the
    word polarity are fitted on the training part only, the per-epoch
    ``val_accuracy`` is measured on the validation part, and the test reviews
    are scored once, after training. ``score_test=False`` skips the test
    reviews altogether (a recipe search never looks at them).
    ``checkpoint_dir``: also save the model before training and after each
    epoch there (:class:`gru_edu.imdb.checkpoints.EpochCheckpoints`).

    ``strategy`` (:func:`gru_edu.imdb.distribute.training_plan`): ``"auto"`` trains
    under ``tf.distribute.MirroredStrategy`` when several GPUs (or CPU logical
    devices) are visible and under the multi-worker strategy when
    ``TF_CONFIG`` names several workers; ``settings.batch_size`` is then per
    replica and the global batch is ``batch_size × replicas`` (printed, and in
    ``meta``: ``strategy``, ``replicas``, ``global_batch_size``).

    Returns a :class:`TrainResult` whose ``trained`` (a
    :class:`gru_edu.imdb.bundle.TrainedModel`) carries the vocabulary and settings
    in ``meta`` (validation and test results, seconds per epoch, device,
    cuDNN eligibility), ready for ``trained.save(path)``.
    """
    import keras

    from .distribute import training_plan
    from .bundle import TrainedModel
    from .fitting import fit

    settings = settings or TrainSettings.default()
    parts = load_splits(num_words=settings.num_words, maxlen=settings.maxlen,
                        val_size=settings.val_size, train_size=settings.train_size,
                        test_size=settings.test_size, archive=archive)
    plan = training_plan(strategy)
    batch_size = plan.global_batch(settings.batch_size)
    if plan.replicas > 1:
        print(f"tf.distribute: {plan.describe(settings.batch_size)}", flush=True)
    keras.utils.set_random_seed(settings.seed)
    with plan.scope():
        model = _build_model(settings, parts, batch_size, plan.jit_compile)
    history = fit(model, parts.x_train, parts.y_train, epochs=settings.epochs,
                  batch_size=batch_size,
                  validation_data=(parts.x_val, parts.y_val) if len(parts.y_val) else None,
                  verbose=verbose, buckets=settings.buckets, seed=settings.seed,
                  callbacks=_callbacks(settings, parts, checkpoint_dir))
    meta = _meta(settings, model, parts, history, score_test)
    meta.update(plan.meta(settings.batch_size), chief=plan.is_chief)
    trained = TrainedModel(model, parts.vocab, settings.maxlen, "post", "pre", meta)
    return TrainResult(trained, history)


def _build_model(settings: TrainSettings, parts: ImdbSplits, batch_size: int,
                 jit_compile: Any) -> Any:
    """The compiled classifier of ``settings``, its polarity (if used) and
    learning-rate schedule fitted to the training part."""
    from .features import word_polarity
    from .models import build_classifier

    steps = -(-len(parts.x_train) // batch_size) * settings.epochs
    return build_classifier(
        settings.kind,
        num_words=settings.num_words,
        maxlen=None if settings.buckets else settings.maxlen,
        embed_dim=settings.embed_dim,
        units=settings.units,
        dropout=settings.dropout,
        learning_rate=settings.learning_rate,
        decay_steps=steps if settings.cosine else None,
        polarity=(
            word_polarity(parts.x_train, parts.y_train, settings.num_words)
            if settings.polarity
            else None
        ),
        average_weights=settings.average_weights,
        jit_compile=jit_compile,
    )


def _callbacks(settings: TrainSettings, parts: ImdbSplits,
               checkpoint_dir: str | os.PathLike | None) -> list[Any]:
    """:class:`EpochCheckpoints` into ``checkpoint_dir`` if given."""
    if checkpoint_dir is None:
        return []
    from .checkpoints import EpochCheckpoints

    return [EpochCheckpoints(checkpoint_dir, parts.vocab, settings.maxlen,
                             {"settings": asdict(settings), "mode": config.mode_name()})]


def _meta(settings: TrainSettings, model: Any, parts: ImdbSplits,
          history: dict[str, list[float]], score_test: bool) -> dict[str, Any]:
    """How the model was trained and how it scored (validation, and the test
    reviews once if ``score_test``), with the device and cuDNN eligibility."""
    from .fitting import evaluate
    from .models import device_record

    val_loss, val_accuracy = (
        evaluate(model, parts.x_val, parts.y_val, buckets=settings.buckets)
        if len(parts.y_val)
        else (None, None)
    )
    test_loss, test_accuracy = (
        evaluate(model, parts.x_test, parts.y_test, buckets=settings.buckets)
        if score_test
        else (None, None)
    )
    return {
        "settings": asdict(settings),
        "mode": config.mode_name(),
        "protocol": (
            "vocabulary, polarity and weights fitted on the training part; "
            "val_* measured on the validation part; test_* scored once, after training"
        ),
        "val_accuracy": val_accuracy,
        "val_loss": val_loss,
        "test_accuracy": test_accuracy,
        "test_loss": test_loss,
        "train_reviews": int(len(parts.x_train)),
        "val_reviews": int(len(parts.y_val)),
        "test_reviews": int(len(parts.y_test)) if score_test else 0,
        # median: the first epoch also pays for XLA/graph compilation
        "seconds_per_epoch": float(np.median(history["seconds"])),
        "seconds_first_epoch": float(history["seconds"][0]),
        **device_record(model.get_layer(settings.kind)),
        "parameters": int(model.count_params()),
        "history": history,
    }


def comparison_dir(kind: str, seed: int = 0) -> Path:
    """``artifacts/deeper/<mode>/<kind>_seed<seed>``: one model of the
    GRU / LSTM / SimpleRNN comparison (mode: ``full`` or ``fast``)."""
    mode = "fast" if config.fast_mode() else "full"
    return config.artifacts_dir() / "deeper" / mode / f"{kind}_seed{seed}"


def train_or_load(kind: str = "gru", seed: int = 0, checkpoints: bool = False,
                  verbose: int = 0) -> Any:
    """Notebook 03's recipe with layer ``kind`` and ``seed``, trained once.

    Trained with :func:`train_classifier` (``TrainSettings.default(kind)``:
    the full recipe, or its small version under ``GRU_EDU_FAST=1``) and saved
    in :func:`comparison_dir`; later calls load it. ``checkpoints=True`` also
    keeps the per-epoch bundles in ``<that folder>/epochs``
    (:func:`gru_edu.imdb.checkpoints.load_checkpoints` opens them). With
    ``verbose``, training prints its epochs and a load says where from.
    Returns the :class:`gru_edu.imdb.TrainedModel`.
    """
    from .bundle import TrainedModel
    from .checkpoints import checkpoint_paths

    folder = comparison_dir(kind, seed)
    epochs = folder / "epochs"
    have = (folder / "meta.json").exists() and (
        not checkpoints or checkpoint_paths(epochs))
    if have:
        if verbose:
            print(f"loaded {folder}: trained before (delete it to train afresh)")
        return TrainedModel.load(folder)
    settings = replace(TrainSettings.default(kind), seed=seed)
    result = train_classifier(settings, verbose=verbose,
                              checkpoint_dir=epochs if checkpoints else None)
    result.trained.save(folder, optimizer=False)
    return result.trained
