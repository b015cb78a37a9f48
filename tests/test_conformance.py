"""Conformance vectors (conformance.jsonl) and `edge-sentiment verify`."""

import collections
import hashlib
import json

import pytest

from conftest import REPO, run_cli
from edge_sentiment.conformance import EDGE_CASES, SHORT_PHRASES
from edge_sentiment.probe import PROBE_CATEGORIES

BUNDLES = [REPO / "artifacts" / "default", *sorted((REPO / "artifacts" / "presets").glob("*"))]


def cases_of(bundle):
    return [json.loads(line) for line in (bundle / "conformance.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("bundle", BUNDLES, ids=lambda p: p.name)
def test_every_bundle_passes_verify(bundle):
    result = run_cli("verify", "--model", str(bundle), "--json")
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    checks = {r["check"]: r for r in map(json.loads, result.stdout.decode().splitlines())}
    assert {"tokens", "ids", "onnx", "onnx-one-per-call", "numpy"} <= set(checks)
    assert all(r["failures"] == 0 and r["error"] is None for r in checks.values())
    assert all(r["cases"] >= 300 for name, r in checks.items() if name != "edge cases")
    assert checks["edge cases"]["cases"] == len(EDGE_CASES) and checks["labels"]["cases"] >= 300


def test_the_cases_cover_every_tokenizer_rule_and_real_texts():
    cases = cases_of(BUNDLES[0])
    counts = collections.Counter(c["category"].split(":")[0] for c in cases)
    assert len(cases) >= 300 and sum(counts[c] for c in PROBE_CATEGORIES) >= 100 and counts["far longer than maxlen"] >= 1
    assert counts["edge"] == len(EDGE_CASES) and counts["short phrase"] == len(SHORT_PHRASES)
    texts = {c["text"] for c in cases}
    assert {"", "ΟΔΥΣΣΕΥΣ", "lone \ud800 surrogate", "good\x00film"} <= texts
    for case in cases:
        assert case["tolerance"]["ids"] == "exact" and case["tolerance"]["onnx"] == 1e-5
        assert len(case["ids"]) <= 500 and set(case["scores"]) >= {"onnx", "tflite", "numpy"}


def rewrite_cases(bundle, change, rehash=True):
    path = bundle / "conformance.jsonl"
    cases = cases_of(bundle)
    change(cases)
    path.write_text("".join(json.dumps(c) + "\n" for c in cases))
    if rehash:
        manifest = json.loads((bundle / "manifest.json").read_text())
        manifest["files"]["conformance"].update(sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
                                                bytes=path.stat().st_size)
        (bundle / "manifest.json").write_text(json.dumps(manifest))


def test_a_changed_expected_id_fails_verify_and_names_the_case(bundle_copy):
    rewrite_cases(bundle_copy, lambda cases: cases[71]["ids"].append(7))
    result = run_cli("verify", "--model", str(bundle_copy))
    assert result.returncode == 1
    assert "ids                  340 cases     1 failures" in result.stdout.decode()
    assert result.stderr.decode().startswith("error: ids: 1 of 340 cases differ; first: case 71 (short phrase)")


def test_a_changed_expected_score_fails_verify(bundle_copy):
    def change(cases):
        cases[200]["scores"]["numpy"] += 2e-5
    rewrite_cases(bundle_copy, change)
    result = run_cli("verify", "--model", str(bundle_copy))
    assert result.returncode == 1 and "error: numpy: 1 of 340 cases differ; first: case 200" in result.stderr.decode()


def test_a_conformance_file_changed_without_its_sha256_is_a_checksum_error(bundle_copy):
    rewrite_cases(bundle_copy, lambda cases: cases[0]["tokens"].append("x"), rehash=False)
    result = run_cli("verify", "--model", str(bundle_copy))
    assert result.returncode == 1 and "conformance.jsonl holds" in result.stderr.decode()


def test_a_changed_model_file_fails_verify_before_any_case(bundle_copy):
    data = bytearray((bundle_copy / "model.tflite").read_bytes())
    data[-1] ^= 1
    (bundle_copy / "model.tflite").write_bytes(bytes(data))
    result = run_cli("verify", "--model", str(bundle_copy))
    assert result.returncode == 1 and "model.tflite has sha256" in result.stderr.decode() and not result.stdout
