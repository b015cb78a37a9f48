"""Keras -> ONNX with tf2onnx: model.onnx (in one of three variants) and the single-text
graph (the int8 copy: export/int8.py).

``tf2onnx.convert.from_keras`` fails on Keras 3 models, so a ``tf.function`` with an
explicit input signature is converted instead.
"""

from __future__ import annotations

from pathlib import Path

import keras
import onnx
import tensorflow as tf
import tf2onnx

from edge_sentiment.model_math import trims_leading_padding

from ..config import TrainingConfig
from ..architectures import architecture
from ..architectures.rnn import pad_states
from ..layers import INPUT_NAME, OUTPUT_NAME
from ..model import numpy_weights
from . import serving, single_text
from .column_sums import sums_over_last_axis
from .finalize import ONNX_OPSET, finalized
from .fuse_rnn import accept_trimmed_padding, any_steps, fuse_simple_rnn
from .gather_elements import score_lookups_as_gather_elements
from .unroll_rnn import MAX_UNROLLED_STEPS, unroll_rnn


def _signature(width: int) -> list[tf.TensorSpec]:
    return [tf.TensorSpec([None, width], tf.int32, name=INPUT_NAME)]


#: How model.onnx can be made, fastest first; the exporter takes the first that passes parity.
ONNX_VARIANTS = {
    "lean": "lean serving graph (export/onnx_graphs/serving.py), fused RNN op (unrolled where its step count is fixed)",
    "fused": "the Keras model, its SimpleRNN Loop fused into an ONNX RNN op",
    "as-converted": "tf2onnx's graph as converted",
}


def onnx_variants(config: TrainingConfig) -> tuple[str, ...]:
    """The variants that apply to ``config`` (its architecture says which), in the order the exporter tries them."""
    return architecture(config).onnx_variants(config)


def to_onnx(model: keras.Model, config: TrainingConfig, path: Path, variant: str = "fused") -> Path:
    """Write ``model`` as ONNX with input ``ids`` [batch, maxlen] and output ``score`` [batch, K] (K: config.outputs).

    ``variant`` is one of :data:`ONNX_VARIANTS` (see there).
    """
    if variant not in ONNX_VARIANTS:
        raise ValueError(f"unknown ONNX variant {variant!r}; choose one of: {', '.join(ONNX_VARIANTS)}")
    signature = _signature(config.width)
    if variant == "lean":
        serve = serving.serving_function(model, config, signature)
    else:
        serve = tf.function(lambda ids: model(ids, training=False), input_signature=signature)
    proto, _ = tf2onnx.convert.from_function(serve, input_signature=signature, opset=ONNX_OPSET)
    _rename_output(proto, OUTPUT_NAME)
    reads_rnn = any(node.op_type == "Loop" for node in proto.graph.node)  # (a lean graph of a bag-only model has none)
    if variant != "as-converted" and reads_rnn:  # (as converted, the input length stays fixed: nothing is trimmed)
        kernel, recurrent, bias = (w.numpy() for w in model.get_layer("rnn").weights)
        proto = fuse_simple_rnn(proto, kernel, recurrent, bias)
        if accepts_trimmed_padding(config):
            proto = accept_trimmed_padding(proto, pad_states(model, config))
    elif variant != "as-converted" and accepts_trimmed_padding(config):
        any_steps(proto)  # masked means do not see leading pad columns
    if trims_subword_padding(config, variant):
        any_steps(proto)  # the lean graph reads the subwords from column maxlen on, however many there are
    onnx.save(finalized(proto, config), str(path))
    return path


def with_fast_batch_ops(path: Path, config: TrainingConfig) -> None:
    """Rewrite the batch graph at ``path`` into the forms onnxruntime runs fastest: one-float table
    lookups as ``GatherElements`` (gather_elements.py), their sums over a last axis (column_sums.py)
    and, where its step count is fixed, the RNN unrolled (unroll_rnn.py). The exporter calls it
    after making the int8 copy from the plain form (the quantizer knows ``Gather``'s tables)."""
    proto = onnx.load(str(path))
    rewritten = score_lookups_as_gather_elements(proto) + sums_over_last_axis(proto)
    steps = fixed_steps(config)
    if steps:
        rewritten += unroll_rnn(proto, steps)
    if rewritten:
        onnx.save(finalized(proto, config), str(path))


def to_single_text_onnx(model: keras.Model, config: TrainingConfig, path: Path) -> Path:
    """Write the single-text graph (single_text.py) of ``model``."""
    onnx.save(finalized(single_text.single_text_graph(numpy_weights(model, config), config), config), path)
    return path


def trims_subword_padding(config: TrainingConfig, variant: str) -> bool:
    """Whether model.onnx takes rows with leading subword pad columns cut (the lean graph's subword bag
    is a masked mean over the columns after the word ids)."""
    return variant == "lean" and config.has_subwords


def accepts_trimmed_padding(config: TrainingConfig) -> bool:
    """Whether the fused ONNX model takes pre-padded rows with leading pad columns cut off."""
    return trims_leading_padding(config.architecture, config.head, config.padding, config.has_subwords)


def fixed_steps(config: TrainingConfig) -> int | None:
    """How many steps the batch graph's RNN reads when that is fixed and few enough to unroll
    (unroll_rnn.py), else None (a graph that takes trimmed padding: its word columns are the caller's to cut)."""
    if accepts_trimmed_padding(config):
        return None
    steps = min(config.rnn_steps, config.maxlen)
    return steps if steps <= MAX_UNROLLED_STEPS else None


def recurrent_op(config: TrainingConfig, variant: str) -> str:
    """How ``variant`` of model.onnx runs the recurrence (the manifest's ``model.onnx_recurrent_op``):
    "Loop" as tf2onnx converts it, else the ``RNN`` op (fuse_rnn.py), "unrolled" where the RNN reads
    a fixed number of steps (:func:`fixed_steps`)."""
    if variant == "as-converted":
        return "Loop"
    return "unrolled" if fixed_steps(config) else "RNN"


def _rename_output(proto: onnx.ModelProto, name: str) -> None:
    (output,) = proto.graph.output
    old = output.name
    for node in proto.graph.node:
        node.output[:] = [name if o == old else o for o in node.output]
    output.name = name

