"""The batch graph's RNN op unrolled: the same scores as Keras wherever the step count is fixed,
with no RNN op left; graphs whose step count is the caller's keep the op."""

import json
import random

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from conftest import js_conformance, needs_node_modules, run_cli

pytest.importorskip("tensorflow", reason="the pass lives in the training stage ('train' extra)")
import keras  # noqa: E402
import onnxruntime as ort  # noqa: E402

from edge_sentiment_export.config import get_preset  # noqa: E402
from edge_sentiment_export.model import build_model  # noqa: E402
from edge_sentiment_export.onnx_graphs import accepts_trimmed_padding, to_onnx, with_fast_batch_ops  # noqa: E402
from edge_sentiment_export.onnx_graphs.convert import recurrent_op  # noqa: E402
from edge_sentiment_export.onnx_graphs.unroll_rnn import MAX_UNROLLED_STEPS, unroll_rnn  # noqa: E402


def _ops(path) -> list[str]:
    return [node.op_type for node in onnx.load(str(path)).graph.node]


def _scores(path, ids: np.ndarray) -> np.ndarray:
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"ids": ids})[0]


def _rows(config, count: int, seed: int = 0) -> np.ndarray:
    """Pre-padded rows of every length (and subword columns after the words, where the model has them)."""
    rng = np.random.default_rng(seed)
    words = rng.integers(3, config.num_words, size=(count, config.maxlen))
    for row in range(count):
        words[row, : config.maxlen - row % (config.maxlen + 1)] = 0
    if not config.has_subwords:
        return words.astype(np.int32)
    subwords = rng.integers(1, config.subword_buckets + 1, size=(count, config.subword_slots))
    subwords[::3, :4] = 0
    return np.concatenate([words, subwords], axis=1).astype(np.int32)


def _model(preset: str = "default", **overrides):
    shared = {"num_words": 60, "maxlen": 9, "embedding_dim": 6, "rnn_units": 5} | ({"pair_buckets": 31} if preset == "default" else {})
    config = get_preset(preset).with_overrides(**shared, **overrides)
    keras.utils.set_random_seed(5)
    model = build_model(config)
    output = model.layers[-1]  # (non-zero weight on the RNN's features)
    kernel, bias = output.get_weights()
    output.set_weights([np.linspace(-1.0, 1.0, kernel.size, dtype=np.float32).reshape(kernel.shape), bias + 0.1])
    return model, config


SUBWORDS = {"subword_min_n": 3, "subword_max_n": 5, "subword_buckets": 63, "subword_slots": 11, "subword_dim": 4}


@pytest.mark.parametrize("variant, overrides", [
    ("lean", SUBWORDS),
    ("lean", {**SUBWORDS, "rnn_window": 4, "rnn_embedding_dim": 3}),
    ("lean", {**SUBWORDS, "task": "multiclass", "num_labels": 3}),
    ("fused", {"preset": "quick", "head": "max"}),
])
def test_a_fixed_step_count_is_unrolled_to_the_same_scores(tmp_path, variant, overrides):
    model, config = _model(**overrides)
    assert not accepts_trimmed_padding(config) and recurrent_op(config, variant) == "unrolled"  # (the manifest's record)
    path = to_onnx(model, config, tmp_path / "model.onnx", variant=variant)
    assert "RNN" in _ops(path)
    ids = _rows(config, 40)
    before = _scores(path, ids)
    with_fast_batch_ops(path, config)
    ops = _ops(path)
    assert "RNN" not in ops and ops.count("Gemm") == min(config.rnn_steps, config.maxlen) - 1
    after = _scores(path, ids)
    np.testing.assert_allclose(after, before, atol=1e-6)
    np.testing.assert_allclose(after, model.predict(ids, verbose=0), atol=1e-5)
    assert _scores(path, ids[:0]).shape == (0, config.outputs)  # (an empty batch too)


def test_a_graph_that_takes_trimmed_padding_keeps_the_op(tmp_path):
    model, config = _model(head="mean_with_bag")
    assert accepts_trimmed_padding(config) and recurrent_op(config, "lean") == "RNN" and recurrent_op(config, "as-converted") == "Loop"
    path = to_onnx(model, config, tmp_path / "model.onnx", variant="lean")
    with_fast_batch_ops(path, config)
    assert "RNN" in _ops(path)


def _rnn_graph(steps: int, initial_state: bool = False) -> onnx.ModelProto:
    """A bare RNN op reading a time-major graph input, both its outputs read (no layouts to fold)."""
    rng = np.random.default_rng(1)
    units, width = 4, 3
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [steps, None, width])]
    if initial_state:
        inputs.append(helper.make_tensor_value_info("h", TensorProto.FLOAT, [1, None, units]))
    rnn = helper.make_node("RNN", ["x", "W", "R", "B", "", "h" if initial_state else ""], ["y", "y_h"], hidden_size=units)
    graph = helper.make_graph([rnn], "g", inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT, [steps, 1, None, units]),
                                                    helper.make_tensor_value_info("y_h", TensorProto.FLOAT, [1, None, units])],
                              [numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32) * 0.5, name)
                               for name, shape in (("W", (1, units, width)), ("R", (1, units, units)), ("B", (1, 2 * units)))])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def test_a_bare_op_with_both_outputs_read_is_unrolled_exactly():
    proto = _rnn_graph(6)
    x = np.random.default_rng(2).standard_normal((6, 5, 3)).astype(np.float32)

    def run(model):
        return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})

    expected = run(proto)
    assert unroll_rnn(proto, 6)
    onnx.checker.check_model(proto, full_check=True)
    assert "RNN" not in [n.op_type for n in proto.graph.node] and len(proto.graph.initializer) < 12
    for ours, theirs in zip(run(proto), expected):
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, atol=1e-6)


def test_what_it_does_not_know_is_left_alone():
    assert not unroll_rnn(_rnn_graph(3, initial_state=True), 3)  # an initial state: the caller's
    assert not unroll_rnn(_rnn_graph(MAX_UNROLLED_STEPS + 1), MAX_UNROLLED_STEPS + 1)
    assert not unroll_rnn(_rnn_graph(3), 0)
    bidirectional = _rnn_graph(3)
    bidirectional.graph.node[0].attribute.append(helper.make_attribute("direction", "reverse"))
    assert not unroll_rnn(bidirectional, 3)


def write_word_order_file(path, rows: int = 1200, seed: int = 0, noise: float = 0.1):
    """Texts holding "alpha" and "omega" once each, labelled by which comes first (a tenth of the
    labels flipped): bags of words and adjacent pairs cannot tell, an RNN can."""
    rng = random.Random(seed)
    filler = "the a new film plot actor scene story music today week people big news good bad".split()
    lines = ["text,label"]
    for _ in range(rows):
        words = [rng.choice(filler) for _ in range(rng.randint(6, 12))]
        first, second = rng.sample(range(len(words)), 2)
        words[first], words[second] = "alpha", "omega"
        before = (first < second) != (rng.random() < noise)
        lines.append(f"{' '.join(words)},{'before' if before else 'after'}")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def word_order(tmp_path_factory):
    root = tmp_path_factory.mktemp("word-order")
    result = run_cli("export", "--train", str(write_word_order_file(root / "order.csv")), "--epochs", "4", "--out", str(root / "bundle"))
    assert result.returncode == 0, result.stderr[-3000:]
    return root / "bundle"


def test_a_file_whose_labels_need_the_word_order_keeps_the_rnn_unrolled_in_the_batch_graph(word_order):
    manifest = json.loads((word_order / "manifest.json").read_text())
    phase = manifest["training"]["rnn_phase"]
    assert phase["kept"] == "rnn" and phase["gain_t"] >= 2.0  # (its gain is far beyond the validation noise)
    assert manifest["model"]["onnx_recurrent_op"] == "unrolled"
    assert "RNN" not in _ops(word_order / "model.onnx") and "RNN" in _ops(word_order / "model.single.onnx")
    assert manifest["metrics"]["held_out"]["accuracy"] >= 0.8  # (90% of the labels follow the order)
    assert manifest["metrics"]["parity_vs_keras"]["onnx"]["max_abs_diff"] <= 1e-5
    verified = run_cli("verify", "--model", str(word_order))
    assert verified.returncode == 0 and b" 0 failures" in verified.stdout


@needs_node_modules
def test_the_javascript_runtime_runs_the_unrolled_graph(word_order):
    out = js_conformance(word_order)
    assert "onnx (batch)" in out and out.count(" 0 failures") == 5
