"""What one lookup in a one-column score table, and its sum, cost in onnxruntime, by op, against NumPy.

    python benchmarks/gather_ops.py [--rows 262145] [--batch 754] [--steps 508]

A bag's scores are a [rows, 1] table (one float per id, the final layer folded in); the batch
graph gathers [batch, steps] of them and sums each row. Timed, one thread, median of 20 calls:
``Gather`` (what tf2onnx writes), ``Gather`` on the table as a vector, ``GatherND``,
``GatherElements`` over the flattened ids on the table as ``[rows, 1]`` and as a vector
(export/onnx_graphs/gather_elements.py), and NumPy's fancy indexing and ``take``, each followed by
the same sum; then the sum alone, of ``[batch, steps, 1]`` over axis 1 (what tf2onnx writes) and of
``[batch, steps]`` over its last axis (export/onnx_graphs/column_sums.py). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

CALLS = 20


def _session(nodes, initializers, ids_rank: int, feed_type: int = TensorProto.INT64) -> ort.InferenceSession:
    ids = helper.make_tensor_value_info("ids", feed_type, [None] * ids_rank)
    out = helper.make_tensor_value_info("out", TensorProto.FLOAT, None)
    graph = helper.make_graph(nodes, "lookup", [ids], [out], initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    return ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])


def _ms(call) -> float:
    call()
    times = []
    for _ in range(CALLS):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times) * 1e3, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=262_145)
    parser.add_argument("--batch", type=int, default=754)
    parser.add_argument("--steps", type=int, default=508)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    table = rng.standard_normal((args.rows, 1)).astype(np.float32)
    ids = rng.integers(0, args.rows, size=(args.batch, args.steps))
    axis = numpy_helper.from_array(np.array([1], dtype=np.int64), "axis")
    total = helper.make_node("ReduceSum", ["values", "axis"], ["out"], keepdims=0)
    column = numpy_helper.from_array(table, "table")
    vector = numpy_helper.from_array(table[:, 0], "table")
    shape = numpy_helper.from_array(np.array([args.batch, args.steps], dtype=np.int64), "shape")
    sessions = {
        "Gather [rows, 1]": (_session([helper.make_node("Gather", ["table", "ids"], ["values"], axis=0), total], [column, axis], 2), ids),
        "Gather [rows]": (_session([helper.make_node("Gather", ["table", "ids"], ["values"], axis=0), total], [vector, axis], 2), ids),
        "GatherND [rows, 1]": (_session([helper.make_node("GatherND", ["table", "ids"], ["values"]), total], [column, axis], 3), ids[..., None]),
        "GatherElements [rows, 1], ids [-1, 1]": (
            _session([helper.make_node("GatherElements", ["table", "ids"], ["flat"], axis=0),
                      helper.make_node("Reshape", ["flat", "shape"], ["values"]), total], [column, axis, shape], 2),
            ids.reshape(-1, 1)),
        "GatherElements [rows], flat ids": (_session([helper.make_node("GatherElements", ["table", "ids"], ["flat"], axis=0),
                                                      helper.make_node("Reshape", ["flat", "shape"], ["values"]), total],
                                                     [vector, axis, shape], 1), ids.ravel()),
    }
    figures = {name: _ms(lambda s=session, i=feed: s.run(None, {"ids": i})) for name, (session, feed) in sessions.items()}
    figures["numpy fancy indexing"] = _ms(lambda: table[ids].sum(axis=1))
    figures["numpy take"] = _ms(lambda: table[:, 0].take(ids).sum(axis=1))
    values = table[:, 0].take(ids)
    for name, feed in (("ReduceSum [batch, steps, 1] axis 1", values[..., None]), ("ReduceSum [batch, steps] last axis", values)):
        summed = _session([helper.make_node("ReduceSum", ["ids", "axis"], ["out"], keepdims=0)], [axis], feed.ndim, TensorProto.FLOAT)
        figures[name] = _ms(lambda s=summed, f=feed: s.run(None, {"ids": f}))
    print(json.dumps({"rows": args.rows, "ids": [args.batch, args.steps], "ms": figures}))


if __name__ == "__main__":
    main()
