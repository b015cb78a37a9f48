"""The seed tutorials' multi-hot model: the set of a text's ids as a multi-hot vector, Dense
layers with ReLU, the task's output layer (export: ``edge_sentiment_export.architectures``)."""

from __future__ import annotations

import numpy as np

from ..constants import PAD_ID
from ..tasks import activate


def weight_shapes(model, vocab_size: int, outputs: int = 1, subword_buckets: int = 0) -> dict[str, tuple[int, ...]]:
    units = list(model.dense_units)
    shapes = {"multi_hot_kernel": (vocab_size, units[0]), "multi_hot_bias": (units[0],)}
    for n in range(1, len(units)):
        shapes[f"hidden_{n}_kernel"], shapes[f"hidden_{n}_bias"] = (units[n - 1], units[n]), (units[n],)
    return {**shapes, "dense_kernel": (units[-1], outputs), "dense_bias": (outputs,)}


def numpy_forward(weights: dict, bundle):
    kernel = weights["multi_hot_kernel"]
    hidden = len(bundle.manifest.model.dense_units or ()) - 1
    layers = [(weights[f"hidden_{n}_kernel"], weights[f"hidden_{n}_bias"]) for n in range(1, hidden + 1)]
    dense_w, dense_b, task = weights["dense_kernel"], weights["dense_bias"], bundle.manifest.task

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


def describe(model) -> str:
    return f"multi-hot({model.vocab_size}) -> Dense {'-'.join(map(str, model.dense_units))}-1"
