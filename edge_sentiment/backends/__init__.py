"""Inference backends. Each module offers ``load(bundle) -> predict``, where
``predict(ids)`` maps an ``(n, maxlen)`` int32 id matrix to ``n`` float32
probabilities of the positive class. Backends are imported only when chosen,
so a missing optional dependency costs nothing until it is asked for.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import numpy as np

from ..bundle import Bundle

PredictFn = Callable[[np.ndarray], np.ndarray]

#: backend name -> (module, the pip extra that provides its dependency)
BACKENDS: dict[str, tuple[str, str | None]] = {
    "onnx": ("edge_sentiment.backends.onnx", None),
    "tflite": ("edge_sentiment.backends.tflite", "tflite"),
}


def load_backend(name: str, bundle: Bundle) -> PredictFn:
    """The predict function of backend ``name`` for ``bundle``."""
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; choose one of: {', '.join(BACKENDS)}")
    module = importlib.import_module(BACKENDS[name][0])
    return module.load(bundle)
