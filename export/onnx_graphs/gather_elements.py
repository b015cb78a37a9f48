"""Score-table lookups in the batch graph as ``GatherElements``.

A model with one output gathers one float per id from each bag's score table (``[rows, 1]``:
model_math.bag_table folds the final layer into it). onnxruntime's ``Gather`` copies each
index's block on its own, which for one-float blocks costs several times what
``GatherElements`` over the same flat indices does on the table as a vector (on the ``[rows, 1]``
table itself it is little faster: benchmarks/gather_ops.py measures each form; the figures are in
docs/backends-and-speed.md). So each such lookup becomes

    flat = Reshape(ids, [-1]); values = GatherElements(table as [rows], flat, axis=0)
    out = Reshape(values, Concat(Shape(ids), [1]))

which gives the same values in the same shape. Only the batch graph is rewritten: on one text
the extra nodes cost more than the gather saves, so the one-text graph keeps ``Gather``; and the
int8 copy is made from the ``Gather`` form, whose tables the quantizer knows.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper

FLAT_SHAPE = "gather_elements_flat_shape"
ONE_COLUMN = "gather_elements_one_column"
VECTOR = "{}/vector"  # the name of a [rows, 1] table's [rows] copy


def score_lookups_as_gather_elements(proto: onnx.ModelProto) -> int:
    """Rewrite, in place, every ``Gather`` (axis 0) of a ``[rows, 1]`` initializer; returns how many.
    A table the graph no longer reads in its ``[rows, 1]`` form is kept as ``[rows]`` only."""
    graph = proto.graph
    tables = {t.name: t for t in graph.initializer if len(t.dims) == 2 and t.dims[1] == 1}
    nodes, looked_up, rewritten = [], set(), 0
    for node in graph.node:
        if node.op_type == "Gather" and node.input[0] in tables and _axis(node) == 0:
            nodes += _lookup(node)
            looked_up.add(node.input[0])
            rewritten += 1
        else:
            nodes.append(node)
    if not rewritten:
        return 0
    still_read = {name for node in nodes for name in node.input}
    for name in sorted(looked_up):
        graph.initializer.append(_as_vector(tables[name]))
        if name not in still_read:
            graph.initializer.remove(tables[name])
    graph.initializer.extend([numpy_helper.from_array(np.array([-1], dtype=np.int64), FLAT_SHAPE),
                              numpy_helper.from_array(np.array([1], dtype=np.int64), ONE_COLUMN)])
    del graph.node[:]
    graph.node.extend(nodes)
    return rewritten


def _as_vector(table: onnx.TensorProto) -> onnx.TensorProto:
    """The same values as a ``[rows]`` tensor (one column: the same bytes in the same order)."""
    vector = onnx.TensorProto()
    vector.CopyFrom(table)
    vector.name = VECTOR.format(table.name)
    del vector.dims[:]
    vector.dims.append(table.dims[0])
    return vector


def _axis(node: onnx.NodeProto) -> int:
    return next((a.i for a in node.attribute if a.name == "axis"), 0)


def _lookup(node: onnx.NodeProto) -> list[onnx.NodeProto]:
    (table, ids), (out,) = node.input, node.output
    name = node.name or out
    return [
        helper.make_node("Reshape", [ids, FLAT_SHAPE], [f"{name}/flat_ids"], name=f"{name}/flat_ids"),
        helper.make_node("GatherElements", [VECTOR.format(table), f"{name}/flat_ids"], [f"{name}/values"],
                         name=f"{name}/values", axis=0),
        helper.make_node("Shape", [ids], [f"{name}/ids_shape"], name=f"{name}/ids_shape"),
        helper.make_node("Concat", [f"{name}/ids_shape", ONE_COLUMN], [f"{name}/shape"], name=f"{name}/shape", axis=0),
        # allowzero: a 0 in the shape is an empty axis (no pairs in a one-id row), not "keep the input's"
        helper.make_node("Reshape", [f"{name}/values", f"{name}/shape"], [out], name=name, allowzero=1),
    ]
