"""Pure-NumPy backend: the same forward pass from the bundle's ``weights.npz``.

For platforms without onnxruntime. The arrays are read with
``allow_pickle=False``, so the file can hold numbers and nothing that runs.
The input projection ``embedding @ kernel + bias`` is folded into one table
up front, so each time step is a row gather, one small matmul and a tanh.
"""

from __future__ import annotations

import zipfile

import numpy as np

from ..bundle import Bundle
from ..constants import PAD_ID
from ..errors import BundleError
from . import trim_leading_padding

WEIGHT_NAMES = ("embedding", "rnn_kernel", "rnn_recurrent", "rnn_bias", "dense_kernel", "dense_bias")
HEADS = ("last", "max", "mean", "mean_with_bag")


def load(bundle: Bundle, file_key: str = "numpy"):
    path = bundle.file(file_key)
    weights = _read_weights(path)
    head = bundle.manifest["model"].get("head")
    if head not in HEADS:
        raise BundleError(f"{bundle.path}: model head {head!r} is unknown to the numpy backend (it knows {', '.join(HEADS)})")
    if weights["embedding"].shape[0] != bundle.io.vocab_size:
        raise BundleError(f"{path}: embedding has {weights['embedding'].shape[0]} rows, the manifest says {bundle.io.vocab_size}")
    embedding = weights["embedding"]
    projected = (embedding @ weights["rnn_kernel"] + weights["rnn_bias"]).astype(np.float32)
    recurrent = weights["rnn_recurrent"]
    dense_w, dense_b = weights["dense_kernel"][:, 0], weights["dense_bias"][0]
    # Pre-padding and a head that ignores pad steps: start from the state the cut
    # pad columns lead to (as the ONNX model does; see trim_leading_padding).
    trimmable = head != "max" and bundle.encoding.padding == "pre"
    pad_states = rnn_pad_states(projected[PAD_ID], recurrent, bundle.io.maxlen)

    def predict(ids: np.ndarray) -> np.ndarray:
        if trimmable:
            ids = trim_leading_padding(ids)
        batch, steps = ids.shape
        start = pad_states[bundle.io.maxlen - steps] if trimmable else pad_states[0]
        h = np.repeat(start[None], batch, axis=0)
        pooled = np.full_like(h, -np.inf) if head == "max" else np.zeros_like(h)
        for t in range(steps):
            h = np.tanh(projected[ids[:, t]] + h @ recurrent)
            if head == "max":
                np.maximum(pooled, h, out=pooled)
            elif head != "last":
                pooled += h * (ids[:, t : t + 1] != PAD_ID)
        if head == "last":
            features = h
        elif head == "max":
            features = pooled
        else:
            is_token = ids != PAD_ID
            count = np.maximum(is_token.sum(axis=1, keepdims=True), 1).astype(np.float32)
            features = pooled / count
            if head == "mean_with_bag":  # [mean of embeddings, mean of RNN outputs], as the Keras model
                bag = (embedding[ids] * is_token[..., None]).sum(axis=1) / count
                features = np.concatenate([bag, features], axis=1)
        logits = features @ dense_w + dense_b
        return (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)

    return predict


def rnn_pad_states(pad_input: np.ndarray, recurrent: np.ndarray, maxlen: int) -> np.ndarray:
    """Row k: the SimpleRNN state after k pad steps from a zero state.

    ``pad_input`` is the pad embedding projected by the kernel, plus the bias.
    The exporter stores the same table in the ONNX model (export/fuse_rnn.py).
    """
    states = np.zeros((maxlen + 1, recurrent.shape[0]), dtype=np.float32)
    for k in range(maxlen):
        states[k + 1] = np.tanh(pad_input + states[k] @ recurrent)
    return states


def _read_weights(path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as archive:
            weights = {name: archive[name] for name in WEIGHT_NAMES}
    except KeyError as exc:
        raise BundleError(f"{path} lacks the array {exc.args[0]}; re-export the bundle") from None
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise BundleError(f"{path} could not be read as NumPy weights: {exc}") from None
    return {name: array.astype(np.float32, copy=False) for name, array in weights.items()}
