"""A lean serving graph for the bag + windowed-RNN model, written as one ``tf.function``.

Converting the Keras model as it is gives many more ONNX nodes than a model
whose work is three gathers, a short RNN and a few sums: Keras' ``ops.take``
guards every gather against negative indices (9 nodes each), ``ops.where`` on
ints becomes arithmetic, masks are cast back and forth. On one text
onnxruntime's cost is per node, so the node count, not the arithmetic, sets
the latency (benchmarks/lean_vs_fused.py measures the two end to end). This function computes the same score from the trained
weights with plain TensorFlow ops, and folds the final Dense layer into the
bags (exact algebra: ``W · mean(E[ids]) = mean((E·W)[ids])``): one score per output
for each word and pair bucket. A model with zero weight on the RNN (its recurrent phase
not kept) gets a graph without it. tf2onnx converts it; the RNN's Loop is then fused
like any other (fuse_rnn.py), and the exporter compares the file with
the Keras model on every test text, as it does for every file it writes.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from edge_sentiment.constants import PAD_ID
from edge_sentiment.model_math import bag_table, model_split, rnn_vectors
from edge_sentiment.pairs import pair_bucket
from edge_sentiment.tasks import ACTIVATIONS

from ..config import TrainingConfig
from ..model import numpy_weights


def supports(config: TrainingConfig) -> bool:
    """The architecture this graph reproduces: embedding -> bag (+ pairs) and RNN mean, pre-padded."""
    return (
        config.architecture == "rnn"
        and config.input_encoding == "embedding"
        and config.head == "mean_with_bag"
        and config.padding == "pre"
    )


def serving_function(model: keras.Model, config: TrainingConfig, signature: list[tf.TensorSpec]):
    """A ``tf.function(ids) -> score [batch, K]`` equal to ``model`` (see the module docstring)."""
    if not supports(config):
        raise ValueError("the lean serving graph needs an embedding + SimpleRNN model with head "
                         f"'mean_with_bag' and pre-padding; {config.preset!r} is {config.describe()}")
    weights = numpy_weights(model, config)  # (by the names of weights.npz, as the one-text graph reads them)
    bias = weights["dense_bias"]
    dense = model_split(weights["dense_kernel"], config)
    word_table, word_matrix = bag_table(weights["embedding"], dense.words)
    if config.has_subwords:
        subword_table, subword_matrix = bag_table(weights["subword_embedding"], dense.subwords)
    if config.pair_buckets:
        pair_table, pair_matrix = bag_table(weights["pair_embedding"], dense.pairs)
    rnn, rnn_weights, window = model.get_layer("rnn"), dense.rnn, config.rnn_steps
    rnn_table = rnn_vectors(weights)
    activation = tf.nn.softmax if ACTIVATIONS[config.task] == "softmax" else tf.sigmoid
    prior, power = config.bag_prior, config.bag_power

    # The arrays become tf.constant inside the function: captured from outside,
    # tf2onnx would make them graph inputs.
    @tf.function(input_signature=signature)
    def serve(row):
        ids = row[:, : config.maxlen]
        is_word = tf.cast(tf.not_equal(ids, PAD_ID), tf.float32)  # [batch, T]
        words = _mean(tf.gather(tf.constant(word_table), ids), is_word, prior=prior, power=power)
        logit = _times(words, word_matrix) + tf.constant(bias)  # [batch, K]
        if config.pair_buckets:
            both_words = is_word[:, :-1] * is_word[:, 1:]
            buckets = pair_bucket(ids[:, :-1], ids[:, 1:], config.num_words, config.pair_buckets, tf.experimental.numpy)
            pairs = _mean(tf.gather(tf.constant(pair_table), buckets) * both_words[..., None], both_words, prior=prior, power=power)
            logit += _times(pairs, pair_matrix)
        if config.has_subwords:
            subwords = row[:, config.maxlen :]
            is_subword = tf.cast(tf.not_equal(subwords, PAD_ID), tf.float32)
            logit += _times(_mean(tf.gather(tf.constant(subword_table), subwords), is_subword, prior=prior, power=power), subword_matrix)
        if dense.reads_rnn:
            states = rnn(tf.gather(tf.constant(rnn_table), ids[:, -window:]), training=False)  # [batch, W, units]
            step_is_word = tf.expand_dims(is_word[:, -window:], -1)
            logit += tf.matmul(_mean(states * step_is_word, step_is_word), tf.constant(rnn_weights))
        return activation(logit)

    return serve


def _times(values, matrix):
    """``values @ matrix``, or ``values`` when there is no matrix (a score table was gathered)."""
    return values if matrix is None else tf.matmul(values, tf.constant(matrix))


def _mean(values, mask, prior: float = 0.0, power: float = 1.0):
    """Sum over the steps (axis 1) of ``values`` ``[batch, T, n]``, already zero where ``mask``
    (``[batch, T]`` or ``[batch, T, 1]``) is, divided by the number of steps that count (plus
    ``prior``, at least 1, to the ``power``: edge_sentiment/model_math.py ``bag_divisor``): ``[batch, n]``."""
    count = tf.reshape(tf.reduce_sum(mask, 1), [-1, 1])
    if prior:
        count = count + prior
    divisor = tf.maximum(count, 1.0)
    if power != 1.0:
        divisor = tf.pow(divisor, power)
    return tf.reduce_sum(values, 1) / divisor
