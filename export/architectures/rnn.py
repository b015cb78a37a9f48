"""Embedding + SimpleRNN and its heads, training half: the Keras layers, the weights as arrays
and the manifest record (the runtime half: edge_sentiment/architectures/rnn.py)."""

from __future__ import annotations

import keras
import numpy as np

from edge_sentiment.model_math import pad_step_input, rnn_pad_states, rnn_vectors

from ..config import TrainingConfig
from ..layers import (
    BAG_MEAN, PAIR_EMBEDDING, RNN_EMBEDDING, RNN_FEATURES, SUBWORD_EMBEDDING, WORD_EMBEDDING, LastSteps, MaskedMean, PairIds,
    RowScales, layer_arrays,
)


def features(ids, config: TrainingConfig, unroll: bool = False, subwords=None, scales=None):
    """The features the output layer reads: the head over the RNN states (and the bags).
    ``scales``: each embedding's row scales while training (export/feature_weights.py), by layer name."""
    if config.input_encoding == "one_hot":
        # Row i of the identity matrix is one_hot(i): the Gather every backend
        # already runs does the one-hot step, and nothing learns it.
        embedding = keras.layers.Embedding(
            config.num_words, config.num_words, embeddings_initializer="identity", trainable=False, name=WORD_EMBEDDING
        )
    else:
        embedding = keras.layers.Embedding(config.num_words, config.embedding_dim, name=WORD_EMBEDDING)
    # (the RNN reads the scaled vectors too: folding the scales into the rows keeps the model the same)
    embedded = _scaled(embedding(ids), ids, scales, WORD_EMBEDDING)
    if config.embedding_dropout:
        embedded = keras.layers.SpatialDropout1D(config.embedding_dropout, name="embedding_dropout")(embedded)
    rnn_ids, rnn_input = ids, embedded
    if config.rnn_embedding_dim:
        # Keras' default initial values, from a seed of its own: the global random stream (so every
        # other layer's initial values) stays as without this table, and a model that keeps its
        # bag alone is the bag model these settings always gave.
        initial = keras.initializers.RandomUniform(-0.05, 0.05, seed=config.seed)
        rnn_input = keras.layers.Embedding(config.num_words, config.rnn_embedding_dim, embeddings_initializer=initial,
                                           name=RNN_EMBEDDING)(ids)
    if config.rnn_window:
        rnn_ids = LastSteps(config.rnn_window, name="rnn_window_ids")(ids)
        rnn_input = LastSteps(config.rnn_window, name="rnn_window")(rnn_input)
    keep_steps = config.head != "last"
    states = keras.layers.SimpleRNN(
        config.rnn_units, return_sequences=keep_steps, dropout=config.rnn_dropout, unroll=unroll, name="rnn"
    )(rnn_input)
    if config.head == "max":
        return keras.layers.GlobalMaxPooling1D(name="max_pool")(states)
    if config.head == "mean":
        return MaskedMean(name=RNN_FEATURES)([states, rnn_ids])
    if config.head == "mean_with_bag":
        # Order matters: the two-phase trainer copies the bag classifier into the
        # first rows of the final Dense kernel.
        bag = _bag(ids, embedded, config, subwords, scales)
        return keras.layers.Concatenate(name="features")([bag, MaskedMean(name=RNN_FEATURES)([states, rnn_ids])])
    return states


def _bag(ids, embedded, config: TrainingConfig, subwords=None, scales=None):
    """Mean of the word embeddings over the whole text (and of the hashed pairs' and the
    subwords', if any), in that order (edge_sentiment/model_math.py splits the Dense kernel so)."""
    if not config.pair_buckets and subwords is None:
        return MaskedMean(config.bag_prior, config.bag_power, name=BAG_MEAN)([embedded, ids])
    means = [MaskedMean(config.bag_prior, config.bag_power, name="word_bag")([embedded, ids])]
    if config.pair_buckets:
        pairs = PairIds(config.num_words, config.pair_buckets, name="pair_ids")(ids)
        pair_vectors = keras.layers.Embedding(config.pair_buckets, config.pair_dim, name=PAIR_EMBEDDING)(pairs)
        pair_vectors = _scaled(pair_vectors, pairs, scales, PAIR_EMBEDDING)
        means.append(MaskedMean(config.bag_prior, config.bag_power, name="pair_bag")([pair_vectors, pairs]))
    if subwords is not None:
        subword_vectors = keras.layers.Embedding(config.subword_buckets + 1, config.subword_dim, name=SUBWORD_EMBEDDING)(subwords)
        subword_vectors = _scaled(subword_vectors, subwords, scales, SUBWORD_EMBEDDING)
        means.append(MaskedMean(config.bag_prior, config.bag_power, name="subword_bag")([subword_vectors, subwords]))
    return keras.layers.Concatenate(name=BAG_MEAN)(means)


def _scaled(vectors, ids, scales, embedding: str):
    """``vectors`` times their ids' scales, when ``scales`` has some for ``embedding``."""
    if scales is None or embedding not in scales:
        return vectors
    return RowScales(scales[embedding], name=f"{embedding}_scales")([vectors, ids])


def numpy_weights(model: keras.Model, config: TrainingConfig) -> dict:
    """The arrays of weights.npz before the output layer's, by name."""
    arrays = {}
    (arrays["embedding"],) = layer_arrays(model, WORD_EMBEDDING)
    arrays["rnn_kernel"], arrays["rnn_recurrent"], arrays["rnn_bias"] = layer_arrays(model, "rnn")
    if config.rnn_embedding_dim:
        (arrays["rnn_embedding"],) = layer_arrays(model, RNN_EMBEDDING)
    if config.pair_buckets:
        (arrays["pair_embedding"],) = layer_arrays(model, PAIR_EMBEDDING)
    if config.has_subwords:
        (arrays["subword_embedding"],) = layer_arrays(model, SUBWORD_EMBEDDING)
    return arrays


def onnx_variants(config: TrainingConfig) -> tuple[str, ...]:
    """How model.onnx can be made (onnx_graphs/convert.py ``ONNX_VARIANTS``), fastest first: the
    lean serving graph where it reproduces the head, else the Keras graph with its recurrence fused."""
    from ..onnx_graphs import serving  # (which imports this package)

    return ("lean", "fused", "as-converted") if serving.supports(config) else ("fused", "as-converted")


def manifest_record(config: TrainingConfig, variant: str) -> dict:
    """The manifest's ``model`` fields the runtime rebuilds this architecture from."""
    from ..onnx_graphs.convert import recurrent_op  # (the package imports this one)

    return {
        "architecture": config.architecture,
        "input_encoding": config.input_encoding,
        "embedding_dim": config.input_width,
        "rnn_units": config.rnn_units,
        "rnn_window": config.rnn_window,
        "head": config.head,
        "pair_buckets": config.pair_buckets,
        "pair_dim": config.pair_dim,
        "bag_prior": config.bag_prior,
        **({"bag_power": config.bag_power} if config.bag_power != 1.0 else {}),
        **({"subword_dim": config.subword_dim} if config.has_subwords else {}),
        **({"rnn_embedding_dim": config.rnn_embedding_dim} if config.rnn_embedding_dim else {}),
        "onnx_recurrent_op": recurrent_op(config, variant),
    }


def pad_states(model: keras.Model, config: TrainingConfig) -> np.ndarray:
    """``(rnn_steps + 1, units)``: the RNN state after 0..rnn_steps pad steps from a zero state."""
    weights = numpy_weights(model, config)
    return rnn_pad_states(pad_step_input(rnn_vectors(weights), weights["rnn_kernel"], weights["rnn_bias"]),
                          weights["rnn_recurrent"], config.rnn_steps)
