"""Per-label decision thresholds of a multilabel model, fitted on the validation split.

A label's threshold is the score at or above which a text gets the label. The thresholds are
chosen together for the validation **micro-F1** (every label decision of every text counted
once, the figure a multilabel model is judged by): first the best single threshold for all
labels, then label by label, in rounds, the threshold that raises the micro-F1 further.
Fitting each label alone for its own F1 instead sets rare labels low and floods the
predictions with them: it serves the macro-F1 and costs the micro-F1 (benchmarks, "Label
sets"). A label the validation split never holds keeps the common threshold.
"""

from __future__ import annotations

import numpy as np

CANDIDATES = np.round(np.arange(0.05, 0.951, 0.025), 3)
DEFAULT = 0.5
#: Rounds over the labels; the micro-F1 stops rising within two or three.
ROUNDS = 3


def fit_thresholds(scores: np.ndarray, truth: np.ndarray) -> tuple[list[float], dict]:
    """``(thresholds, record)`` from validation scores ``[n, K]`` and a 0/1 matrix ``truth``."""
    truth = np.asarray(truth).astype(bool)
    counts = _decision_counts(scores, truth)  # [3, K, C]: true positives, false positives, false negatives
    common = _best_common(counts)
    chosen = np.full(scores.shape[1], common)
    present = truth.any(axis=0)
    for _ in range(ROUNDS):
        if not _improve_each(counts, chosen, present):
            break
    thresholds = [float(CANDIDATES[c]) for c in chosen]
    record = {
        "rule": f"the thresholds (each one of {CANDIDATES[0]:g} to {CANDIDATES[-1]:g}, steps of 0.025) with the best "
                f"validation micro-F1: the best common one ({CANDIDATES[common]:g}), then label by label over "
                f"{ROUNDS} rounds; a label absent from validation keeps the common one",
        "validation_micro_f1": round(_micro_f1(truth, scores >= np.asarray(thresholds)), 4),
        "validation_micro_f1_at_0.5": round(_micro_f1(truth, scores >= DEFAULT), 4),
        "validation_macro_f1": round(_macro_f1(truth, scores >= np.asarray(thresholds)), 4),
    }
    return thresholds, record


def _decision_counts(scores: np.ndarray, truth: np.ndarray) -> np.ndarray:
    decided = scores[:, :, None] >= CANDIDATES[None, None, :]  # [n, K, C]
    wanted = truth[:, :, None]
    true_pos = np.sum(decided & wanted, axis=0)
    false_pos = np.sum(decided & ~wanted, axis=0)
    false_neg = np.sum(~decided & wanted, axis=0)
    return np.stack([true_pos, false_pos, false_neg]).astype(np.int64)


def _best_common(counts: np.ndarray) -> int:
    """The candidate index whose common threshold has the best micro-F1 (ties: nearest 0.5)."""
    totals = counts.sum(axis=1)  # [3, C]
    f1 = _f1_of(*totals)
    best = np.flatnonzero(f1 == f1.max())
    return int(best[np.argmin(np.abs(CANDIDATES[best] - DEFAULT))])


def _improve_each(counts: np.ndarray, chosen: np.ndarray, present: np.ndarray) -> bool:
    """One round: each label present in validation moves to its best threshold given the
    others (only for a strict gain). Returns whether any moved."""
    labels = np.arange(counts.shape[1])
    moved = False
    for k in np.flatnonzero(present):
        others = counts[:, labels, chosen].sum(axis=1) - counts[:, k, chosen[k]]  # [3]
        f1 = _f1_of(*(others[:, None] + counts[:, k, :]))
        if f1.max() > f1[chosen[k]] + 1e-12:
            chosen[k] = int(np.argmax(f1))
            moved = True
    return moved


def _f1_of(true_pos, false_pos, false_neg):
    denominator = 2 * true_pos + false_pos + false_neg
    return np.where(denominator > 0, 2 * true_pos / np.maximum(denominator, 1), 0.0)


def _f1(truth: np.ndarray, predicted: np.ndarray) -> float:
    return float(_f1_of(np.sum(truth & predicted), np.sum(~truth & predicted), np.sum(truth & ~predicted)))


def _micro_f1(truth: np.ndarray, predicted: np.ndarray) -> float:
    return _f1(truth.reshape(-1), predicted.reshape(-1))


def _macro_f1(truth: np.ndarray, predicted: np.ndarray) -> float:
    return float(np.mean([_f1(truth[:, k], predicted[:, k]) for k in range(truth.shape[1])]))
