"""The batch graph's one-float table lookups as GatherElements: the same values in the same
shapes as Gather, only where the table is [rows, 1]; the int8 copy keeps Gather's tables.
And the sums of such lookups over a last axis: the same values in the same shape."""

import json

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

pytest.importorskip("tensorflow", reason="the pass lives in the training stage ('train' extra)")
import onnxruntime as ort  # noqa: E402

from edge_sentiment_export.onnx_graphs.column_sums import sums_over_last_axis  # noqa: E402
from edge_sentiment_export.onnx_graphs.gather_elements import score_lookups_as_gather_elements  # noqa: E402


def _lookup_graph(table: np.ndarray, rank: int) -> onnx.ModelProto:
    ids = helper.make_tensor_value_info("ids", TensorProto.INT32, [None] * rank)
    out = helper.make_tensor_value_info("out", TensorProto.FLOAT, [None] * (rank + 1))
    graph = helper.make_graph([helper.make_node("Gather", ["table", "ids"], ["out"], name="lookup", axis=0)], "g", [ids], [out],
                              [numpy_helper.from_array(table, "table")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def _run(proto: onnx.ModelProto, ids: np.ndarray) -> np.ndarray:
    return ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"ids": ids})[0]


@pytest.mark.parametrize("shape", [(0, 5), (1, 0), (3, 0), (1, 1), (3, 7), (2, 3, 4), (2, 0, 4), (9,)])
def test_a_one_column_table_lookup_gives_the_same_values_in_the_same_shape(shape):
    rng = np.random.default_rng(0)
    table = rng.standard_normal((50, 1)).astype(np.float32)
    ids = rng.integers(0, 50, size=shape).astype(np.int32)
    proto = _lookup_graph(table, len(shape))
    expected = _run(proto, ids)
    assert score_lookups_as_gather_elements(proto) == 1
    onnx.checker.check_model(proto, full_check=True)
    assert [n.op_type for n in proto.graph.node].count("GatherElements") == 1
    assert "Gather" not in [n.op_type for n in proto.graph.node]
    # The table as a vector (GatherElements on [rows, 1] is little faster than Gather), stored once
    assert [(t.name, list(t.dims)) for t in proto.graph.initializer if t.data_type == TensorProto.FLOAT] == [("table/vector", [50])]
    got = _run(proto, ids)
    assert got.shape == expected.shape == (*shape, 1)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("shape", [(0, 5), (1, 0), (3, 7), (1, 1)])
def test_a_sum_over_the_steps_of_one_column_gives_the_same_values_in_the_same_shape(shape):
    rng = np.random.default_rng(1)
    values = rng.standard_normal((*shape, 1)).astype(np.float32)
    proto = _sum_graph(["batch", "steps", 1])
    expected = _run_values(proto, values)
    assert sums_over_last_axis(proto) == 1
    onnx.checker.check_model(proto, full_check=True)
    assert [n.op_type for n in proto.graph.node] == ["Squeeze", "ReduceSum"]
    got = _run_values(proto, values)
    assert got.shape == expected.shape == (shape[0], 1)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


def test_sums_of_wider_or_unknown_shapes_are_left_alone():
    assert sums_over_last_axis(_sum_graph(["batch", "steps", 4])) == 0
    assert sums_over_last_axis(_sum_graph(None)) == 0


def _sum_graph(dims: list | None) -> onnx.ModelProto:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, dims)
    out = helper.make_tensor_value_info("out", TensorProto.FLOAT, ["batch", 1])
    node = helper.make_node("ReduceSum", ["x", "axes"], ["out"], name="sum", keepdims=0)
    graph = helper.make_graph([node], "g", [x], [out], [numpy_helper.from_array(np.array([1], dtype=np.int64), "axes")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def _run_values(proto: onnx.ModelProto, values: np.ndarray) -> np.ndarray:
    return ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": values})[0]


def test_wider_tables_keep_gather():
    proto = _lookup_graph(np.zeros((50, 3), dtype=np.float32), 2)
    assert score_lookups_as_gather_elements(proto) == 0
    assert [n.op_type for n in proto.graph.node] == ["Gather"]


def test_an_exported_one_output_bundle_looks_its_bags_up_with_gather_elements(tmp_path):
    from conftest import run_cli
    from test_subwords import _write

    out = tmp_path / "bundle"
    result = run_cli("export", "--train", str(_write(tmp_path / "train.tsv")), "--epochs", "3", "--quantize", "--out", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    batch = onnx.load(str(out / "model.onnx")).graph
    widths = {t.name: list(t.dims)[1:] for t in batch.initializer}
    gathered = [n.input[0] for n in batch.node if n.op_type == "GatherElements"]
    assert len(gathered) == 3 and all(widths[name] == [] for name in gathered)  # words, pairs, subwords; vectors
    assert sum(n.name.endswith("/squeezed") for n in batch.node) >= 3  # and their sums (at least) over a last axis
    assert all(widths.get(n.input[0]) != [1] for n in batch.node if n.op_type == "Gather")  # (the RNN's table is wider)
    assert "GatherElements" not in [n.op_type for n in onnx.load(str(out / "model.single.onnx")).graph.node]
    int8_ops = [n.op_type for n in onnx.load(str(out / "model.int8.onnx")).graph.node]
    assert "Gather" in int8_ops and "DequantizeLinear" in int8_ops and "GatherElements" not in int8_ops
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["quantization"]["size_ratio"] < 0.5  # (its tables quantized as before)
    assert manifest["metrics"]["parity_vs_keras"]["onnx"]["max_abs_diff"] <= 1e-5
    verified = run_cli("verify", "--model", str(out))
    assert verified.returncode == 0 and b" 0 failures" in verified.stdout
