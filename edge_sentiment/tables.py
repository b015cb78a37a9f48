"""Files of records: CSV and TSV with a header row, JSON Lines of objects, or plain text.

CSV follows RFC 4180 (quoted fields may hold commas, quotes and line breaks). TSV
is one record per line, fields split at every tab, quotes taken literally (as the
GLUE and SST files and most ML datasets write them); a field wholly wrapped in
double quotes with inner quotes doubled (how spreadsheets and pandas quote) is
unwrapped.

One reader for every command that takes a file (``predict --file``, ``evaluate --file``):
the format comes from the file name (``.csv``, ``.tsv``, ``.jsonl`` / ``.ndjson``;
anything else is plain text, one text per line) or from ``--format``; the text
column is named, or found among :data:`TEXT_COLUMNS`; every error names the file,
the line and what to do.
"""

from __future__ import annotations

import csv
import json
import math
import re
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path, PurePath
from typing import Callable

from .cli_input import InputError, LineReader, not_text_by_name, utf8_advice
from .json_text import parse as parse_json
from .labels import FASTTEXT_PREFIX, LabelRules, fasttext_line

FORMATS = ("text", "csv", "tsv", "jsonl")
#: The formats that hold records (columns or keys), not just lines.
TABLE_FORMATS = FORMATS[1:]
#: The formats a labeled file may have: a table, or fastText's lines (``__label__pos some text``).
LABELED_FORMATS = (*TABLE_FORMATS, "fasttext")
_SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}
#: Column names tried, in this order, when no text or label column is named.
_TEXT_NAMES = ("text", "review", "sentence", "document", "content", "comment", "tweet", "message", "body", "question", "utterance")
#: (each name, then the plurals: a file of "comments" is as common as one of "comment")
TEXT_COLUMNS = (*_TEXT_NAMES, *(f"{name}s" for name in _TEXT_NAMES if name not in ("content", "body")))
LABEL_COLUMNS = ("label", "labels", "sentiment", "class", "category", "topic", "intent", "emotion", "target", "rating", "stars")
#: Label values read as the positive / negative class of a bundle labelled negative/positive.
POSITIVE_VALUES = ("1", "true", "pos", "positive")
NEGATIVE_VALUES = ("0", "false", "neg", "negative")


def file_format(path: str, given: str | None = None) -> str:
    """``given`` if set (checked), else the format the file name says (plain text by default)."""
    if given is not None:
        if given not in FORMATS:
            raise ValueError(f"--format must be one of: {', '.join(FORMATS)} (got {given!r})")
        return given
    kind = not_text_by_name(path)
    if kind is not None:
        raise InputError(f"{path} is {kind}")
    return _SUFFIXES.get(PurePath(path).suffix.lower(), "text")


class Record(dict):
    """A record's fields by column name (names compared with surrounding spaces stripped).
    ``fields`` holds a CSV or TSV row's every field in file order, so columns whose names
    repeat are all kept; None for a JSON object."""

    __slots__ = ("fields",)

    def __init__(self, items, fields: list[str] | None = None) -> None:
        super().__init__(items)
        self.fields = fields


@dataclass
class Table:
    """The records of a CSV, TSV or JSON Lines file, read lazily.

    ``columns`` is known once the first record is read (the header of CSV/TSV, exactly as
    written; the keys of the first JSON object). Each record is ``(line number, Record)``.
    """

    path: str
    format: str
    columns: list[str]
    records: Iterator[tuple[int, Record]]
    name: str  # how messages call the file
    #: What separates a CSV file's fields: "," or, for a file whose header splits only at them
    #: (as spreadsheets in many European locales save CSV), ";".
    delimiter: str = ","


def read_table(path: str, fmt: str, on_error: str | None = "stop", warn: Callable[[str], None] | None = None) -> Table:
    """Open ``path`` as a table of ``fmt`` (csv, tsv or jsonl); reads the header (or first object) now.
    ``on_error`` None: stop at a line that is not UTF-8, for a command that has no ``--on-error``."""
    name = "standard input" if path == "-" else path
    # CSV keeps each line's end: a line break inside a quoted field is part of the field, as written.
    reader = LineReader(path, on_error or "stop", warn, offer_on_error=on_error is not None, keep_ends=fmt == "csv")
    lines = enumerate(reader, start=1)
    if fmt == "jsonl":
        return _jsonl_table(path, name, lines)
    return _delimited_table(path, name, fmt, lines)


def _delimited_table(path: str, name: str, fmt: str, lines) -> Table:
    numbered = _LineCounter(lines)
    delimiter = ","
    rows: Iterator[list[str]]
    if fmt == "csv":
        first = next(numbered, "")
        delimiter = _csv_delimiter(first)
        rows = csv.reader(chain([first] if first else [], numbered), strict=True, delimiter=delimiter)
    else:
        rows = _tsv_rows(numbered)
    csv.field_size_limit(sys.maxsize)  # a field may be as long as the file holds
    try:
        header = next(rows, None)
    except csv.Error as exc:
        raise InputError(f"{name}, line {numbered.number}: not valid {fmt.upper()} ({exc})") from None
    if not header or not any(h.strip() for h in header):
        raise InputError(f"{name} is empty; a {fmt.upper()} file needs a header row naming its columns")
    names = [h.strip() for h in header]

    def records() -> Iterator[tuple[int, Record]]:
        while True:
            start = numbered.number + 1
            try:
                row = next(rows, None)
            except csv.Error as exc:
                raise InputError(f"{name}, line {start}: not valid {fmt.upper()} ({exc})") from None
            if row is None:
                return
            if not row:  # a blank line holds no record
                continue
            if len(row) != len(header):
                fix = "quote fields that hold commas" if fmt == "csv" else "a TSV field cannot hold a tab"
                raise InputError(f"{name}, line {start}: {len(row)} fields where the header has {len(header)} "
                                 f"({', '.join(names)}); {fix}")
            yield start, Record(zip(names, row), row)

    return Table(path, fmt, header, records(), name, delimiter)


def _csv_delimiter(header: str) -> str:
    """";" for a CSV header line that holds several fields when split at semicolons and one when
    split at commas, else ","."""
    try:
        by_comma, by_semicolon = (next(csv.reader([header], delimiter=d), []) for d in ",;")
    except csv.Error:  # (a header line cut inside quotes: the reader says so with the row's line number)
        return ","
    return ";" if len(by_comma) == 1 and len(by_semicolon) > 1 else ","


_WRAPPED = re.compile(r'"((?:[^"]|"")*)"')


def _tsv_rows(lines) -> Iterator[list[str]]:
    for line in lines:
        line = line.rstrip("\r\n")
        yield [_unwrap(field) for field in line.split("\t")] if line else []


def _unwrap(field: str) -> str:
    match = _WRAPPED.fullmatch(field)
    return match[1].replace('""', '"') if match else field


def tsv_field(value: str) -> str:
    """``value`` as a TSV field that :func:`read_table` reads back unchanged."""
    if "\t" in value or "\n" in value or "\r" in value or _WRAPPED.fullmatch(value):
        return '"' + value.replace('"', '""') + '"'
    return value


class _LineCounter:
    """Feeds decoded lines to the csv module, remembering the number of the last one."""

    def __init__(self, lines) -> None:
        self._lines, self.number = lines, 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        self.number, line = next(self._lines)
        return line if line.endswith("\n") else line + "\n"  # (kept ends: only a last line lacks one)


def _jsonl_table(path: str, name: str, lines) -> Table:
    def objects() -> Iterator[tuple[int, dict]]:
        for number, line in lines:
            if not line.strip():
                continue  # blank lines separate nothing in JSON Lines
            try:
                record = parse_json(line)
            except ValueError as exc:
                raise InputError(f"{name}, line {number}: not JSON ({exc})") from None
            if not isinstance(record, dict):
                array = " (one JSON array: write it as JSON Lines, one object per line, e.g. jq -c '.[]')" \
                    if number == 1 and isinstance(record, list) else ""
                raise InputError(f"{name}, line {number}: expected a JSON object, got {_json_kind(record)}{array}")
            yield number, Record(record)

    records = objects()
    first = next(records, None)
    if first is None:
        raise InputError(f"{name} holds no JSON object")

    def all_records():
        yield first
        yield from records

    return Table(path, "jsonl", list(first[1]), all_records(), name)


def choose_column(table: Table, given: str | None, candidates: tuple[str, ...], role: str, option: str) -> str:
    """The column named ``given``, or the first of ``candidates`` the table has: the exact name
    first, then one that differs only in case (two such are ambiguous). Names are compared
    with surrounding spaces stripped; a chosen name that two columns share is refused."""
    names = [c.strip() for c in table.columns]
    found = ", ".join(repr(c) for c in table.columns) or "none"
    if given is not None:
        if given.strip() not in names:
            raise InputError(f"{table.name} has no column {given!r} (columns: {found})")
        return _unique(table, names, given.strip())
    for candidate in candidates:
        if candidate in names:
            return _unique(table, names, candidate)
        spelled = sorted({n for n in names if n.lower() == candidate})
        if len(spelled) > 1:
            raise InputError(f"{table.name}: columns {', '.join(map(repr, spelled))} differ only in case; "
                             f"name the {role} column with {option} COLUMN")
        if spelled:
            return _unique(table, names, spelled[0])
    delimited = table.format != "jsonl"
    lines = " (or, for one text per line and no header, --format text)" if delimited and len(names) == 1 else ""
    if delimited and _looks_like_data(names):
        header = "text<TAB>label" if table.format == "tsv" else f"text{table.delimiter}label"
        raise InputError(f"{table.name}: its first line ({found}) looks like a row of texts, not a header naming the "
                         f"columns; add a header line such as {header} first{lines}")
    raise InputError(f"{table.name}: no {role} column among {found}; name it with {option} COLUMN{lines} "
                     f"(looked for {', '.join(candidates)})")


def _looks_like_data(names: list[str]) -> bool:
    """A header line that holds a number or a phrase (three words or more) is a row of data: the
    file has no header."""
    return any(label_number(name) is not None or len(name.split()) >= 3 for name in names)


def _unique(table: Table, names: list[str], name: str) -> str:
    positions = [str(i + 1) for i, n in enumerate(names) if n == name]
    if len(positions) > 1:
        raise InputError(f"{table.name}: columns {' and '.join(positions)} are both named {name!r}; "
                         "rename one so the file says which to read")
    return name


def text_of(record: dict, column: str, number: int, name: str) -> str:
    value = record.get(column)
    if isinstance(value, str):
        return value
    if value is None:
        raise InputError(f"{name}, line {number}: the record has no {column!r} (keys: {', '.join(map(repr, record))})")
    raise InputError(f"{name}, line {number}: {column!r} must be a string, got {_json_kind(value)}")


def binary_label(value, positive: str, negative: str, where: str) -> int:
    """1 for the positive class, 0 for the negative one: the bundle's own label names first,
    then one of :data:`POSITIVE_VALUES` / :data:`NEGATIVE_VALUES` (numbers and booleans too),
    unless the bundle's names are such values the other way round (then only its names count)."""
    text = None if value is None or isinstance(value, (dict, list)) else str(value).strip().lower()
    if text == positive.lower():
        return 1
    if text == negative.lower():
        return 0
    same = same_number(text, (negative, positive))
    if same is not None:
        return int(same == positive)
    number = label_number(text)
    if number in (0.0, 1.0):  # ("1.0" is the generic 1)
        text = "1" if number else "0"
    generic = 1 if text in POSITIVE_VALUES else 0 if text in NEGATIVE_VALUES else None
    if generic is not None and _names_contradict_generic(positive, negative):
        raise InputError(f"{where}: label {json.dumps(value)} is ambiguous for this bundle, whose positive class is "
                         f"{positive!r} and negative class {negative!r}; write the labels as those names")
    if generic is not None:
        return generic
    raise InputError(f"{where}: label {json.dumps(value)} is not one of "
                     f"{positive!r}, {negative!r}, {', '.join(POSITIVE_VALUES + NEGATIVE_VALUES)}")


def same_number(written: str | None, names: tuple[str, ...]) -> str | None:
    """The one name among ``names`` that spells the same number as ``written`` ("1.0" for "1", as
    spreadsheets and pandas write an integer column), else None."""
    value = label_number(written)
    matches = [name for name in names if value is not None and label_number(name) == value]
    return matches[0] if len(matches) == 1 else None


def label_number(text: str | None) -> float | None:
    """The number a label spells ("1", "1.0", " 3 "), else None (names, NaN, infinities)."""
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _names_contradict_generic(positive: str, negative: str) -> bool:
    return positive.lower() in NEGATIVE_VALUES or negative.lower() in POSITIVE_VALUES


def _json_kind(value) -> str:
    kinds = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return kinds.get(type(value), "a number")


def read_labeled(path: str, fmt: str | None, text_column: str | None, label_column: str | None,
                 labels: tuple[str, ...], rules: LabelRules = LabelRules(),
                 warn: Callable[[str], None] | None = None, task: str = "binary",
                 separator: str = "|") -> tuple[list[str], list]:
    """Texts and labels of a labeled CSV, TSV, JSON Lines or fastText file, or a folder of label
    subfolders (a file name that says none of these is read as JSON Lines, or as fastText's
    format when its first line starts with ``__label__``); ``rules`` map the written labels and
    drop rows, as at training. Labels per ``task``: binary 0/1 (1: ``labels[1]``, the positive
    class), multiclass the label's index in ``labels``, multilabel a tuple of indices (a row's
    labels: a JSON list, several ``__label__`` words, or a value joined by ``separator``)."""
    table = labeled_rows(path, labeled_format(path, fmt), text_column, label_column, warn)
    texts: list[str] = []
    values: list[int | tuple[int, ...]] = []  # label ids; multilabel: a tuple per text
    unlabelled = 0
    for where, text, value in table.rows:
        if is_unlabelled(value):
            unlabelled += 1
            continue
        written = value if isinstance(value, list) else [value]
        if task == "multilabel" and isinstance(value, str):
            written = value.split(separator)
        if len(written) > 1 and task != "multilabel":
            raise InputError(f"{where}: {len(written)} labels ({', '.join(map(repr, written))}); a {task} bundle takes "
                             "one label per text")
        if rules:
            written = [rules.apply(str(v).strip()) if v is not None and not isinstance(v, dict) else v for v in written]
            written = [v for v in written if v is not None]
            if not written and value is not None:
                continue
        texts.append(text)
        if task == "binary":
            values.append(binary_label(written[0] if written else None, labels[1], labels[0], where))
        elif task == "multiclass":
            values.append(label_index(written[0] if written else None, labels, where))
        else:
            values.append(tuple(sorted({label_index(v, labels, where) for v in written})))
    if unlabelled and warn is not None:
        warn(f"warning: {table.name}: {unlabelled:,} rows without a label were left out")
    return texts, values


def is_unlabelled(value: object) -> bool:
    """A label field nobody filled in (empty, blanks, JSON null): its row is left out, when
    training and when evaluating, and counted in a warning."""
    return value is None or isinstance(value, str) and not value.strip()


#: How to deal with a label the model does not know, said to a command-line user.
UNKNOWN_LABEL_FIX = "map it with --label-map or leave it out with --drop-label"


def label_index(value: object, labels: tuple[str, ...], where: str, fix: str = UNKNOWN_LABEL_FIX) -> int:
    """The index of label ``value`` among the bundle's ``labels``; an unknown one is an InputError
    naming them and ``fix``."""
    name = str(value).strip() if value is not None and not isinstance(value, (dict, list)) else ""
    if name not in labels:
        name = same_number(name, labels) or name
    if name not in labels:
        shown = ", ".join(map(repr, labels[:20])) + (f" and {len(labels) - 20} more" if len(labels) > 20 else "")
        raise InputError(f"{where}: label {value!r} is not one of this model's labels ({shown}); {fix}")
    return labels.index(name)


def labeled_format(path: str, given: str | None, unknown: str = "jsonl") -> str:
    """The format of a labeled source: ``folder`` for a directory, else the one given, else the
    one the file name says, else ``fasttext`` when the first line starts with ``__label__``, else
    ``unknown``."""
    if given is not None:
        if given not in LABELED_FORMATS:
            raise ValueError(f"--format must be one of: {', '.join(LABELED_FORMATS)} (got {given!r})")
        return given
    if path != "-" and Path(path).is_dir():
        return "folder"
    chosen = file_format(path)
    if chosen != "text":
        return chosen
    return "fasttext" if _starts_with_fasttext_label(path) else unknown


def _starts_with_fasttext_label(path: str) -> bool:
    if path == "-" or not Path(path).is_file():
        return False
    try:
        with open(path, "rb") as file:
            return file.read(len(FASTTEXT_PREFIX) + 3).lstrip(b"\xef\xbb\xbf").startswith(FASTTEXT_PREFIX.encode())
    except OSError:
        return False


@dataclass
class LabeledRows:
    name: str  # how messages call the file or folder
    text_column: str
    label_column: str
    rows: Iterator[tuple[str, str, object]]  # (where: "FILE, line N" or a file's path, text, the label as written)
    delimiter: str = ","  # a CSV file's (Table.delimiter)


def labeled_rows(path: str, fmt: str, text_column: str | None, label_column: str | None,
                 warn: Callable[[str], None] | None = None) -> LabeledRows:
    """The texts and raw labels of a labeled table of ``fmt`` (csv, tsv or jsonl), columns named
    or found among :data:`TEXT_COLUMNS` / :data:`LABEL_COLUMNS`, or of a ``folder``; a line or
    file that is not UTF-8 stops."""
    if fmt == "folder":
        return folder_rows(path, warn)
    if fmt == "fasttext":
        return fasttext_rows(path)
    table = read_table(path, fmt, on_error=None)
    text_key = choose_column(table, text_column, TEXT_COLUMNS, "text", "--text-column")
    label_key = choose_column(table, label_column, LABEL_COLUMNS, "label", "--label-column")

    def rows() -> Iterator[tuple[str, str, object]]:
        for number, record in table.records:
            if label_key not in record:
                raise InputError(f"{table.name}, line {number}: the record has no {label_key!r}")
            yield f"{table.name}, line {number}", text_of(record, text_key, number, table.name), record[label_key]

    return LabeledRows(table.name, text_key, label_key, rows(), table.delimiter)


def fasttext_rows(path: str) -> LabeledRows:
    """fastText's supervised format: each line ``__label__a [__label__b ...] text``; a row's label
    is the one label, or the list of them where a line has several."""
    name = "standard input" if path == "-" else path

    def rows() -> Iterator[tuple[str, str, object]]:
        for number, line in enumerate(LineReader(path, "stop", offer_on_error=False), start=1):
            if not line.strip():
                continue
            labels, text = fasttext_line(line)
            if not labels:
                raise InputError(f"{name}, line {number}: no {FASTTEXT_PREFIX} label at the start of the line; "
                                 f"fastText's format is {FASTTEXT_PREFIX}LABEL then the text")
            yield f"{name}, line {number}", text, labels[0] if len(labels) == 1 else labels

    return LabeledRows(name, "the text after the labels", f"the {FASTTEXT_PREFIX} labels", rows())


def folder_rows(path: str, warn: Callable[[str], None] | None = None) -> LabeledRows:
    """A folder with one subfolder per label, each holding one text per ``*.txt`` file (the aclImdb
    shape). Hidden files (``.DS_Store``, ``._x.txt``) are skipped and counted; a ``*.txt`` that
    is not a regular file (a FIFO, a folder, a broken link) is refused, never opened."""
    root = Path(path)
    labels = sorted(d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
    if not labels:
        raise InputError(f"{path} holds no subfolders; a labeled folder has one subfolder per label "
                         "(e.g. neg/ and pos/), each holding one text per .txt file")

    def rows() -> Iterator[tuple[str, str, object]]:
        hidden = 0
        for label in labels:
            for file in sorted((root / label).glob("*.txt")):
                if file.name.startswith("."):
                    hidden += 1
                    continue
                yield str(file), _read_text_file(file), label
        if hidden and warn is not None:
            warn(f"note: {root}: skipped {hidden} hidden file{'s' if hidden != 1 else ''} (names starting with '.', "
                 "such as macOS's ._ files)")

    return LabeledRows(str(root), "the .txt files", "their subfolders", rows())


def _read_text_file(file: Path) -> str:
    try:
        if not stat.S_ISREG(file.stat().st_mode):
            raise InputError(f"{file} is not a regular file; a label folder holds one text per regular .txt file")
        data = file.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {file}: {exc.strerror}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{file}: not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                         f"{utf8_advice(data)}") from None
