"""edge-sentiment: a small movie-review sentiment model for devices, served by onnxruntime.

>>> from edge_sentiment import SentimentClassifier
>>> clf = SentimentClassifier.load()          # the model shipped with the package
>>> clf.predict("great film")                 # doctest: +SKIP
Prediction(label='positive', score=0.93)
"""

from .bundle import Bundle, load_bundle
from .classifier import Prediction, SentimentClassifier, load
from .errors import BackendUnavailableError, BundleError, EdgeSentimentError

__all__ = [
    "BackendUnavailableError",
    "Bundle",
    "BundleError",
    "EdgeSentimentError",
    "Prediction",
    "SentimentClassifier",
    "load",
    "load_bundle",
]
__version__ = "0.1.0"
