"""Per-label decision thresholds of a multilabel model, fitted on the validation split.

A label's threshold is the score at or above which a text gets the label. 0.5 suits a
calibrated label whose errors cost the same both ways; a rare label's F1 is usually best
lower. Each label gets the threshold among :data:`CANDIDATES` with the highest validation
F1 (ties: the one nearest 0.5); a label the validation split never holds keeps 0.5.
"""

from __future__ import annotations

import numpy as np

CANDIDATES = np.round(np.arange(0.05, 0.951, 0.025), 3)
DEFAULT = 0.5


def fit_thresholds(scores: np.ndarray, truth: np.ndarray) -> tuple[list[float], dict]:
    """``(thresholds, record)`` from validation scores ``[n, K]`` and a 0/1 matrix ``truth``."""
    truth = np.asarray(truth).astype(bool)
    chosen = []
    for k in range(scores.shape[1]):
        if not truth[:, k].any():
            chosen.append(DEFAULT)
            continue
        f1 = np.array([_f1(truth[:, k], scores[:, k] >= t) for t in CANDIDATES])
        best = np.flatnonzero(f1 == f1.max())
        chosen.append(float(CANDIDATES[best[np.argmin(np.abs(CANDIDATES[best] - DEFAULT))]]))
    predicted = scores >= np.asarray(chosen)
    record = {
        "rule": f"each label's threshold: the one of {CANDIDATES[0]:g} to {CANDIDATES[-1]:g} (steps of 0.025) with the "
                "best validation F1, ties nearest 0.5; 0.5 for a label absent from validation",
        "validation_micro_f1": round(_micro_f1(truth, predicted), 4),
        "validation_micro_f1_at_0.5": round(_micro_f1(truth, scores >= DEFAULT), 4),
    }
    return chosen, record


def _f1(truth: np.ndarray, predicted: np.ndarray) -> float:
    tp = np.sum(truth & predicted)
    wrong = np.sum(truth ^ predicted)
    return float(2 * tp / (2 * tp + wrong)) if tp + wrong else 0.0


def _micro_f1(truth: np.ndarray, predicted: np.ndarray) -> float:
    return _f1(truth.reshape(-1), predicted.reshape(-1))
