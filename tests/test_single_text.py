"""The single-text ONNX graph (export/onnx_graphs/single_text.py): one unpadded review in,
the Keras model's score for the pre-padded row out, at every length."""

import numpy as np
import onnx
import pytest

pytest.importorskip("tensorflow", reason="building the graph from a Keras model needs the 'train' extra")
import keras  # noqa: E402
import onnxruntime as ort  # noqa: E402

from edge_sentiment_export.config import get_preset  # noqa: E402
from edge_sentiment_export.onnx_graphs import to_onnx  # noqa: E402
from edge_sentiment_export.onnx_graphs.finalize import finalized  # noqa: E402
from edge_sentiment_export.model import build_model, numpy_weights  # noqa: E402
from edge_sentiment_export.onnx_graphs.single_text import min_steps, single_text_graph, supports  # noqa: E402

MAXLEN = 30


def bag_model(**overrides):
    config = get_preset("quick").with_overrides(
        head="mean_with_bag", maxlen=MAXLEN, num_words=200, rnn_units=6, embedding_dim=5, **overrides
    )
    keras.utils.set_random_seed(3)
    model = build_model(config)
    # Non-zero classifier weights everywhere, so every folded table matters.
    kernel, bias = model.get_layer("score").get_weights()
    model.get_layer("score").set_weights([np.linspace(-1.0, 1.0, kernel.size, dtype=np.float32).reshape(kernel.shape), bias + 0.1])
    return model, config


@pytest.mark.parametrize(
    "overrides",
    [{}, {"rnn_window": 7}, {"pair_buckets": 23, "rnn_window": 7}, {"pair_buckets": 23, "rnn_window": MAXLEN},
     {"pair_buckets": 23, "rnn_window": 7, "bag_prior": 4.5}, {"bag_prior": 0.5},
     {"pair_buckets": 23, "rnn_window": 7, "rnn_embedding_dim": 4}],
)
def test_equals_keras_on_the_padded_row_at_every_length(overrides):
    model, config = bag_model(**overrides)
    proto = finalized(single_text_graph(numpy_weights(model, config), config), config)
    session = ort.InferenceSession(proto.SerializeToString())
    rng = np.random.default_rng(5)
    lengths = range(min_steps(config), MAXLEN + 1)  # across the RNN window's edge and up to maxlen
    padded = np.zeros((len(lengths), MAXLEN), dtype=np.int32)
    for row, length in zip(padded, lengths):
        row[MAXLEN - length :] = np.concatenate([[1], rng.integers(2, 200, size=length - 1)])
    expected = model.predict(padded, verbose=0)
    got = np.concatenate([session.run(None, {"ids": row[row != 0]})[0] for row in padded])
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_has_fewer_nodes_than_the_batch_graph(tmp_path):
    model, config = bag_model(pair_buckets=23, rnn_window=7)
    single = single_text_graph(numpy_weights(model, config), config)
    batch = onnx.load(str(to_onnx(model, config, tmp_path / "lean.onnx", variant="lean")))
    assert len(single.graph.node) < len(batch.graph.node) / 2
    assert [n.op_type for n in single.graph.node].count("RNN") == 1


def test_needs_two_ids_only_with_pairs():
    assert min_steps(bag_model()[1]) == 1
    assert min_steps(bag_model(pair_buckets=23)[1]) == 2


@pytest.mark.parametrize("overrides", [{"head": "last"}, {"padding": "post"}, {"drop_special": True}])
def test_refuses_models_it_does_not_reproduce(overrides):
    config = get_preset("quick").with_overrides(**{"head": "mean_with_bag", **overrides})
    assert not supports(config)
    with pytest.raises(ValueError, match="single-text graph needs"):
        single_text_graph({}, config)
