"""The Keras model a :class:`TrainingConfig` describes: Embedding + SimpleRNN + a head."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from edge_sentiment.backends.numpy import rnn_pad_states
from edge_sentiment.constants import PAD_ID

from .config import TrainingConfig

INPUT_NAME = "ids"
OUTPUT_NAME = "score"
BAG_MEAN = "bag_mean"


@keras.saving.register_keras_serializable(package="edge_sentiment")
class MaskedMean(keras.layers.Layer):
    """Mean over the time steps that hold a token, padding excluded.

    A plain GlobalAveragePooling1D would average in the pad steps too, so the
    signal of a 100-word review padded to 500 would shrink five-fold.
    """

    def call(self, inputs):
        steps, ids = inputs
        is_token = ops.expand_dims(ops.cast(ops.not_equal(ids, PAD_ID), steps.dtype), -1)
        count = ops.sum(is_token, axis=1)
        return ops.sum(steps * is_token, axis=1) / ops.maximum(count, ops.ones_like(count))


def build_model(config: TrainingConfig, unroll: bool = False) -> keras.Model:
    """Build (untrained) the classifier; ``unroll=True`` gives the TFLite-friendly twin."""
    ids = keras.Input(shape=(config.maxlen,), dtype="int32", name=INPUT_NAME)
    if config.input_encoding == "one_hot":
        # Row i of the identity matrix is one_hot(i): the Gather every backend
        # already runs does the one-hot step, and nothing learns it.
        embedding = keras.layers.Embedding(
            config.num_words, config.num_words, embeddings_initializer="identity", trainable=False, name="embedding"
        )
    else:
        embedding = keras.layers.Embedding(config.num_words, config.embedding_dim, name="embedding")
    embedded = embedding(ids)
    if config.embedding_dropout:
        embedded = keras.layers.SpatialDropout1D(config.embedding_dropout, name="embedding_dropout")(embedded)
    keep_steps = config.head != "last"
    states = keras.layers.SimpleRNN(
        config.rnn_units, return_sequences=keep_steps, dropout=config.rnn_dropout, unroll=unroll, name="rnn"
    )(embedded)
    if config.head == "max":
        features = keras.layers.GlobalMaxPooling1D(name="max_pool")(states)
    elif config.head == "mean":
        features = MaskedMean(name="mean_pool")([states, ids])
    elif config.head == "mean_with_bag":
        # Order matters: the two-phase trainer copies the bag classifier into the
        # first embedding_dim rows of the final Dense kernel.
        bag = MaskedMean(name=BAG_MEAN)([embedded, ids])
        features = keras.layers.Concatenate(name="features")([bag, MaskedMean(name="mean_pool")([states, ids])])
    else:
        features = states
    if config.dropout:
        features = keras.layers.Dropout(config.dropout, name="dropout")(features)
    score = keras.layers.Dense(1, activation="sigmoid", name=OUTPUT_NAME)(features)
    return keras.Model(ids, score, name=f"edge_sentiment_{config.preset}".replace("-", "_"))


def load_keras_model(path) -> keras.Model:
    """Load a bundle's ``model.keras`` (this module registers its custom layers)."""
    return keras.saving.load_model(path, compile=False)


def unrolled_copy(model: keras.Model, config: TrainingConfig) -> keras.Model:
    """The same weights in an unrolled graph: converts to TFLite builtin ops only."""
    twin = build_model(config, unroll=True)
    # Layer by layer, by name: a frozen layer's weights move to the end of
    # model.get_weights(), so the flat lists of the two models need not line up.
    for layer in model.layers:
        twin.get_layer(layer.name).set_weights(layer.get_weights())
    return twin


def numpy_weights(model: keras.Model) -> dict:
    """The arrays the NumPy backend reads (edge_sentiment/backends/numpy.py), by name."""
    kernel, recurrent, bias = (w.numpy() for w in model.get_layer("rnn").weights)
    dense_kernel, dense_bias = (w.numpy() for w in model.get_layer(OUTPUT_NAME).weights)
    return {
        "embedding": model.get_layer("embedding").weights[0].numpy(),
        "rnn_kernel": kernel,
        "rnn_recurrent": recurrent,
        "rnn_bias": bias,
        "dense_kernel": dense_kernel,
        "dense_bias": dense_bias,
    }


#: Heads whose output ignores the RNN outputs at pad steps, so that leading pad
#: columns can be replaced by the RNN state they lead to (see fuse_rnn).
TRIMMABLE_HEADS = ("last", "mean", "mean_with_bag")


def pad_states(model: keras.Model, maxlen: int) -> np.ndarray:
    """``(maxlen + 1, units)``: the RNN state after 0..maxlen pad steps from a zero state."""
    kernel, recurrent, bias = (w.numpy() for w in model.get_layer("rnn").weights)
    pad_input = model.get_layer("embedding").weights[0].numpy()[PAD_ID] @ kernel + bias
    return rnn_pad_states(pad_input, recurrent, maxlen)
