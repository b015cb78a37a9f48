"""Every ONNX graph the exporter writes, and the passes that shape them.

    convert        Keras -> model.onnx with tf2onnx (variants "lean", "fused", "as-converted"),
                   and model.single.onnx (model.int8.onnx: export/int8.py)
    serving        the lean batch graph, one tf.function from the trained weights
    fuse_rnn       tf2onnx's SimpleRNN Loop -> the ONNX RNN op; leading padding trimmed
    single_text    the one-text graph, written node by node
    gather_elements  the batch graph's one-float table lookups as GatherElements (faster in onnxruntime)
    column_sums    the batch graph's sums of those lookups over a last axis (faster in onnxruntime)
    unroll_rnn     the batch graph's RNN op written out step by step where its step count is fixed (faster)
    finalize       the metadata stamp, IR version and check every file gets
"""

from . import single_text
from .convert import (
    ONNX_VARIANTS, accepts_trimmed_padding, onnx_variants, to_onnx, to_single_text_onnx, trims_subword_padding, with_fast_batch_ops,
)
from .finalize import ONNX_OPSET

__all__ = ["single_text", "ONNX_OPSET", "ONNX_VARIANTS", "accepts_trimmed_padding", "trims_subword_padding", "onnx_variants",
           "to_onnx", "to_single_text_onnx", "with_fast_batch_ops"]
