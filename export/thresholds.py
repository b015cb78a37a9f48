"""Per-label decision thresholds of a multilabel model, fitted on the validation split.

A label's threshold is the score at or above which a text gets the label. The thresholds are
chosen together for the validation **micro-F1** (every label decision of every text counted
once, the figure a multilabel model is judged by): first the best single threshold for all
labels, then label by label, in rounds, the threshold that raises the micro-F1 further.
Fitting each label alone for its own F1 instead sets rare labels low and floods the
predictions with them: it serves the macro-F1 and costs the micro-F1 (docs/design.md, "Label
sets"). A label the validation split holds fewer than :data:`MIN_POSITIVES` times keeps the
common threshold: fitted on a few texts its own threshold would follow them, not the label. The
decisions are those a runtime makes (edge_sentiment/tasks.py ``label_sets``), with :data:`MIN_LABELS`.
"""

from __future__ import annotations

import numpy as np

from edge_sentiment.tasks import label_sets

CANDIDATES = np.round(np.arange(0.05, 0.951, 0.025), 3)
DEFAULT = 0.5
#: A multilabel bundle's fewest labels per text (manifest ``min_labels``): every row a model is
#: trained on holds at least one label (a row with none is left out when the file is read), so a
#: text none of whose labels reaches its threshold gets its top one.
MIN_LABELS = 1
#: Rounds over the labels; the micro-F1 stops rising within two or three.
ROUNDS = 3
#: The fewest validation texts holding a label for the label to get a threshold of its own.
MIN_POSITIVES = 40


def fit_thresholds(scores: np.ndarray, truth: np.ndarray, min_labels: int = 0) -> tuple[list[float], dict]:
    """``(thresholds, record)`` from validation scores ``[n, K]`` and a 0/1 matrix ``truth``,
    for decisions made as :func:`edge_sentiment.tasks.label_sets` makes them with ``min_labels``."""
    scores = np.asarray(scores)
    truth = np.asarray(truth).astype(bool)
    common = _best_common(scores, truth, min_labels)
    chosen = np.full(scores.shape[1], CANDIDATES[common])
    enough = truth.sum(axis=0) >= MIN_POSITIVES
    for _ in range(ROUNDS):
        if not _improve_each(scores, truth, chosen, enough, min_labels):
            break
    thresholds = [float(t) for t in chosen]
    decided = label_sets(scores, thresholds, min_labels)
    at_least = " and every text its top label when none reaches its threshold" if min_labels else ""
    record = {
        "rule": f"the thresholds (each one of {CANDIDATES[0]:g} to {CANDIDATES[-1]:g}, steps of 0.025) with the best "
                f"validation micro-F1{at_least}: the best common one ({CANDIDATES[common]:g}), then label by label over "
                f"{ROUNDS} rounds; a label held by fewer than {MIN_POSITIVES} validation texts keeps the common one",
        "labels_fitted_one_by_one": int(enough.sum()),
        "validation_micro_f1": round(_micro_f1(truth, decided), 4),
        "validation_micro_f1_at_0.5": round(_micro_f1(truth, label_sets(scores, DEFAULT, min_labels)), 4),
        "validation_macro_f1": round(_macro_f1(truth, decided), 4),
    }
    return thresholds, record


def _best_common(scores: np.ndarray, truth: np.ndarray, min_labels: int) -> int:
    """The candidate index whose common threshold has the best micro-F1 (ties: nearest 0.5)."""
    f1 = np.array([_micro_f1(truth, label_sets(scores, t, min_labels)) for t in CANDIDATES])
    best = np.flatnonzero(f1 == f1.max())
    return int(best[np.argmin(np.abs(CANDIDATES[best] - DEFAULT))])


def _improve_each(scores, truth, chosen: np.ndarray, movable: np.ndarray, min_labels: int) -> bool:
    """One round: each ``movable`` label moves to its best threshold given the others (only for a
    strict gain). Returns whether any moved."""
    moved = False
    for k in np.flatnonzero(movable):
        f1 = _micro_f1_per_candidate(scores, truth, chosen, k, min_labels)
        current = int(np.argmin(np.abs(CANDIDATES - chosen[k])))
        if f1.max() > f1[current] + 1e-12:
            chosen[k] = CANDIDATES[int(np.argmax(f1))]
            moved = True
    return moved


def _micro_f1_per_candidate(scores, truth, chosen: np.ndarray, k: int, min_labels: int) -> np.ndarray:
    """The micro-F1 for each candidate threshold of label ``k``, the others' fixed: ``[C]``."""
    others = scores >= chosen
    others[:, k] = False
    # The other labels' (tp, fp, fn); label k's column, all False in ``others``, is counted below.
    base = np.array([np.sum(others & truth), np.sum(others & ~truth), np.sum(~others & truth) - np.sum(truth[:, k])])
    own = scores[:, k, None] >= CANDIDATES[None, :]  # [n, C]
    if min_labels:
        # A text none of whose labels reaches its threshold gets its top label: label k's own
        # decision (top is k), or another label's, whose column then holds one more decision.
        nothing = ~others.any(axis=1)[:, None] & ~own
        top = scores.argmax(axis=1)
        own = own | (nothing & (top == k)[:, None])
        forced = nothing & (top != k)[:, None]  # [n, C]
        right = truth[np.arange(len(top)), top].astype(np.int64)
        gained = np.stack([right @ forced, (1 - right) @ forced, -(right @ forced)])  # [3, C]
    else:
        gained = 0
    wanted = truth[:, k, None]
    counts = np.stack([np.sum(own & wanted, axis=0), np.sum(own & ~wanted, axis=0), np.sum(~own & wanted, axis=0)])
    true_pos, false_pos, false_neg = base[:, None] + counts + gained
    return _f1_of(true_pos, false_pos, false_neg)


def _f1_of(true_pos, false_pos, false_neg):
    denominator = 2 * true_pos + false_pos + false_neg
    return np.where(denominator > 0, 2 * true_pos / np.maximum(denominator, 1), 0.0)


def _f1(truth: np.ndarray, predicted: np.ndarray) -> float:
    return float(_f1_of(np.sum(truth & predicted), np.sum(~truth & predicted), np.sum(truth & ~predicted)))


def _micro_f1(truth: np.ndarray, predicted: np.ndarray) -> float:
    return _f1(truth.reshape(-1), predicted.reshape(-1))


def _macro_f1(truth: np.ndarray, predicted: np.ndarray) -> float:
    return float(np.mean([_f1(truth[:, k], predicted[:, k]) for k in range(truth.shape[1])]))
