"""The GRU language model: word vectors in, the next word's distribution out.

``word ids → TiedEmbedding → GRU (a state per word)``; the next word's scores
are the state's dot products with every word vector plus a bias
(:meth:`TiedEmbedding.logits`). The input and output word vectors are one
matrix ("tied", Press & Wolf 2017; Inan et al. 2017): half the parameters, and
the softmax needs no matrix of its own. The Keras model returns the states;
the scores are computed outside it, because training never computes all
10,000 of them: it scores the true word against a sample of others
(sampled softmax, Jean et al. 2015, :func:`sampled_loss`), which keeps a step
affordable on two CPU cores. Perplexity is measured with the full softmax
(:func:`word_log_probs`).

The GRU is Keras's own layer with its defaults (``reset_after=True``), so the
gate explorer replays it like any classifier's GRU, and cuDNN runs it on a GPU.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gru_edu import config

config.quiet_tensorflow()  # before keras: no start-up log lines

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers  # noqa: E402

__all__ = ["TiedEmbedding", "build_language_model", "sampled_loss", "word_log_probs",
           "tied_embedding", "init_output_bias"]


@keras.saving.register_keras_serializable(package="gru_edu")
class TiedEmbedding(layers.Embedding):
    """An ``Embedding`` whose matrix also scores the next word.

    ``logits(states)`` is ``states @ embeddings.T + output_bias``: the word
    vectors read the input and score the output.
    """

    def build(self, input_shape: Any = None) -> None:
        super().build(input_shape)
        self.output_bias = self.add_weight(
            shape=(self.input_dim,), initializer="zeros", name="output_bias")

    def save_own_variables(self, store: Any) -> None:
        if self.built:  # Embedding's own saving knows its matrix only
            store["0"] = self.embeddings
            store["1"] = self.output_bias

    def load_own_variables(self, store: Any) -> None:
        if self.built:
            self.embeddings.assign(store["0"])
            self.output_bias.assign(store["1"])

    def logits(self, states: Any) -> Any:
        """Scores of every word id, ``(..., num_words)``."""
        scores = tf.linalg.matmul(states, self.embeddings, transpose_b=True)
        return scores + self.output_bias


def build_language_model(num_words: int = 10000, units: int = 128,
                         dropout: float = 0.0) -> keras.Model:
    """``ids (batch, steps) → states (batch, steps, units)``, uncompiled.

    The word vectors have ``units`` numbers each, so the states can be scored
    against them (tied). ``mask_zero``: padding (id 0) is skipped, so the
    model also reads right-padded reviews like the classifiers'.
    """
    inputs = keras.Input(shape=(None,), dtype="int32", name="word_ids")
    x = TiedEmbedding(num_words, units, mask_zero=True, name="embedding")(inputs)
    if dropout:
        x = layers.Dropout(dropout, name="embedding_dropout")(x)
    x = layers.GRU(units, return_sequences=True, name="gru")(x)
    if dropout:
        x = layers.Dropout(dropout, name="state_dropout")(x)
    return keras.Model(inputs, x, name="imdb_gru_lm")


def tied_embedding(model: keras.Model) -> TiedEmbedding:
    """The model's :class:`TiedEmbedding` layer."""
    layer = model.get_layer("embedding")
    if not isinstance(layer, TiedEmbedding):
        raise TypeError(f"{model.name} is not a gru-edu language model (no tied embedding)")
    return layer


def sampled_loss(model: keras.Model, x: Any, y: Any, num_sampled: int,
                 training: bool = True) -> Any:
    """Mean sampled-softmax loss of the next words ``y`` after ``x``.

    The true word is scored against ``num_sampled`` other words drawn from a
    log-uniform (Zipf) law over the ids, which suits ids ranked by frequency.
    The loss corrects for the sampling, so in expectation its gradient is the
    full softmax's.
    """
    states = model(x, training=training)
    emb = tied_embedding(model)
    losses = tf.nn.sampled_softmax_loss(
        weights=emb.embeddings, biases=emb.output_bias,
        labels=tf.reshape(tf.cast(y, tf.int64), (-1, 1)),
        inputs=tf.reshape(states, (-1, states.shape[-1])),
        num_sampled=num_sampled, num_classes=emb.input_dim)
    return tf.reduce_mean(losses)


def init_output_bias(model: keras.Model, ids: np.ndarray) -> None:
    """Start the output bias at the words' log frequencies in ``ids``.

    The untrained model then already predicts like the unigram baseline, and
    the sampled softmax, which sees only a few hundred words per step, does
    not have to learn 10,000 frequencies first: without it, the first minutes
    of training go to the frequencies alone.
    """
    emb = tied_embedding(model)
    counts = np.bincount(np.asarray(ids), minlength=emb.input_dim)[: emb.input_dim] + 1.0
    emb.output_bias.assign(np.log(counts / counts.sum()).astype("float32"))


def word_log_probs(model: keras.Model, x: np.ndarray, y: np.ndarray,
                   batch_size: int = 64) -> np.ndarray:
    """log P(y[i, t] | x[i, :t+1]) under the full softmax, ``(n, steps)``."""
    emb = tied_embedding(model)

    @tf.function(reduce_retracing=True)
    def batch(xb: Any, yb: Any) -> Any:
        logits = emb.logits(model(xb, training=False))
        return -tf.nn.sparse_softmax_cross_entropy_with_logits(labels=yb, logits=logits)

    out = [batch(tf.constant(x[i:i + batch_size]), tf.constant(y[i:i + batch_size]))
           for i in range(0, len(x), batch_size)]
    return np.concatenate([np.asarray(o) for o in out])
