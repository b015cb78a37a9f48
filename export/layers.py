"""The Keras layers and layer names every architecture shares (export/architectures/ builds
the models from them): masked means, hashed pairs, the RNN's window, word dropout, columns,
feature scales."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from edge_sentiment.constants import LAST_SPECIAL_ID, OOV_ID, PAD_ID
from edge_sentiment.pairs import pair_ids

INPUT_NAME = "ids"
#: The one-text graph's second input, with subwords (the batch graph reads them from its row).
SUBWORDS_INPUT = "subwords"
OUTPUT_NAME = "score"
BAG_MEAN = "bag_mean"
#: The RNN's features (the mean of its states) in head "mean_with_bag".
RNN_FEATURES = "mean_pool"
#: The RNN's own word vectors (config.rnn_embedding_dim).
RNN_EMBEDDING = "rnn_embedding"
WORD_EMBEDDING = "embedding"
PAIR_EMBEDDING = "pair_embedding"
SUBWORD_EMBEDDING = "subword_embedding"
#: Layers the bag-of-words phase trains and the second phase freezes.
BAG_EMBEDDINGS = (WORD_EMBEDDING, PAIR_EMBEDDING, SUBWORD_EMBEDDING)


@keras.saving.register_keras_serializable(package="edge_sentiment")
class MaskedMean(keras.layers.Layer):
    """Mean over the time steps that hold a token, padding excluded.

    A plain GlobalAveragePooling1D would average in the pad steps too, so the
    signal of a 100-word text padded to 500 would shrink five-fold. ``prior``
    adds to the count (``TrainingConfig.bag_prior``) and ``power`` bends it
    (``bag_power``): the sum over n tokens is divided by ``max(n + prior, 1) ** power``
    (edge_sentiment/model_math.py, ``bag_divisor``).
    """

    def __init__(self, prior: float = 0.0, power: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.prior, self.power = float(prior), float(power)

    def call(self, inputs):
        steps, ids = inputs
        is_token = ops.expand_dims(ops.cast(ops.not_equal(ids, PAD_ID), steps.dtype), -1)
        count = ops.sum(is_token, axis=1) + self.prior
        divisor = ops.maximum(count, ops.ones_like(count))
        if self.power != 1.0:
            divisor = ops.power(divisor, self.power)
        return ops.sum(steps * is_token, axis=1) / divisor

    def get_config(self):
        return {**super().get_config(), "prior": self.prior, "power": self.power}


@keras.saving.register_keras_serializable(package="edge_sentiment")
class PairIds(keras.layers.Layer):
    """Ids ``[batch, T]`` -> hashed adjacent-pair buckets ``[batch, T - 1]`` (0: no pair)."""

    def __init__(self, vocab_size: int, buckets: int, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size, self.buckets = vocab_size, buckets

    def call(self, ids):
        return pair_ids(ids, self.vocab_size, self.buckets, ops=ops)

    def get_config(self):
        return {**super().get_config(), "vocab_size": self.vocab_size, "buckets": self.buckets}


@keras.saving.register_keras_serializable(package="edge_sentiment")
class LastSteps(keras.layers.Layer):
    """The last ``steps`` time steps of a sequence (what the windowed RNN reads)."""

    def __init__(self, steps: int, **kwargs):
        super().__init__(**kwargs)
        self.steps = steps

    def call(self, sequence):
        return sequence[:, -self.steps :]

    def get_config(self):
        return {**super().get_config(), "steps": self.steps}


@keras.saving.register_keras_serializable(package="edge_sentiment")
class WordDropout(keras.layers.Layer):
    """While training, each word id becomes the OOV id with probability ``rate``: the model
    learns to read a word from its subwords too, as it must a misspelt one, and leans less on any one word.
    The identity otherwise (so no exported graph holds it)."""

    def __init__(self, rate: float, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.rate, self.seed = rate, seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, ids, training=None):
        if not training or not self.rate:
            return ids
        dropped = keras.random.uniform(ops.shape(ids), seed=self.seed_generator) < self.rate
        dropped = ops.logical_and(dropped, ops.greater(ids, LAST_SPECIAL_ID))
        return ops.where(dropped, ops.full_like(ids, OOV_ID), ids)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


@keras.saving.register_keras_serializable(package="edge_sentiment")
class Columns(keras.layers.Layer):
    """Columns ``start:stop`` of the input row (word ids first, then subword ids)."""

    def __init__(self, start: int, stop: int, **kwargs):
        super().__init__(**kwargs)
        self.start, self.stop = start, stop

    def call(self, row):
        return row[:, self.start : self.stop]

    def get_config(self):
        return {**super().get_config(), "start": self.start, "stop": self.stop}


class RowScales(keras.layers.Layer):
    """Vectors ``[batch, T, d]`` of ids ``[batch, T]``, each times its id's fixed scale: a bag
    feature's weight while training (export/feature_weights.py). Never exported: the scales
    are folded into the embedding's rows afterwards (export/model.py, ``plain_copy``)."""

    def __init__(self, scales: np.ndarray, **kwargs):
        super().__init__(trainable=False, **kwargs)
        self.scales = np.asarray(scales, dtype=np.float32)

    def build(self, input_shape):
        self.table = self.add_weight(shape=self.scales.shape, initializer="ones", trainable=False, name="scales")
        self.table.assign(self.scales)

    def call(self, inputs):
        vectors, ids = inputs
        return vectors * ops.expand_dims(ops.take(self.table, ids, axis=0), -1)


def layer_arrays(model: keras.Model, layer: str) -> list[np.ndarray]:
    """The weights of ``model``'s layer ``layer``, as NumPy arrays."""
    return [w.numpy() for w in model.get_layer(layer).weights]
