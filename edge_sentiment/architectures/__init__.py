"""The model architectures the runtime runs, one module each (the manifest's ``model.architecture``
names it): what ``weights.npz`` holds, the NumPy forward pass, the one-line description and the
explanation's parts.

Every module here has the same four names:

* ``weight_shapes(model, vocab_size, outputs, subword_buckets)``: the arrays of ``weights.npz``
  and their exact shapes, for an architecture record (a manifest's ``ModelRecord`` or the
  training config: both have the fields read);
* ``numpy_forward(weights, bundle)``: ``predict(rows) -> scores``, the NumPy backend's pass;
* ``describe(model)``: one line for ``edge-sentiment info``;
* ``Attribution(weights, model, column, encoder)``: the logit of one output column in
  float64 and in parts (``logit(row)``), and each kept token's share of it (``attribute(...)``),
  for edge_sentiment/explain.py.

The training stage's half of each architecture (its Keras layers, its weights as arrays, how its
ONNX file is made, its manifest record) is the module of the same name in ``edge_sentiment_export.architectures``.
"""

from __future__ import annotations

from types import ModuleType

from . import multi_hot_dense, rnn

MODULES: dict[str, ModuleType] = {"rnn": rnn, "multi_hot_dense": multi_hot_dense}


def architecture(model) -> ModuleType:
    """The module of ``model``'s architecture (``model``: an architecture record, validated)."""
    return MODULES[model.architecture]


def weight_shapes(model, vocab_size: int, outputs: int = 1, subword_buckets: int = 0) -> dict[str, tuple[int, ...]]:
    """The arrays of ``weights.npz`` and their exact shapes, for an architecture record
    ``model``; ``subword_buckets`` for a model with subwords."""
    return architecture(model).weight_shapes(model, vocab_size, outputs, subword_buckets)
