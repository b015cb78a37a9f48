"""Pure-NumPy backend: the same forward pass from the bundle's ``weights.npz``.

For platforms without onnxruntime. The arrays are read with
``allow_pickle=False``, so the file can hold numbers and nothing that runs.
The forward pass is rebuilt from the manifest's ``model`` record by the module of its
architecture (edge_sentiment/architectures/), exactly as the training stage builds the
Keras model.
"""

from __future__ import annotations

import dataclasses
import io
import zipfile

import numpy as np

from ..architectures import architecture, weight_shapes
from ..bundle import Bundle
from ..errors import BundleError
from . import Predictor


def load(bundle: Bundle, file_key: str = "numpy"):
    weights = read_weights(bundle, file_key)
    forward = architecture(bundle.manifest.model).numpy_forward(weights, bundle)
    # Its many small NumPy steps hold the GIL: scored on a thread, they would slow the tokenizing they overlap.
    return dataclasses.replace(forward if isinstance(forward, Predictor) else Predictor(forward), releases_gil=False)


def read_weights(bundle: Bundle, file_key: str = "numpy") -> dict[str, np.ndarray]:
    """The arrays of ``weights.npz`` (from its verified bytes), each of exactly the shape
    the manifest's architecture record gives it (:func:`~edge_sentiment.architectures.weight_shapes`)."""
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


def _read_arrays(data: bytes, names: tuple[str, ...], path) -> dict[str, np.ndarray]:
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            weights = {name: archive[name] for name in names}
    except KeyError as exc:
        raise BundleError(f"{path} lacks the array {exc.args[0]}; re-export the bundle") from None
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise BundleError(f"{path} could not be read as NumPy weights: {exc}") from None
    return {name: array.astype(np.float32, copy=False) for name, array in weights.items()}
