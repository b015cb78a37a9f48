"""Bring a bundle written by an older edge-sentiment to the current format, in place.

    python -m edge_sentiment_export.upgrade BUNDLE_DIR... --data ../shared/data/aclImdb_v1_labeled.tar.gz

The manifest is read through the schema (a version-1 one upgraded by
``edge_sentiment.manifest.upgrade_v1``), every file is checked against its sha256
and its size recorded, and ``conformance.jsonl`` is written from the bundle's own
backends: the edge cases, the short phrases and test reviews of DATA sampled with
the bundle's training seed. The model files are not touched, so scores do not change.

With ``--requantize``, ``model.int8.onnx`` is first written again from ``model.onnx`` as this
version quantizes (export/int8.py), and its test metrics are measured on DATA's test reviews.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from edge_sentiment.backends import available_backends
from edge_sentiment.bundle import load_bundle, unprobed
from edge_sentiment.conformance import FILE_KEY, FILE_NAME, case_texts
from edge_sentiment.verify import write_cases
from edge_sentiment.constants import MANIFEST_NAME
from edge_sentiment.manifest import FILE_NAMES, FileEntry, Manifest
from edge_sentiment.metrics import binary_metrics, calibration_metrics

from .data import Split, load_imdb


def upgrade(folder: Path, reviews: list[str]) -> int:
    """Upgrade the bundle at ``folder``; returns the number of conformance cases written."""
    bundle = unprobed(load_bundle(folder))
    manifest = bundle.manifest
    seed = (manifest.training.config if manifest.training else {}).get("seed", 1234)
    cases = case_texts(reviews, manifest.preprocessing.maxlen, seed=seed)
    write_cases(bundle, cases, folder / FILE_NAME, available_backends(bundle))
    files = {}
    for key, entry in {**manifest.files, FILE_KEY: FileEntry(FILE_NAME, "0" * 64, None)}.items():
        data = (folder / entry.path).read_bytes() if key == FILE_KEY else bundle.read(key)
        files[key] = FileEntry(entry.path, _sha256(data), len(data))
    _write(folder, replace(manifest, files=files))
    load_bundle(folder)  # what was written reads back
    return len(cases)


def requantize(folder: Path, test: Split) -> dict:
    """Write ``model.int8.onnx`` again from ``model.onnx``; its metrics on ``test`` and the
    quantization report go into the manifest, and its conformance cases are dropped (for
    :func:`upgrade` to record anew). Returns the report."""
    from edge_sentiment.classifier import SentimentClassifier

    from .int8 import describe, to_int8

    manifest = load_bundle(folder).manifest.to_dict()
    int8 = folder / FILE_NAMES["onnx_int8"]
    to_int8(folder / manifest["files"]["onnx"]["path"], int8)
    data = int8.read_bytes()
    manifest["files"]["onnx_int8"] = {"path": int8.name, "sha256": _sha256(data), "bytes": len(data)}
    del manifest["files"][FILE_KEY]  # its int8 scores are the old file's; upgrade() records them anew
    _write(folder, Manifest.from_dict(manifest))
    with SentimentClassifier(unprobed(load_bundle(folder)), backend="onnx-int8") as classifier:
        scores = classifier.predict_proba(test.texts)
    test_metrics = manifest["metrics"]["test"]
    test_metrics["onnx-int8"] = {**binary_metrics(test.labels, scores), **calibration_metrics(test.labels, scores)}
    manifest["quantization"] = {
        "method": describe(int8),
        "file": int8.name,
        "accuracy_loss_points": round(100 * (test_metrics["onnx"]["accuracy"] - test_metrics["onnx-int8"]["accuracy"]), 3),
        "size_ratio": round(len(data) / manifest["files"]["onnx"]["bytes"], 4),
    }
    _write(folder, Manifest.from_dict(manifest))
    return manifest["quantization"]


def _write(folder: Path, manifest: Manifest) -> None:
    text = json.dumps(manifest.to_dict(), indent=2, ensure_ascii=False) + "\n"
    (folder / MANIFEST_NAME).write_text(text, encoding="utf-8")


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bundles", type=Path, nargs="+")
    parser.add_argument("--data", required=True, help="the aclImdb tarball or folder (its test reviews become cases)")
    parser.add_argument("--requantize", action="store_true", help="write model.int8.onnx again from model.onnx "
                        "as this version quantizes, and measure it on DATA's test reviews")
    args = parser.parse_args(argv)
    test = load_imdb(args.data, splits=("test",)).test
    reviews = test.texts
    for folder in args.bundles:
        if args.requantize:
            print(f"{folder}: model.int8.onnx requantized: {requantize(folder, test)}")
        print(f"{folder}: format 2, {upgrade(folder, reviews)} conformance cases")


if __name__ == "__main__":
    sys.exit(main())
