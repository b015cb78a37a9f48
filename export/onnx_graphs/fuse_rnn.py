"""Replace tf2onnx's ``Loop`` for a Keras SimpleRNN with the ONNX ``RNN`` operator.

tf2onnx has rewriters for LSTM and GRU but none for SimpleRNN, so the layer
arrives as a ``Loop`` whose body gathers one time step, does two MatMuls, an
Add of the bias and a Tanh, run step by step by onnxruntime's interpreter and
many times slower than the fused ``RNN`` kernel, which computes the same
``h_t = tanh(x_t·W + h_{t-1}·R + b)``.

The pass is conservative: it rewrites a Loop only when the body is exactly
that cell (two MatMuls, one Tanh, nothing else that computes), when the three
weight initialisers equal the Keras layer's kernel, recurrent kernel and bias,
and when only the step outputs and the final state are used downstream.
The exporter then compares the result with Keras on the test texts.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper

from edge_sentiment.errors import EdgeSentimentError
from edge_sentiment.model_math import onnx_rnn_weights

#: Ops a SimpleRNN Loop body may hold: the cell, plus tf2onnx's counter/condition logic.
_CELL_OPS = {"MatMul": 2, "Tanh": 1}
_BOOKKEEPING_OPS = {"Add", "Gather", "Identity", "Cast", "Less", "And"}


class FusionError(EdgeSentimentError):
    """The graph does not hold exactly the SimpleRNN Loop this pass knows how to replace."""


def fuse_simple_rnn(proto: onnx.ModelProto, kernel: np.ndarray, recurrent: np.ndarray, bias: np.ndarray) -> onnx.ModelProto:
    """Return ``proto`` with its single SimpleRNN Loop replaced by an ONNX ``RNN`` node."""
    graph = proto.graph
    loops = [n for n in graph.node if n.op_type == "Loop"]
    if len(loops) != 1:
        raise FusionError(f"expected one Loop (the SimpleRNN), found {len(loops)}")
    loop = loops[0]
    body = helper.get_attribute_value(next(a for a in loop.attribute if a.name == "body"))
    _check_cell(body)
    sequence = _outer_sequence(body)
    _weight_inputs(graph, loop, {"kernel": kernel, "recurrent": recurrent, "bias": bias})
    units = kernel.shape[1]

    # Loop outputs: the final values of the carried inputs (loop.input[2:]), then the scan output.
    carried = len(loop.input) - 2
    final_state, steps = loop.output[_state_slot(body)], loop.output[carried]
    others = set(loop.output) - {final_state, steps}
    if any(name in others for node in graph.node for name in node.input) or any(o.name in others for o in graph.output):
        raise FusionError("the Loop has consumers of outputs other than the RNN states")

    prefix = loop.name + "_fused"
    w, r, b = onnx_rnn_weights(kernel, recurrent, bias)
    inits = [
        numpy_helper.from_array(w, f"{prefix}_W"),
        numpy_helper.from_array(r, f"{prefix}_R"),
        numpy_helper.from_array(b, f"{prefix}_B"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), f"{prefix}_axis1"),
        numpy_helper.from_array(np.array([0], dtype=np.int64), f"{prefix}_axis0"),
    ]
    nodes = [
        helper.make_node(
            "RNN",
            [sequence, f"{prefix}_W", f"{prefix}_R", f"{prefix}_B"],
            [f"{prefix}_Y", f"{prefix}_Y_h"],
            name=f"{prefix}_rnn",
            hidden_size=units,
            activations=["Tanh"],
        ),
        # Y is [steps, directions=1, batch, units]; the Loop's scan output was [steps, batch, units].
        helper.make_node("Squeeze", [f"{prefix}_Y", f"{prefix}_axis1"], [steps], name=f"{prefix}_steps"),
        helper.make_node("Squeeze", [f"{prefix}_Y_h", f"{prefix}_axis0"], [final_state], name=f"{prefix}_state"),
    ]
    position = list(graph.node).index(loop)
    graph.node.remove(loop)
    for offset, node in enumerate(nodes):
        graph.node.insert(position + offset, node)
    graph.initializer.extend(inits)
    drop_dead_nodes(graph)
    drop_unused_initializers(graph)
    return proto


def _check_cell(body: onnx.GraphProto) -> None:
    counts: dict[str, int] = {}
    for node in body.node:
        counts[node.op_type] = counts.get(node.op_type, 0) + 1
    cell = {op: counts.get(op, 0) for op in _CELL_OPS}
    unexpected = set(counts) - set(_CELL_OPS) - _BOOKKEEPING_OPS
    if cell != _CELL_OPS or unexpected:
        raise FusionError(f"Loop body is not a plain SimpleRNN cell: {counts}")


def _outer_sequence(body: onnx.GraphProto) -> str:
    """The time-major input sequence: the one tensor the body Gathers from the outer graph."""
    local = {i.name for i in body.input} | {o for n in body.node for o in n.output} | {i.name for i in body.initializer}
    sources = [n.input[0] for n in body.node if n.op_type == "Gather" and n.input[0] not in local]
    if len(sources) != 1:
        raise FusionError(f"expected the body to read one outer sequence, found {sources}")
    return sources[0]


def _state_slot(body: onnx.GraphProto) -> int:
    """Index among the carried values of h: the body input that feeds a MatMul and is not a weight."""
    matmul_inputs = {name for n in body.node if n.op_type == "MatMul" for name in n.input}
    carried = [i.name for i in body.input[2:]]
    written = {o for n in body.node for o in n.output}
    slots = [j for j, name in enumerate(carried) if name in matmul_inputs and name not in body.output[1 + j].name and
             body.output[1 + j].name in written and body.output[1 + j].name != name]
    if len(slots) != 1:
        raise FusionError(f"cannot tell the hidden state among the Loop's carried values ({carried})")
    return slots[0]


def _weight_inputs(graph: onnx.GraphProto, loop: onnx.NodeProto, expected: dict[str, np.ndarray]) -> dict[str, str]:
    """Find which Loop inputs carry the Keras weights, by value."""
    values = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    found = {}
    for role, array in expected.items():
        matches = [name for name in loop.input if name in values and values[name].shape == array.shape and np.array_equal(values[name], array)]
        if len(matches) != 1:
            raise FusionError(f"cannot identify the SimpleRNN {role} among the Loop inputs")
        found[role] = matches[0]
    return found


def drop_dead_nodes(graph: onnx.GraphProto) -> None:
    """Remove nodes whose outputs reach no graph output (the Loop's counter logic)."""
    needed = {o.name for o in graph.output}
    alive = []
    for node in reversed(list(graph.node)):
        if any(o in needed for o in node.output):
            alive.append(node)
            needed.update(node.input)
    del graph.node[:]
    graph.node.extend(reversed(alive))


def drop_unused_initializers(graph: onnx.GraphProto) -> None:
    used = {name for node in graph.node for name in node.input}
    kept = [i for i in graph.initializer if i.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)


def accept_trimmed_padding(proto: onnx.ModelProto, pad_states: np.ndarray) -> onnx.ModelProto:
    """Let the fused model take only the last ``T <= maxlen`` columns of a pre-padded batch.

    The RNN reads the last ``W`` steps (``W = len(pad_states) - 1``: maxlen, or
    the config's rnn_window). ``pad_states[k]`` is the RNN state after ``k`` pad
    steps from zero (row 0 is zero). Fed as the RNN's initial state,
    ``pad_states[max(W - T, 0)]`` stands in for the leading pad columns a caller
    cut off, so the result does not change while the RNN runs ``min(T, W)``
    steps. Valid only for heads that ignore the outputs at pad steps (masked
    means, the last state).
    """
    graph = proto.graph
    rnns = [n for n in graph.node if n.op_type == "RNN"]
    if len(rnns) != 1:
        raise FusionError("accept_trimmed_padding needs the fused model (one RNN node)")
    rnn, (ids,) = rnns[0], graph.input
    window, units = pad_states.shape[0] - 1, pad_states.shape[1]
    p = rnn.name + "_pad"
    graph.initializer.extend(
        [
            numpy_helper.from_array(pad_states.astype(np.float32), f"{p}_states"),
            numpy_helper.from_array(np.array(window, dtype=np.int64), f"{p}_window"),
            numpy_helper.from_array(np.array(0, dtype=np.int64), f"{p}_zero"),
            numpy_helper.from_array(np.array(1, dtype=np.int64), f"{p}_one"),
            numpy_helper.from_array(np.array([1], dtype=np.int64), f"{p}_one_1d"),
            numpy_helper.from_array(np.array([units], dtype=np.int64), f"{p}_units"),
        ]
    )
    nodes = [
        helper.make_node("Shape", [ids.name], [f"{p}_shape"]),
        helper.make_node("Gather", [f"{p}_shape", f"{p}_one"], [f"{p}_steps"]),
        helper.make_node("Gather", [f"{p}_shape", f"{p}_zero"], [f"{p}_batch"]),
        helper.make_node("Sub", [f"{p}_window", f"{p}_steps"], [f"{p}_missing"]),
        helper.make_node("Max", [f"{p}_missing", f"{p}_zero"], [f"{p}_cut"]),
        helper.make_node("Gather", [f"{p}_states", f"{p}_cut"], [f"{p}_state"]),  # [units]
        helper.make_node("Unsqueeze", [f"{p}_batch", f"{p}_zero"], [f"{p}_batch_1d"]),
        helper.make_node("Concat", [f"{p}_one_1d", f"{p}_batch_1d", f"{p}_units"], [f"{p}_h_shape"], axis=0),
        helper.make_node("Expand", [f"{p}_state", f"{p}_h_shape"], [f"{p}_initial_h"]),  # [1, batch, units]
    ]
    position = list(graph.node).index(rnn)
    for offset, node in enumerate(nodes):
        graph.node.insert(position + offset, node)
    while len(rnn.input) < 6:  # X, W, R, B, sequence_lens (none), initial_h
        rnn.input.append("")
    rnn.input[5] = f"{p}_initial_h"
    return any_steps(proto)


def any_steps(proto: onnx.ModelProto) -> onnx.ModelProto:
    """Declare the input's second dimension (the steps) free, so callers may cut leading pad columns."""
    (ids,) = proto.graph.input
    ids.type.tensor_type.shape.dim[1].ClearField("dim_value")
    ids.type.tensor_type.shape.dim[1].dim_param = "steps"
    return proto
