"""The training stack: check that its extras are installed, then import it quietly.

Both checks run before any data is read, so a missing package is reported at
once (exit status 1, naming the extra) instead of after minutes of work.
"""

from __future__ import annotations

import importlib.util
import logging
import os

from edge_sentiment.errors import EdgeSentimentError
from edge_sentiment.native_stderr import native_stderr_caught

#: import name -> the extra that installs it
TRAINING_PACKAGES = {
    "tensorflow": "train",
    "tf2onnx": "train",
    "onnx": "train",
    "matplotlib": "train",
    "ai_edge_litert": "tflite",  # the exporter proves model.tflite equal to Keras
}


class MissingExtraError(EdgeSentimentError):
    """A package of the training stage is not installed."""


def check_training_extras() -> None:
    """Raise :class:`MissingExtraError` naming every missing package and the extras to install."""
    missing = [name for name in TRAINING_PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        extras = ",".join(sorted({TRAINING_PACKAGES[name] for name in missing}))
        raise MissingExtraError(
            f"export needs {', '.join(missing)}, which this installation lacks: "
            f"pip install 'edge-sentiment[{extras}]' (from the repository: pip install '.[{extras}]')"
        )


def exporter_module():
    """``edge_sentiment_export.exporter``, imported with TensorFlow's start-up lines silenced.

    TensorFlow prints CUDA probing from C++ before any log setting applies; what
    it printed is shown only if the import fails.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with native_stderr_caught() as caught:
        try:
            from . import exporter
        except ImportError as exc:
            failure = exc
        else:
            failure = None
    if failure is not None:
        detail = caught.text.strip().splitlines()[-1:] or [str(failure)]
        raise MissingExtraError(f"the training stage could not be imported ({detail[0]}); "
                                "pip install 'edge-sentiment[train,tflite]'") from None
    # tf2onnx logs its own recoverable steps ("TF freezing failed. Attempting to fix") as warnings;
    # TensorFlow warns of "tf.function retracing" whenever a training phase builds a new model.
    # Neither is anything a user can act on.
    for name in ("tf2onnx", "tensorflow"):
        logging.getLogger(name).setLevel(logging.ERROR)
    return exporter
