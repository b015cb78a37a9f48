"""What a batch's SimpleRNN costs in onnxruntime: the fused ``RNN`` op against the same recurrence unrolled.

    python benchmarks/rnn_ops.py [--batch 754] [--steps 52] [--units 32] [--rows 4000]

The graph is the part of a batch graph around the RNN as tf2onnx and export/onnx_graphs/fuse_rnn.py
leave it: word vectors gathered for ``[batch, steps]`` ids, made time-major, the ``RNN`` op, its
step outputs made batch-major again. The unrolled form is that graph rewritten by
export/onnx_graphs/unroll_rnn.py (what the exporter writes). Both are timed with one thread and
with onnxruntime's default threads, median of 20 calls after one warm-up call, and checked equal.
Prints one JSON line. Needs the training extra (the pass lives in the training stage).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from edge_sentiment_export.onnx_graphs.unroll_rnn import unroll_rnn

CALLS = 20


def rnn_graph(rows: int, steps: int, units: int, seed: int = 0) -> onnx.ModelProto:
    rng = np.random.default_rng(seed)
    weights = {"table": (rows, units), "W": (1, units, units), "R": (1, units, units), "B": (1, 2 * units)}
    nodes = [
        helper.make_node("Gather", ["table", "ids"], ["vectors"], axis=0),
        helper.make_node("Transpose", ["vectors"], ["time_major"], perm=[1, 0, 2]),
        helper.make_node("RNN", ["time_major", "W", "R", "B"], ["Y"], hidden_size=units),
        helper.make_node("Squeeze", ["Y", "axis_1"], ["states"]),
        helper.make_node("Transpose", ["states"], ["out"], perm=[1, 0, 2]),
    ]
    initializers = [numpy_helper.from_array((rng.standard_normal(shape) * 0.15).astype(np.float32), name) for name, shape in weights.items()]
    initializers.append(numpy_helper.from_array(np.array([1], dtype=np.int64), "axis_1"))
    graph = helper.make_graph(nodes, "rnn", [helper.make_tensor_value_info("ids", TensorProto.INT32, [None, steps])],
                              [helper.make_tensor_value_info("out", TensorProto.FLOAT, [None, steps, units])], initializers)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def _ms(proto: onnx.ModelProto, ids: np.ndarray, threads: int) -> tuple[float, np.ndarray]:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads  # (0: onnxruntime's default)
    session = ort.InferenceSession(proto.SerializeToString(), options, providers=["CPUExecutionProvider"])
    out = session.run(None, {"ids": ids})[0]
    times = []
    for _ in range(CALLS):
        started = time.perf_counter()
        session.run(None, {"ids": ids})
        times.append(time.perf_counter() - started)
    return round(statistics.median(times) * 1e3, 3), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=754)
    parser.add_argument("--steps", type=int, default=52)
    parser.add_argument("--units", type=int, default=32)
    parser.add_argument("--rows", type=int, default=4000)
    args = parser.parse_args()
    fused = rnn_graph(args.rows, args.steps, args.units)
    unrolled = rnn_graph(args.rows, args.steps, args.units)
    assert unroll_rnn(unrolled, args.steps)
    ids = np.random.default_rng(1).integers(0, args.rows, size=(args.batch, args.steps)).astype(np.int32)
    figures = {"batch": args.batch, "steps": args.steps, "units": args.units}
    for threads, label in ((1, "one_thread"), (0, "default_threads")):
        (fused_ms, expected), (unrolled_ms, ours) = _ms(fused, ids, threads), _ms(unrolled, ids, threads)
        figures[f"fused_rnn_ms_{label}"], figures[f"unrolled_ms_{label}"] = fused_ms, unrolled_ms
    figures["max_abs_diff"] = float(np.abs(ours - expected).max())
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
