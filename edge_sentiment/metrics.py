"""Binary classification metrics in NumPy (used by ``evaluate`` and the exporter)."""

from __future__ import annotations

import numpy as np

from .constants import DEFAULT_THRESHOLD


def binary_metrics(labels: np.ndarray, scores: np.ndarray, threshold: float = DEFAULT_THRESHOLD) -> dict:
    """Accuracy, precision, recall and F1 of the positive class, and the confusion matrix.

    ``confusion_matrix`` is ``[[tn, fp], [fn, tp]]`` (rows: true label, columns: predicted).
    """
    truth = np.asarray(labels).astype(bool)
    predicted = np.asarray(scores) >= threshold
    tp = int(np.sum(truth & predicted))
    tn = int(np.sum(~truth & ~predicted))
    fp = int(np.sum(~truth & predicted))
    fn = int(np.sum(truth & ~predicted))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "reviews": len(truth),
        "accuracy": (tp + tn) / len(truth) if len(truth) else 0.0,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "confusion_matrix": [[tn, fp], [fn, tp]],
    }
