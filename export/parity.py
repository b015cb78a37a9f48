"""Compare the outputs of the exported files with Keras on the same id matrix."""

from __future__ import annotations

import numpy as np

from edge_sentiment.tasks import decisions

#: Largest |Keras - backend| probability difference a bundle may have.
TOLERANCE = 1e-5


def parity_report(reference: np.ndarray, others: dict[str, np.ndarray], task: str = "binary") -> dict:
    """Max abs difference (over every score) and label disagreements (at 0.5, or the top
    label) of every backend's ``[n, K]`` scores against ``reference``."""
    ref_labels = decisions(reference, task)
    report = {}
    for name, scores in others.items():
        same_shape = scores.shape == reference.shape  # ([n] against [n, 1] would broadcast to [n, n])
        report[name] = {
            "max_abs_diff": (float(np.max(np.abs(scores.astype(np.float64) - reference))) if len(scores) else 0.0)
            if same_shape else float("inf"),
            "label_mismatches": int(np.sum(np.any((decisions(scores, task) != ref_labels).reshape(len(scores), -1), axis=1)))
            if same_shape else len(scores),
            "texts": len(scores),
        }
    return report


def parity_failures(report: dict, tolerance: float = TOLERANCE) -> list[str]:
    """Human-readable reasons why ``report`` is not a pass (empty list: it passes).

    Written as ``not diff <= tolerance`` so that a NaN output fails too.
    """
    failures = []
    for name, r in report.items():
        if not r["max_abs_diff"] <= tolerance:
            failures.append(f"{name}: max |diff| {r['max_abs_diff']:.2e} exceeds {tolerance:g}")
        elif r["label_mismatches"]:
            failures.append(f"{name}: {r['label_mismatches']} label(s) differ")
    return failures
