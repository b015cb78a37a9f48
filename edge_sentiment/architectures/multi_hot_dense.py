"""The seed tutorials' multi-hot model: the set of a text's ids as a multi-hot vector, Dense
layers with ReLU, the task's output layer (export: ``edge_sentiment_export.architectures``); and
its explanation."""

from __future__ import annotations

import numpy as np

from ..constants import PAD_ID
from ..tasks import activate
from .attribution import RELU_STEPS, completed


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


def describe(model, reads_rnn: bool = True) -> str:
    """One line for ``info`` (``reads_rnn``: as the RNN architecture's; this one has none)."""
    return f"multi-hot({model.vocab_size}) -> Dense {'-'.join(map(str, model.dense_units))}-1"


class Attribution:
    """A multi-hot model's logit for one output column, in float64, and each kept token's share
    of it (docs/explain.md): integrated gradients along the multi-hot vector."""

    def __init__(self, weights: dict, model, column: int, encoder) -> None:
        self.weights, self.model, self.column = weights, model, column

    def logit(self, row: np.ndarray) -> float:
        """The model's logit for one padded input row."""
        return float(self.weights["dense_bias"][self.column]) + float(self._mlp(self._multi_hot(row)[None])[0][0])

    def attribute(self, row: np.ndarray, empty_row: np.ndarray, positions: list[int], kept: list[int], offset: int,
                  contributions: np.ndarray, tokens: list[str]) -> float:
        """Add each token's part of ``logit(row) - logit(empty_row)`` to ``contributions`` (an id's
        credit split among the tokens that have it); return the part that belongs to no token."""
        per_id, change = self._multi_hot_attribution(row, empty_row)
        shared = 0.0
        for identifier, value in completed(per_id, change).items():
            owners = [i for i, k in zip(positions, kept) if k == identifier and i >= 0]
            if owners:
                contributions[owners] += value / len(owners)
            else:
                shared += value
        return shared

    def _multi_hot(self, row: np.ndarray) -> np.ndarray:
        hot = np.zeros(self.model.vocab_size)
        hot[row[row != PAD_ID]] = 1.0
        return hot

    def _mlp(self, hot: np.ndarray, grad: bool = False):
        """The dense stack without its bias, per row of ``hot``; with ``grad``, d/d(first pre-activation)."""
        w = self.weights
        layers = [(w["multi_hot_kernel"], w["multi_hot_bias"])]
        layers += [(w[f"hidden_{n}_kernel"], w[f"hidden_{n}_bias"]) for n in range(1, len(self.model.dense_units or ()))]
        h, gates = hot, []
        for kernel, bias in layers:
            z = h @ kernel + bias
            gates.append(z > 0)
            h = np.maximum(z, 0.0)
        value = h @ w["dense_kernel"][:, self.column]
        if not grad:
            return value, None
        d = np.broadcast_to(w["dense_kernel"][:, self.column], h.shape) * gates[-1]
        for (kernel, _), gate in zip(reversed(layers[1:]), reversed(gates[:-1])):
            d = (d @ kernel.T) * gate
        return value, d

    def _multi_hot_attribution(self, row: np.ndarray, empty_row: np.ndarray) -> tuple[dict[int, float], float]:
        """Per distinct id that differs from the empty text: its attribution; and the exact change."""
        start, end = self._multi_hot(empty_row), self._multi_hot(row)
        changed = np.flatnonzero(end != start)
        alphas = (np.arange(RELU_STEPS) + 0.5) / RELU_STEPS
        path = start[None] + alphas[:, None] * (end - start)[None]
        _, d_first = self._mlp(path, grad=True)
        kernel = self.weights["multi_hot_kernel"]
        per_id = {int(i): float(d_first.mean(axis=0) @ kernel[i] * (end[i] - start[i])) for i in changed}
        ends, _ = self._mlp(np.stack([start, end]))
        return per_id, float(ends[1] - ends[0])
