"""Scoring conformance cases with this runtime's backends: the exporter writes a bundle's
``conformance.jsonl`` (:func:`write_cases`), ``edge-sentiment verify`` re-runs it (:func:`verify`).
What the cases are and how the file is read and compared: edge_sentiment/conformance.py.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .bundle import Bundle
from .classifier import SentimentClassifier
from .conformance import (EDGE_CASES, ONE_PER_CALL, SUBWORD_CASES, SYMBOL_CASES, case_label, read_cases, recorded, score_diff,
                          tolerance, tolerances)
from .encoding import Encoder
from .errors import BundleError


def backend_scores(bundle: Bundle, backends: Sequence[str], texts: list[str]) -> dict[str, np.ndarray]:
    """Each backend's scores of ``texts`` (in one batch), and the onnx backend one text per call."""
    scores = {}
    for name in backends:
        with SentimentClassifier(bundle, backend=name) as classifier:
            scores[name] = classifier.predict_proba(texts)
            if name == "onnx":
                scores[ONE_PER_CALL] = np.array([classifier._public(classifier._score_one(t)[None])[0] for t in texts],
                                                dtype=np.float32)
    return scores


def write_cases(bundle: Bundle, cases: list[tuple[str, str]], path: Path, backends: Sequence[str]) -> int:
    """Write ``conformance.jsonl`` for ``bundle`` to ``path``; returns the number of cases."""
    encoder = Encoder(bundle.vocab, bundle.encoding)
    texts = [text for _, text in cases]
    scores = backend_scores(bundle, backends, texts)
    backend_names = list(backends)  # one-per-call is checked against "onnx", not recorded
    limits = tolerances(backend_names)
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        for number, (category, text) in enumerate(cases):
            record = {
                "case": number, "category": category, "text": text, "tokens": bundle.encoding.tokenize(text), "ids": encoder.kept_ids(text),
                **({"subwords": encoder.kept_subwords(text).tolist()} if encoder.subwords is not None else {}),
                "scores": {name: recorded(scores[name][number]) for name in backend_names},
                "label": case_label(bundle, scores[backend_names[0]][number]),
                "tolerance": limits,
            }
            # ensure_ascii: lone surrogates and invisible characters survive as \\u escapes.
            out.write(json.dumps(record, ensure_ascii=True) + "\n")
    return len(cases)


@dataclass
class CheckResult:
    """How one check (``tokens``, ``ids`` or a backend) did over every case."""

    check: str
    cases: int = 0
    failures: int = 0
    max_abs_diff: float = 0.0
    first_failure: dict | None = field(default=None)
    #: Why the check could not run (a backend that failed to load): a failure too.
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.failures > 0 or self.error is not None

    def record(self, case: dict, ok: bool, expected, got, diff: float = 0.0) -> None:
        self.cases += 1
        self.max_abs_diff = max(self.max_abs_diff, diff)
        if not ok:
            self.failures += 1
            if self.first_failure is None:
                self.first_failure = {"case": case["case"], "category": case["category"], "text": case["text"][:200],
                                      "expected": expected, "got": got}


def verify(bundle: Bundle, backends: Sequence[str]) -> list[CheckResult]:
    """Re-run every conformance case: that the file holds the specification's edge cases and
    the manifest's label names, tokens and ids exactly, each backend's score within the
    specification's tolerance. A backend that fails to load is that backend's failure."""
    cases = read_cases(bundle)
    encoder = Encoder(bundle.vocab, bundle.encoding)
    results = [_coverage(cases, encoder.subwords is not None, bundle.encoding.symbols), _labels(bundle, cases), CheckResult("tokens"), CheckResult("ids")]
    if encoder.subwords is not None:
        results.append(CheckResult("subwords"))
    for case in cases:
        tokens, ids = bundle.encoding.tokenize(case["text"]), encoder.kept_ids(case["text"])
        results[2].record(case, tokens == case["tokens"], case["tokens"], tokens)
        results[3].record(case, ids == case["ids"], case["ids"], ids)
        if encoder.subwords is not None:
            subwords = encoder.kept_subwords(case["text"]).tolist()
            results[4].record(case, subwords == case.get("subwords"), case.get("subwords"), subwords)
    texts = [case["text"] for case in cases]
    for name in backends:
        try:
            scores = backend_scores(bundle, [name], texts)
        except BundleError as exc:
            results.append(CheckResult(name, error=str(exc)))
            continue
        results += [_score_check(name, cases, got) for name, got in scores.items()]
    return results


def _coverage(cases: list[dict], subwords: bool = False, symbols: bool = False) -> CheckResult:
    """Every edge case of the specification (and, for a bundle with subwords, every subword
    case; for one whose tokenizer reads symbols, every symbol case) is in the file (a file cut
    short fails)."""
    result = CheckResult("edge cases")
    present = {case["text"] for case in cases}
    required = [(f"edge: {c}", t) for c, t in EDGE_CASES]
    required += [(f"subwords: {c}", t) for c, t in SUBWORD_CASES] if subwords else []
    required += [(f"symbols: {c}", t) for c, t in SYMBOL_CASES] if symbols else []
    for number, (category, text) in enumerate(required):
        case = {"case": number, "category": category, "text": text}
        result.record(case, text in present, "present", "missing")
    return result


def _labels(bundle: Bundle, cases: list[dict]) -> CheckResult:
    """The manifest's label names are the ones the cases were recorded with."""
    result = CheckResult("labels")
    for case in cases:
        if "label" in case and "onnx" in case["scores"]:
            expected = case_label(bundle, case["scores"]["onnx"])
            result.record(case, case["label"] == expected, case["label"], expected)
    return result


def _score_check(name: str, cases: list[dict], got: np.ndarray) -> CheckResult:
    reference = "onnx" if name == ONE_PER_CALL else name
    result = CheckResult(name)
    for case, score in zip(cases, got):
        expected = case["scores"].get(reference)
        if expected is None:
            continue
        diff = score_diff(expected, score)
        result.record(case, diff <= tolerance(reference), expected, recorded(score), diff)
    return result
