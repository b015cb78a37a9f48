"""Training from the user's own files: labels from the data, the positive class, refusals, an export."""

import csv
import json
import random

import pytest

from conftest import run_cli
from edge_sentiment_export.data import DataError
from edge_sentiment_export.labeled_files import load_labeled_files

POSITIVE = ["great", "lovely", "superb", "fun", "works", "fast"]
NEGATIVE = ["broken", "slow", "awful", "refund", "dull", "waste"]
FILLER = ["the", "it", "was", "product", "a", "and", "this", "very"]


def rows(n: int, labels=("0", "1"), seed: int = 0):
    rng = random.Random(seed)
    for i in range(n):
        positive = i % 2 == 1
        words = [rng.choice(POSITIVE if positive else NEGATIVE) if rng.random() < 0.35 else rng.choice(FILLER)
                 for _ in range(rng.randint(3, 14))]
        yield " ".join(words), labels[positive]


def write_csv(path, data, header=("sentence", "label"), delimiter=","):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(data)
    return path


def quiet(message):
    pass


def test_labels_are_kept_as_written_and_the_positive_class_follows_the_rule(tmp_path):
    data = load_labeled_files(str(write_csv(tmp_path / "t.csv", rows(200, ("neg", "pos")))), log=quiet)
    assert data.labels == ("neg", "pos")
    spam = load_labeled_files(str(write_csv(tmp_path / "s.csv", rows(200, ("spam", "ham")))), log=quiet)
    assert spam.labels == ("ham", "spam")  # neither reads as positive: the second in sorted order
    chosen = load_labeled_files(str(tmp_path / "s.csv"), positive="ham", log=quiet)
    assert chosen.labels == ("spam", "ham") and sum(chosen.train.labels) + sum(chosen.test.labels) == 100


def test_a_stratified_test_split_is_carved_when_none_is_given(tmp_path):
    messages = []
    data = load_labeled_files(str(write_csv(tmp_path / "t.tsv", rows(300), delimiter="\t")), log=messages.append)
    assert len(data.test) == 60 and sum(data.test.labels) == 30 and len(data.train) == 240
    assert any("held out as the test split" in m for m in messages)
    assert any("texts from column 'sentence', labels from column 'label'" in m for m in messages)


@pytest.mark.parametrize("data, message", [
    ([("a b", "1")] * 120, "must hold exactly two values, it holds 1: '1' (120)"),
    ([("a b", str(i % 3)) for i in range(120)], "it holds 3: '0' (40), '1' (40), '2' (40)"),
    ([("a b", str(i % 2)) for i in range(60)], "too few examples to train and check a model ('0': 30, '1': 30)"),
])
def test_label_refusals(tmp_path, data, message):
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_labeled_files(str(write_csv(tmp_path / "t.csv", data)), log=quiet)


def test_empty_texts_are_skipped_with_a_count_or_refused_when_all_are(tmp_path):
    messages = []
    data = [*rows(200), ("", "1"), ("  ", "0")]
    load_labeled_files(str(write_csv(tmp_path / "t.csv", data)), log=messages.append)
    assert any("2 rows with an empty text were skipped" in m for m in messages)
    with pytest.raises(DataError, match="all 120 texts are empty"):
        load_labeled_files(str(write_csv(tmp_path / "e.csv", [("", str(i % 2)) for i in range(120)])), log=quiet)


def test_a_test_file_with_an_unknown_label_is_refused(tmp_path):
    train = write_csv(tmp_path / "train.csv", rows(200))
    test = write_csv(tmp_path / "test.csv", [("good", "1"), ("bad", "maybe")])
    with pytest.raises(DataError, match="label\\(s\\) 'maybe' do not occur in"):
        load_labeled_files(str(train), test=str(test), log=quiet)


def test_jsonl_lines_that_are_not_objects_are_refused(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"text": "a", "label": 1}\n[1, 2]\n')
    result = run_cli("export", "--train", str(path), "--out", str(tmp_path / "out"))
    assert result.returncode == 1 and b"line 2: expected a JSON object, got an array" in result.stderr


@pytest.mark.slow
def test_export_and_use_a_model_trained_on_a_csv(tmp_path):
    pytest.importorskip("tensorflow", reason="exporting needs the 'train' extra")
    train = write_csv(tmp_path / "train.csv", rows(400, ("spam", "ham"), seed=1), header=("id_text", "verdict"))
    out = tmp_path / "bundle"
    result = run_cli("export", "--train", str(train), "--text-column", "id_text", "--label-column", "verdict",
                     "--positive", "ham", "--preset", "quick", "--out", str(out))
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["labels"] == ["spam", "ham"]
    for backend in ("onnx", "tflite", "numpy"):
        assert manifest["metrics"]["parity_vs_keras"][backend]["max_abs_diff"] <= 1e-5
    predicted = json.loads(run_cli("predict", "--model", str(out), "--json", "lovely fun product").stdout)
    assert predicted["label"] in ("spam", "ham")
    test = write_csv(tmp_path / "test.csv", rows(100, ("spam", "ham"), seed=2), header=("text", "verdict"))
    evaluated = run_cli("evaluate", "--model", str(out), "--file", str(test), "--label-column", "verdict", "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout.splitlines()[0])["reviews"] == 100


def test_invalid_utf8_in_a_training_file_names_the_line(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"text,label\ngood,1\ncaf\xe9,0\n")
    result = run_cli("export", "--train", str(path), "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    assert result.stderr.decode().strip().splitlines()[-1] == (
        f"error: {path}, line 3: not valid UTF-8 (byte 0xe9 at column 4); convert the file to UTF-8 (e.g. iconv -f latin1 -t utf-8)"
    )
