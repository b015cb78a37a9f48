"""CSV, TSV and JSON Lines files for predict and evaluate: formats, columns, labels, refusals."""

import json
import re

import pytest

from conftest import run_cli
from edge_sentiment.cli_input import InputError
from edge_sentiment.tables import (TEXT_COLUMNS, binary_label, choose_column, file_format, label_index, read_labeled,
                                   read_table)


def write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("name, given, expected", [
    ("a.csv", None, "csv"), ("a.TSV", None, "tsv"), ("a.jsonl", None, "jsonl"), ("a.ndjson", None, "jsonl"),
    ("a.txt", None, "text"), ("-", None, "text"), ("-", "tsv", "tsv"), ("a.csv", "text", "text"), ("a.json", None, "jsonl"),
    ("a.xlsx", "text", "text"),
])
def test_format_from_name_or_option(name, given, expected):
    assert file_format(name, given) == expected


def test_unknown_format_lists_the_choices():
    with pytest.raises(ValueError, match="--format must be one of: text, csv, tsv, jsonl"):
        file_format("a.csv", "xlsx")


@pytest.mark.parametrize("name, why", [
    ("a.xlsx", "is a spreadsheet: save it as CSV UTF-8"), ("a.ODS", "is a spreadsheet"),
    ("a.parquet", "is a binary data file: write it as CSV, TSV or JSON Lines"),
    ("a.csv.gz", r"is compressed: decompress it first \(gunzip -k a.csv.gz\)"),
    ("a.zip", r"is compressed: decompress it first \(unzip a.zip\)"),
])
def test_a_file_that_is_not_text_is_refused_with_what_to_pass(name, why):
    """Read as lines, a spreadsheet or an archive would be scored as garbage."""
    with pytest.raises(InputError, match=f"^{name} {why}"):
        file_format(name)


def test_a_json_array_is_named_with_the_way_to_json_lines(tmp_path):
    path = write(tmp_path / "a.json", '[{"text": "good", "label": "1"}]\n')
    with pytest.raises(InputError, match=r"line 1: expected a JSON object, got an array \(one JSON array: write it as JSON Lines"):
        read_table(str(path), file_format(str(path)))


def test_quoted_fields_with_delimiters_and_newlines(tmp_path):
    path = write(tmp_path / "r.csv", 'id,review,label\n1,"great, great film",pos\n2,"two\nlines",neg\n\n3,plain,1\n')
    table = read_table(str(path), "csv")
    assert table.columns == ["id", "review", "label"]
    assert [(n, r["review"]) for n, r in table.records] == [(2, "great, great film"), (3, "two\nlines"), (6, "plain")]


def test_tsv_quotes_are_literal_unless_they_wrap_a_whole_field(tmp_path):
    path = write(tmp_path / "r.tsv", 'sentence\tlabel\n"Great" film, he said\t1\n"""Odd"" one"\t0\nsay "hi\t1\n')
    table = read_table(str(path), "tsv")
    assert [r["sentence"] for _, r in table.records] == ['"Great" film, he said', '"Odd" one', 'say "hi']


def test_a_tab_in_a_tsv_row_is_a_ragged_row(tmp_path):
    path = write(tmp_path / "r.tsv", "sentence\tlabel\nfine\t1\nnot\tfine\t0\n")
    with pytest.raises(InputError, match=re.escape("line 3: 3 fields where the header has 2 (sentence, label); "
                                                   "a TSV field cannot hold a tab")):
        list(read_table(str(path), "tsv").records)


@pytest.mark.parametrize("value", ['plain', '"Great" film', '"wrapped"', '"""', 'a""b', '""'])
def test_tsv_fields_read_back_unchanged(tmp_path, value):
    from edge_sentiment.tables import tsv_field

    path = write(tmp_path / "r.tsv", f"sentence\n{tsv_field(value)}\n")
    assert [r["sentence"] for _, r in read_table(str(path), "tsv").records] == [value]


def test_columns_are_found_among_common_names_or_named(tmp_path):
    path = write(tmp_path / "r.tsv", "Sentence\tTarget\tnote\ngreat\t1\tx\n")
    table = read_table(str(path), "tsv")
    assert choose_column(table, None, ("text", "review", "sentence"), "text", "--text-column") == "Sentence"
    assert choose_column(table, "note", ("text",), "text", "--text-column") == "note"
    with pytest.raises(InputError, match=r"has no column 'body' \(columns: 'Sentence', 'Target', 'note'\)"):
        choose_column(table, "body", ("text",), "text", "--text-column")
    plural = read_table(str(write(tmp_path / "p.tsv", "id\tComments\tlabel\n1\tgreat\tnone\n")), "tsv")
    assert choose_column(plural, None, TEXT_COLUMNS, "text", "--text-column") == "Comments"
    both = read_table(str(write(tmp_path / "b.tsv", "texts\ttext\tlabel\na\tb\t1\n")), "tsv")
    assert choose_column(both, None, TEXT_COLUMNS, "text", "--text-column") == "text"  # (a singular name first)


@pytest.mark.parametrize("content, message", [
    ("text,label\na,1,extra\n", "line 2: 3 fields where the header has 2 (text, label)"),
    ("", "is empty; a CSV file needs a header row"),
    ('text,label\n"unclosed,1\n', "not valid CSV"),
])
def test_refusals_name_the_line(tmp_path, content, message):
    path = write(tmp_path / "bad.csv", content)
    with pytest.raises(InputError, match=re.escape(message)):
        list(read_table(str(path), "csv").records)


@pytest.mark.parametrize("value, expected", [
    ("positive", 1), ("NEG", 0), ("1", 1), (0, 0), (True, 1), ("false", 0), ("Positive ", 1),
])
def test_label_values(value, expected):
    assert binary_label(value, "positive", "negative", "f, line 1") == expected


@pytest.mark.parametrize("value", ["meh", None, [1], 2])
def test_other_label_values_are_refused(value):
    with pytest.raises(InputError, match="is not one of 'positive', 'negative'"):
        binary_label(value, "positive", "negative", "f, line 4")


def test_a_label_written_as_another_spelling_of_a_number_is_that_label():
    """Spreadsheets and pandas write an integer column as 1.0: it is the label "1", in both tasks."""
    assert [binary_label(v, "1", "0", "f, line 2") for v in ("1.0", "0.0", " 1 ", 1.0, "1e0")] == [1, 0, 1, 1, 1]
    assert binary_label("0.0", "1.0", "0.0", "f, line 2") == 0 and binary_label("1", "1.0", "0.0", "f, line 2") == 1
    assert label_index("3.0", ("1", "2", "3", "4", "5"), "f, line 2") == 2
    assert [binary_label(v, "pos", "neg", "f, line 2") for v in ("1.0", "0.0", "-0")] == [1, 0, 0]
    with pytest.raises(InputError, match="label '3.5' is not one of this model's labels"):
        label_index("3.5", ("1", "2", "3"), "f, line 2")
    with pytest.raises(InputError, match="is not one of"):
        binary_label("nan", "1", "0", "f, line 2")


def test_read_labeled_csv(tmp_path):
    path = write(tmp_path / "l.csv", "review,sentiment\ngood,pos\nbad,neg\n")
    assert read_labeled(str(path), None, None, None, ("negative", "positive")) == (["good", "bad"], [1, 0])


def test_evaluate_and_predict_a_tsv_through_the_cli(tmp_path):
    path = write(tmp_path / "test.tsv", "sentence\tlabel\ngreat film, superb\t1\nawful and dull\t0\n")
    evaluated = run_cli("evaluate", "--file", str(path), "--json", "--backend", "onnx")
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout)["texts"] == 2
    predicted = run_cli("predict", "--file", str(path))
    lines = predicted.stdout.decode().splitlines()
    assert lines[0] == "sentence\tlabel\tpredicted_label\tscore"
    assert [line.split("\t")[:3] for line in lines[1:]] == [["great film, superb", "1", "positive"], ["awful and dull", "0", "negative"]]


def test_predict_keeps_every_json_field_and_refuses_a_clash(tmp_path):
    path = write(tmp_path / "r.jsonl", '{"id": 7, "review": "great film", "meta": {"a": 1}}\n')
    record = json.loads(run_cli("predict", "--file", str(path)).stdout)
    assert record["id"] == 7 and record["meta"] == {"a": 1} and record["predicted_label"] == "positive"
    clash = write(tmp_path / "c.csv", "text,score\nx,1\n")
    result = run_cli("predict", "--file", str(clash))
    assert result.returncode == 1
    assert b"already has a column named 'score', which the output adds (predicted_label, score)" in result.stderr


def test_stdin_needs_format_for_tables():
    result = run_cli("predict", "-f", "-", "--format", "csv", "--json", input=b"text\ngreat film\n")
    assert result.returncode == 0 and json.loads(result.stdout)["text"] == "great film"


@pytest.mark.parametrize("name, content, header", [
    ("a.csv", "great film,1\nawful film,0\n", "text,label"), ("a.tsv", "great film\t1\n", "text<TAB>label"),
    ("b.csv", "this was a great film;pos\n", "text;label"),
])
def test_a_file_without_a_header_is_told_to_add_one(tmp_path, name, content, header):
    table = read_table(str(write(tmp_path / name, content)), file_format(name))
    with pytest.raises(InputError, match=f"its first line .* looks like a row of texts, not a header naming the columns; "
                                         f"add a header line such as {header} first"):
        choose_column(table, None, TEXT_COLUMNS, "text", "--text-column")


def test_a_header_of_names_without_a_known_one_asks_for_the_column(tmp_path):
    table = read_table(str(write(tmp_path / "a.csv", "id,comment text\n1,good\n")), "csv")
    with pytest.raises(InputError, match="no text column among 'id', 'comment text'; name it with --text-column COLUMN"):
        choose_column(table, None, TEXT_COLUMNS, "text", "--text-column")


def test_evaluation_rows_without_a_label_are_left_out_and_counted(tmp_path):
    path = write(tmp_path / "l.csv", "text,label\ngood,pos\nbad,\nfine, \nawful,neg\n")
    warnings = []
    assert read_labeled(str(path), None, None, None, ("neg", "pos"), warn=warnings.append) == (["good", "awful"], [1, 0])
    assert warnings == [f"warning: {path}: 2 rows without a label were left out"]
    jsonl = write(tmp_path / "l.jsonl", '{"text": "good", "labels": ["a"]}\n{"text": "none", "labels": []}\n'
                                        '{"text": "unknown", "labels": null}\n')
    assert read_labeled(str(jsonl), None, None, None, ("a", "b"), task="multilabel") == (["good", "none"], [(0,), ()])


def test_a_one_column_file_without_a_known_header_is_offered_plain_lines(tmp_path):
    table = read_table(str(write(tmp_path / "a.csv", "great film\nawful film\n")), "csv")
    with pytest.raises(InputError, match=r"no text column among 'great film'; name it with --text-column COLUMN \(or, for one "
                                         r"text per line and no header, --format text\)"):
        choose_column(table, None, TEXT_COLUMNS, "text", "--text-column")
