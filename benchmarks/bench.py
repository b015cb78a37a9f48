"""Speed and memory of edge-sentiment, measured in one run on the same reviews.

    python benchmarks/bench.py [--model DIR] [--data ../shared/data/aclImdb_v1_labeled.tar.gz]

Prints: single-text text->score latency (median, p99) over 2,000 test reviews;
model-only single-text latency per backend (for onnx also the batch graph alone,
and the single-text graph fed the review's ids as predict(text) does); batch
throughput over all 25,000 test reviews, in one process and with tokenizing in
worker processes (one per core); a fresh `edge-sentiment predict "great film"`
process (wall time, peak RSS); and, when TensorFlow is installed, Keras `predict`
and tf2onnx's unfused Loop graph on the same reviews, as ratios to the onnx backend.
Results are medians: this kind of machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from edge_sentiment import SentimentClassifier, load_bundle
from edge_sentiment.backends import available_backends, load_backend
from edge_sentiment.encoding import Encoder

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "aclImdb_v1_labeled.tar.gz"


def percentiles_us(samples: list[float]) -> tuple[float, float]:
    values = np.array(samples) * 1e6
    return float(np.median(values)), float(np.percentile(values, 99))


def time_each(fn, items, warmup: int = 50) -> list[float]:
    for item in items[:warmup]:
        fn(item)
    out = []
    for item in items:
        start = time.perf_counter()
        fn(item)
        out.append(time.perf_counter() - start)
    return out



#: Runs a command and prints its peak RSS in KiB. Measuring from this small
#: process matters: a child forked from a large parent (a test runner, a
#: benchmark holding 25k reviews) starts as a copy of it, and ru_maxrss would
#: report the parent's size instead of the command's.
PEAK_RSS_LAUNCHER = """
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
err = proc.stderr.read()
_, status, usage = os.wait4(proc.pid, 0)
sys.stderr.buffer.write(err)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""


def fresh_process(runs: int = 11) -> tuple[float, float]:
    """Median wall seconds and peak RSS (MiB) of `edge-sentiment predict "great film"`."""
    exe = shutil.which("edge-sentiment", path=os.path.dirname(sys.executable)) or "edge-sentiment"
    walls = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([exe, "predict", "great film"], stdout=subprocess.DEVNULL, check=True)
        walls.append(time.perf_counter() - start)
    rss = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", PEAK_RSS_LAUNCHER, exe, "predict", "great film"], capture_output=True, text=True)
        rss.append(int(out.stdout.split()[1]) / 1024)  # Linux reports KiB
    return statistics.median(walls), statistics.median(rss)


def tensorflow_comparison(bundle, rows: np.ndarray, fused_us: float) -> list[str]:
    try:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import onnxruntime as ort

        from edge_sentiment_export.config import TrainingConfig
        from edge_sentiment_export.onnx_graphs import to_onnx
        from edge_sentiment_export.model import load_keras_model
    except ImportError:
        return ["tensorflow: not installed, Keras and unfused tf2onnx comparisons skipped"]
    model = load_keras_model(bundle.file("keras"))
    keras_times = time_each(lambda r: model.predict(r[None], verbose=0), list(rows[:200]), warmup=10)
    config = TrainingConfig(**bundle.manifest.training.config)
    with tempfile.TemporaryDirectory() as tmp:
        unfused = to_onnx(model, config, Path(tmp) / "unfused.onnx", variant="as-converted")
        session = ort.InferenceSession(str(unfused), providers=["CPUExecutionProvider"])
        loop_times = time_each(lambda r: session.run(None, {"ids": r[None]}), list(rows[:500]), warmup=20)
    keras_us, loop_us = percentiles_us(keras_times)[0], percentiles_us(loop_times)[0]
    return [
        f"keras model.predict, one review      median {keras_us:10.1f} µs  ({keras_us / fused_us:7.1f}x the ONNX model)",
        f"tf2onnx unfused Loop graph, one review median {loop_us:8.1f} µs  ({loop_us / fused_us:7.1f}x the ONNX model)",
    ]


def _model_label(backend: str) -> str:
    return f"model only, one review, {backend:17} "


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="bundle directory (default: the shipped model)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="aclImdb tarball or folder")
    parser.add_argument("--reviews", type=int, default=2000, help="reviews for the single-text latencies")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of every latency measurement")
    args = parser.parse_args()

    from edge_sentiment_export.data import load_imdb  # TensorFlow-free

    test = load_imdb(args.data, splits=("test",)).test
    rng = np.random.default_rng(0)
    sample = [test.texts[i] for i in rng.choice(len(test), size=args.reviews, replace=False)]
    bundle = load_bundle(args.model)
    clf = SentimentClassifier(bundle)
    encoder = Encoder(bundle.vocab, bundle.encoding)
    rows = encoder.encode(sample)

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.processor() or 'cpu'}; "
          f"load average at start {os.getloadavg()[0]:.2f}; python {platform.python_version()}")
    print(f"model: {bundle.path} ({bundle.manifest.name}), maxlen {bundle.io.maxlen}, "
          f"{len(sample)} test reviews for latencies, {len(test)} for throughput")

    # Every latency is measured in `--rounds` interleaved rounds: a slow spell on a
    # shared machine then lands on all of them alike instead of on one line.
    predictors = {name: load_backend(name, bundle) for name in available_backends(bundle)}
    if bundle.io.single_text_min_steps is not None:  # the onnx line above runs model.single.onnx
        batch_graph_only = replace(bundle, io=replace(bundle.io, single_text_min_steps=None))
        predictors["onnx, batch graph"] = load_backend("onnx", batch_graph_only)
    measures = {
        "text -> score, one review per call         ": (clf.predict, sample),
        "  of which text -> ids                     ": (lambda t: encoder.encode([t]), sample),
        # "onnx": as the classifier scores one row (the one-text graph where the bundle has one).
        **{_model_label(name): (lambda r, p=(clf.score_ids if name == "onnx" else p): p(r[None]), list(rows))
           for name, p in predictors.items()},
    }
    if predictors["onnx"].one is not None:  # what predict(text) calls: the review's ids, unpadded
        kept = [ids for ids in map(encoder.kept_array, sample) if len(ids) >= predictors["onnx"].one_min_steps]
        measures[_model_label("onnx, unpadded ids")] = (predictors["onnx"].one, kept)
    samples: dict[str, list[float]] = {label: [] for label in measures}
    for _ in range(args.rounds):
        for label, (fn, items) in measures.items():
            samples[label] += time_each(fn, items)
    for label, values in samples.items():
        med, p99 = percentiles_us(values)
        print(f"{label}  median {med:8.1f} µs   p99 {p99:8.1f} µs")
    fused_us = percentiles_us(samples[_model_label("onnx")])[0]

    start = time.perf_counter()
    clf.predict_proba(test.texts)
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    all_rows = encoder.encode(test.texts)
    encode_seconds = time.perf_counter() - start
    print(f"batch, all {len(test)} test reviews, text -> score: {len(test) / seconds:10,.0f} reviews/s ({seconds:.2f} s; "
          f"text -> ids alone {len(test) / encode_seconds:,.0f} reviews/s)")
    for workers in range(2, (os.cpu_count() or 1) + 1):
        with SentimentClassifier(bundle, workers=workers) as pooled:
            calls = []
            for _ in range(2):  # the first call also starts the worker processes
                start = time.perf_counter()
                pooled.predict_proba(test.texts)
                calls.append(time.perf_counter() - start)
        print(f"batch, same, tokenizing in {workers} worker processes: {len(test) / calls[1]:10,.0f} reviews/s ({calls[1]:.2f} s; "
              f"first call, starting them: {calls[0]:.2f} s)")
    onnx = load_backend("onnx", bundle)
    start = time.perf_counter()
    for i in range(0, len(all_rows), 1024):
        onnx(all_rows[i : i + 1024])
    print(f"batch, model only (onnx, 1024 per call): {len(test) / (time.perf_counter() - start):10,.0f} reviews/s")

    wall, rss = fresh_process()
    print(f"fresh process `edge-sentiment predict \"great film\"`: median {wall:.3f} s wall, {rss:.1f} MiB peak RSS")
    for line in tensorflow_comparison(bundle, rows, fused_us):
        print(line)
    print(f"load average at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
