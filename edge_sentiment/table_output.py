"""``predict --file`` for CSV, TSV and JSON Lines: every input column kept, the prediction added."""

from __future__ import annotations

import csv
import io
import json
from collections import deque
from collections.abc import Iterator

from .cli_input import InputError
from .cli_output import log, write_chunked, write_lines
from .tables import TEXT_COLUMNS, Record, Table, choose_column, read_table, text_of, tsv_field

#: The columns (JSON keys) that predict adds: the predicted label's name and its score (binary:
#: P(positive class)); a multilabel bundle adds ``predicted_labels`` too (every label over its threshold).
ADDED_COLUMNS = ("predicted_label", "score")
MULTILABEL_COLUMN = "predicted_labels"


def write_table_predictions(classifier, path: str, fmt: str, text_column: str | None, on_error: str, as_json: bool,
                            all_scores: bool = False, separator: str = "|") -> None:
    """Score the text column of the table at ``path``; write each record back with :data:`ADDED_COLUMNS`
    (and with ``all_scores`` one ``score_<label>`` per label, in the bundle's order), as ``fmt``
    (JSON Lines with ``as_json``). Records before a failing one are written first."""
    table = read_table(path, fmt, on_error, warn=log)
    text_key = choose_column(table, text_column, TEXT_COLUMNS, "text", "--text-column")
    labels = tuple(classifier.bundle.labels) if all_scores else ()
    joined = separator if classifier.task == "multilabel" else None
    added = [*ADDED_COLUMNS, *([MULTILABEL_COLUMN] if joined else []), *(f"score_{label}" for label in labels)]
    _check_clash(table.name, [c.strip() for c in table.columns], added)
    out_format = "jsonl" if as_json else table.format
    if out_format == "jsonl":
        format_record = _json_line(labels, joined is not None)
    else:
        format_record = _delimited_line(table, out_format, labels, added, joined)
    pending: deque = deque()
    if out_format != "jsonl":
        write_lines([format_record(None, None)])  # the header
    predictions = classifier.iter_predict(_texts(table, text_key, pending, added))
    write_chunked(format_record(pending.popleft(), prediction) for _, prediction in predictions)


def _check_clash(name: str, columns: list[str], added: list[str]) -> None:
    clash = [c for c in added if c in columns]
    if clash:
        raise InputError(f"{name} already has a column named {', '.join(map(repr, clash))}, which the output "
                         f"adds ({', '.join(added)}); rename that column")


def _texts(table: Table, key: str, pending: deque, added: list[str]) -> Iterator[str]:
    for number, record in table.records:
        if record.fields is None:  # a JSON object: each may have keys of its own
            _check_clash(f"{table.name}, line {number}", list(record), added)
        text = text_of(record, key, number, table.name)
        pending.append(record)
        yield text


def _json_line(labels: tuple[str, ...], multilabel: bool):
    def line(record: dict, prediction) -> str:
        chosen = {MULTILABEL_COLUMN: list(prediction.labels)} if multilabel else {}
        extra = {f"score_{label}": round(prediction.scores[label], 6) for label in labels}
        # allow_nan=False: NaN or Infinity read from the input (Python's json takes them) is not JSON.
        return json.dumps({**record, "predicted_label": prediction.label, "score": round(prediction.score, 6), **chosen,
                           **extra}, ensure_ascii=False, allow_nan=False)
    return line


def _delimited_line(table: Table, fmt: str, labels: tuple[str, ...], added: list[str], joined: str | None):
    columns = [*table.columns, *added]
    if fmt == "tsv":
        return lambda record, prediction: "\t".join(tsv_field(v) for v in _fields(columns, record, prediction, labels, joined))
    buffer = io.StringIO()
    # The csv module quotes a field holding a character of the line terminator: with "\r\n",
    # a lone "\r" is quoted too, so every reader reads the row back whole.
    writer = csv.writer(buffer, lineterminator="\r\n", delimiter=table.delimiter)

    def line(record: Record | None, prediction) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(_fields(columns, record, prediction, labels, joined))
        return buffer.getvalue()[:-2]

    return line


def _fields(columns: list[str], record: Record | None, prediction, labels: tuple[str, ...], joined: str | None) -> list[str]:
    """The header (no record) or a record's fields, as read, followed by its prediction."""
    if record is None:
        return columns
    return [*(record.fields or ()), prediction.label, f"{prediction.score:.6f}",
            *([joined.join(prediction.labels)] if joined is not None else []),
            *(f"{prediction.scores[label]:.6f}" for label in labels)]
