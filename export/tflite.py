"""Keras -> TFLite, builtin ops only.

``TFLiteConverter`` cannot lower a rolled SimpleRNN (TensorList ops), so the file is
made from an unrolled copy of the model with the same weights.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import keras
import tensorflow as tf

from .config import TrainingConfig
from .model import unrolled_copy


def to_tflite(model: keras.Model, config: TrainingConfig, path: Path) -> Path:
    """Write the unrolled twin of ``model`` as TFLite using builtin ops only."""
    # from_keras_model freezes the weights into constants; converting a concrete
    # function with the model as trackable kept them as resource variables,
    # which LiteRT ran as uninitialised READ_VARIABLE ops (NaN outputs).
    converter = tf.lite.TFLiteConverter.from_keras_model(unrolled_copy(model, config))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    with contextlib.redirect_stdout(io.StringIO()):  # Keras prints the SavedModel signature it wrote
        path.write_bytes(converter.convert())
    return path
