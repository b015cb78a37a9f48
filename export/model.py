"""The Keras model a :class:`TrainingConfig` describes: its architecture's layers
(export/architectures/) and the task's output layer."""

from __future__ import annotations

import keras

from edge_sentiment.tasks import ACTIVATIONS

from .architectures import architecture
from .config import TrainingConfig
from .layers import INPUT_NAME, OUTPUT_NAME, Columns, WordDropout, layer_arrays


def build_model(config: TrainingConfig, unroll: bool = False, scales: dict | None = None) -> keras.Model:
    """Build (untrained) the classifier; ``unroll=True`` gives the TFLite-friendly twin; ``scales``
    (for training only): each bag embedding's row scales, by layer name (export/feature_weights.py)."""
    row = keras.Input(shape=(config.width,), dtype="int32", name=INPUT_NAME)
    ids, subwords = row, None
    if config.has_subwords:
        ids = Columns(0, config.maxlen, name="word_ids")(row)
        subwords = Columns(config.maxlen, config.width, name="subword_ids")(row)
    if config.word_dropout:
        ids = WordDropout(config.word_dropout, config.seed, name="word_dropout")(ids)
    features = architecture(config).features(ids, config, unroll, subwords, scales)
    if config.dropout:
        features = keras.layers.Dropout(config.dropout, name="dropout")(features)
    score = output_layer(config, OUTPUT_NAME)(features)
    return keras.Model(row, score, name=f"edge_sentiment_{config.preset}".replace("-", "_"))


def output_layer(config: TrainingConfig, name: str) -> keras.layers.Dense:
    """The final layer: one unit per output, the task's activation (edge_sentiment/tasks.py)."""
    return keras.layers.Dense(config.outputs, activation=ACTIVATIONS[config.task], name=name)


def load_keras_model(path) -> keras.Model:
    """Load a bundle's ``model.keras`` (this module registers its custom layers)."""
    return keras.saving.load_model(path, compile=False)


def unrolled_copy(model: keras.Model, config: TrainingConfig) -> keras.Model:
    """The same weights in an unrolled graph: converts to TFLite builtin ops only."""
    twin = build_model(config, unroll=True)
    _copy_weights(model, twin)
    return twin


def plain_copy(model: keras.Model, config: TrainingConfig, scales: dict) -> keras.Model:
    """The same function without the training-time feature scales: each scaled embedding's rows
    times their scales, in the layers every exported form has."""
    plain = build_model(config)
    _copy_weights(model, plain, scales)
    return plain


def _copy_weights(source: keras.Model, target: keras.Model, scales: dict | None = None) -> None:
    """``target``'s weights from ``source``'s layers of the same names (an embedding in ``scales``:
    times its rows' scales). Layer by layer: a frozen layer's weights move to the end of
    ``get_weights()``, so the flat lists of the two models need not line up."""
    for layer in target.layers:
        weights = source.get_layer(layer.name).get_weights()
        if scales and layer.name in scales:
            weights = [weights[0] * scales[layer.name][:, None]]
        layer.set_weights(weights)


def numpy_weights(model: keras.Model, config: TrainingConfig) -> dict:
    """The arrays of weights.npz, by name (their names and shapes: edge_sentiment/architectures/,
    ``weight_shapes``; the NumPy backend refuses a file whose arrays differ)."""
    arrays = architecture(config).numpy_weights(model, config)
    arrays["dense_kernel"], arrays["dense_bias"] = layer_arrays(model, OUTPUT_NAME)
    return arrays
