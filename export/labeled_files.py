"""Training data from the user's own files: CSV, TSV or JSON Lines of (text, label).

Labels come from the data, kept as written, after the user's label rules (a label
map, labels to drop: :class:`edge_sentiment.labels.LabelRules`) and ``min_count``
(labels with fewer training rows are dropped): exactly two must remain. The
positive class (the one ``score`` is the probability of) is ``positive``, or by
rule the value that reads as positive (1, true, pos, positive, any case), else
the second in sorted order. With no test file a stratified, seeded test split
is carved from the training file, and with no validation file a stratified,
seeded validation split from what is left (:data:`TEST_FRACTION`,
:data:`VALIDATION_FRACTION` of the file each: small sets need most of their rows to
learn from, and the peers a user compares with train on the whole file).
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from edge_sentiment.bundle import sha256_file
from edge_sentiment.labels import LabelRules
from edge_sentiment.tables import POSITIVE_VALUES, labeled_format, labeled_rows

from .data import DataError, Split

#: Fewer examples of a class than this cannot train and check a model.
MIN_PER_CLASS = 50
TEST_FRACTION = 0.1
VALIDATION_FRACTION = 0.1


@dataclass
class LabeledFiles:
    """What the exporter needs of a dataset (as :class:`~.data.ImdbDataset`), plus label names."""

    train: Split
    test: Split
    labels: tuple[str, str]  # (negative class, positive class)
    validation: Split | None = None
    sources: dict = field(default_factory=dict)
    rules: LabelRules = field(default_factory=LabelRules)

    def describe(self) -> dict:
        return {
            "name": "labeled files",
            "files": self.sources,
            "labels": list(self.labels),
            **({"label_rules": self.rules.to_dict()} if self.rules else {}),
            "train_rows": len(self.train),
            "validation_rows": len(self.validation) if self.validation is not None else None,
            "test_rows": len(self.test),
        }


@dataclass
class _Rows:
    texts: list[str]
    values: list[str]
    label_source: str  # what the labels were read from, for messages


def load_labeled_files(
    train: str, validation: str | None = None, test: str | None = None, *, fmt: str | None = None,
    text_column: str | None = None, label_column: str | None = None, positive: str | None = None,
    seed: int = 1234, log: Callable[[str], None] = print, rules: LabelRules = LabelRules(), min_count: int = 0,
) -> LabeledFiles:
    parts = {"train": train, "validation": validation, "test": test}
    rows = {name: _read(path, fmt, text_column, label_column, log, rules) for name, path in parts.items() if path is not None}
    rare = _rare_labels(rows["train"], min_count, train, log)
    if rare:
        rules = LabelRules(rules.mapping, rules.dropped | rare)
        rows = {name: _without(part, rare) for name, part in rows.items()}
    labels = _label_names(rows["train"], positive, train, log)
    for name, part in rows.items():
        unknown = sorted(set(part.values) - set(labels))
        if unknown:
            raise DataError(f"{parts[name]}: label(s) {', '.join(map(repr, unknown))} do not occur in {train} "
                            f"(its labels: {', '.join(map(repr, labels))})")
    splits = {name: Split(part.texts, [int(v == labels[1]) for v in part.values]) for name, part in rows.items()}
    _check_counts(splits["train"], labels, train)
    rows_in_file = len(splits["train"])
    for name, fraction in (("test", TEST_FRACTION), ("validation", VALIDATION_FRACTION)):
        if name not in splits:
            splits["train"], splits[name] = _stratified_split(splits["train"], fraction * rows_in_file / len(splits["train"]), seed)
            log(f"no --{name} file: {len(splits[name]):,} rows of {train} ({fraction:.0%}, stratified, seed {seed}) "
                f"are held out as the {name} split")
    _warn_overlap(splits, {name: parts[name] if name in rows else None for name in splits}, log)
    sources = {name: {"path": path, **({"sha256": sha256_file(path)} if os.path.isfile(path) else {})}
               for name, path in parts.items() if path is not None and path != "-"}
    return LabeledFiles(splits["train"], splits["test"], labels, splits.get("validation"), sources, rules)


def _rare_labels(rows: _Rows, min_count: int, path: str, log) -> frozenset[str]:
    counts = Counter(rows.values)
    rare = frozenset(label for label, count in counts.items() if count < min_count)
    if rare:
        shown = ", ".join(f"{_shown(label)} ({counts[label]:,})" for label in sorted(rare))
        log(f"--min-count {min_count}: dropping the rows of {len(rare)} label{'s' if len(rare) != 1 else ''} of {path} "
            f"with fewer rows: {shown}")
    return rare


def _without(rows: _Rows, dropped: frozenset[str]) -> _Rows:
    kept = [i for i, value in enumerate(rows.values) if value not in dropped]
    return _Rows([rows.texts[i] for i in kept], [rows.values[i] for i in kept], rows.label_source)


def _read(path: str, fmt: str | None, text_column: str | None, label_column: str | None, log,
          rules: LabelRules = LabelRules()) -> _Rows:
    chosen = labeled_format(path, fmt, unknown="unknown")
    if chosen == "unknown":
        raise DataError(f"{path}: cannot tell its format from the name; pass --format csv, tsv, jsonl or fasttext")
    table = labeled_rows(path, chosen, text_column, label_column, warn=log)
    if chosen in ("folder", "fasttext"):
        log(f"{table.name}: texts from {table.text_column}, labels from {table.label_column}")
    else:
        log(f"{table.name}: texts from column {table.text_column!r}, labels from column {table.label_column!r}")
    texts, values, empty, dropped = [], [], 0, 0
    for where, text, value in table.rows:
        if isinstance(value, list):
            raise DataError(f"{where}: {len(value)} labels ({', '.join(map(_shown, value))}); this version trains on "
                            "one label per text (several labels per text come with bundle format 3)")
        if value is None or isinstance(value, dict) or str(value).strip() == "":
            raise DataError(f"{where}: no label in {table.label_column!r}")
        label = rules.apply(str(value).strip())
        if label is None:
            dropped += 1
            continue
        if not text.strip():
            empty += 1
            continue
        texts.append(text)
        values.append(label)
    if dropped:
        log(f"{table.name}: {dropped:,} rows left out (--drop-label)")
    if empty:
        if not texts:
            raise DataError(f"{table.name}: all {empty} texts are empty; is {table.text_column!r} the text column? (--text-column)")
        log(f"warning: {table.name}: {empty} rows with an empty text were skipped")
    source = "subfolders" if chosen == "folder" else f"label column ({table.label_column!r})"
    return _Rows(texts, values, source)


def _label_names(rows: _Rows, positive: str | None, path: str, log) -> tuple[str, str]:
    counts = Counter(rows.values)
    listed = ", ".join(f"{_shown(value)} ({count:,})" for value, count in counts.most_common(10))
    if len(counts) != 2:
        more = f" and {len(counts) - 10} more" if len(counts) > 10 else ""
        fix = ("map several values to one label with --label-map \"VALUES=LABEL\" (e.g. \"1,2=negative\"), "
               "leave labels out with --drop-label LABEL, or drop rare ones with --min-count N")
        if len(counts) < 2:
            fix = "a model needs examples of two labels"
        raise DataError(f"{path}: this version trains on two labels; the {rows.label_source} holds {len(counts)}: "
                        f"{listed}{more}; {fix}")
    values = sorted(counts)
    if positive is not None:
        if positive not in counts:
            raise DataError(f"--positive {positive!r} is not a label of {path} (its labels: {listed})")
        chosen, why = positive, "--positive"
    else:
        readable = [v for v in values if v.lower() in POSITIVE_VALUES]
        chosen, why = (readable[0], "it reads as positive") if len(readable) == 1 else (values[1], "the second in sorted order")
    labels = (next(v for v in values if v != chosen), chosen)
    log(f"labels: {labels[0]!r} (negative class) and {labels[1]!r} (positive class: {why}); "
        "score is the probability of the positive class")
    return labels


#: Labels are quoted in messages up to this many characters (a text column mistaken for labels is long).
LABEL_SHOWN = 40


def _shown(label: str) -> str:
    return repr(label if len(label) <= LABEL_SHOWN else label[:LABEL_SHOWN] + "…")


def _warn_overlap(splits: dict, parts: dict, log) -> None:
    """Warn when held-out rows repeat training texts: their accuracy then reads too high."""
    seen = set(splits["train"].texts)
    for name in ("validation", "test"):
        if name in splits:
            shared = sum(text in seen for text in splits[name].texts)
            if shared:
                source = parts[name] or f"the {name} split"
                log(f"warning: {shared:,} of the {len(splits[name]):,} {name} rows ({source}) have a text that is also "
                    f"a training text; {name} accuracy will read higher than on new texts (remove the repeats)")


def _check_counts(split: Split, labels: tuple[str, str], path: str) -> None:
    positives = sum(split.labels)
    counts = {labels[0]: len(split) - positives, labels[1]: positives}
    small = {name: n for name, n in counts.items() if n < MIN_PER_CLASS}
    if small:
        shown = ", ".join(f"{name!r}: {n}" for name, n in counts.items())
        raise DataError(f"{path}: too few examples to train and check a model ({shown}); each label needs at least "
                        f"{MIN_PER_CLASS}: add examples of {', '.join(map(repr, small))}, or merge labels with --label-map")


def _stratified_split(split: Split, fraction: float, seed: int) -> tuple[Split, Split]:
    rng = np.random.default_rng(seed)
    labels = np.asarray(split.labels)
    held = np.concatenate([rng.permutation(np.flatnonzero(labels == c))[: round((labels == c).sum() * fraction)]
                           for c in np.unique(labels)])
    keep = np.setdiff1d(np.arange(len(split)), held)  # sorted, as is the held-out part below
    return split.subset(keep), split.subset(np.sort(held))
