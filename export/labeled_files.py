"""Training data from the user's own files: CSV, TSV or JSON Lines of (text, label).

Labels come from the data, kept as written, after the user's label rules (a label
map, labels to drop: :class:`edge_sentiment.labels.LabelRules`) and ``min_count``
(labels with fewer training rows are dropped). The task follows from them (or ``task``):
a row holding several labels (a JSON list, several ``__label__`` words, or values joined
by ``separator``) makes the file **multilabel**; otherwise two labels are **binary** and
three or more **multiclass**. Binary: the positive class (the one ``score`` is the
probability of) is ``positive``, or by rule the value that reads as positive (1, true,
pos, positive, any case), else the second in sorted order. Multiclass and multilabel:
labels in sorted order (numbers by value).

With no test file a stratified, seeded test split is carved from the training file, and
with no validation file a stratified, seeded validation split from what is left
(:data:`TEST_FRACTION`, :data:`VALIDATION_FRACTION` of the file each: small sets need most
of their rows to learn from, and the peers a user compares with train on the whole file).
Single-label files are stratified per class; multilabel files by iterative stratification
(Sechidis, Tsoumakas and Vlahavas, ECML 2011): the rarest label's rows are placed first,
each where the split still wants most of that label.
"""

from __future__ import annotations

import os
import shlex
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from edge_sentiment.bundle import sha256_file
from edge_sentiment.labels import LabelRules
from edge_sentiment.tables import (POSITIVE_VALUES, is_unlabelled, label_number, labeled_format, labeled_rows,
                                   same_number)

from .data import DataError, Split

#: Fewer examples of a class than this cannot train and check a model.
MIN_PER_CLASS = 50
#: The most labels a file may train on: each needs MIN_PER_CLASS rows, and the serving graphs
#: hold a (vocabulary x labels) score table (20,000 words x 1,000 labels is 80 MB already).
MAX_TRAIN_LABELS = 1000
#: How a label column joins several labels of one row, unless ``--label-separator`` says otherwise.
DEFAULT_SEPARATOR = "|"
TEST_FRACTION = 0.1
VALIDATION_FRACTION = 0.1


@dataclass
class LabeledFiles:
    """What the exporter needs of a dataset (as :class:`~.data.ImdbDataset`), plus label names."""

    train: Split
    test: Split
    #: Label names in output order (binary: negative class, positive class).
    labels: tuple[str, ...]
    validation: Split | None = None
    sources: dict = field(default_factory=dict)
    rules: LabelRules = field(default_factory=LabelRules)
    #: edge_sentiment/tasks.py; a Split's label is a class id (binary, multiclass) or a tuple of them (multilabel).
    task: str = "binary"
    separator: str | None = None
    #: Whether ``test`` was carved from the training file (no test file given): its rows are then
    #: the user's training rows too, and a refit model learns from them (export/train.py ``refit``).
    test_carved: bool = False

    def describe(self) -> dict:
        return {
            "name": "labeled files",
            "files": self.sources,
            "task": self.task,
            "labels": list(self.labels),
            **({"label_separator": self.separator} if self.separator else {}),
            **({"label_rules": self.rules.to_dict()} if self.rules else {}),
            "train_rows": len(self.train),
            "validation_rows": len(self.validation) if self.validation is not None else None,
            "test_rows": len(self.test),
        }


@dataclass
class _Rows:
    texts: list[str]
    values: list[tuple[str, ...]]  # each row's labels (one, except in multilabel files)
    label_source: str  # what the labels were read from, for messages
    joined: int = 0  # rows whose label value was split at the separator into several labels

    def counts(self) -> Counter:
        return Counter(label for labels in self.values for label in labels)


def load_labeled_files(
    train: str, validation: str | None = None, test: str | None = None, *, fmt: str | None = None,
    text_column: str | None = None, label_column: str | None = None, positive: str | None = None,
    seed: int = 1234, log: Callable[[str], None] = print, rules: LabelRules = LabelRules(), min_count: int = 0,
    task: str | None = None, separator: str = DEFAULT_SEPARATOR,
) -> LabeledFiles:
    parts = {"train": train, "validation": validation, "test": test}
    split_at = None if task in ("binary", "multiclass") else separator
    rows = {name: _read(path, fmt, text_column, label_column, log, rules, split_at) for name, path in parts.items()
            if path is not None}
    rare = _rare_labels(rows["train"], min_count, train, log)
    if rare:
        rules = LabelRules(rules.mapping, rules.dropped | rare)
        rows = {name: _without(part, rare) for name, part in rows.items()}
    chosen_task = _task(rows["train"], task, train, separator, log)
    labels = _label_names(rows["train"], positive, train, log, chosen_task)
    rows = {name: _as_training_labels(part, labels) for name, part in rows.items()}
    for name, part in rows.items():
        unknown = sorted(set(part.counts()) - set(labels))
        if unknown:
            raise DataError(f"{parts[name]}: label(s) {', '.join(map(_shown, unknown))} do not occur in {train} "
                            f"(its labels: {', '.join(map(_shown, labels))}); map them with --label-map or leave them "
                            "out with --drop-label")
    splits = {name: Split(part.texts, _label_ids(part.values, labels, chosen_task)) for name, part in rows.items()}
    _check_counts(rows["train"], labels, train)
    rows_in_file = len(splits["train"])
    for name, fraction in (("test", TEST_FRACTION), ("validation", VALIDATION_FRACTION)):
        if name not in splits:
            share = fraction * rows_in_file / len(splits["train"])
            splits["train"], splits[name] = _stratified_split(splits["train"], share, seed, len(labels), chosen_task)
            how = "iterative stratification" if chosen_task == "multilabel" else "stratified"
            log(f"no --{name} file: {len(splits[name]):,} rows of {train} ({fraction:.0%}, {how}, seed {seed}) "
                f"are held out as the {name} split")
    _warn_overlap(splits, {name: parts[name] if name in rows else None for name in splits}, log)
    sources = {name: {"path": path, **({"sha256": sha256_file(path)} if os.path.isfile(path) else {})}
               for name, path in parts.items() if path is not None and path != "-"}
    return LabeledFiles(splits["train"], splits["test"], labels, splits.get("validation"), sources, rules,
                        chosen_task, separator if chosen_task == "multilabel" else None, test_carved=test is None)


def _as_training_labels(rows: _Rows, labels: tuple[str, ...]) -> _Rows:
    """``rows`` with each label that is not one of ``labels`` but spells the same number as one
    ("1" in a test file, "1.0" in the training file) written as that one."""
    known = set(labels)
    spelt = {value: same_number(value, labels) for value in rows.counts() if value not in known}
    if not any(spelt.values()):
        return rows
    values = [tuple(spelt.get(label) or label for label in row) for row in rows.values]
    return _Rows(rows.texts, values, rows.label_source, rows.joined)


def _task(rows: _Rows, given: str | None, path: str, separator: str, log) -> str:
    """The task the training rows call for, or ``given`` (refused when the rows cannot be it)."""
    several = any(len(labels) > 1 for labels in rows.values)
    count = len(rows.counts())
    found = "multilabel" if several else "binary" if count == 2 else "multiclass"
    if several and rows.joined and given is None:
        log(f"{path}: {rows.joined:,} rows hold several labels joined by {separator!r} (--label-separator): "
            "training a multilabel model (one probability per label)")
    if not several and given is None:
        _note_other_separators(rows, path, separator, log)
    if given is None or given == found:
        return found
    if given == "multilabel":
        return given  # one label per row is a (degenerate) multilabel file
    if several:
        raise DataError(f"{path}: --task {given} takes one label per row, but some rows hold several; use "
                        "--task multilabel, or keep one label per row")
    if given == "binary":
        raise DataError(f"{path}: --task binary needs two labels; the file holds {count}: merge labels with "
                        "--label-map \"VALUES=LABEL\" or leave some out with --drop-label LABEL")
    raise DataError(f"{path}: --task multiclass needs at least three labels; the file holds {count} (that is --task binary)")


#: Characters that, in two different label values or more, may join several labels per row.
OTHER_SEPARATORS = (",", ";", "/")


def _note_other_separators(rows: _Rows, path: str, separator: str, log) -> None:
    """A file of one label per row whose labels hold another common separator ("joy, love") may
    be a multilabel file written with it: say how to read it so."""
    values = list(rows.counts())
    for candidate in OTHER_SEPARATORS:
        holding = [value for value in values if candidate in value]
        if candidate != separator and len(holding) >= 2:
            log(f"note: {path}: labels such as {', '.join(map(_shown, holding[:2]))} hold {candidate!r}; if a row may hold "
                f"several labels, pass --label-separator {shlex.quote(candidate)}")


def _label_ids(values: list[tuple[str, ...]], labels: tuple[str, ...], task: str) -> list:
    index = {name: i for i, name in enumerate(labels)}
    if task == "multilabel":
        return [tuple(sorted(index[v] for v in row)) for row in values]
    return [index[row[0]] for row in values]


def _rare_labels(rows: _Rows, min_count: int, path: str, log) -> frozenset[str]:
    counts = rows.counts()
    rare = frozenset(label for label, count in counts.items() if count < min_count)
    if rare:
        shown = ", ".join(f"{_shown(label)} ({counts[label]:,})" for label in sorted(rare))
        log(f"--min-count {min_count}: dropping the rows of {len(rare)} label{'s' if len(rare) != 1 else ''} of {path} "
            f"with fewer rows: {shown}")
    return rare


def _without(rows: _Rows, dropped: frozenset[str]) -> _Rows:
    """The rows with the ``dropped`` labels taken out; a row left with no label is left out."""
    values = [tuple(v for v in labels if v not in dropped) for labels in rows.values]
    kept = [i for i, labels in enumerate(values) if labels]
    return _Rows([rows.texts[i] for i in kept], [values[i] for i in kept], rows.label_source, rows.joined)


def _read(path: str, fmt: str | None, text_column: str | None, label_column: str | None, log,
          rules: LabelRules = LabelRules(), separator: str | None = DEFAULT_SEPARATOR) -> _Rows:
    chosen = labeled_format(path, fmt, unknown="unknown")
    if chosen == "unknown":
        raise DataError(f"{path}: cannot tell its format from the name; pass --format csv, tsv, jsonl or fasttext")
    table = labeled_rows(path, chosen, text_column, label_column, warn=log)
    if chosen in ("folder", "fasttext"):
        log(f"{table.name}: texts from {table.text_column}, labels from {table.label_column}")
    else:
        separated = f" (fields separated by {table.delimiter!r})" if table.delimiter != "," else ""
        log(f"{table.name}: texts from column {table.text_column!r}, labels from column {table.label_column!r}{separated}")
    texts, values, empty, dropped, unlabelled, joined = [], [], 0, 0, 0, 0
    for where, text, value in table.rows:
        written = _written_labels(value, where, table.label_column, separator)
        if not written:
            unlabelled += 1
            continue
        joined += isinstance(value, str) and len(written) > 1
        labels = tuple(dict.fromkeys(label for label in map(rules.apply, written) if label is not None))
        if not labels:
            dropped += 1
            continue
        if not text.strip():
            empty += 1
            continue
        texts.append(text)
        values.append(labels)
    if dropped:
        log(f"{table.name}: {dropped:,} rows left out (--drop-label)")
    if unlabelled:
        if not texts and not dropped:
            raise DataError(f"{table.name}: none of its {unlabelled:,} rows has a label in {table.label_column!r}; is it "
                            "the label column? (--label-column)")
        log(f"warning: {table.name}: {unlabelled:,} rows without a label were left out")
    if empty:
        if not texts:
            raise DataError(f"{table.name}: all {empty} texts are empty; is {table.text_column!r} the text column? (--text-column)")
        log(f"warning: {table.name}: {empty} rows with an empty text were skipped")
    source = "subfolders" if chosen == "folder" else f"label column ({table.label_column!r})"
    return _Rows(texts, values, source, joined)


def _written_labels(value, where: str, column: str, separator: str | None) -> list[str]:
    """A row's labels as written: a JSON list's items, or a value split at ``separator``; none
    (an empty field, null, an empty list) for a row without a label."""
    if isinstance(value, list):
        if any(v is None or isinstance(v, (dict, list)) or str(v).strip() == "" for v in value):
            raise DataError(f"{where}: a label list must hold label names, got {value!r}")
        return [str(v).strip() for v in value]
    if isinstance(value, dict):
        raise DataError(f"{where}: {column!r} must be a label name or a list of them, got an object")
    if is_unlabelled(value):
        return []
    written = [str(value).strip()]
    if separator:
        written = [part.strip() for part in written[0].split(separator)]
        if any(not part for part in written):
            raise DataError(f"{where}: the label {value!r} has an empty part between {separator!r} separators")
    return written


def _warn_of_case_variants(counts: Counter, path: str, log) -> None:
    """Labels that differ only in case ("Positive", "positive") are most likely one label typed two
    ways: trained as they are they would be two. Each such group is named with the --label-map
    options that merge it into its most common spelling."""
    spellings: dict[str, list[str]] = {}
    for value in counts:
        spellings.setdefault(value.casefold(), []).append(value)
    for group in spellings.values():
        if len(group) > 1:
            group.sort(key=lambda value: (-counts[value], value))
            merge = " ".join(f"--label-map {shlex.quote(f'{value}={group[0]}')}" for value in group[1:])
            shown = " and ".join(f"{_shown(value)} ({counts[value]:,})" for value in group)
            log(f"warning: {path}: labels {shown} differ only in case; if they are one label, merge them with "
                f"{merge}")


def _label_names(rows: _Rows, positive: str | None, path: str, log, task: str) -> tuple[str, ...]:
    counts = rows.counts()
    listed = ", ".join(f"{_shown(value)} ({count:,})" for value, count in counts.most_common(10))
    more = f" and {len(counts) - 10} more" if len(counts) > 10 else ""
    if not counts:
        raise DataError(f"{path} has no labelled rows; a model needs examples of at least two labels")
    if len(counts) < 2:
        raise DataError(f"{path}: the {rows.label_source} holds {len(counts)} label ({listed}); a model needs "
                        "examples of at least two labels")
    if len(counts) > 2 and len(counts) > len(rows.values) / 2:
        raise DataError(f"{path}: the {rows.label_source} holds {len(counts):,} different values in {len(rows.values):,} rows "
                        f"({listed}{more}): labels repeat; is it the label column? (--label-column)")
    if len(counts) > MAX_TRAIN_LABELS:
        raise DataError(f"{path}: the {rows.label_source} holds {len(counts):,} labels ({listed}{more}); this version "
                        f"trains on at most {MAX_TRAIN_LABELS:,} (each needs {MIN_PER_CLASS} rows or more, and the model "
                        "holds a score per word and label): drop rare labels with --min-count N, or merge them with "
                        "--label-map \"VALUES=LABEL\"; is it the label column? (--label-column)")
    _warn_of_case_variants(counts, path, log)
    if positive is not None and task != "binary":
        raise DataError(f"--positive is for two labels; {path} holds {len(counts)} ({listed}{more}), a {task} task")
    if task != "binary":
        labels = tuple(sorted(counts, key=_label_order))
        log(f"labels ({task}, {len(labels)}): {', '.join(map(_shown, labels))}; "
            + ("scores are each label's probability, summing to 1" if task == "multiclass"
               else "each label has its own probability and decision threshold"))
        return labels
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


def _label_order(label: str) -> tuple:
    """Numbers by value (star ratings 1..10), then names alphabetically."""
    number = label_number(label)
    return (0, number, label) if number is not None else (1, 0.0, label)


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


def _check_counts(rows: _Rows, labels: tuple[str, ...], path: str) -> None:
    counts = rows.counts()
    small = {name: counts[name] for name in labels if counts[name] < MIN_PER_CLASS}
    if small:
        shown = ", ".join(f"{_shown(name)}: {n}" for name, n in sorted(small.items(), key=lambda item: item[1]))
        raise DataError(f"{path}: too few examples to train and check a model ({shown}); each label needs at least "
                        f"{MIN_PER_CLASS}: add examples, drop labels this rare with --min-count {MIN_PER_CLASS}, or "
                        "merge them with --label-map \"VALUES=LABEL\"")


def _stratified_split(split: Split, fraction: float, seed: int, classes: int = 2, task: str = "binary") -> tuple[Split, Split]:
    """``(kept, held out)``: ``fraction`` of each class's rows held out (multilabel: by iterative stratification)."""
    rng = np.random.default_rng(seed)
    if task == "multilabel":
        held = _iterative_stratification(split.labels, classes, fraction, rng)
    else:
        labels = np.asarray(split.labels)
        held = np.concatenate([rng.permutation(np.flatnonzero(labels == c))[: round((labels == c).sum() * fraction)]
                               for c in np.unique(labels)])
    keep = np.setdiff1d(np.arange(len(split)), held)  # sorted, as is the held-out part below
    return split.subset(keep), split.subset(np.sort(held))


def _iterative_stratification(rows: list[tuple[int, ...]], classes: int, fraction: float, rng) -> np.ndarray:
    """Row indices to hold out so each label keeps about ``fraction`` of its rows there (Sechidis et
    al. 2011, two subsets): labels are taken rarest first; each of their unplaced rows goes to the
    subset that still wants more of that label (ties: the one that wants more rows; then at random)."""
    counts = np.zeros(classes)
    for labels in rows:
        counts[list(labels)] += 1
    wanted_rows = np.array([fraction * len(rows), (1 - fraction) * len(rows)])
    wanted = np.stack([fraction * counts, (1 - fraction) * counts])  # [held, kept] x label
    placed = np.full(len(rows), -1)
    by_label = [[] for _ in range(classes)]
    for i in rng.permutation(len(rows)):
        for label in rows[i]:
            by_label[label].append(i)
    remaining = counts.copy()
    while (placed < 0).any() and remaining.max(initial=0) > 0:
        label = int(np.argmin(np.where(remaining > 0, remaining, np.inf)))
        for i in by_label[label]:
            if placed[i] >= 0:
                continue
            side = _side(wanted[:, label], wanted_rows, rng)
            placed[i] = side
            wanted_rows[side] -= 1
            wanted[side, list(rows[i])] -= 1
            remaining[list(rows[i])] -= 1
    return np.flatnonzero(placed == 0)


def _side(wanted: np.ndarray, wanted_rows: np.ndarray, rng) -> int:
    best = np.flatnonzero(wanted == wanted.max())
    if len(best) > 1:
        best = best[wanted_rows[best] == wanted_rows[best].max()]
    return int(rng.choice(best))
