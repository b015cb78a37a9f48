"""Binary classification metrics in NumPy (used by ``evaluate`` and the exporter)."""

from __future__ import annotations

import numpy as np

from .constants import DEFAULT_THRESHOLD
from .tasks import label_sets


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
        "texts": len(truth),
        "accuracy": (tp + tn) / len(truth) if len(truth) else 0.0,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "confusion_matrix": [[tn, fp], [fn, tp]],
    }


def majority_baseline(labels) -> float:
    """The accuracy of always predicting the most common label: what a model must beat."""
    labels = np.asarray(labels).astype(bool)
    return float(max(labels.mean(), 1 - labels.mean())) if len(labels) else 0.0


#: Token-count buckets of ``evaluate``'s per-length report: (name, fewest, most).
LENGTH_BUCKETS = (("<=10", 0, 10), ("11-50", 11, 50), ("51-200", 51, 200), (">200", 201, None))
#: Scores below SATURATION or above 1 - SATURATION count as saturated (certainty the model cannot have).
SATURATION = 0.001
_EPS = 1e-7


def calibration_metrics(labels: np.ndarray, scores: np.ndarray, bins: int = 10) -> dict:
    """How well scores work as probabilities of the positive class.

    ``ece``: expected calibration error over ``bins`` equal-width bins of the
    score (|mean score - share of positives| per bin, weighted by the bin's
    size); ``nll``: mean negative log-likelihood (scores clipped to [1e-7, 1 - 1e-7]);
    ``brier``: mean squared error; ``saturated``: share of scores below 0.001 or above 0.999.
    """
    truth = np.asarray(labels, dtype=np.float64)
    p = np.asarray(scores, dtype=np.float64)
    if not len(p):
        return {"ece": 0.0, "nll": 0.0, "brier": 0.0, "saturated": 0.0}
    which = np.minimum((p * bins).astype(int), bins - 1)
    ece = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            ece += inside.mean() * abs(p[inside].mean() - truth[inside].mean())
    clipped = np.clip(p, _EPS, 1 - _EPS)
    nll = -np.mean(truth * np.log(clipped) + (1 - truth) * np.log(1 - clipped))
    return {
        "ece": float(ece),
        "nll": float(nll),
        "brier": float(np.mean((p - truth) ** 2)),
        "saturated": float(np.mean((p < SATURATION) | (p > 1 - SATURATION))),
    }


def per_class(labels, predicted, names) -> dict:
    """Precision, recall, F1 and support of each class (``names[i]`` is class ``i``)."""
    labels, predicted = np.asarray(labels).astype(int), np.asarray(predicted).astype(int)
    report = {}
    for index, name in enumerate(names):
        tp = int(np.sum((labels == index) & (predicted == index)))
        chosen, support = int(np.sum(predicted == index)), int(np.sum(labels == index))
        precision = tp / chosen if chosen else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        report[name] = {"precision": precision, "recall": recall, "f1": f1, "support": support}
    return report


def macro_f1(labels, predicted, classes: int = 2) -> float:
    """The mean of each class's F1 (:func:`per_class`) over classes ``0 .. classes - 1``."""
    return float(np.mean([c["f1"] for c in per_class(labels, predicted, range(classes)).values()]))


def evaluation_report(labels, scores, token_counts, threshold: float = DEFAULT_THRESHOLD,
                      names: tuple[str, ...] = ("negative", "positive"), task: str = "binary", thresholds=None,
                      min_labels: int = 0) -> dict:
    """:func:`binary_metrics` and :func:`calibration_metrics`, the majority-class baseline, each
    class's figures (``per_class``, keyed by ``names``) and their mean F1 (``macro_f1``), overall
    and per length bucket (``by_length``: accuracy, ECE and text count for each of :data:`LENGTH_BUCKETS`).
    Multiclass and multilabel (``scores`` ``[n, K]``; multilabel ``labels`` a 0/1 matrix, decided at
    ``thresholds`` and ``min_labels``): :func:`multiclass_metrics` / :func:`multilabel_metrics`, and by length."""
    if task != "binary":
        return _labels_report(labels, scores, token_counts, names, task, thresholds, min_labels)
    labels, scores, counts = np.asarray(labels), np.asarray(scores), np.asarray(token_counts)
    classes = per_class(labels, scores >= threshold, names)
    report = {**binary_metrics(labels, scores, threshold), **calibration_metrics(labels, scores),
              "majority_baseline": majority_baseline(labels),
              "macro_f1": float(np.mean([c["f1"] for c in classes.values()])), "per_class": classes}
    report["by_length"] = {}
    for name, fewest, most in LENGTH_BUCKETS:
        inside = (counts >= fewest) & (counts <= (most if most is not None else np.iinfo(np.int64).max))
        part = binary_metrics(labels[inside], scores[inside], threshold)
        empty = part["texts"] == 0
        report["by_length"][name] = {
            "texts": part["texts"],
            "accuracy": None if empty else part["accuracy"],
            "ece": None if empty else calibration_metrics(labels[inside], scores[inside])["ece"],
        }
    return report


def multiclass_metrics(labels, scores, names) -> dict:
    """Figures of exclusive labels from class ids ``labels`` and scores ``[n, K]`` (rows summing
    to 1): accuracy (= micro-F1), macro-F1, per-class figures, the ``K x K`` confusion matrix
    (rows: true label, columns: predicted), the majority baseline, log-loss, and calibration:
    top-label ECE (the highest score against whether it was right) and class-wise ECE (each
    class's score against its one-vs-rest truth, averaged)."""
    labels, scores = np.asarray(labels).astype(int), np.asarray(scores, dtype=np.float64)
    predicted = scores.argmax(axis=1) if len(scores) else np.zeros(0, dtype=int)
    classes = per_class(labels, predicted, names)
    confusion = np.zeros((len(names), len(names)), dtype=int)
    np.add.at(confusion, (labels, predicted), 1)
    accuracy = float(np.mean(labels == predicted)) if len(labels) else 0.0
    chosen = scores[np.arange(len(labels)), labels] if len(labels) else np.zeros(0)
    top = calibration_metrics(labels == predicted, scores.max(axis=1) if len(scores) else np.zeros(0))
    return {
        "texts": len(labels), "accuracy": accuracy, "micro_f1": accuracy,
        "macro_f1": float(np.mean([c["f1"] for c in classes.values()])),
        "majority_baseline": float(np.bincount(labels, minlength=len(names)).max() / len(labels)) if len(labels) else 0.0,
        # (- log 1 is -0.0, which would print as "-0.0000" where every chosen score is 1)
        "nll": float(np.mean(-np.log(np.clip(chosen, _EPS, 1.0)))) + 0.0 if len(labels) else 0.0,
        "ece": top["ece"], "top_label_ece": top["ece"],
        "classwise_ece": float(np.mean([calibration_metrics(labels == k, scores[:, k])["ece"] for k in range(len(names))])),
        "saturated": top["saturated"],
        "per_class": classes, "confusion_matrix": confusion.tolist(),
    }


def multilabel_metrics(truth, scores, thresholds, names, min_labels: int = 0) -> dict:
    """Figures of labels a text may hold several of, from a 0/1 matrix ``truth`` and scores
    ``[n, K]`` decided by :func:`edge_sentiment.tasks.label_sets`: micro- and macro-F1, subset accuracy (every
    label of a row right; reported as ``accuracy``), Hamming loss (the share of wrong
    label decisions), per-label figures, the subset accuracy of always predicting the most
    common label set (``majority_baseline``) and class-wise ECE."""
    truth = np.asarray(truth).astype(bool)
    scores = np.asarray(scores, dtype=np.float64)
    predicted = label_sets(scores, thresholds, min_labels)
    tp, fp, fn = (int(np.sum(truth & predicted)), int(np.sum(~truth & predicted)), int(np.sum(truth & ~predicted)))
    per_label = {}
    for k, name in enumerate(names):
        t, p = truth[:, k], predicted[:, k]
        ktp = int(np.sum(t & p))
        precision = ktp / int(p.sum()) if p.any() else 0.0
        recall = ktp / int(t.sum()) if t.any() else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_label[name] = {"precision": precision, "recall": recall, "f1": f1, "support": int(t.sum()),
                           "threshold": float(np.asarray(thresholds).reshape(-1)[k] if np.ndim(thresholds) else thresholds)}
    classwise_ece = float(np.mean([calibration_metrics(truth[:, k], scores[:, k])["ece"] for k in range(len(names))]))
    sets = [tuple(row) for row in truth.astype(int)]
    common = max(set(sets), key=sets.count) if sets else ()
    rows = len(truth)
    return {
        "texts": rows,
        "accuracy": float(np.mean((truth == predicted).all(axis=1))) if rows else 0.0,
        "subset_accuracy": float(np.mean((truth == predicted).all(axis=1))) if rows else 0.0,
        "micro_f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0,
        "macro_f1": float(np.mean([c["f1"] for c in per_label.values()])),
        "hamming_loss": float(np.mean(truth != predicted)) if rows else 0.0,
        "majority_baseline": sets.count(common) / rows if rows else 0.0,
        "classwise_ece": classwise_ece, "ece": classwise_ece,
        "per_class": per_label,
    }


def task_metrics(task: str, labels, scores, names, thresholds=DEFAULT_THRESHOLD, min_labels: int = 0) -> dict:
    """The test figures of ``task`` (edge_sentiment/tasks.py): ``scores`` as the backends return
    them (``[n, K]``), ``labels`` as :func:`edge_sentiment.tasks.targets` makes them."""
    scores = np.asarray(scores)
    if task == "binary":
        flat = scores.reshape(len(scores))
        return {**binary_metrics(labels, flat, thresholds), **calibration_metrics(labels, flat)}
    if task == "multiclass":
        return multiclass_metrics(labels, scores, names)
    return multilabel_metrics(labels, scores, thresholds, names, min_labels)


def _labels_report(labels, scores, token_counts, names, task: str, thresholds, min_labels: int) -> dict:
    labels, scores, counts = np.asarray(labels), np.asarray(scores), np.asarray(token_counts)

    def figures(rows):
        if task == "multiclass":
            return multiclass_metrics(labels[rows], scores[rows], names)
        return multilabel_metrics(labels[rows], scores[rows], thresholds, names, min_labels)

    report = figures(np.arange(len(labels)))
    report["by_length"] = {}
    for name, fewest, most in LENGTH_BUCKETS:
        rows = np.flatnonzero((counts >= fewest) & (counts <= (most if most is not None else np.iinfo(np.int64).max)))
        part = figures(rows) if len(rows) else None
        report["by_length"][name] = {"texts": int(len(rows)), "accuracy": None if part is None else part["accuracy"],
                                     "ece": None if part is None else part["ece"]}
    return report
