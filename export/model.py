"""The Keras model a :class:`TrainingConfig` describes: Embedding + SimpleRNN + a head."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from edge_sentiment.constants import LAST_SPECIAL_ID, OOV_ID, PAD_ID
from edge_sentiment.model_math import pad_step_input, rnn_pad_states
from edge_sentiment.pairs import pair_ids
from edge_sentiment.tasks import ACTIVATIONS

from .config import TrainingConfig

INPUT_NAME = "ids"
#: The one-text graph's second input, with subwords (the batch graph reads them from its row).
SUBWORDS_INPUT = "subwords"
OUTPUT_NAME = "score"
BAG_MEAN = "bag_mean"
PAIR_EMBEDDING = "pair_embedding"
SUBWORD_EMBEDDING = "subword_embedding"
#: Layers the bag-of-words phase trains and the second phase freezes.
BAG_EMBEDDINGS = ("embedding", PAIR_EMBEDDING, SUBWORD_EMBEDDING)


@keras.saving.register_keras_serializable(package="edge_sentiment")
class MaskedMean(keras.layers.Layer):
    """Mean over the time steps that hold a token, padding excluded.

    A plain GlobalAveragePooling1D would average in the pad steps too, so the
    signal of a 100-word text padded to 500 would shrink five-fold. ``prior``
    adds to the count (``TrainingConfig.bag_prior``): the sum over n tokens is
    divided by ``max(n + prior, 1)``.
    """

    def __init__(self, prior: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.prior = float(prior)

    def call(self, inputs):
        steps, ids = inputs
        is_token = ops.expand_dims(ops.cast(ops.not_equal(ids, PAD_ID), steps.dtype), -1)
        count = ops.sum(is_token, axis=1) + self.prior
        return ops.sum(steps * is_token, axis=1) / ops.maximum(count, ops.ones_like(count))

    def get_config(self):
        return {**super().get_config(), "prior": self.prior}


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


@keras.saving.register_keras_serializable(package="edge_sentiment")
class MultiHotDense(keras.layers.Layer):
    """``relu(multi_hot(ids) @ kernel + bias)`` without building the multi-hot vector.

    A multi-hot row times the kernel is the sum of the kernel rows of the
    distinct non-pad ids. Sorting each row puts repeats side by side, so "first
    of its run" marks each distinct id once; the Sort, Gather and sum convert
    to ONNX and TFLite builtin ops, and no (batch x vocab) array is made.
    """

    def __init__(self, vocab_size: int, units: int, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size, self.units = vocab_size, units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(self.vocab_size, self.units), initializer="glorot_uniform", name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, ids):
        ordered = ops.sort(ids, axis=-1)
        starts_run = ops.concatenate([ops.ones_like(ordered[:, :1], dtype="bool"), ops.not_equal(ordered[:, 1:], ordered[:, :-1])], axis=1)
        distinct = ops.cast(ops.logical_and(starts_run, ops.not_equal(ordered, PAD_ID)), self.kernel.dtype)
        rows = ops.take(self.kernel, ordered, axis=0)
        return ops.relu(ops.sum(rows * ops.expand_dims(distinct, -1), axis=1) + self.bias)

    def get_config(self):
        return {**super().get_config(), "vocab_size": self.vocab_size, "units": self.units}


def build_model(config: TrainingConfig, unroll: bool = False) -> keras.Model:
    """Build (untrained) the classifier; ``unroll=True`` gives the TFLite-friendly twin."""
    row = keras.Input(shape=(config.width,), dtype="int32", name=INPUT_NAME)
    ids, subwords = row, None
    if config.has_subwords:
        ids = Columns(0, config.maxlen, name="word_ids")(row)
        subwords = Columns(config.maxlen, config.width, name="subword_ids")(row)
    if config.word_dropout:
        ids = WordDropout(config.word_dropout, config.seed, name="word_dropout")(ids)
    if config.architecture == "multi_hot_dense":
        features = _multi_hot_features(ids, config)
    else:
        features = _rnn_features(ids, config, unroll, subwords)
    if config.dropout:
        features = keras.layers.Dropout(config.dropout, name="dropout")(features)
    score = output_layer(config, OUTPUT_NAME)(features)
    return keras.Model(row, score, name=f"edge_sentiment_{config.preset}".replace("-", "_"))


def output_layer(config: TrainingConfig, name: str) -> keras.layers.Dense:
    """The final layer: one unit per output, the task's activation (edge_sentiment/tasks.py)."""
    return keras.layers.Dense(config.outputs, activation=ACTIVATIONS[config.task], name=name)


def _multi_hot_features(ids, config: TrainingConfig):
    hidden = MultiHotDense(config.num_words, config.dense_units[0], name="multi_hot")(ids)
    for number, units in enumerate(config.dense_units[1:], start=1):
        hidden = keras.layers.Dense(units, activation="relu", name=f"hidden_{number}")(hidden)
    return hidden


def _rnn_features(ids, config: TrainingConfig, unroll: bool, subwords=None):
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
    rnn_ids, rnn_input = ids, embedded
    if config.rnn_window:
        rnn_ids = LastSteps(config.rnn_window, name="rnn_window_ids")(ids)
        rnn_input = LastSteps(config.rnn_window, name="rnn_window")(embedded)
    keep_steps = config.head != "last"
    states = keras.layers.SimpleRNN(
        config.rnn_units, return_sequences=keep_steps, dropout=config.rnn_dropout, unroll=unroll, name="rnn"
    )(rnn_input)
    if config.head == "max":
        return keras.layers.GlobalMaxPooling1D(name="max_pool")(states)
    if config.head == "mean":
        return MaskedMean(name="mean_pool")([states, rnn_ids])
    if config.head == "mean_with_bag":
        # Order matters: the two-phase trainer copies the bag classifier into the
        # first rows of the final Dense kernel.
        bag = _bag(ids, embedded, config, subwords)
        return keras.layers.Concatenate(name="features")([bag, MaskedMean(name="mean_pool")([states, rnn_ids])])
    return states


def _bag(ids, embedded, config: TrainingConfig, subwords=None):
    """Mean of the word embeddings over the whole text (and of the hashed pairs' and the
    subwords', if any), in that order (edge_sentiment/model_math.py splits the Dense kernel so)."""
    if not config.pair_buckets and subwords is None:
        return MaskedMean(config.bag_prior, name=BAG_MEAN)([embedded, ids])
    means = [MaskedMean(config.bag_prior, name="word_bag")([embedded, ids])]
    if config.pair_buckets:
        pairs = PairIds(config.num_words, config.pair_buckets, name="pair_ids")(ids)
        pair_vectors = keras.layers.Embedding(config.pair_buckets, config.pair_dim, name=PAIR_EMBEDDING)(pairs)
        means.append(MaskedMean(config.bag_prior, name="pair_bag")([pair_vectors, pairs]))
    if subwords is not None:
        subword_vectors = keras.layers.Embedding(config.subword_buckets + 1, config.subword_dim, name=SUBWORD_EMBEDDING)(subwords)
        means.append(MaskedMean(config.bag_prior, name="subword_bag")([subword_vectors, subwords]))
    return keras.layers.Concatenate(name=BAG_MEAN)(means)


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


def numpy_weights(model: keras.Model, config: TrainingConfig) -> dict:
    """The arrays of weights.npz, by name (their names and shapes: edge_sentiment/model_math.py,
    ``weight_shapes``; the NumPy backend refuses a file whose arrays differ)."""
    arrays = {}
    if config.architecture == "multi_hot_dense":
        arrays["multi_hot_kernel"], arrays["multi_hot_bias"] = _arrays(model, "multi_hot")
        for number in range(1, len(config.dense_units)):
            arrays[f"hidden_{number}_kernel"], arrays[f"hidden_{number}_bias"] = _arrays(model, f"hidden_{number}")
    else:
        (arrays["embedding"],) = _arrays(model, "embedding")
        arrays["rnn_kernel"], arrays["rnn_recurrent"], arrays["rnn_bias"] = _arrays(model, "rnn")
        if config.pair_buckets:
            (arrays["pair_embedding"],) = _arrays(model, PAIR_EMBEDDING)
        if config.has_subwords:
            (arrays["subword_embedding"],) = _arrays(model, SUBWORD_EMBEDDING)
    arrays["dense_kernel"], arrays["dense_bias"] = _arrays(model, OUTPUT_NAME)
    return arrays


def _arrays(model: keras.Model, layer: str) -> list[np.ndarray]:
    return [w.numpy() for w in model.get_layer(layer).weights]


def pad_states(model: keras.Model, config: TrainingConfig) -> np.ndarray:
    """``(rnn_steps + 1, units)``: the RNN state after 0..rnn_steps pad steps from a zero state."""
    kernel, recurrent, bias = _arrays(model, "rnn")
    (embedding,) = _arrays(model, "embedding")
    return rnn_pad_states(pad_step_input(embedding, kernel, bias), recurrent, config.rnn_steps)
