"""model.int8.onnx: dynamic int8 quantization, and the ONNX specification's arithmetic for it.

onnxruntime's int8 matrix kernels take different paths per CPU: without AVX-512 VNNI
(or AVX-VNNI) the U8S8 kernel adds pairs of uint8 x int8 products in int16 and saturates,
so a file quantized with full-range int8 weights scores differently on different CPUs.
Weights quantized to 7 bits (``reduce_range``) keep every pair sum within int16
(255 * 64 * 2 = 32,640), so every kernel computes the exact integer result the ONNX
specification defines. :func:`reference_scores` computes that result with the ONNX
reference implementation (NumPy), which a test and ``benchmarks/int8.py`` compare with
onnxruntime. Needs ``onnx`` and ``onnxruntime`` (no TensorFlow).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import onnx

#: MatMul weights are quantized only when they hold at least this share of the model's weights:
#: a quantized MatMul quantizes its input per call, so a text's score then moves with the
#: other texts of its call (benchmarks/int8.py), a cost worth paying only for real savings.
MATMUL_SHARE = 0.1
#: Smaller tables stay float: they save nothing, and one of them, the RNN's states after
#: leading padding, must stay exact so that trimming padding changes no score.
GATHER_SHARE = 0.01
#: The ONNX reference implementation has DequantizeLinear from opset 19 on; the file is
#: converted to this opset (the ops it uses mean the same there) before it is evaluated.
REFERENCE_OPSET = 21


def to_int8(fp32_path: Path, path: Path) -> Path:
    """Dynamic int8 quantization of the ONNX model at ``fp32_path`` into ``path``: embedding
    tables (``Gather``) that hold :data:`GATHER_SHARE` of the model's weights or more, and
    ``MatMul`` weights when they hold :data:`MATMUL_SHARE` or more; 7-bit weights (``reduce_range``).
    onnxruntime has no quantized kernel for the ``RNN`` op, so the recurrent weights stay float.
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from .onnx_graphs.finalize import finalized

    model = onnx.load(str(fp32_path))
    op_types = ["Gather", "MatMul"] if weight_share(model, "MatMul") >= MATMUL_SHARE else ["Gather"]
    small = [node.name for node in model.graph.node if node.op_type == "Gather"
             and weight_share(model, "Gather", node.name) < GATHER_SHARE]
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # it advises shape pre-processing on the root logger; our graphs need none
    try:
        quantize_dynamic(fp32_path, path, weight_type=QuantType.QInt8, op_types_to_quantize=op_types, reduce_range=True,
                         nodes_to_exclude=small)
    finally:
        root.setLevel(level)
    onnx.save(finalized(onnx.load(str(path))), str(path))
    return path


def describe(path: Path) -> str:
    """How the int8 file at ``path`` was quantized (for the manifest's quantization report)."""
    ops = {node.op_type for node in onnx.load(str(path)).graph.node}
    quantized = "Gather and MatMul" if "MatMulInteger" in ops else "Gather"
    return (f"onnxruntime.quantization.quantize_dynamic: QInt8 weights of {quantized}, reduce_range "
            "(7-bit: no CPU's int8 kernel saturates)")


def weight_share(model: onnx.ModelProto, op_type: str, node_name: str | None = None) -> float:
    """The share of the model's float weights that are inputs of ``op_type`` nodes (of one node, if named)."""
    sizes = {t.name: int(np.prod(t.dims)) for t in model.graph.initializer if t.data_type == onnx.TensorProto.FLOAT}
    used = {name for node in model.graph.node if node.op_type == op_type and node_name in (None, node.name)
            for name in node.input if name in sizes}
    return sum(sizes[name] for name in used) / max(1, sum(sizes.values()))


def reference_scores(path: Path, ids: np.ndarray) -> np.ndarray:
    """The scores the ONNX specification defines for the model at ``path`` on ``ids``
    (one call, so one DynamicQuantizeLinear scale for the whole batch, as onnxruntime)."""
    from onnx.reference import ReferenceEvaluator
    from onnx.version_converter import convert_version

    model = convert_version(onnx.load(str(path)), REFERENCE_OPSET)
    evaluator = ReferenceEvaluator(model)
    name = model.graph.input[0].name
    return np.asarray(evaluator.run(None, {name: ids.astype(np.int32)})[0], dtype=np.float32).reshape(-1)
