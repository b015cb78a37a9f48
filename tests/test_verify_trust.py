"""What `verify` and the load-time probe prove, and how a failing backend is reported:
every check line first, the failing backend named, the other backends still reported."""

import json

import pytest

from conftest import run_cli
from edge_sentiment import BundleError, SentimentClassifier
from edge_sentiment.probe import RuntimeMismatchError
from test_bundle import rehash
from test_conformance import rewrite_cases


def shift_recorded(backend: str, by: float):
    def change(cases):
        for case in cases:
            case["scores"][backend] = min(1.0, case["scores"][backend] + by)
    return change


def test_a_runtime_that_computes_other_int8_numbers_is_named_as_such(bundle_copy):
    # What format 2's int8 file did on a CPU with AVX-512 VNNI: every score ~0.01 off.
    rewrite_cases(bundle_copy, shift_recorded("onnx-int8", 0.01))
    with pytest.raises(RuntimeMismatchError, match=r"the onnx-int8 backend computes different numbers here than when "
                       r"the bundle was exported \(onnxruntime 1\.\d+\.\d+ at export, 1\.\d+\.\d+ here\)"):
        SentimentClassifier.load(bundle_copy, backend="onnx-int8")


def test_verify_prints_every_check_then_names_the_failing_backend(bundle_copy):
    rewrite_cases(bundle_copy, shift_recorded("onnx-int8", 0.01))
    result = run_cli("verify", "--model", str(bundle_copy))
    out, err = result.stdout.decode(), result.stderr.decode()
    assert result.returncode == 1 and "Traceback" not in err
    for check in ("tokens", "ids", "onnx", "tflite", "numpy"):
        assert any(line.startswith(check + " ") and " 0 failures" in line for line in out.splitlines()), out
    assert "onnx-int8          FAILED to load (see below)" in out
    assert "error: onnx-int8: " in err and "computes different numbers here" in err
    assert err.strip().splitlines()[-1].endswith("failed 1 check(s): onnx-int8")


def test_verify_one_backend(bundle_copy):
    rewrite_cases(bundle_copy, shift_recorded("onnx-int8", 0.01))
    result = run_cli("verify", "--model", str(bundle_copy), "--backend", "numpy", "--json")
    assert result.returncode == 0, result.stderr.decode()
    checks = [json.loads(line)["check"] for line in result.stdout.decode().splitlines()]
    assert checks == ["edge cases", "labels", "tokens", "ids", "numpy"]
    unknown = run_cli("verify", "--model", str(bundle_copy), "--backend", "gpu")
    assert unknown.returncode == 2 and "choose one of: onnx, tflite, numpy, onnx-int8, all" in unknown.stderr.decode()


def test_evaluate_all_reports_the_other_backends_when_one_fails(bundle_copy, tmp_path):
    rewrite_cases(bundle_copy, shift_recorded("onnx-int8", 0.01))
    labeled = tmp_path / "labeled.csv"
    labeled.write_text("text,label\ngreat film,1\nawful film,0\nloved it,1\n")
    result = run_cli("evaluate", "--model", str(bundle_copy), "--file", str(labeled), "--json")
    reports = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert result.returncode == 1
    assert [r["backend"] for r in reports] == ["onnx", "tflite", "numpy"]
    assert all(r["texts"] == 3 and r["majority_baseline"] == pytest.approx(2 / 3) for r in reports)
    err = result.stderr.decode()
    assert "error: onnx-int8: " in err and "the onnx-int8 backend(s) of" in err and "Traceback" not in err


def test_a_model_from_another_bundle_is_named_as_such(bundle_copy):
    rewrite_cases(bundle_copy, shift_recorded("numpy", 0.2))
    with pytest.raises(BundleError, match="the model file is not this bundle's"):
        SentimentClassifier.load(bundle_copy, backend="numpy")


def test_swapped_labels_in_the_manifest_fail_verify(bundle_copy):
    manifest = json.loads((bundle_copy / "manifest.json").read_text())
    manifest["labels"].reverse()
    (bundle_copy / "manifest.json").write_text(json.dumps(manifest))
    result = run_cli("verify", "--model", str(bundle_copy))
    assert result.returncode == 1 and "error: labels: 340 of 340 cases differ" in result.stderr.decode()


def test_widened_tolerances_in_the_file_change_nothing(bundle_copy):
    def widen(cases):
        for case in cases:
            case["tolerance"] = {name: 1.0 for name in case["tolerance"]}
        cases[200]["scores"]["numpy"] += 2e-5
    rewrite_cases(bundle_copy, widen)
    result = run_cli("verify", "--model", str(bundle_copy))
    assert result.returncode == 1 and "error: numpy: 1 of 340 cases differ; first: case 200" in result.stderr.decode()


def test_a_removed_case_fails_verify(bundle_copy):
    rewrite_cases(bundle_copy, lambda cases: cases.pop(3))
    result = run_cli("verify", "--model", str(bundle_copy))
    assert result.returncode == 1
    assert "conformance.jsonl: line 4 is not conformance case 3" in result.stderr.decode()


def test_an_edge_case_removed_and_renumbered_fails_verify(bundle_copy):
    def drop(cases):
        del cases[3]
        for number, case in enumerate(cases):
            case["case"] = number
    rewrite_cases(bundle_copy, drop)
    result = run_cli("verify", "--model", str(bundle_copy))
    assert result.returncode == 1 and "error: edge cases: 1 of 67 cases differ" in result.stderr.decode()


def test_a_compactly_written_conformance_file_is_still_probed(bundle_copy):
    rewrite_cases(bundle_copy, shift_recorded("numpy", 0.2))
    path = bundle_copy / "conformance.jsonl"
    lines = [json.dumps(json.loads(line), separators=(",", ":")) for line in path.read_text().splitlines()]
    path.write_text("\n".join(lines) + "\n")
    rehash(bundle_copy, "conformance")
    with pytest.raises(BundleError, match="the model file is not this bundle's"):
        SentimentClassifier.load(bundle_copy, backend="numpy")
