"""The command line under bad inputs, closed streams, interrupts and the export
destination, each through a fresh process as a user would run it."""

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import pytest

from conftest import REPO, error_line, run_cli, write_tiny_imdb

EXE = shutil.which("edge-sentiment", path=os.path.dirname(sys.executable)) or "edge-sentiment"


def shell(command: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``command`` in bash with ``$E`` naming the console script (for redirections like <&-)."""
    return subprocess.run(["bash", "-c", command], capture_output=True, cwd=cwd, env={**os.environ, "E": EXE}, timeout=300)


# --- export never destroys what it does not own -------------------------------


@pytest.mark.parametrize("out", [".", "./", ""])
def test_export_into_the_working_directory_is_refused_and_deletes_nothing(tmp_path, out):
    write_tiny_imdb(tmp_path / "data")
    (tmp_path / "notes.txt").write_text("mine")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    result = run_cli("export", "--data", "data", "--out", out, "--overwrite", cwd=tmp_path)
    assert result.returncode == 1
    assert error_line(result) == (
        f"error: {tmp_path} is not empty and is not a bundle (it holds data, notes.txt); --out must name a new "
        "or empty directory, or a previous bundle to replace with --overwrite"
    )
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_a_bundle_with_files_of_the_users_is_not_overwritten(tmp_path, bundle_copy):
    (bundle_copy / "my-notes.txt").write_text("mine")
    result = run_cli("export", "--data", str(tmp_path / "nothing"), "--out", str(bundle_copy), "--overwrite")
    assert result.returncode == 1 and "it holds my-notes.txt" in error_line(result)
    assert (bundle_copy / "my-notes.txt").read_text() == "mine"


def test_a_previous_bundle_needs_overwrite(tmp_path, bundle_copy):
    result = run_cli("export", "--data", str(tmp_path / "nothing"), "--out", str(bundle_copy))
    assert result.returncode == 1 and "holds a bundle; pick a new --out or pass --overwrite" in error_line(result)


@pytest.mark.parametrize("out, message", [
    ("/proc/edge-sentiment-x", "cannot write into /proc"),
    ("a-file/bundle", "a-file is a file"),
])
def test_an_unwritable_out_is_refused_before_reading_data(tmp_path, out, message):
    (tmp_path / "a-file").write_text("x")
    result = run_cli("export", "--data", str(tmp_path / "nothing"), "--out", out, cwd=tmp_path)
    assert result.returncode == 1 and message in error_line(result)
    assert b"reading" not in result.stderr  # refused before the data was looked at


def test_replacing_a_bundle_keeps_the_old_one_until_the_new_one_is_in_place(tmp_path):
    from edge_sentiment_export.destination import check_destination, replace_with

    out, staging = tmp_path / "bundle", tmp_path / "staging"
    shutil.copytree(REPO / "artifacts" / "default", out)
    staging.mkdir()
    (staging / "manifest.json").write_text("{}")
    check_destination(out, overwrite=True)
    replace_with(out, staging, overwrite=True)
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json"]
    assert not staging.exists() and [p.name for p in tmp_path.iterdir()] == ["bundle"]


def test_a_dataset_without_a_test_split_is_refused_before_training(tmp_path):
    shutil.rmtree(write_tiny_imdb(tmp_path / "data") / "test")
    result = run_cli("export", "--data", str(tmp_path / "data"), "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    assert "has no reviews in aclImdb/test/neg, aclImdb/test/pos" in error_line(result)
    assert not (tmp_path / "out").exists()


def test_a_missing_training_extra_is_reported_first_with_status_1(tmp_path):
    code = (
        "import sys; sys.modules['tf2onnx'] = None; sys.argv = ['edge-sentiment', 'export', '--data', 'nowhere'];"
        "from edge_sentiment.console import main; main()"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=tmp_path)
    assert result.returncode == 1
    assert error_line(result) == (
        "error: export needs tf2onnx, which this installation lacks: pip install 'edge-sentiment[train]' "
        "(from the repository: pip install '.[train]')"
    )


# --- reading and writing ----------------------------------------------------------


def write_lines_file(path: Path, count: int, bad_line: int | None = None) -> None:
    with open(path, "wb") as fh:
        for number in range(1, count + 1):
            fh.write(b"caf\xe9 review\n" if number == bad_line else f"great film number {number}\n".encode())


@pytest.mark.parametrize("bad_line", [3, 10_000])
def test_a_bad_line_stops_the_run_after_every_line_before_it_is_written(tmp_path, bad_line):
    reviews = tmp_path / "reviews.txt"
    write_lines_file(reviews, 20_000, bad_line)
    result = run_cli("predict", "--json", "--file", str(reviews))
    assert result.returncode == 1
    assert error_line(result).startswith(f"error: {reviews}, line {bad_line}: not valid UTF-8 (byte 0xe9 at column 4)")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["text"] for r in records] == [f"great film number {n}" for n in range(1, bad_line)]


def test_on_error_skip_and_replace(tmp_path):
    reviews = tmp_path / "reviews.txt"
    write_lines_file(reviews, 10, bad_line=4)
    skipped = run_cli("predict", "--json", "--file", str(reviews), "--on-error", "skip")
    assert skipped.returncode == 0 and len(skipped.stdout.splitlines()) == 9
    assert f"warning: {reviews}, line 4: not valid UTF-8 (byte 0xe9 at column 4): skipped" in skipped.stderr.decode()
    replaced = run_cli("predict", "--json", "--file", str(reviews), "--on-error", "replace")
    texts = [json.loads(line)["text"] for line in replaced.stdout.splitlines()]
    assert replaced.returncode == 0 and len(texts) == 10 and texts[3] == "caf\ufffd review"
    wrong = run_cli("predict", "--file", str(reviews), "--on-error", "ignore")
    assert wrong.returncode == 2 and "--on-error must be one of: stop, skip, replace" in error_line(wrong)


def _gzip(data: bytes) -> bytes:
    import gzip

    return gzip.compress(data)


@pytest.mark.parametrize("content, message", [
    (lambda: _gzip(b"text\tlabel\ngreat film\t1\n"), "it is compressed (gzip): decompress it first (gunzip -c {name} > texts.txt)"),
    (lambda: b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)), "it is a zip archive, or a spreadsheet or document saved as one"),
    (lambda: "great film\nawful film\n".encode("utf-16-le"), "it looks like UTF-16 without a byte-order mark: convert it with iconv -f utf-16le"),
    (lambda: random.Random(0).randbytes(4096), "it holds binary data: pass a text, CSV, TSV or JSON Lines file"),
])
@pytest.mark.parametrize("on_error", ["stop", "replace"])
def test_a_file_that_is_not_text_is_named_as_what_it_is_whatever_its_name(tmp_path, content, message, on_error):
    """Read as lines, such a file would be scored as garbage (--on-error replace) or get advice about
    encodings: it is refused before its first text, with what to do instead."""
    path = tmp_path / "texts.dat"
    path.write_bytes(content())
    result = run_cli("predict", "--file", str(path), "--on-error", on_error)
    assert result.returncode == 1 and result.stdout == b""
    assert error_line(result).startswith(f"error: {path} is not UTF-8 text: {message.format(name=path)}")


def test_text_is_not_taken_for_binary_data(tmp_path):
    """Text in a legacy encoding gets the encoding advice; a stray NUL in a short file is read."""
    path = tmp_path / "texts.dat"
    path.write_bytes("café crème brûlée\n\tnaïve façade, déjà vu\r\n".encode("cp1252") * 50)
    assert "iconv -f cp1252 -t utf-8" in error_line(run_cli("predict", "--file", str(path)))
    path.write_bytes(b"great\x00film\nawful film\n")
    result = run_cli("predict", "--file", str(path))
    assert result.returncode == 0 and len(result.stdout.splitlines()) == 2


def test_a_byte_order_mark_is_not_part_of_the_first_review(tmp_path):
    reviews = tmp_path / "bom.txt"
    reviews.write_bytes(b"\xef\xbb\xbfgreat film\r\nawful\r\n")
    result = run_cli("predict", "--json", "--file", str(reviews))
    assert [json.loads(line)["text"] for line in result.stdout.splitlines()] == ["great film", "awful"]


@pytest.mark.parametrize("command, message", [
    ('$E predict -f - <&-', "error: standard input is closed; pipe the texts in or pass --file PATH"),
    ('$E predict "great film" >&-', "error: standard output is closed; redirect it to a file (> out.txt) or a pipe"),
    ('$E predict "great film" > /dev/full', "error: cannot write the output: No space left on device"),
    ('$E info > /dev/full', "error: cannot write the output: No space left on device"),
])
def test_closed_or_full_streams_are_one_line_and_status_1(command, message):
    result = shell(command)
    assert result.returncode == 1 and error_line(result) == message


def test_a_reader_that_stops_early_ends_the_run_quietly(tmp_path):
    reviews = tmp_path / "reviews.txt"
    write_lines_file(reviews, 50_000)
    for workers in ("1", "2"):
        result = shell(f'$E predict -f {reviews} --workers {workers} | head -1; exit "${{PIPESTATUS[0]}}"')
        assert result.returncode == 0 and result.stderr == b"", result.stderr
        assert result.stdout.decode().startswith("positive\t")


def test_a_single_argument_that_names_a_file_gets_a_hint(tmp_path):
    (tmp_path / "reviews.txt").write_text("great film\n")
    result = run_cli("predict", "reviews.txt", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.decode().endswith("\treviews.txt\n")
    assert "did you mean --file reviews.txt?" in result.stderr.decode()


@pytest.mark.parametrize("line, message", [
    ('{"text": 5, "label": 1}', "line 1: 'text' must be a string, got a number"),
    ("null", "line 1: expected a JSON object, got null"),
    ('{"payload": "x", "label": 1}', "no text column among 'payload', 'label'; name it with --text-column COLUMN"),
    ('{"text": "x", "label": [1, 0]}', "line 1: 2 labels (1, 0); a binary bundle takes one label per text"),
    ('{"text": "x", "label": {"a": 1}}', "line 1: label {\"a\": 1} is not one of 'positive', 'negative', 1, true, pos"),
    ('{"text": "x", "label": 1', "line 1: not JSON"),
])
def test_evaluate_names_what_is_wrong_with_a_line(tmp_path, line, message):
    labeled = tmp_path / "labeled.jsonl"
    labeled.write_text(line + "\n")
    result = run_cli("evaluate", "--file", str(labeled))
    assert result.returncode == 1 and message in error_line(result)


def test_evaluate_reads_standard_input():
    lines = b'{"text": "great film", "label": 1}\n{"text": "awful", "label": "negative"}\n'
    result = run_cli("evaluate", "-f", "-", "--backend", "onnx", "--json", input=lines)
    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["texts"] for line in result.stdout.splitlines()] == [2]


def test_evaluate_all_skips_backends_this_installation_cannot_run(tmp_path):
    labeled = tmp_path / "labeled.jsonl"
    labeled.write_text('{"text": "great film", "label": 1}\n')
    code = (
        "import sys; sys.modules['ai_edge_litert'] = None;"  # as on the runtime-only install
        f"sys.argv = ['edge-sentiment', 'evaluate', '--file', {str(labeled)!r}, '--json'];"
        "from edge_sentiment.console import main; main()"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True)
    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["backend"] for line in result.stdout.splitlines()] == ["onnx", "numpy", "onnx-int8"]
    assert "skipped tflite: the 'tflite' backend needs ai-edge-litert" in result.stderr.decode()


# --- what a new user meets first ---------------------------------------------


def test_no_arguments_prints_the_help_and_status_2():
    result = run_cli()
    assert result.returncode == 2 and result.stdout.startswith(b"Usage: edge-sentiment") and result.stderr == b""


def test_version():
    from edge_sentiment import __version__

    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.decode() == f"edge-sentiment {__version__}\n"


def test_help_keeps_bracketed_extras_and_states_the_exit_codes():
    export_help = run_cli("export", "--help").stdout.decode()
    assert "pip install 'edge-sentiment[train,tflite]'" in export_help
    for command in ("predict", "export", "evaluate", "info"):
        text = " ".join(run_cli(command, "--help").stdout.decode().split())
        assert "Exit status: 0 done; 1 the data, the bundle or the environment is wrong" in text
        assert "2 the command line is wrong; 130 interrupted (Ctrl-C); 143 stopped (SIGTERM)." in text


def test_tflite_loads_quietly():
    result = run_cli("predict", "--backend", "tflite", "great film")
    if b"ai-edge-litert" in result.stderr:
        pytest.skip("needs the 'tflite' extra")
    assert result.returncode == 0 and result.stderr == b""


# --- Ctrl-C -------------------------------------------------------------------


@pytest.mark.slow
def test_ctrl_c_with_workers_exits_130_with_whole_lines_and_no_traceback(tmp_path):
    """SIGINT to the whole process group, as a terminal sends it, at moments spread over
    start-up and scoring. benchmarks/ctrl_c.py runs the same loop 50 times and times it."""
    reviews = tmp_path / "reviews.txt"
    write_lines_file(reviews, 200_000)
    for delay in (0.25, 0.5, 0.8, 1.2, 1.6, 2.0):  # after the interpreter itself has started
        with open(tmp_path / "out.jsonl", "wb") as out:
            proc = subprocess.Popen([EXE, "predict", "--json", "-f", str(reviews), "--workers", "2"],
                                    stdout=out, stderr=subprocess.PIPE, start_new_session=True)
            time.sleep(delay)
            os.killpg(proc.pid, signal.SIGINT)
            _, err = proc.communicate(timeout=60)  # a hang fails here
        assert proc.returncode == 130 and b"Traceback" not in err, (delay, err.decode())
        data = (tmp_path / "out.jsonl").read_bytes()
        assert data == b"" or data.endswith(b"\n")
        for line in data.splitlines():
            json.loads(line)
        time.sleep(0.5)
        ps = subprocess.run(["ps", "-o", "stat=", "-g", str(proc.pid)], capture_output=True, text=True).stdout.split()
        assert [s for s in ps if not s.startswith("Z")] == [], "processes left behind"


# --- packaging ---------------------------------------------------------------


def built(kind: str, out):
    """The sdist or wheel of the repository, built into ``out``."""
    pytest.importorskip("build", reason="needs the 'build' package (dev extra)")
    result = subprocess.run([sys.executable, "-m", "build", f"--{kind}", "--no-isolation", "--outdir", str(out), str(REPO)],
                            capture_output=True)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    (package,) = out.glob("*.tar.gz" if kind == "sdist" else "*.whl")
    return package


def test_the_sdist_carries_the_tests_and_the_license(tmp_path):
    with tarfile.open(built("sdist", tmp_path)) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"LICENSE", "CHANGELOG.md", "tests/conftest.py", "tests/test_cli.py", "edge_sentiment/py.typed", "mkdocs.yml",
            "docs/serving.md", "docs/bundle-format.md", "docs/openapi.json", "benchmarks/README.md"} <= names
    assert not any(name.startswith("artifacts/presets/") for name in names)


@pytest.mark.slow
def test_an_unpacked_sdists_tests_run_and_skip_what_it_lacks(tmp_path):
    with tarfile.open(built("sdist", tmp_path)) as archive:
        archive.extractall(tmp_path / "unpacked", filter="data")
    (root,) = (tmp_path / "unpacked").iterdir()
    pytest_in = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    collected = subprocess.run([*pytest_in, "--collect-only"], cwd=root, capture_output=True, timeout=600)
    assert collected.returncode == 0, collected.stdout.decode()[-3000:]
    ran = subprocess.run([*pytest_in, "-rs", "tests/test_presets.py", "tests/test_text.py"], cwd=root,
                         capture_output=True, timeout=600)
    out = ran.stdout.decode()
    assert ran.returncode == 0, out[-3000:]
    assert "the seed presets' bundles are not here" in out and " passed" in out


def test_the_wheel_ships_what_the_runtime_reads_and_verifies(tmp_path):
    with zipfile.ZipFile(built("wheel", tmp_path)) as archive:
        shipped = {n.rsplit("/", 1)[1] for n in archive.namelist() if n.startswith("edge_sentiment/artifacts/default/")}
        archive.extractall(tmp_path / "unpacked")
        guides = {n.rsplit("/", 1)[1] for n in archive.namelist() if n.startswith("edge_sentiment/docs/")}
    assert shipped == {"manifest.json", "vocab.json", "model.onnx", "model.single.onnx", "model.int8.onnx",
                       "model.tflite", "weights.npz", "conformance.jsonl"}
    assert {"serving.md", "explain.md", "bundle-format.md", "training.md", "cli.md", "changelog.md"} <= guides
    verified = run_cli("verify", "--model", str(tmp_path / "unpacked" / "edge_sentiment" / "artifacts" / "default"))
    assert verified.returncode == 0, verified.stderr.decode()


@pytest.mark.parametrize("change, message", [
    (lambda m: m["files"]["onnx"].update(bytes="big"), "files.onnx.bytes must be an integer"),
    (lambda m: m.update(metrics=[1, 2]), "metrics must be a JSON object, got a list"),
    (lambda m: m.update(labels=None), "labels must be two different names"),
])
@pytest.mark.parametrize("command", ["info", "verify"])
def test_info_and_verify_on_a_malformed_manifest_are_one_line(bundle_copy, change, message, command):
    path = bundle_copy / "manifest.json"
    manifest = json.loads(path.read_text())
    change(manifest)
    path.write_text(json.dumps(manifest))
    result = run_cli(command, "--model", str(bundle_copy))
    err = result.stderr.decode()
    assert result.returncode == 1 and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
