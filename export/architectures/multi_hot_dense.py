"""The seed tutorials' multi-hot model, training half: the set of a text's ids as a multi-hot
vector, Dense layers with ReLU (the runtime half: edge_sentiment/architectures/multi_hot_dense.py)."""

from __future__ import annotations

import keras
from keras import ops

from edge_sentiment.constants import PAD_ID

from ..config import TrainingConfig
from ..layers import layer_arrays


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


def features(ids, config: TrainingConfig, unroll: bool = False, subwords=None, scales=None):
    """The features the output layer reads: the multi-hot Dense layer, then the hidden ones
    (no bag: ``scales`` does not apply)."""
    hidden = MultiHotDense(config.num_words, config.dense_units[0], name="multi_hot")(ids)
    for number, units in enumerate(config.dense_units[1:], start=1):
        hidden = keras.layers.Dense(units, activation="relu", name=f"hidden_{number}")(hidden)
    return hidden


def numpy_weights(model: keras.Model, config: TrainingConfig) -> dict:
    """The arrays of weights.npz before the output layer's, by name."""
    arrays = {}
    arrays["multi_hot_kernel"], arrays["multi_hot_bias"] = layer_arrays(model, "multi_hot")
    for number in range(1, len(config.dense_units)):
        arrays[f"hidden_{number}_kernel"], arrays[f"hidden_{number}_bias"] = layer_arrays(model, f"hidden_{number}")
    return arrays


def onnx_variants(config: TrainingConfig) -> tuple[str, ...]:
    """How model.onnx can be made: tf2onnx's graph as converted (no recurrence to fuse)."""
    return ("as-converted",)


def manifest_record(config: TrainingConfig, variant: str) -> dict:
    """The manifest's ``model`` fields the runtime rebuilds this architecture from."""
    return {"architecture": config.architecture, "dense_units": list(config.dense_units)}
