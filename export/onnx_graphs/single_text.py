"""A second ONNX graph for the most common call: one text at a time.

``model.onnx`` takes a padded batch, so it carries masks: which steps are words,
how many there are, which pairs are real, where the RNN starts. For one text
the runtime can pass just the text's ids (1-D, no padding), and then every
mask is gone: the bags are plain means, the pairs are every adjacent two, and
the RNN starts from the state that the missing pad steps would have led to,
looked up by the text's length. On one text onnxruntime's cost is per node,
so the node count sets the latency, and this graph has about a third of
model.onnx's nodes (benchmarks/compare_onnx.py compares them).

The graph is written here node by node from the trained weights (the arrays of
weights.npz) rather than converted by tf2onnx, whose output for the same
function carries Shape/Slice/Transpose plumbing and spells ``Mod`` as three
ops. The exporter checks it against Keras on every test text, one call per
text, through the runtime's own path (edge_sentiment/backends/onnx.py).

Input ``ids``: int32 ``[steps]``, the text's kept ids (start id first,
``min_steps <= steps <= maxlen``, no padding); with subwords also ``subwords``: int32 ``[count]``,
its kept subword ids (``0 <= count <= slots``, no padding). Output ``score``: float32 ``[1, K]``.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from edge_sentiment.model_math import (
    bag_divisor, bag_table, initial_state_index, model_split, onnx_rnn_weights, pad_step_input, rnn_pad_states, rnn_vectors,
)
from edge_sentiment.tasks import ACTIVATIONS

from ..config import TrainingConfig
from ..layers import INPUT_NAME, OUTPUT_NAME, SUBWORDS_INPUT
from . import serving
from .finalize import ONNX_OPSET

#: With hashed pairs a text needs two ids (one pair) to take a mean over pairs;
#: shorter ones (an empty text is just the start id) go to model.onnx.
MIN_STEPS_WITH_PAIRS = 2


def supports(config: TrainingConfig) -> bool:
    """The architecture this graph reproduces: embedding -> bags (+ pairs) and a windowed RNN mean,
    pre-padded (the RNN state at a text's first word is the state after its pad steps)."""
    # The family of the lean batch graph; and a text always holds the start id, so never zero steps.
    return serving.supports(config) and not config.drop_special


def min_steps(config: TrainingConfig) -> int:
    return MIN_STEPS_WITH_PAIRS if config.pair_buckets else 1


def single_text_graph(weights: dict[str, np.ndarray], config: TrainingConfig) -> onnx.ModelProto:
    """The graph described in the module docstring, from the arrays of ``numpy_weights``."""
    if not supports(config):
        raise ValueError(f"the single-text graph needs an embedding + SimpleRNN model with head 'mean_with_bag' "
                         f"and pre-padding; {config.preset!r} is {config.describe()}")
    graph = _Graph()
    dense = model_split(weights["dense_kernel"], config)
    # Row 0 of the word table is never read (no padding here); zero as in model.onnx.
    parts = [_mean_score(graph, "word", bag_table(weights["embedding"], dense.words), INPUT_NAME, config)]
    if config.pair_buckets:
        parts.append(_pair_part(graph, bag_table(weights["pair_embedding"], dense.pairs), config))
    if config.has_subwords:
        parts.append(_subword_part(graph, bag_table(weights["subword_embedding"], dense.subwords), config))
    if dense.reads_rnn:
        parts.append(_rnn_part(graph, weights, dense.rnn, config))
    graph.node("Sum", [*parts, graph.constant("dense_bias", weights["dense_bias"])], "logit")
    if ACTIVATIONS[config.task] == "softmax":
        graph.node("Softmax", ["logit"], OUTPUT_NAME, axis=-1)
    else:
        graph.node("Sigmoid", ["logit"], OUTPUT_NAME)
    return graph.model(ONNX_OPSET, config.outputs, config.has_subwords)


def _mean_score(graph: _Graph, name: str, bag: tuple, ids: str, config: TrainingConfig, fewer: int = 0) -> str:
    """mean over the steps of ``table[ids]``, times the matrix if any (``bag``:
    :func:`~edge_sentiment.model_math.bag_table`) -> ``[1, K]``. With ``config.bag_prior`` or
    ``bag_power`` the sum is divided by ``bag_divisor(steps)`` instead: the text has ``len(ids) +
    fewer`` steps here (pairs: one fewer than ids), so 1 / that is read from a table by text length."""
    table, matrix = bag
    gathered = graph.node("Gather", [graph.constant(f"{name}_scores", table), ids], f"{name}_step_scores")
    mean = f"{name}_part" if matrix is None else f"{name}_mean"
    if not config.bag_prior and config.bag_power == 1.0:
        graph.node("ReduceMean", [gathered], mean, axes=[0], keepdims=1)
    else:
        total = graph.node("ReduceSum", [gathered, graph.int64(f"{name}_axis", 0)], f"{name}_sum", keepdims=1)
        lengths = np.arange(config.maxlen + 1, dtype=np.float64) - fewer
        inverse = _inverse(lengths, config)
        length = graph.node("Shape", [INPUT_NAME], f"{name}_text_length")
        factor = graph.node("Gather", [graph.constant(f"{name}_inverse_counts", inverse), length], f"{name}_inverse_count")
        graph.node("Mul", [total, factor], mean)
    if matrix is None:
        return mean
    return graph.node("MatMul", [mean, graph.constant(f"{name}_dense", matrix)], f"{name}_part")


def _pair_part(graph: _Graph, bag: tuple, config: TrainingConfig) -> str:
    """The pair bag: bucket ``1 + (a * vocab + b) mod (buckets - 1)`` of every adjacent (a, b)
    (edge_sentiment/pairs.py), read from a table that starts at bucket 1 so the ``+ 1`` is free."""
    previous = graph.node("Slice", [INPUT_NAME, graph.int64("start_0", 0), graph.int64("end_minus_1", -1)], "previous")
    current = graph.node("Slice", [INPUT_NAME, graph.int64("start_1", 1), graph.int64("end_all", 2**62)], "current")
    scaled = graph.node("Mul", [previous, graph.constant("vocab_size", np.int32(config.num_words))], "previous_scaled")
    key = graph.node("Add", [scaled, current], "pair_key")
    bucket = graph.node("Mod", [key, graph.constant("buckets_minus_1", np.int32(config.pair_buckets - 1))], "pair_bucket_minus_1")
    return _mean_score(graph, "pair", (bag[0][1:], bag[1]), bucket, config, fewer=1)


def _subword_part(graph: _Graph, bag: tuple, config: TrainingConfig) -> str:
    """The subword bag: the sum of ``table[subwords]`` divided by ``bag_divisor(count)``, read from
    a table by count (0 too: a text without letters has no subwords, and its sum is 0)."""
    table, matrix = bag
    gathered = graph.node("Gather", [graph.constant("subword_scores", table), SUBWORDS_INPUT], "subword_step_scores")
    total = graph.node("ReduceSum", [gathered, graph.int64("subword_axis", 0)], "subword_sum", keepdims=1)
    counts = np.arange(config.subword_slots + 1, dtype=np.float64)
    inverse = _inverse(counts, config)
    count = graph.node("Shape", [SUBWORDS_INPUT], "subword_count")
    factor = graph.node("Gather", [graph.constant("subword_inverse_counts", inverse), count], "subword_inverse_count")
    mean = graph.node("Mul", [total, factor], "subword_part" if matrix is None else "subword_mean")
    if matrix is None:
        return mean
    return graph.node("MatMul", [mean, graph.constant("subword_dense", matrix)], "subword_part")


def _rnn_part(graph: _Graph, weights: dict, dense: np.ndarray, config: TrainingConfig) -> str:
    """mean of the RNN outputs over the last ``rnn_steps`` ids, times its Dense weights -> ``[1, K]``."""
    window = config.rnn_steps
    kernel, recurrent, bias = weights["rnn_kernel"], weights["rnn_recurrent"], weights["rnn_bias"]
    units = recurrent.shape[0]
    last = graph.node("Slice", [INPUT_NAME, graph.int64("start_window", -window), graph.int64("end_all", 2**62)], "window_ids")
    # A [vocab, 1, dim] table gathers straight into the RNN's [steps, batch=1, dim] layout.
    vectors = rnn_vectors(weights)
    steps = graph.node("Gather", [graph.constant("embedding", vectors.astype(np.float32)[:, None, :]), last], "window_vectors")
    # Keras ran the RNN over the pad steps before the text first: initial state by text length.
    after_pads = rnn_pad_states(pad_step_input(vectors, kernel, bias), recurrent, window)
    by_length = np.stack([after_pads[initial_state_index(window, n)] for n in range(config.maxlen + 1)])[:, None, :]
    length = graph.node("Shape", [INPUT_NAME], "length")
    initial = graph.node("Gather", [graph.constant("initial_state_by_length", by_length), length], "initial_state")
    w, r, b = onnx_rnn_weights(kernel, recurrent, bias)
    inputs = [
        steps,
        graph.constant("rnn_W", w),
        graph.constant("rnn_R", r),
        graph.constant("rnn_B", b),
        "",  # sequence_lens: the whole (unpadded) window
        initial,
    ]
    outputs = graph.node("RNN", inputs, "rnn_outputs", hidden_size=units, activations=["Tanh"])
    mean = graph.node("ReduceMean", [outputs], "rnn_mean", axes=[0, 1], keepdims=0)  # [batch=1, units]
    return graph.node("MatMul", [mean, graph.constant("rnn_dense", dense)], "rnn_part")


class _Graph:
    """Collects nodes and initialisers; every node has one output, named by the caller."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._values: dict[str, np.ndarray] = {}

    def node(self, op: str, inputs: list[str], output: str, **attributes) -> str:
        self.nodes.append(helper.make_node(op, inputs, [output], name=output, **attributes))
        return output

    def constant(self, name: str, value) -> str:
        array = np.asarray(value)
        if array.dtype.kind == "f":
            array = array.astype(np.float32)
        if name in self._values:  # a shared constant (a slice bound) is stored once
            if not np.array_equal(self._values[name], array):
                raise ValueError(f"constant {name!r} defined twice with different values")
            return name
        self._values[name] = array
        self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def int64(self, name: str, value: int) -> str:
        return self.constant(name, np.array([value], dtype=np.int64))

    def model(self, opset: int, outputs: int, subwords: bool = False) -> onnx.ModelProto:
        inputs = [helper.make_tensor_value_info(INPUT_NAME, TensorProto.INT32, ["steps"])]
        if subwords:
            inputs.append(helper.make_tensor_value_info(SUBWORDS_INPUT, TensorProto.INT32, ["count"]))
        graph = helper.make_graph(
            self.nodes,
            "edge_sentiment_single_text",
            inputs,
            [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, [1, outputs])],
            initializer=self.initializers,
        )
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="edge-sentiment")


def _inverse(counts: np.ndarray, config: TrainingConfig) -> np.ndarray:
    """1 / the bag's divisor for each count (edge_sentiment/model_math.py ``bag_divisor``)."""
    return (1.0 / bag_divisor(counts, config.bag_prior, config.bag_power).astype(np.float64)).astype(np.float32)
