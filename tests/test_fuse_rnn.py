"""The Loop -> ONNX RNN pass: exact where it applies, refuses what it does not know."""

import numpy as np
import onnx
import pytest

pytest.importorskip("tensorflow", reason="converting needs the 'train' extra")
import keras  # noqa: E402
import onnxruntime as ort  # noqa: E402

from edge_sentiment_export.config import get_preset  # noqa: E402
from edge_sentiment_export.onnx_graphs import to_onnx  # noqa: E402
from edge_sentiment_export.onnx_graphs.fuse_rnn import FusionError, fuse_simple_rnn  # noqa: E402
from edge_sentiment_export.model import build_model  # noqa: E402


def small_model(head: str, **overrides):
    config = get_preset("quick").with_overrides(head=head, maxlen=30, num_words=200, rnn_units=6, embedding_dim=5, **overrides)
    keras.utils.set_random_seed(3)
    return build_model(config), config


def rnn_weights(model):
    return [w.numpy() for w in model.get_layer("rnn").weights]


@pytest.mark.parametrize("head", ["last", "max", "mean", "mean_with_bag"])
def test_fused_graph_has_an_rnn_op_and_equals_keras(tmp_path, head):
    model, config = small_model(head)
    path = to_onnx(model, config, tmp_path / "m.onnx")
    ops = {n.op_type for n in onnx.load(str(path)).graph.node}
    assert "RNN" in ops and "Loop" not in ops
    ids = np.random.default_rng(0).integers(0, 200, size=(40, 30)).astype(np.int32)
    ids[:, :10] = 0  # some pre-padding
    ours = ort.InferenceSession(str(path)).run(None, {"ids": ids})[0]
    np.testing.assert_allclose(ours, model.predict(ids, verbose=0), atol=1e-5)


def test_one_hot_input_is_a_frozen_identity_inside_the_model(tmp_path):
    model, config = small_model("last", input_encoding="one_hot")
    table = model.get_layer("embedding")
    assert not table.trainable
    np.testing.assert_array_equal(table.weights[0].numpy(), np.eye(200, dtype=np.float32))
    path = to_onnx(model, config, tmp_path / "m.onnx")
    ids = np.random.default_rng(1).integers(0, 200, size=(16, 30)).astype(np.int32)
    ours = ort.InferenceSession(str(path)).run(None, {"ids": ids})[0]
    np.testing.assert_allclose(ours, model.predict(ids, verbose=0), atol=1e-5)


def test_refuses_weights_that_are_not_the_loops(tmp_path):
    model, config = small_model("last")
    path = to_onnx(model, config, tmp_path / "m.onnx", variant="as-converted")
    kernel, recurrent, bias = rnn_weights(model)
    with pytest.raises(FusionError, match="cannot identify the SimpleRNN kernel"):
        fuse_simple_rnn(onnx.load(str(path)), kernel + 1.0, recurrent, bias)


def test_refuses_a_graph_without_the_loop(tmp_path):
    model, config = small_model("last")
    path = to_onnx(model, config, tmp_path / "m.onnx")  # already fused
    with pytest.raises(FusionError, match="expected one Loop"):
        fuse_simple_rnn(onnx.load(str(path)), *rnn_weights(model))


@pytest.mark.parametrize("overrides", [{}, {"rnn_window": 7}, {"pair_buckets": 23, "rnn_window": 30},
                                       {"pair_buckets": 23, "rnn_window": 7, "rnn_embedding_dim": 4}])
def test_lean_graph_equals_keras_and_is_smaller(tmp_path, overrides):
    """export/onnx_graphs/serving.py: the Dense folded into the bags, plain TF ops; trimmed rows too."""
    model, config = small_model("mean_with_bag", **overrides)
    # Non-zero classifier weights everywhere, so every folded table matters.
    kernel, bias = model.get_layer("score").get_weights()
    model.get_layer("score").set_weights([np.linspace(-1.0, 1.0, kernel.size, dtype=np.float32).reshape(kernel.shape), bias + 0.1])
    lean = onnx.load(str(to_onnx(model, config, tmp_path / "lean.onnx", variant="lean")))
    plain = onnx.load(str(to_onnx(model, config, tmp_path / "fused.onnx", variant="fused")))
    assert len(lean.graph.node) < len(plain.graph.node)
    session = ort.InferenceSession(lean.SerializeToString())
    ids = np.random.default_rng(2).integers(1, 200, size=(31, 30)).astype(np.int32)
    for length in range(31):  # row i: i tokens after the padding
        ids[length, : 30 - length] = 0
    expected = model.predict(ids, verbose=0)
    np.testing.assert_allclose(session.run(None, {"ids": ids})[0], expected, atol=1e-5)
    for length in (0, 1, 5, 29):  # the row alone, its leading padding cut off
        row = ids[length : length + 1, 30 - max(length, 1) :]
        np.testing.assert_allclose(session.run(None, {"ids": row})[0], expected[length : length + 1], atol=1e-5)
