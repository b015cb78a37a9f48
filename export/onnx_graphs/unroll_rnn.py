"""The batch graph's ``RNN`` op, unrolled over a fixed number of steps.

onnxruntime's ``RNN`` kernel is slow for a small cell (32 units): on a batch of short texts it
took most of the graph's call. The same recurrence written out, one ``Gemm`` and one ``Tanh``
per step, runs several times faster (benchmarks/rnn_ops.py times both forms; the figures are
in docs/backends-and-speed.md):

    x = X · Wᵀ + (Wb + Rb)                  the input projection of every step at once
    h_0 = tanh(x[0])                        (the op's zero initial state)
    h_t = tanh(Gemm(h_{t-1}, Rᵀ, x[t]))

Two layouts tf2onnx leaves around the op are folded away where they are found: an input that
is word vectors gathered from a table and made time-major (``Transpose(Gather(table, ids))``)
becomes one gather from the table projected ahead of time (``table · Wᵀ + b``) by the ids made
time-major (a small int tensor moves instead of the vectors), and step outputs made batch-major
again (``Transpose(Squeeze(Y))``) are written batch-major.

Unrolling needs the step count when the graph is written, so only a batch graph whose RNN reads
a fixed number of steps is rewritten (convert.py's ``fixed_steps`` says which: a graph that takes
trimmed padding keeps the op, as does the one-text graph, a text's length being its own). The
exporter checks the result against Keras like every other file.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import onnx
from onnx import helper, numpy_helper

from .fuse_rnn import drop_dead_nodes, drop_unused_initializers

#: Longer recurrences keep the op: a graph of thousands of nodes costs its load time.
MAX_UNROLLED_STEPS = 512
#: Transpose's permutation between time-major and batch-major ``[*, *, units]``.
SWAP_FIRST_TWO = [1, 0, 2]


@dataclass(frozen=True)
class _Layout:
    """Where the unrolled steps write their states."""

    writes: str  # the tensor the step outputs go to ("" where nothing reads them)
    write_axis: int  # 1: [batch, steps, units]; 0: Y itself, [steps, 1, batch, units]


def unroll_rnn(proto: onnx.ModelProto, steps: int) -> bool:
    """Unroll, in place, the graph's one forward tanh ``RNN`` node whose input has ``steps`` steps and
    no initial state or sequence lengths; returns whether it did."""
    graph = proto.graph
    rnns = [node for node in graph.node if node.op_type == "RNN"]
    if len(rnns) != 1 or not 1 <= steps <= MAX_UNROLLED_STEPS or not _plain(rnns[0]):
        return False
    rnn = rnns[0]
    initializers = {t.name: t for t in graph.initializer}
    if not all(name in initializers for name in rnn.input[1:4]):
        return False
    w, r, b = (numpy_helper.to_array(initializers[name]) for name in rnn.input[1:4])
    prefix = (rnn.name or rnn.output[0]) + "/unrolled"
    r_t = numpy_helper.from_array(np.ascontiguousarray(r[0].T), f"{prefix}/R_t")
    steps_index = [numpy_helper.from_array(np.array(t, dtype=np.int64), f"{prefix}/step_{t}") for t in range(steps)]
    graph.initializer.extend([r_t, *steps_index, *_axes(prefix)])
    bias = b[0, : r.shape[-1]] + b[0, r.shape[-1] :]
    projection = _input_projection(graph, rnn, initializers, w[0], bias, prefix)
    layout, bypassed = _output_layout(graph, rnn)
    position = list(graph.node).index(rnn)
    for node in [rnn, *bypassed]:
        graph.node.remove(node)
    for offset, node in enumerate(projection + _steps(rnn, layout, prefix, steps)):
        graph.node.insert(position + offset, node)
    drop_dead_nodes(graph)  # (the time-major gather and its transpose, where bypassed)
    drop_unused_initializers(graph)
    return True


def _plain(rnn: onnx.NodeProto) -> bool:
    """The op as fuse_rnn.py writes it: forward, tanh, no clip, no sequence lengths, no initial state."""
    attributes = {a.name: helper.get_attribute_value(a) for a in rnn.attribute}
    activations = [a.decode() if isinstance(a, bytes) else a for a in attributes.get("activations", [b"Tanh"])]
    direction = attributes.get("direction", b"forward")
    return (
        len(rnn.input) >= 4
        and (direction.decode() if isinstance(direction, bytes) else direction) == "forward"
        and activations == ["Tanh"]
        and "clip" not in attributes
        and all(name == "" for name in rnn.input[4:])
    )


def _axes(prefix: str) -> list[onnx.TensorProto]:
    return [numpy_helper.from_array(np.array(axes, dtype=np.int64), f"{prefix}/axes_{'_'.join(map(str, axes))}")
            for axes in ([0], [1], [0, 1])]


def _input_projection(graph, rnn, initializers, w, bias, prefix) -> list[onnx.NodeProto]:
    """Nodes computing every step's ``x·Wᵀ + b`` into ``<prefix>/x``, ``[steps, batch, units]``."""
    x = rnn.input[0]
    made_time_major = _producer(graph, x, "Transpose")
    gathered = made_time_major and _producer(graph, made_time_major.input[0], "Gather")
    if (made_time_major and _permutation(made_time_major) == SWAP_FIRST_TWO and gathered
            and gathered.input[0] in initializers and _attribute(gathered, "axis", 0) == 0):
        table = numpy_helper.to_array(initializers[gathered.input[0]])
        projected = (table @ w.T + bias).astype(np.float32)
        graph.initializer.append(numpy_helper.from_array(projected, f"{prefix}/projected_table"))
        ids = gathered.input[1]  # [batch, steps]: made time-major before the gather, a small int tensor moves instead
        return [
            helper.make_node("Transpose", [ids], [f"{prefix}/ids_by_step"], name=f"{prefix}/ids_by_step", perm=[1, 0]),
            helper.make_node("Gather", [f"{prefix}/projected_table", f"{prefix}/ids_by_step"], [f"{prefix}/x"], name=f"{prefix}/x", axis=0),
        ]
    graph.initializer.extend([numpy_helper.from_array(np.ascontiguousarray(w.T), f"{prefix}/W_t"),
                              numpy_helper.from_array(bias, f"{prefix}/bias")])
    return [
        helper.make_node("MatMul", [x, f"{prefix}/W_t"], [f"{prefix}/x_no_bias"], name=f"{prefix}/x_no_bias"),
        helper.make_node("Add", [f"{prefix}/x_no_bias", f"{prefix}/bias"], [f"{prefix}/x"], name=f"{prefix}/x"),
    ]


def _output_layout(graph, rnn) -> tuple[_Layout, list[onnx.NodeProto]]:
    """Where the step outputs go: straight to the output of a ``Transpose(Squeeze(Y, [1]))`` that
    makes them batch-major (those two nodes returned, to be removed), or to Y."""
    y = rnn.output[0] if rnn.output else ""
    readers = _readers(graph, y)
    if len(readers) == 1 and readers[0].op_type == "Squeeze" and _constant(graph, readers[0], 1) == [1]:
        squeezed = _readers(graph, readers[0].output[0])
        if len(squeezed) == 1 and squeezed[0].op_type == "Transpose" and _permutation(squeezed[0]) == SWAP_FIRST_TWO:
            return _Layout(squeezed[0].output[0], 1), [readers[0], squeezed[0]]
    return _Layout(y if readers or _is_output(graph, y) else "", 0), []


def _steps(rnn: onnx.NodeProto, layout: _Layout, prefix: str, steps: int) -> list[onnx.NodeProto]:
    nodes, written = [], []
    for t in range(steps):
        x_t, h_t = f"{prefix}/x_{t}", f"{prefix}/h_{t}"
        nodes.append(helper.make_node("Gather", [f"{prefix}/x", f"{prefix}/step_{t}"], [x_t], name=x_t, axis=0))
        if t == 0:
            nodes.append(helper.make_node("Tanh", [x_t], [h_t], name=h_t))
        else:
            nodes.append(helper.make_node("Gemm", [f"{prefix}/h_{t - 1}", f"{prefix}/R_t", x_t], [f"{h_t}/in"], name=f"{h_t}/in"))
            nodes.append(helper.make_node("Tanh", [f"{h_t}/in"], [h_t], name=h_t))
        if layout.writes:
            axes = f"{prefix}/axes_1" if layout.write_axis == 1 else f"{prefix}/axes_0_1"
            nodes.append(helper.make_node("Unsqueeze", [h_t, axes], [f"{h_t}/out"], name=f"{h_t}/out"))
            written.append(f"{h_t}/out")
    if layout.writes:
        nodes.append(helper.make_node("Concat", written, [layout.writes], name=f"{prefix}/outputs", axis=layout.write_axis))
    if len(rnn.output) > 1 and rnn.output[1]:  # Y_h: [directions = 1, batch, units]
        nodes.append(helper.make_node("Unsqueeze", [f"{prefix}/h_{steps - 1}", f"{prefix}/axes_0"], [rnn.output[1]], name=f"{prefix}/last"))
    return nodes


def _producer(graph: onnx.GraphProto, name: str, op_type: str) -> onnx.NodeProto | None:
    found = [node for node in graph.node if name in node.output]
    return found[0] if len(found) == 1 and found[0].op_type == op_type else None


def _readers(graph: onnx.GraphProto, name: str) -> list[onnx.NodeProto]:
    return [node for node in graph.node if name and name in node.input]


def _is_output(graph: onnx.GraphProto, name: str) -> bool:
    return any(output.name == name for output in graph.output)


def _attribute(node: onnx.NodeProto, name: str, default=None):
    return next((helper.get_attribute_value(a) for a in node.attribute if a.name == name), default)


def _permutation(node: onnx.NodeProto) -> list[int] | None:
    permutation = _attribute(node, "perm")
    return None if permutation is None else list(permutation)


def _constant(graph: onnx.GraphProto, node: onnx.NodeProto, index: int) -> list | None:
    """The value of ``node``'s input ``index`` if an initializer holds it."""
    if len(node.input) <= index:
        return None
    found = [t for t in graph.initializer if t.name == node.input[index]]
    return numpy_helper.to_array(found[0]).tolist() if found else None
