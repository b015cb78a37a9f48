"""Compare the outputs of the exported files with Keras on the same id matrix."""

from __future__ import annotations

import numpy as np

from edge_sentiment.constants import DEFAULT_THRESHOLD

#: Largest |Keras - backend| probability difference a bundle may have.
TOLERANCE = 1e-5


def parity_report(reference: np.ndarray, others: dict[str, np.ndarray]) -> dict:
    """Max abs difference and label disagreements of every backend against ``reference``."""
    ref_labels = reference >= DEFAULT_THRESHOLD
    report = {}
    for name, scores in others.items():
        report[name] = {
            "max_abs_diff": float(np.max(np.abs(scores.astype(np.float64) - reference))) if len(scores) else 0.0,
            "label_mismatches": int(np.sum((scores >= DEFAULT_THRESHOLD) != ref_labels)),
            "reviews": len(scores),
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
