"""Embedding + SimpleRNN, and its heads: the last state, the max or the mean of the states,
or that mean beside bags (masked means) of the word vectors, of hashed word pairs and of
hashed subwords (export: ``edge_sentiment_export.architectures``).

The NumPy pass folds the RNN's input projection ``embedding @ kernel + bias`` into one table up
front, so each time step is a row gather, one small matmul and a tanh.
"""

from __future__ import annotations

import numpy as np

from ..backends import trim_leading_padding
from ..constants import PAD_ID
from ..model_math import bag_width, initial_state_index, rnn_pad_states, trims_leading_padding
from ..pairs import pair_ids
from ..tasks import activate


def weight_shapes(model, vocab_size: int, outputs: int = 1, subword_buckets: int = 0) -> dict[str, tuple[int, ...]]:
    dim, units = model.embedding_dim, model.rnn_units
    shapes = {"embedding": (vocab_size, dim), "rnn_kernel": (dim, units), "rnn_recurrent": (units, units), "rnn_bias": (units,)}
    if model.pair_buckets:
        shapes["pair_embedding"] = (model.pair_buckets, model.pair_dim)
    if model.subword_dim:
        shapes["subword_embedding"] = (subword_buckets + 1, model.subword_dim)
    features = units + (bag_width(model) if model.head == "mean_with_bag" else 0)
    return {**shapes, "dense_kernel": (features, outputs), "dense_bias": (outputs,)}


def numpy_forward(weights: dict, bundle):
    head = bundle.manifest.model.head
    embedding = weights["embedding"]
    projected = (embedding @ weights["rnn_kernel"] + weights["rnn_bias"]).astype(np.float32)
    recurrent = weights["rnn_recurrent"]
    dense_w, dense_b = weights["dense_kernel"], weights["dense_bias"]
    model, task = bundle.manifest.model, bundle.manifest.task
    window = model.rnn_steps  # the RNN reads the last `window` steps
    assert window is not None  # (an RNN architecture)
    pairs = (model.pair_buckets, weights["pair_embedding"]) if model.pair_buckets else None
    prior = model.bag_prior or 0.0
    # A head that ignores pad steps: start from the state the cut pad columns lead to
    # (as the ONNX model does; see trim_leading_padding).
    trimmable = trims_leading_padding(model.architecture, head, bundle.encoding.padding, bool(model.subword_dim))
    pad_states = rnn_pad_states(projected[PAD_ID], recurrent, window)
    maxlen = bundle.encoding.maxlen
    subword_table = weights.get("subword_embedding")

    def predict(row: np.ndarray) -> np.ndarray:
        ids, subwords = row[:, :maxlen], row[:, maxlen:]
        if trimmable:
            ids = trim_leading_padding(ids)
        rnn_ids = ids[:, -window:]
        start = pad_states[initial_state_index(window, ids.shape[1]) if trimmable else 0]
        h = np.repeat(start[None], len(ids), axis=0)
        pooled = np.full_like(h, -np.inf) if head == "max" else np.zeros_like(h)
        for t in range(rnn_ids.shape[1]):
            h = np.tanh(projected[rnn_ids[:, t]] + h @ recurrent)
            if head == "max":
                np.maximum(pooled, h, out=pooled)
            elif head != "last":
                pooled += h * (rnn_ids[:, t : t + 1] != PAD_ID)
        if head == "last":
            features = h
        elif head == "max":
            features = pooled
        else:
            features = pooled / _token_count(rnn_ids)
            if head == "mean_with_bag":  # [bag of words (and pairs), mean of RNN outputs], as the Keras model
                bags = _bags(ids, embedding, pairs, bundle.io.vocab_size, prior)
                if subword_table is not None:
                    bags.append(_masked_mean(subword_table, subwords, prior))
                features = np.concatenate([*bags, features], axis=1)
        return activate(features @ dense_w + dense_b, task)

    return predict


def _bags(ids: np.ndarray, embedding: np.ndarray, pairs, vocab_size: int, prior: float) -> list[np.ndarray]:
    """Masked means of the word vectors and, with pairs, of the hashed pair vectors
    (sums divided by max(count + prior, 1), as the Keras model's MaskedMean)."""
    bags = [_masked_mean(embedding, ids, prior)]
    if pairs is not None:
        buckets, pair_embedding = pairs
        bags.append(_masked_mean(pair_embedding, pair_ids(ids, vocab_size, buckets), prior))
    return bags


def _masked_mean(table: np.ndarray, ids: np.ndarray, prior: float = 0.0) -> np.ndarray:
    return (table[ids] * (ids != PAD_ID)[..., None]).sum(axis=1) / _token_count(ids, prior)


def _token_count(ids: np.ndarray, prior: float = 0.0) -> np.ndarray:
    return np.maximum((ids != PAD_ID).sum(axis=1, keepdims=True) + np.float32(prior), 1).astype(np.float32)


def describe(model) -> str:
    window = f" on the last {model.rnn_window} steps" if model.rnn_window else ""
    pairs = f" + {model.pair_buckets} hashed word pairs x {model.pair_dim}" if model.pair_buckets else ""
    return (
        f"{model.input_encoding}({model.vocab_size}, {model.embedding_dim}){pairs} -> "
        f"SimpleRNN({model.rnn_units}){window}, head {model.head}; "
        f"ONNX graph {model.onnx_graph} ({model.onnx_recurrent_op} op)"
        + (f"; one text per call: the single-text graph (>= {model.single_text.min_steps} ids)" if model.single_text else "")
    )
