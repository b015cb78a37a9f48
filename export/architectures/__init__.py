"""The training stage's half of each model architecture, one module each (the config's
``architecture`` names it), with the same four functions:

* ``features(ids, config, unroll, subwords, scales)``: the Keras layers from the word ids (and
  subword ids) to the features the output layer reads (export/model.py adds that layer); ``scales``:
  the bag features' weights while training (export/feature_weights.py), by embedding name;
* ``numpy_weights(model, config)``: the arrays of ``weights.npz`` before the output layer's;
* ``onnx_variants(config)``: how ``model.onnx`` can be made (onnx_graphs/convert.py), fastest first;
* ``manifest_record(config, variant)``: the manifest's ``model`` fields the runtime reads.

The runtime's half (the NumPy forward pass, the arrays' shapes, the description) is the module
of the same name in ``edge_sentiment.architectures``.
"""

from __future__ import annotations

from types import ModuleType

from . import multi_hot_dense, rnn

MODULES: dict[str, ModuleType] = {"rnn": rnn, "multi_hot_dense": multi_hot_dense}


def architecture(config) -> ModuleType:
    """The module of ``config``'s architecture."""
    return MODULES[config.architecture]
