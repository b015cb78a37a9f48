"""Pure-NumPy backend: the same forward pass from the bundle's ``weights.npz``.

For platforms without onnxruntime. The arrays are read with
``allow_pickle=False``, so the file can hold numbers and nothing that runs.
The forward pass is rebuilt from the manifest's ``model`` record (architecture,
head, window, pairs), exactly as export/model.py builds the Keras model.
For the RNN, the input projection ``embedding @ kernel + bias`` is folded into
one table up front, so each time step is a row gather, one small matmul and a tanh.
"""

from __future__ import annotations

import zipfile

import numpy as np

from ..bundle import Bundle
from ..constants import PAD_ID
from ..errors import BundleError
from ..pairs import pair_ids
from . import trim_leading_padding

RNN_WEIGHTS = ("embedding", "rnn_kernel", "rnn_recurrent", "rnn_bias", "dense_kernel", "dense_bias")


def load(bundle: Bundle, file_key: str = "numpy"):
    path = bundle.file(file_key)
    model = bundle.manifest.model  # validated: a known architecture and head
    if model.architecture == "multi_hot_dense":
        hidden = len(model.dense_units) - 1
        names = ("multi_hot_kernel", "multi_hot_bias", "dense_kernel", "dense_bias")
        names += tuple(f"hidden_{n}_{part}" for n in range(1, hidden + 1) for part in ("kernel", "bias"))
        return _multi_hot_forward(_read_weights(path, names), hidden, bundle, path)
    names = RNN_WEIGHTS + (("pair_embedding",) if model.pair_buckets else ())
    return _rnn_forward(_read_weights(path, names), model.head, bundle, path)


def _rnn_forward(weights: dict, head: str, bundle: Bundle, path):
    embedding = _vocabulary_table(weights, "embedding", bundle, path)
    projected = (embedding @ weights["rnn_kernel"] + weights["rnn_bias"]).astype(np.float32)
    recurrent = weights["rnn_recurrent"]
    dense_w, dense_b = weights["dense_kernel"][:, 0], weights["dense_bias"][0]
    model = bundle.manifest.model
    window = model.rnn_steps  # the RNN reads the last `window` steps
    pairs = (model.pair_buckets, weights["pair_embedding"]) if model.pair_buckets else None
    prior = model.bag_prior
    # Pre-padding and a head that ignores pad steps: start from the state the cut
    # pad columns lead to (as the ONNX model does; see trim_leading_padding).
    trimmable = head != "max" and bundle.encoding.padding == "pre"
    pad_states = rnn_pad_states(projected[PAD_ID], recurrent, window)

    def predict(ids: np.ndarray) -> np.ndarray:
        if trimmable:
            ids = trim_leading_padding(ids)
        rnn_ids = ids[:, -window:]
        start = pad_states[max(window - ids.shape[1], 0)] if trimmable else pad_states[0]
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
                features = np.concatenate([*_bags(ids, embedding, pairs, bundle.io.vocab_size, prior), features], axis=1)
        return _sigmoid(features @ dense_w + dense_b)

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


def _multi_hot_forward(weights: dict, hidden: int, bundle: Bundle, path):
    kernel = _vocabulary_table(weights, "multi_hot_kernel", bundle, path)
    layers = [(weights[f"hidden_{n}_kernel"], weights[f"hidden_{n}_bias"]) for n in range(1, hidden + 1)]
    dense_w, dense_b = weights["dense_kernel"][:, 0], weights["dense_bias"][0]

    def predict(ids: np.ndarray) -> np.ndarray:
        # multi_hot(ids) @ kernel == the sum of the kernel rows of the distinct non-pad ids.
        ordered = np.sort(ids, axis=1)
        distinct = ordered != PAD_ID
        distinct[:, 1:] &= ordered[:, 1:] != ordered[:, :-1]
        h = np.maximum((kernel[ordered] * distinct[..., None]).sum(axis=1) + weights["multi_hot_bias"], 0)
        for layer_kernel, layer_bias in layers:
            h = np.maximum(h @ layer_kernel + layer_bias, 0)
        return _sigmoid(h @ dense_w + dense_b)

    return predict


def _vocabulary_table(weights: dict, name: str, bundle: Bundle, path) -> np.ndarray:
    table = weights[name]
    if table.shape[0] != bundle.io.vocab_size:
        raise BundleError(f"{path}: {name} has {table.shape[0]} rows, the manifest says {bundle.io.vocab_size}")
    return table


def _sigmoid(logits: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):  # exp(-logit) overflows to inf for logit < -88: the score is then 0
        return (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)


def rnn_pad_states(pad_input: np.ndarray, recurrent: np.ndarray, steps: int) -> np.ndarray:
    """Row k: the SimpleRNN state after k pad steps from a zero state, k = 0..steps.

    ``pad_input`` is the pad embedding projected by the kernel, plus the bias.
    The exporter stores the same table in the ONNX model (export/fuse_rnn.py).
    """
    states = np.zeros((steps + 1, recurrent.shape[0]), dtype=np.float32)
    for k in range(steps):
        states[k + 1] = np.tanh(pad_input + states[k] @ recurrent)
    return states


def _read_weights(path, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as archive:
            weights = {name: archive[name] for name in names}
    except KeyError as exc:
        raise BundleError(f"{path} lacks the array {exc.args[0]}; re-export the bundle") from None
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise BundleError(f"{path} could not be read as NumPy weights: {exc}") from None
    return {name: array.astype(np.float32, copy=False) for name, array in weights.items()}
