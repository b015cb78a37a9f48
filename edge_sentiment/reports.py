"""Typed evaluation results: what ``TextClassifier.evaluate`` returns and ``evaluate --json`` prints.

:class:`EvaluationReport` holds the figures every task has as fields (accuracy, macro-F1, the
majority baseline, calibration error, per-class figures, the confusion matrix where the labels
are exclusive) and every figure of the task, by name, in ``figures`` (what
:func:`edge_sentiment.metrics.evaluation_report` computes; ``to_dict`` gives it back whole).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ClassFigures:
    """One label's precision, recall, F1 and support (multilabel: with its decision threshold)."""

    precision: float
    recall: float
    f1: float
    support: int
    threshold: float | None = None


@dataclass(frozen=True)
class EvaluationReport:
    """A bundle's figures on labelled texts. ``accuracy`` is subset accuracy for multilabel
    (every label of a text right); ``micro_f1`` equals accuracy for exclusive labels."""

    task: str
    texts: int
    accuracy: float
    macro_f1: float
    micro_f1: float
    majority_baseline: float
    ece: float
    per_class: dict[str, ClassFigures]
    confusion_matrix: list[list[int]] | None
    figures: dict = field(repr=False)

    @classmethod
    def from_figures(cls, task: str, figures: dict) -> EvaluationReport:
        per_class = {name: ClassFigures(c["precision"], c["recall"], c["f1"], c["support"], c.get("threshold"))
                     for name, c in figures["per_class"].items()}
        micro = figures.get("micro_f1", figures["accuracy"])  # (one label per text: micro-F1 is accuracy)
        return cls(task=task, texts=figures["texts"], accuracy=figures["accuracy"], macro_f1=figures["macro_f1"],
                   micro_f1=micro, majority_baseline=figures["majority_baseline"], ece=figures["ece"],
                   per_class=per_class, confusion_matrix=figures.get("confusion_matrix"), figures=figures)

    def to_dict(self) -> dict:
        """Every figure by name, as ``evaluate --json`` prints them (with the task)."""
        return {"task": self.task, **self.figures}
