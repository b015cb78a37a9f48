"""edge-sentiment: a small text classifier (any labels, any language) for devices, served by
onnxruntime; its default model is movie-review sentiment.

>>> from edge_sentiment import TextClassifier
>>> clf = TextClassifier.load()               # the model shipped with the package
>>> clf.predict("great film").label           # doctest: +SKIP
'positive'
>>> TextClassifier.load("my-bundle").predict("where is the station?", top_k=2)  # doctest: +SKIP
Prediction(label='LOC', score=0.91, scores={'LOC': 0.91, 'DESC': 0.05}, labels=('LOC',))

The public names are imported on first use, so ``import edge_sentiment`` (and
the command line's start-up) does not pay for NumPy and onnxruntime until a
model is loaded.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

#: public name -> the module that defines it
_EXPORTS = {
    "BackendUnavailableError": ".errors",
    "Bundle": ".bundle",
    "BundleError": ".errors",
    "EdgeSentimentError": ".errors",
    "EvaluationReport": ".reports",
    "Explanation": ".explain",
    "Prediction": ".classifier",
    "SentimentClassifier": ".classifier",
    "TextClassifier": ".classifier",
    "load": ".classifier",
    "load_bundle": ".bundle",
    "MissingExtraError": ".errors",
    "score_frame": ".frames",
    "WorkerPoolError": ".parallel",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'edge_sentiment' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
