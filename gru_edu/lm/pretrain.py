"""Training the language model: ``python -m gru_edu pretrain``.

:func:`pretrain` reads the corpus (:func:`gru_edu.lm.corpus.load_corpus`),
trains the GRU language model on windows of the training text with the
sampled softmax, measures the validation text's perplexity (full softmax)
after every epoch, and returns the :class:`gru_edu.lm.bundle.LanguageModel`
with its log: per epoch the training loss, the validation perplexity, the
seconds and the words per second trained, plus the unigram and Kneser-Ney
bigram perplexities of the same validation text for comparison.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from gru_edu import config

from .corpus import LMCorpus, load_corpus, windows
from .ngram import KneserNeyBigram, Unigram, perplexity

if TYPE_CHECKING:  # typing only: the model modules import Keras (the CLI's parser must not)
    from .bundle import LanguageModel

__all__ = ["PretrainSettings", "FinetuneSettings", "pretrain", "train_language_model", "validation_perplexity",
           "baseline_perplexities", "FAST_LM_TRAIN_SIZE"]

#: Training reviews of the language model in the fast (CI) setting.
FAST_LM_TRAIN_SIZE = 400


@dataclass(frozen=True)
class PretrainSettings:
    """The language model's recipe: size, windows, optimiser, epochs."""

    num_words: int = 10000
    units: int = 128
    seq_len: int = 64
    batch_size: int = 64
    num_sampled: int = 512
    learning_rate: float = 1e-2
    epochs: int = 4
    dropout: float = 0.0
    train_size: int | None = None  # None: the whole training part
    val_size: int = 2500
    unsup: bool = True
    max_minutes: float | None = None  # stop early (between batches) after this long
    seed: int = 0

    @classmethod
    def default(cls) -> "PretrainSettings":
        """The shipped model's recipe, or a tiny one under ``GRU_EDU_FAST=1``."""
        if config.fast_mode():
            return cls(num_words=2000, units=32, epochs=2, train_size=FAST_LM_TRAIN_SIZE,
                       val_size=200, num_sampled=128, unsup=False)
        return cls()


@dataclass(frozen=True)
class FinetuneSettings:
    """A sentiment classifier's recipe from the language model
    (:func:`gru_edu.lm.finetune.finetune`); ``pretrained`` picks the start.

    The defaults are ``python -m gru_edu train``'s recipe: on validation, a
    GRU fine-tuned from the language model beat notebook 03's recipe from
    scratch (``benchmarks/logs/bench_lm_recipe.json`` against
    ``bench_imdb.json``). It lives here, without Keras, because the command
    line's parser reads its defaults.
    """

    pretrained: bool = True
    epochs: int = 3
    frozen_epochs: int = 0
    learning_rate: float = 3e-3
    dropout: float = 0.4
    batch_size: int = 64
    seed: int = 0


def validation_perplexity(model: Any, ids: np.ndarray, seq_len: int = 64,
                          max_words: int | None = None) -> float:
    """Perplexity of a stream under the full softmax, in windows of ``seq_len``.

    ``max_words`` scores only the start of the stream (a quick look per epoch).
    """
    from .model import word_log_probs

    ids = np.asarray(ids)[: None if max_words is None else max_words + 1]
    x, y = windows(ids, 1, seq_len)
    return perplexity(word_log_probs(model, x, y))


def baseline_perplexities(corpus: LMCorpus, seq_len: int = 64) -> dict[str, float]:
    """Unigram and Kneser-Ney bigram perplexity of the validation text, scored
    on the same words :func:`validation_perplexity` scores."""
    n = (len(corpus.val) - 1) // seq_len * seq_len + 1
    val = corpus.val[:n]
    num_words = corpus.vocab.num_words
    return {
        "unigram": Unigram.fit(corpus.train, num_words).perplexity(val),
        "bigram_kneser_ney": KneserNeyBigram.fit(corpus.train, num_words).perplexity(val),
    }


def _train_step(model: Any, optimizer: Any, num_sampled: int) -> Any:
    import tensorflow as tf

    from .model import sampled_loss

    variables = model.trainable_variables

    @tf.function
    def step(x: Any, y: Any) -> Any:
        with tf.GradientTape() as tape:
            loss = sampled_loss(model, x, y, num_sampled)
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    return step


def _optimizer(settings: PretrainSettings, steps: int) -> Any:
    import keras

    schedule = keras.optimizers.schedules.CosineDecay(settings.learning_rate, max(steps, 1))
    return keras.optimizers.Adam(schedule, global_clipnorm=1.0)


def _epoch(step: Any, x: np.ndarray, y: np.ndarray, settings: PretrainSettings,
           label: str, deadline: float | None) -> dict[str, float]:
    """One pass over the windows, with a progress bar; stops at ``deadline``."""
    bar = config.progress_bar(total=len(x) * settings.seq_len, desc=label, unit=" words",
                              unit_scale=True)
    losses, start, words = [], time.perf_counter(), 0
    for i in range(0, len(x), settings.batch_size):
        losses.append(float(step(x[i:i + settings.batch_size], y[i:i + settings.batch_size])))
        words += settings.batch_size * settings.seq_len
        bar.update(settings.batch_size * settings.seq_len)
        if len(losses) % 20 == 0:
            bar.set_postfix(loss=f"{np.mean(losses[-20:]):.2f}")
        if deadline is not None and time.perf_counter() > deadline:
            break
    bar.close()
    seconds = time.perf_counter() - start
    return {"train_loss": float(np.mean(losses)), "seconds": seconds,
            "words": words, "words_per_second": words / seconds}


def train_language_model(corpus: LMCorpus, settings: PretrainSettings,
                         verbose: bool = True) -> tuple[Any, list[dict[str, float]]]:
    """Train on ``corpus.train``; returns the Keras model and the per-epoch log."""
    import keras

    from .model import build_language_model, init_output_bias

    keras.utils.set_random_seed(settings.seed)
    model = build_language_model(corpus.vocab.num_words, settings.units, settings.dropout)
    init_output_bias(model, corpus.train)
    per_epoch = (len(corpus.train) - 1) // settings.seq_len // settings.batch_size
    optimizer = _optimizer(settings, per_epoch * settings.epochs)
    optimizer.build(model.trainable_variables)
    step = _train_step(model, optimizer, settings.num_sampled)
    deadline = (time.perf_counter() + 60 * settings.max_minutes
                if settings.max_minutes else None)
    history = []
    for epoch in range(settings.epochs):
        x, y = windows(corpus.train, settings.batch_size, settings.seq_len,
                       seed=settings.seed * 1000 + epoch)
        row = _epoch(step, x, y, settings, f"epoch {epoch + 1}/{settings.epochs}", deadline)
        row["epoch"] = epoch + 1
        row["val_perplexity"] = validation_perplexity(model, corpus.val, settings.seq_len)
        history.append(row)
        if verbose:
            print(f"epoch {epoch + 1}: training loss {row['train_loss']:.3f} (sampled), "
                  f"validation perplexity {row['val_perplexity']:.1f}, "
                  f"{row['words_per_second']:,.0f} words/s", flush=True)
        if deadline is not None and time.perf_counter() > deadline:
            break
    return model, history


def pretrain(settings: PretrainSettings | None = None,
             archive: str | os.PathLike | None = None,
             verbose: bool = True) -> LanguageModel:
    """Read the corpus, train, compare with the count baselines; the bundle.

    ``meta`` holds the settings, the corpus's sources and sizes, the
    per-epoch ``history``, the final ``val_perplexity``, ``baselines``
    (unigram and bigram perplexity of the same words), the device and
    ``words_per_second`` (median over epochs).
    """
    from ..imdb.bundle import TrainedModel
    from ..imdb.models import device_name
    from .bundle import LanguageModel

    settings = settings or PretrainSettings.default()
    corpus = load_corpus(settings.num_words, archive, settings.train_size,
                         settings.val_size, settings.unsup, progress=verbose)
    if verbose:
        print(corpus.describe(), flush=True)
    started = time.perf_counter()
    model, history = train_language_model(corpus, settings, verbose)
    meta = {
        "kind": "language model",
        "settings": asdict(settings),
        "mode": config.mode_name(),
        "sources": corpus.sources,
        "train_words": int(len(corpus.train)),
        "val_words": int(len(corpus.val)),
        "protocol": ("trained on the training part's text (labels unused) and "
                     "train/unsup when present; perplexity on the validation part"),
        "history": history,
        "val_perplexity": history[-1]["val_perplexity"],
        "baselines": baseline_perplexities(corpus, settings.seq_len),
        "words_per_second": float(np.median([h["words_per_second"] for h in history])),
        "train_seconds": time.perf_counter() - started,
        "device": device_name(),
        "parameters": int(model.count_params()),
    }
    return LanguageModel(TrainedModel(model, corpus.vocab, 300, "post", "pre", meta))

