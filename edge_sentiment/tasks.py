"""What a model's outputs mean, by task: the one place that turns logits into scores.

* ``binary``: two labels, one output, ``sigmoid(logit)`` = P(labels[1]);
* ``multiclass``: N >= 3 exclusive labels, N outputs, ``softmax(logits)`` (they sum to 1);
* ``multilabel``: N labels a text may hold several of, N outputs, one ``sigmoid`` each,
  compared with a per-label decision threshold.

NumPy only (the runtime imports it); the training stage builds the same activation in Keras.
"""

from __future__ import annotations

import numpy as np

from .model_math import sigmoid

TASKS = ("binary", "multiclass", "multilabel")
#: The Keras / ONNX activation of each task's output layer.
ACTIVATIONS = {"binary": "sigmoid", "multiclass": "softmax", "multilabel": "sigmoid"}


def output_width(task: str, labels: int) -> int:
    """Columns of the model's output: 1 for binary (P of the second label), else one per label."""
    return 1 if task == "binary" else labels


def activate(logits: np.ndarray, task: str) -> np.ndarray:
    """Scores from logits ``[..., K]``, as the exported models compute them (float32)."""
    logits = np.asarray(logits, dtype=np.float32)
    if ACTIVATIONS[task] == "softmax":
        shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
        return (shifted / shifted.sum(axis=-1, keepdims=True)).astype(np.float32)
    return sigmoid(logits)


def label_scores(row: np.ndarray, labels: tuple[str, ...]) -> dict[str, float]:
    """Each label's probability from one output row of N labels, highest first."""
    return dict(sorted(zip(labels, map(float, row)), key=lambda item: -item[1]))


def targets(labels, task: str, count: int) -> np.ndarray:
    """Training / evaluation targets from class ids (binary, multiclass) or tuples of them
    (multilabel): 0/1 floats, class ids, or a multi-hot ``[n, count]`` matrix."""
    if task == "multilabel":
        matrix = np.zeros((len(labels), count), dtype=np.float32)
        for row, ids in enumerate(labels):
            matrix[row, list(ids)] = 1.0
        return matrix
    return np.asarray(labels, dtype=np.float32 if task == "binary" else np.int64)


def decisions(scores: np.ndarray, task: str, thresholds=0.5) -> np.ndarray:
    """Predicted labels from scores ``[n, K]``: class ids (binary: score >= threshold; multiclass:
    the highest), or a 0/1 ``[n, K]`` matrix (multilabel: :func:`label_sets`)."""
    scores = np.asarray(scores)
    if task == "multiclass":
        return scores.argmax(axis=1)
    if task == "binary":
        return (scores.reshape(len(scores)) >= thresholds).astype(np.int64)
    return label_sets(scores, thresholds).astype(np.int64)


def label_sets(scores: np.ndarray, thresholds, min_labels: int = 0) -> np.ndarray:
    """Multilabel decisions ``[n, K]`` (bool): each score at or over its threshold; with
    ``min_labels`` 1, a text with none of them gets its top-scoring label."""
    scores = np.asarray(scores)
    decided = scores >= np.asarray(thresholds)
    if min_labels:
        none = np.flatnonzero(~decided.any(axis=1))
        decided[none, scores[none].argmax(axis=1)] = True
    return decided
