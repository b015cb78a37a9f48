"""The CLI in a fresh process, as a user runs it."""

import json

from conftest import REPO, needs_presets, run_cli


def lines(result) -> list[str]:
    return result.stdout.decode().splitlines()


def test_predict_text_arguments():
    result = run_cli("predict", "great film", "a dull, lifeless film")
    assert result.returncode == 0, result.stderr
    out = lines(result)
    assert len(out) == 2
    label, score, text = out[0].split("\t")
    assert label in ("positive", "negative") and 0 <= float(score) <= 1 and text == "great film"


def test_plain_output_is_one_line_per_text():
    result = run_cli("predict", "great\nfilm", "awful\r\nplot\tand acting")
    out = lines(result)
    assert len(out) == 2 and out[0].endswith("\tgreat film") and out[1].endswith("\tawful plot and acting")


def test_predict_json_lines():
    result = run_cli("predict", "--json", "great film")
    record = json.loads(lines(result)[0])
    assert set(record) == {"text", "label", "score", "scores"} and record["text"] == "great film"
    assert list(record["scores"])[0] == record["label"] and record["scores"]["positive"] == record["score"]


def test_predict_file_keeps_one_output_line_per_input_line(tmp_path):
    reviews = tmp_path / "reviews.txt"
    reviews.write_bytes(b"great film\r\n\r\nawful, boring\r\nno final newline")
    result = run_cli("predict", "--json", "--file", str(reviews))
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in lines(result)]
    assert [r["text"] for r in records] == ["great film", "", "awful, boring", "no final newline"]


def test_predict_stdin_matches_arguments():
    from_stdin = run_cli("predict", "--json", "-f", "-", input=b"great film\nawful\n")
    from_args = run_cli("predict", "--json", "great film", "awful")
    assert lines(from_stdin) == lines(from_args)


def test_invalid_utf8_names_the_line(tmp_path):
    reviews = tmp_path / "latin1.txt"
    reviews.write_bytes(b"fine\ncaf\xe9 au lait\n")
    result = run_cli("predict", "--file", str(reviews))
    assert result.returncode == 1  # the data is wrong, not the command line
    assert b"line 2: not valid UTF-8" in result.stderr and b"Traceback" not in result.stderr


def test_threshold_option():
    result = run_cli("predict", "--json", "--threshold", "0", "awful")
    assert json.loads(lines(result)[0])["label"] == "positive"


def test_user_errors_are_one_line_without_traceback(tmp_path):
    cases = [
        ("predict",),
        ("predict", "--model", str(tmp_path / "nope"), "x"),
        ("predict", "--file", str(tmp_path / "missing.txt")),
        ("predict", "--backend", "torch", "x"),
        ("info", "--model", str(tmp_path)),
        ("evaluate",),
        ("export", "--data", str(tmp_path / "nothing"), "--out", str(tmp_path / "o")),
        ("export", "--preset", "nonsense", "--data", str(tmp_path)),
        ("predict", "--threshold", "2", "x"),
        ("predict", "--no-such-option", "x"),
        ("frobnicate",),
    ]
    for args in cases:
        result = run_cli(*args)
        assert result.returncode != 0, args
        err = result.stderr.decode().strip().splitlines()
        errors = [line for line in err if line.startswith("error: ")]
        assert errors == err[-1:] and "Traceback" not in "".join(err), (args, err)


def test_parser_errors_point_to_the_right_help():
    assert b"(see 'edge-sentiment predict --help')" in run_cli("predict", "--threshold", "2", "x").stderr
    assert b"(see 'edge-sentiment --help')" in run_cli("frobnicate").stderr


def test_unknown_preset_lists_choices(tmp_path):
    err = run_cli("export", "--preset", "nonsense", "--data", str(tmp_path)).stderr.decode()
    assert "choose one of: default" in err


@needs_presets
def test_info_and_json_info():
    text = run_cli("info").stdout.decode()
    assert "parameters" in text and "hashed word pairs" in text and "ONNX graph lean" in text
    multi_hot = run_cli("info", "--model", str(REPO / "artifacts" / "presets" / "seed-multi-hot"))
    assert multi_hot.returncode == 0 and b"multi-hot(10000) -> Dense 16-16-1" in multi_hot.stdout
    manifest = json.loads(run_cli("info", "--json").stdout)
    assert manifest["format_version"] == 3 and manifest["task"] == "binary" and "sha256" in manifest["files"]["onnx"]


def test_evaluate_labeled_file(tmp_path):
    labeled = tmp_path / "labeled.jsonl"
    labeled.write_text(
        "\n".join(json.dumps(r) for r in [{"text": "great film", "label": "positive"}, {"text": "awful", "label": 0}])
    )
    result = run_cli("evaluate", "--file", str(labeled), "--json")
    assert result.returncode == 0, result.stderr
    reports = {r["backend"]: r for r in map(json.loads, result.stdout.splitlines())}
    onnx = reports["onnx"]
    assert onnx["texts"] == 2 and sum(map(sum, onnx["confusion_matrix"])) == 2
    assert {"accuracy", "ece", "nll", "brier", "saturated", "by_length"} <= set(onnx)
    assert onnx["by_length"]["<=10"]["texts"] == 2 and onnx["by_length"][">200"]["texts"] == 0


def test_evaluate_rejects_bad_labels(tmp_path):
    labeled = tmp_path / "labeled.jsonl"
    labeled.write_text('{"text": "x", "label": "meh"}\n')
    result = run_cli("evaluate", "--file", str(labeled))
    assert result.returncode == 1 and b"line 1" in result.stderr


def test_help_explains_every_command():
    out = run_cli("--help").stdout.decode()
    for command in ("predict", "export", "evaluate", "info", "presets"):
        assert command in out
    help_text = run_cli("predict", "--help").stdout.decode()
    words = " ".join(help_text.translate({ord(c): " " for c in "│╭╮╰╯─"}).split())  # drop rich's boxes
    assert "every line is scored, empty ones too" in words


def test_python_dash_m_works():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "edge_sentiment", "predict", "great film"], capture_output=True)
    assert result.returncode == 0 and result.stdout.startswith((b"positive", b"negative"))


def test_python_dash_m_is_the_same_command():
    import subprocess
    import sys

    for args in (["--help"], ["predict", "--help"], ["predict", "great film", "--json"], ["predict", "--bogus"]):
        module = subprocess.run([sys.executable, "-m", "edge_sentiment", *args], capture_output=True, timeout=120)
        script = run_cli(*args)
        assert (module.returncode, module.stdout, module.stderr) == (script.returncode, script.stdout, script.stderr), args
