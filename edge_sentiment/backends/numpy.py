"""Pure-NumPy backend: the same forward pass from the bundle's ``weights.npz``.

For platforms without onnxruntime. The arrays are read with
``allow_pickle=False``, so the file can hold numbers and nothing that runs.
The forward pass is rebuilt from the manifest's ``model`` record (architecture,
head, window, pairs), exactly as export/model.py builds the Keras model.
For the RNN, the input projection ``embedding @ kernel + bias`` is folded into
one table up front, so each time step is a row gather, one small matmul and a tanh.
"""

from __future__ import annotations

import io
import zipfile

import numpy as np

from ..bundle import Bundle
from ..constants import PAD_ID
from ..errors import BundleError
from ..model_math import initial_state_index, rnn_pad_states, trims_leading_padding, weight_shapes
from ..tasks import activate
from ..pairs import pair_ids
from . import trim_leading_padding


def load(bundle: Bundle, file_key: str = "numpy"):
    model = bundle.manifest.model  # validated: a known architecture and head
    weights = read_weights(bundle, file_key)
    if model.architecture == "multi_hot_dense":
        return _multi_hot_forward(weights, len(model.dense_units or ()) - 1, bundle.manifest.task)
    assert model.head is not None  # (an RNN architecture has one)
    return _rnn_forward(weights, model.head, bundle)


def read_weights(bundle: Bundle, file_key: str = "numpy") -> dict[str, np.ndarray]:
    """The arrays of ``weights.npz`` (from its verified bytes), each of exactly the shape
    the manifest's architecture record gives it (:func:`~edge_sentiment.model_math.weight_shapes`)."""
    data = bundle.read(file_key)
    where = bundle.location(file_key)
    subwords = bundle.encoding.subwords
    expected = weight_shapes(bundle.manifest.model, bundle.io.vocab_size, bundle.io.outputs, subwords.buckets if subwords else 0)
    weights = _read_arrays(data, tuple(expected), where)
    for name, shape in expected.items():
        if weights[name].shape != shape:
            raise BundleError(f"{where}: {name} has shape {weights[name].shape}, the manifest's model record "
                              f"makes it {shape}; weights and manifest do not belong together, re-export the bundle")
    return weights


def _rnn_forward(weights: dict, head: str, bundle: Bundle):
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


def _multi_hot_forward(weights: dict, hidden: int, task: str):
    kernel = weights["multi_hot_kernel"]
    layers = [(weights[f"hidden_{n}_kernel"], weights[f"hidden_{n}_bias"]) for n in range(1, hidden + 1)]
    dense_w, dense_b = weights["dense_kernel"], weights["dense_bias"]

    def predict(ids: np.ndarray) -> np.ndarray:
        # multi_hot(ids) @ kernel == the sum of the kernel rows of the distinct non-pad ids.
        ordered = np.sort(ids, axis=1)
        distinct = ordered != PAD_ID
        distinct[:, 1:] &= ordered[:, 1:] != ordered[:, :-1]
        h = np.maximum((kernel[ordered] * distinct[..., None]).sum(axis=1) + weights["multi_hot_bias"], 0)
        for layer_kernel, layer_bias in layers:
            h = np.maximum(h @ layer_kernel + layer_bias, 0)
        return activate(h @ dense_w + dense_b, task)

    return predict


def _read_arrays(data: bytes, names: tuple[str, ...], path) -> dict[str, np.ndarray]:
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            weights = {name: archive[name] for name in names}
    except KeyError as exc:
        raise BundleError(f"{path} lacks the array {exc.args[0]}; re-export the bundle") from None
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise BundleError(f"{path} could not be read as NumPy weights: {exc}") from None
    return {name: array.astype(np.float32, copy=False) for name, array in weights.items()}
