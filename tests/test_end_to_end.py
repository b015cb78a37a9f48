"""Train one quick epoch on a small slice, export through the CLI, check the bundle."""

import json

import pytest

from conftest import run_cli
from edge_sentiment import SentimentClassifier

pytest.importorskip("tensorflow", reason="exporting needs the 'train' extra")
pytest.importorskip("ai_edge_litert", reason="the bundle's TFLite file is checked with the 'tflite' extra")


def export_quick(data, out):
    result = run_cli("export", "--data", str(data), "--out", str(out), "--preset", "quick")
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    log = result.stdout + result.stderr
    for noise in (b"cuInit", b"cudart_stub", b"Saved artifact at", b"TF freezing failed", b"XNNPACK", b"absl::"):
        assert noise not in log, noise  # start-up chatter of TensorFlow, Keras, tf2onnx, LiteRT
    return json.loads((out / "manifest.json").read_text())


def check_bundle(out, manifest):
    for name in ("manifest.json", "vocab.json", "model.onnx", "model.tflite", "model.keras", "history.json", "training_curves.png"):
        assert (out / name).is_file(), name
    for backend in ("onnx", "tflite"):
        parity = manifest["metrics"]["parity_vs_keras"][backend]
        assert parity["max_abs_diff"] <= 1e-5 and parity["label_mismatches"] == 0
    assert manifest["training"]["command"].startswith("edge-sentiment export")
    assert manifest["training"]["config"]["preset"] == "quick"
    clf = SentimentClassifier.load(out)
    assert clf.predict("great film").label in ("positive", "negative")
    same = SentimentClassifier.load(out, backend="tflite").predict_proba(["great film", ""])
    assert abs(same - clf.predict_proba(["great film", ""])).max() <= 1e-5


@pytest.mark.slow
def test_export_on_synthetic_reviews(tiny_imdb, tmp_path):
    out = tmp_path / "bundle"
    manifest = export_quick(tiny_imdb, out)
    check_bundle(out, manifest)
    assert manifest["dataset"]["sha256"] is None  # a folder, not an archive
    assert manifest["training"]["train_texts"] + manifest["training"]["validation_texts"] == 80


@pytest.mark.slow
def test_export_on_a_slice_of_the_real_data(real_tarball, tmp_path):
    out = tmp_path / "bundle"
    manifest = export_quick(real_tarball, out)
    check_bundle(out, manifest)
    assert manifest["dataset"]["sha256"] == "be68b82391f564d261cacaa6fd20b9a19652c4584ae814e73b3dfb4a537a894a"
    assert manifest["metrics"]["test"]["onnx"]["texts"] == 200


def test_export_refuses_to_overwrite(tiny_imdb, tmp_path):
    out = tmp_path / "occupied"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = run_cli("export", "--data", str(tiny_imdb), "--out", str(out), "--preset", "quick")
    assert result.returncode == 1 and b"--overwrite" in result.stderr
    assert (out / "keep.txt").read_text() == "mine"
    # Checked first: the data (here missing) is not even looked at.
    early = run_cli("export", "--data", str(tmp_path / "no-such-data"), "--out", str(out), "--preset", "quick")
    assert early.returncode == 1 and b"is not empty" in early.stderr and b"no-such-data" not in early.stderr


@pytest.mark.slow
def test_snippets_and_calibration_reach_every_backend(tiny_imdb, tmp_path):
    from edge_sentiment_export import config as C, data as D
    from edge_sentiment_export.stack import exporter_module

    config = C.get_preset("quick").with_overrides(short_snippets=2, calibration="platt", train_limit=None, test_limit=None)
    out = tmp_path / "bundle"
    manifest = exporter_module().export_bundle(config, D.load_imdb(tiny_imdb), out, command="edge-sentiment export (test)", log=lambda m: None)
    check_bundle(out, manifest)
    assert (out / "calibration.png").is_file()
    record = manifest["calibration"]
    assert record["method"] == "platt" and set(record["parameters"]) == {"scale", "shift"}
    assert record["after"]["nll"] <= record["before"]["nll"]
    # Each training review adds its sentences: more rows than the 80 reviews minus validation.
    assert manifest["training"]["train_texts"] > 64 and manifest["training"]["config"]["short_snippets"] == 2
    assert manifest["metrics"]["short_texts"]["texts"] > 0 and "ece" in manifest["metrics"]["test"]["numpy"]
    for backend in ("onnx", "tflite", "numpy"):
        assert manifest["metrics"]["parity_vs_keras"][backend]["max_abs_diff"] <= 1e-5
