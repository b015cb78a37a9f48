"""Sums over the steps of one-column tensors as sums over a last axis.

A bag's looked-up scores are ``[batch, steps, 1]`` and tf2onnx sums them with ``ReduceSum`` over
axis 1. onnxruntime reduces a middle axis whose inner size is one value many times slower than
the last axis of the same numbers as ``[batch, steps]`` (benchmarks/gather_ops.py measures both;
the figures are in docs/backends-and-speed.md). So each such sum

    ReduceSum(x [batch, steps, 1], axes=[1], keepdims=0)

becomes ``ReduceSum(Squeeze(x, [2]), axes=[1], keepdims=1)``: the same values in the same
``[batch, 1]`` shape. Shapes come from ONNX shape inference (with data propagation, which
follows the lookups' computed shapes); a sum whose input it cannot place is left as it is.
"""

from __future__ import annotations

from itertools import chain

import numpy as np
import onnx
from onnx import helper, numpy_helper

LAST_AXIS = "column_sums_last_axis"


def sums_over_last_axis(proto: onnx.ModelProto) -> int:
    """Rewrite, in place, every step sum of a ``[batch, steps, 1]`` tensor; returns how many."""
    graph = proto.graph
    inferred = onnx.shape_inference.infer_shapes(proto, data_prop=True).graph
    shapes = {value.name: _dims(value) for value in chain(inferred.value_info, inferred.input, inferred.output)}
    constants = {t.name: numpy_helper.to_array(t).tolist() for t in graph.initializer if len(t.dims) == 1 and t.dims[0] <= 8}
    nodes, rewritten = [], 0
    for node in graph.node:
        if _sums_steps_of_one_column(node, shapes, constants):
            nodes += _over_last_axis(node)
            rewritten += 1
        else:
            nodes.append(node)
    if rewritten:
        graph.initializer.append(numpy_helper.from_array(np.array([2], dtype=np.int64), LAST_AXIS))
        del graph.node[:]
        graph.node.extend(nodes)
    return rewritten


def _dims(value: onnx.ValueInfoProto) -> list | None:
    tensor = value.type.tensor_type
    if not tensor.HasField("shape"):
        return None
    return [dim.dim_value if dim.HasField("dim_value") else None for dim in tensor.shape.dim]


def _sums_steps_of_one_column(node: onnx.NodeProto, shapes: dict, constants: dict) -> bool:
    if node.op_type != "ReduceSum" or len(node.input) != 2:  # (opset 13 on: the axes are an input)
        return False
    attributes = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    shape = shapes.get(node.input[0])
    return (
        constants.get(node.input[1]) == [1]
        and attributes.get("keepdims", 1) == 0
        and shape is not None and len(shape) == 3 and shape[2] == 1
    )


def _over_last_axis(node: onnx.NodeProto) -> list[onnx.NodeProto]:
    (values, axes), (out,) = node.input, node.output
    name = node.name or out
    return [
        helper.make_node("Squeeze", [values, LAST_AXIS], [f"{name}/squeezed"], name=f"{name}/squeezed"),
        helper.make_node("ReduceSum", [f"{name}/squeezed", axes], [out], name=name, keepdims=1),
    ]
