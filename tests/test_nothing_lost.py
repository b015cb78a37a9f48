"""Nothing the user owns is lost or silently changed: the export destination, predict's
table output, explain's page, and the labeled data read for training and evaluation.
CLI behaviour goes through a fresh process, as a user runs it."""

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import error_line, run_cli
from edge_sentiment.bundle import load_bundle


# --- the export destination -----------------------------------------------------


def test_a_bundle_that_appears_while_an_export_runs_is_kept(tmp_path, bundle_copy):
    from edge_sentiment_export.destination import ExportError, replace_with

    out = tmp_path / "model"
    staging = tmp_path / ".model.staging"
    staging.mkdir()
    (staging / "manifest.json").write_text("{}")  # the new bundle (its content does not matter here)
    os.rename(bundle_copy, out)  # another export finished first
    with pytest.raises(ExportError, match=f"{out} appeared while this export ran .* the new bundle is at {out}.new"):
        replace_with(out, staging, overwrite=False)
    assert load_bundle(out).manifest.name == "default"  # the other export's bundle, whole
    assert (tmp_path / "model.new" / "manifest.json").read_text() == "{}"


def test_an_export_killed_between_its_renames_is_recovered(tmp_path, bundle_copy):
    from edge_sentiment_export.destination import check_destination

    out = tmp_path / "model"
    aside = tmp_path / ".model.previous.x1y2z3"  # what replace_with leaves if killed after its first rename
    aside.mkdir()
    os.rename(bundle_copy, aside / "bundle")
    info = run_cli("info", "--model", str(out))
    assert info.returncode == 1
    assert error_line(info) == (f"error: model bundle {out} is missing: an export was interrupted while replacing it, "
                                f"and the previous bundle is at {aside / 'bundle'}; move it back (mv "
                                f"'{aside / 'bundle'}' '{out}') or export again")
    notes = []
    check_destination(out, overwrite=True, log=notes.append)
    assert notes == [f"restored {out} from {aside / 'bundle'}, where an interrupted export had left it"]
    assert load_bundle(out).manifest.name == "default" and not aside.exists()


# --- predict --file keeps every field as written ------------------------------------


def test_repeated_column_names_are_all_kept_and_written_back_as_read(tmp_path):
    source = tmp_path / "sheet.csv"
    source.write_text(" id ,text,note,note, \n1,great film,first,second,x\n2,awful,a,b,y\n")
    result = run_cli("predict", "--file", str(source))
    assert result.returncode == 0, result.stderr.decode()
    rows = list(csv.reader(io.StringIO(result.stdout.decode())))
    assert rows[0] == [" id ", "text", "note", "note", " ", "predicted_label", "score"]
    assert rows[1][:5] == ["1", "great film", "first", "second", "x"] and rows[2][:5] == ["2", "awful", "a", "b", "y"]


def test_a_repeated_text_column_is_refused_naming_it(tmp_path):
    source = tmp_path / "sheet.tsv"
    source.write_text("text\tid\ttext \ngood\t1\tbad\n")
    result = run_cli("predict", "--file", str(source))
    assert result.returncode == 1
    assert error_line(result) == (f"error: {source}: columns 1 and 3 are both named 'text'; rename one so the file "
                                  "says which to read")


def test_text_and_Text_exact_name_first_then_refuse_a_case_only_tie(tmp_path):
    exact = tmp_path / "exact.csv"
    exact.write_text("Text,text\nawful awful,great film\n")
    result = run_cli("predict", "--file", str(exact), "--json")
    assert json.loads(result.stdout)["predicted_label"] == "positive"
    tie = tmp_path / "tie.csv"
    tie.write_text("Text,TEXT\nawful,great\n")
    result = run_cli("predict", "--file", str(tie))
    assert result.returncode == 1
    assert error_line(result) == (f"error: {tie}: columns 'TEXT', 'Text' differ only in case; name the text column "
                                  "with --text-column COLUMN")


def test_csv_output_reads_back_field_for_field(tmp_path):
    source = tmp_path / "in.csv"
    fields = [["id", "text"], ["1", "a lone\rcarriage return"], ["2", "a crlf\r\ninside"], ["3", 'quote " and, comma']]
    with open(source, "w", newline="") as out:
        csv.writer(out).writerows(fields)
    result = run_cli("predict", "--file", str(source))
    assert result.returncode == 0, result.stderr.decode()
    back = list(csv.reader(io.StringIO(result.stdout.decode(), newline="")))
    assert [row[:2] for row in back] == fields


def test_a_later_jsonl_record_with_an_added_key_is_refused_after_the_ones_before(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "great film"}\n{"text": "dull", "score": 5}\n{"text": "fine"}\n')
    result = run_cli("predict", "--file", str(source))
    assert result.returncode == 1
    assert [json.loads(line)["text"] for line in result.stdout.decode().splitlines()] == ["great film"]
    assert error_line(result) == (f"error: {source}, line 2 already has a column named 'score', which the output adds "
                                  "(predicted_label, score); rename that column")


@pytest.mark.parametrize("value, message", [
    ("NaN", "NaN is not a JSON value (RFC 8259); write null or a string"),
    ("-Infinity", "-Infinity is not a JSON value (RFC 8259); write null or a string"),
    ("1e400", "the number 1e400 is beyond a double's range; write it as a string"),
    ("1" * 5000, "an integer of 5,000 digits is too long to read; write it as a string"),
    ("[" * 100_000, "it nests arrays or objects too deeply to read"),
])
def test_json_lines_that_python_would_misread_are_refused(tmp_path, value, message):
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "ok", "x": 1}\n{"text": "great", "x": ' + value + "}\n")
    result = run_cli("predict", "--file", str(source))
    assert result.returncode == 1
    assert error_line(result) == f"error: {source}, line 2: not JSON ({message})"
    assert [json.loads(line)["text"] for line in result.stdout.decode().splitlines()] == ["ok"]


# --- explain's page ------------------------------------------------------------------


def test_explain_never_writes_its_page_over_the_input(tmp_path):
    source = tmp_path / "texts.txt"
    source.write_text("great film\n")
    result = run_cli("explain", "--file", str(source), "--html", str(source))
    assert result.returncode == 2 and source.read_text() == "great film\n"
    assert error_line(result) == (f"error: --html {source} is the input file; name another page to write, "
                                  "e.g. --html explain.html")


def test_explain_that_cannot_write_its_page_says_so(tmp_path):
    result = run_cli("explain", "great film", "--html", str(tmp_path / "missing" / "page.html"))
    assert result.returncode == 1
    assert error_line(result) == f"error: cannot write {tmp_path / 'missing' / 'page.html'}: No such file or directory"


# --- labels --------------------------------------------------------------------------


def relabeled_bundle(bundle_copy, labels):
    """The shipped model with other label names (the positive class is still labels[1])."""
    path = bundle_copy / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["labels"] = labels
    path.write_text(json.dumps(manifest))
    return bundle_copy


def test_evaluate_reads_the_bundles_own_label_names_first(tmp_path, bundle_copy):
    bundle = relabeled_bundle(bundle_copy, ["pos", "neg"])  # as `export --positive neg` names them
    labeled = tmp_path / "labeled.csv"
    labeled.write_text("text,label\ngreat film,neg\nawful film,pos\n")
    result = run_cli("evaluate", "--model", str(bundle), "--file", str(labeled), "--backend", "onnx", "--json")
    assert result.returncode == 0, result.stderr.decode()
    assert json.loads(result.stdout)["accuracy"] == 1.0
    ambiguous = tmp_path / "ambiguous.csv"
    ambiguous.write_text("text,label\ngreat film,positive\n")
    result = run_cli("evaluate", "--model", str(bundle), "--file", str(ambiguous), "--backend", "onnx")
    assert result.returncode == 1
    assert error_line(result) == (f"error: {ambiguous}, line 2: label \"positive\" is ambiguous for this bundle, whose "
                                  "positive class is 'neg' and negative class 'pos'; write the labels as those names")


def test_hidden_files_in_a_label_folder_are_skipped_and_counted(tmp_path):
    from edge_sentiment.tables import folder_rows

    for label in ("neg", "pos"):
        (tmp_path / label).mkdir()
        (tmp_path / label / "1.txt").write_text(f"a {label} text")
    (tmp_path / "pos" / "._1.txt").write_bytes(b"\x00\x05\x16\x07 AppleDouble")
    (tmp_path / "pos" / ".DS_Store").write_bytes(b"\x00\x00")
    notes = []
    rows = list(folder_rows(str(tmp_path), warn=notes.append).rows)
    assert [(text, label) for _, text, label in rows] == [("a neg text", "neg"), ("a pos text", "pos")]
    assert notes == [f"note: {tmp_path}: skipped 1 hidden file (names starting with '.', such as macOS's ._ files)"]


@pytest.mark.parametrize("make, message", [
    (os.mkfifo, "is not a regular file; a label folder holds one text per regular .txt file"),
    (os.mkdir, "is not a regular file; a label folder holds one text per regular .txt file"),
    (lambda path: os.symlink(path, path), "cannot read {path}: Too many levels of symbolic links"),
])
def test_a_txt_that_is_not_a_regular_file_is_refused_without_opening_it(tmp_path, make, message):
    for label in ("neg", "pos"):
        (tmp_path / label).mkdir()
        (tmp_path / label / "1.txt").write_text(f"a {label} text")
    odd = tmp_path / "pos" / "2.txt"
    make(odd)
    result = run_cli("evaluate", "--file", str(tmp_path), "--backend", "onnx", timeout=60)
    assert result.returncode == 1 and message.format(path=odd) in error_line(result)


def test_the_two_label_message_quotes_each_label_briefly(tmp_path):
    from edge_sentiment_export.data import DataError
    from edge_sentiment_export.labeled_files import load_labeled_files

    source = tmp_path / "swapped.csv"
    source.write_text("label,text\n" + "".join(f"{'a very long review text ' * 20}{i},x\n" for i in range(12)))
    with pytest.raises(DataError) as caught:
        load_labeled_files(str(source), log=lambda message: None)
    assert len(str(caught.value)) < 1000 and "…' (1)" in str(caught.value)


def test_overlapping_test_rows_are_warned_about(tmp_path):
    from edge_sentiment_export.labeled_files import load_labeled_files

    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    train.write_text("text,label\n" + "".join(f"text number {i},{i % 2}\n" for i in range(200)))
    test.write_text("text,label\n" + "".join(f"text number {i},{i % 2}\n" for i in range(190, 210)))
    notes = []
    load_labeled_files(str(train), test=str(test), log=notes.append)
    # 10 test texts are in train.csv; the validation carve took 2 of those 10 training rows.
    assert (f"warning: 8 of the 20 test rows ({test}) have a text that is also a training text; test accuracy will "
            "read higher than on new texts (remove the repeats)") in notes


# --- reading input ---------------------------------------------------------------------


@pytest.mark.parametrize("encoding, bom", [("utf-16", "utf-16"), ("utf-32", "utf-32")])
def test_a_utf16_or_utf32_file_gets_the_right_advice_and_is_never_scored(tmp_path, encoding, bom):
    source = tmp_path / "texts.txt"
    source.write_bytes("great film\nawful\n".encode(encoding))
    for extra in ([], ["--on-error", "replace"]):
        result = run_cli("predict", "--file", str(source), *extra)
        assert result.returncode == 1 and result.stdout == b""
        assert error_line(result) == (f"error: {source} is not UTF-8: it starts with a {bom.upper()} byte-order mark: "
                                      f"convert it with iconv -f {bom} -t utf-8")


def test_predict_reads_standard_input_for_a_dash_or_a_pipe():
    for args in (["predict", "-"], ["predict"]):
        result = run_cli(*args, input=b"great film\nawful\n")
        assert result.returncode == 0, result.stderr.decode()
        assert [line.split("\t")[0] for line in result.stdout.decode().splitlines()] == ["positive", "negative"]


def test_explain_does_not_offer_an_option_it_lacks(tmp_path):
    source = tmp_path / "bad.txt"
    source.write_bytes(b"caf\xe9\n")
    result = run_cli("explain", "--file", str(source))
    assert result.returncode == 1 and "--on-error" not in error_line(result)


def test_info_marks_files_that_are_not_installed(bundle_copy):
    (bundle_copy / "model.keras").unlink()
    lines = run_cli("info", "--model", str(bundle_copy)).stdout.decode().splitlines()
    keras = next(line for line in lines if " keras " in line)
    assert keras.endswith("(absent here: the training stage's file, not installed with the package)")


# --- signals ------------------------------------------------------------------------------


def sigterm_mid_scoring(tmp_path, *options: str, group: bool = False):
    """Start ``predict --file`` on 300,000 lines into a pipe, send SIGTERM once output flows
    (to the whole process group with ``group``); returns (status, stdout, stderr, processes left)."""
    import shutil

    exe = shutil.which("edge-sentiment", path=os.path.dirname(sys.executable)) or "edge-sentiment"
    source = tmp_path / "texts.txt"
    source.write_text("".join(f"text number {i}, a dull plot but superb acting\n" for i in range(300_000)))
    process = subprocess.Popen([exe, "predict", "--file", str(source), *options], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, start_new_session=True)
    first = process.stdout.readline()  # scoring has started; the pipe fills while nothing reads it
    (os.killpg if group else os.kill)(process.pid, signal.SIGTERM)
    out = process.stdout.read()  # (the same buffered reader: communicate() would skip what it holds)
    err = process.stderr.read()
    process.wait(timeout=60)
    time.sleep(0.5)
    states = subprocess.run(["ps", "-o", "stat=", "-g", str(process.pid)], capture_output=True, text=True).stdout.split()
    return process.returncode, first + out, err, [state for state in states if not state.startswith("Z")]


def test_sigterm_stops_like_ctrl_c_with_status_143_and_whole_lines(tmp_path):
    status, out, err, _ = sigterm_mid_scoring(tmp_path)
    assert status == 143 and b"Traceback" not in err, err.decode()[-2000:]
    assert out.endswith(b"\n") and all(line.count(b"\t") == 2 for line in out.splitlines())


def test_a_csv_field_longer_than_pythons_default_limit_is_read(tmp_path):
    source = tmp_path / "long.csv"
    source.write_text("text,id\n\"" + "great film " * 20_000 + "\",1\n")  # 220,000 characters
    result = run_cli("predict", "--file", str(source), "--json")
    assert result.returncode == 0, result.stderr.decode()
    assert json.loads(result.stdout)["id"] == "1"


def test_a_training_path_that_is_not_utf8_is_refused_before_any_work(tmp_path):
    name = os.fsdecode(b"bad\xff.csv")
    (tmp_path / name).write_text("text,label\n")
    result = run_cli("export", "--train", name, "--out", "model", cwd=tmp_path, timeout=120)
    assert result.returncode == 2 and not (tmp_path / "model").exists()
    assert error_line(result) == ("error: --train b'bad\\xff.csv': the path is not valid UTF-8, which the bundle's manifest "
                                  "must record as text; rename it")


def test_a_model_that_learnt_one_class_is_warned_about():
    from edge_sentiment.cli import _single_class_warning

    manifest = {"labels": ["ham", "spam"], "metrics": {"test": {"onnx": {"confusion_matrix": [[99, 0], [1, 0]]}}}}
    assert _single_class_warning(manifest) == (
        "warning: the model predicts 'ham' for every one of the 100 test texts (99 of them are 'ham'): it has learnt "
        "the majority class only; give it more examples of the other class, or balance the training file")
    manifest["metrics"]["test"]["onnx"]["confusion_matrix"] = [[98, 1], [1, 0]]
    assert _single_class_warning(manifest) is None
    refit = {"labels": ["ham", "spam"], "metrics": {"held_out": {"confusion_matrix": [[0, 99], [0, 1]]}}}
    assert _single_class_warning(refit).startswith("warning: the model predicts 'spam' for every one of the 100 test texts")


@pytest.mark.slow
def test_sigterm_to_the_whole_group_with_workers_stops_cleanly(tmp_path):
    """A service manager may send SIGTERM to every process of the service: the workers
    hold it, the command stops as for Ctrl-C, and no process is left behind."""
    status, out, err, left = sigterm_mid_scoring(tmp_path, "--json", "--workers", "2", group=True)
    assert status == 143 and b"Traceback" not in err, err.decode()[-2000:]
    assert all(json.loads(line) for line in out.splitlines()) and left == []


def test_export_help_states_the_carves_the_code_makes():
    from edge_sentiment_export.labeled_files import TEST_FRACTION, VALIDATION_FRACTION

    text = " ".join(run_cli("export", "--help").stdout.decode().split())
    assert f"Test file (default: {TEST_FRACTION:.0%} of --train" in text
    assert f"Validation file (default: another {VALIDATION_FRACTION:.0%} of --train" in text


def test_all_scores_adds_one_column_per_label_and_refuses_a_clash(tmp_path):
    source = tmp_path / "in.tsv"
    source.write_text("id\ttext\n1\tgreat film\n2\tawful\n")
    result = run_cli("predict", "--file", str(source), "--all-scores")
    assert result.returncode == 0, result.stderr.decode()
    header, *rows = [line.split("\t") for line in result.stdout.decode().splitlines()]
    assert header == ["id", "text", "predicted_label", "score", "score_negative", "score_positive"]
    for row in rows:
        assert float(row[4]) + float(row[5]) == pytest.approx(1.0, abs=2e-6) and row[3] == row[5]
    clash = tmp_path / "clash.csv"
    clash.write_text("text,score_positive\ngreat film,1\n")
    result = run_cli("predict", "--file", str(clash), "--all-scores")
    assert result.returncode == 1 and "already has a column named 'score_positive'" in error_line(result)
    plain = run_cli("predict", "great film", "awful", "--all-scores")
    assert plain.returncode == 0, plain.stderr.decode()
    for line, text in zip(plain.stdout.decode().splitlines(), ("great film", "awful")):
        label, score, listed, written = line.split("\t")
        scores = dict(pair.split(":") for pair in listed.split())
        assert written == text and sorted(scores) == ["negative", "positive"] and scores["positive"] == score  # P(positive)
        assert float(scores[label]) >= 0.5
    both = run_cli("predict", "great film", "--all-scores", "--top-k", "1")
    assert both.returncode == 2 and "give one of them" in error_line(both)
