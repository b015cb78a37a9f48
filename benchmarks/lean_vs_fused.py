"""Is the lean batch graph worth keeping? model.onnx as the exporter writes it ("lean",
export/onnx_graphs/serving.py) against the Keras model converted as it is with its RNN
fused ("fused"), end to end through the runtime, in one run.

    python benchmarks/lean_vs_fused.py [--model DIR] [--data TARBALL] [--rounds 3]

Needs the train extra (the fused file is converted from the bundle's model.keras).
Both bundles are the same except model.onnx; the single-text graph is switched off
so that single texts also run the batch graph (as texts shorter than its minimum do).
Prints, per variant: node count and bytes of model.onnx, the largest score difference
from the lean file, throughput of predict_proba over the test reviews, and the median
latency of predict(text) one review at a time; rounds alternate the order.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from edge_sentiment import SentimentClassifier, load_bundle
from edge_sentiment.constants import MANIFEST_NAME

from bench import DEFAULT_DATA


def fused_copy(bundle, folder: Path) -> Path:
    """A copy of ``bundle`` whose model.onnx is the fused conversion of its model.keras."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import json

    from edge_sentiment_export.config import TrainingConfig
    from edge_sentiment_export.model import load_keras_model
    from edge_sentiment_export.onnx_graphs import to_onnx

    shutil.copytree(bundle.path, folder)
    config = TrainingConfig(**bundle.manifest.training.config)
    to_onnx(load_keras_model(bundle.file("keras")), config, folder / "model.onnx", variant="fused")
    data = (folder / "model.onnx").read_bytes()
    manifest = json.loads((folder / MANIFEST_NAME).read_text())
    manifest["files"]["onnx"].update(sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))
    manifest["model"]["onnx_graph"] = "fused"
    (folder / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2))
    return folder


def without_single_text_graph(path: Path):
    bundle = load_bundle(path)
    return replace(bundle, io=replace(bundle.io, single_text_min_steps=None))


def node_count(path: Path) -> int:
    import onnx

    return len(onnx.load(str(path)).graph.node)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--reviews", type=int, default=2000, help="reviews scored one per call")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from edge_sentiment_export.data import load_imdb

    texts = load_imdb(args.data, splits=("test",)).test.texts
    sample = [texts[i] for i in np.random.default_rng(0).choice(len(texts), args.reviews, replace=False)]
    lean = load_bundle(args.model)
    print(f"machine: {os.cpu_count()} cores, load average at start {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        paths = {"lean": lean.path, "fused": fused_copy(lean, Path(tmp) / "fused")}
        classifiers = {name: SentimentClassifier(without_single_text_graph(p)) for name, p in paths.items()}
        reference = classifiers["lean"].predict_proba(texts)
        throughput = {name: [] for name in classifiers}
        latency = {name: [] for name in classifiers}
        for round_number in range(args.rounds):
            order = list(classifiers) if round_number % 2 == 0 else list(reversed(classifiers))
            for name in order:
                start = time.perf_counter()
                classifiers[name].predict_proba(texts)
                throughput[name].append(len(texts) / (time.perf_counter() - start))
            for text in sample:
                for name in order:
                    start = time.perf_counter()
                    classifiers[name].predict(text)
                    latency[name].append(time.perf_counter() - start)
        for name, clf in classifiers.items():
            onnx_file = paths[name] / "model.onnx"
            diff = float(np.abs(clf.predict_proba(texts) - reference).max())
            print(f"{name:5}  nodes {node_count(onnx_file):3}  bytes {onnx_file.stat().st_size:9,}  "
                  f"max |score - lean| {diff:.2e}  predict_proba {statistics.median(throughput[name]):8,.0f} reviews/s  "
                  f"predict(text) median {statistics.median(latency[name]) * 1e6:6.1f} µs "
                  f"({len(texts):,} reviews x {args.rounds} rounds; {len(sample):,} x {args.rounds} one per call)")


if __name__ == "__main__":
    main()
