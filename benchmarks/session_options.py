"""Measure onnxruntime session options on the shipped model, to choose the defaults.

    python benchmarks/session_options.py [--model DIR]

For each option set: session creation time, single-text latency (median of
2,000 calls) and batch throughput (1,024 rows per call), on random id rows
shaped like real reviews. Prints a table; the choice made from it lives in
edge_sentiment/backends/onnx.py.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

from edge_sentiment import load_bundle


def options(threads: int, level: ort.GraphOptimizationLevel, optimized_path: str | None = None) -> ort.SessionOptions:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = level
    if optimized_path:
        opts.optimized_model_filepath = optimized_path
    return opts


def measure(model_path: str, opts: ort.SessionOptions, single: np.ndarray, batch: np.ndarray) -> tuple[float, float, float]:
    start = time.perf_counter()
    session = ort.InferenceSession(model_path, opts, providers=["CPUExecutionProvider"])
    created = time.perf_counter() - start
    name = session.get_inputs()[0].name
    for row in single[:100]:
        session.run(None, {name: row[None]})
    times = []
    for row in single:
        t = time.perf_counter()
        session.run(None, {name: row[None]})
        times.append(time.perf_counter() - t)
    t = time.perf_counter()
    for _ in range(5):
        session.run(None, {name: batch})
    throughput = 5 * len(batch) / (time.perf_counter() - t)
    return created * 1e3, statistics.median(times) * 1e6, throughput


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, default=None)
    args = parser.parse_args()
    bundle = load_bundle(args.model)
    model_path = str(bundle.file("onnx"))
    rng = np.random.default_rng(0)
    maxlen, vocab = bundle.io.maxlen, bundle.io.vocab_size

    def rows(n: int) -> np.ndarray:
        out = np.zeros((n, maxlen), dtype=np.int32)
        for r in range(n):
            length = min(maxlen, int(rng.integers(50, 700)))  # IMDB: median ~170 tokens
            out[r, maxlen - length :] = rng.integers(3, vocab, size=length)
        return out

    single, batch = rows(2000), rows(1024)
    levels = {"basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC, "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL}
    print(f"{'threads':>7} {'graph opt':>9} {'create ms':>9} {'single µs':>9} {'batch rev/s':>11}")
    for threads in (1, 2, 0):
        for level_name, level in levels.items():
            created, single_us, throughput = measure(model_path, options(threads, level), single, batch)
            print(f"{threads or 'auto':>7} {level_name:>9} {created:9.1f} {single_us:9.1f} {throughput:11,.0f}")
    with tempfile.TemporaryDirectory() as tmp:
        saved = str(Path(tmp) / "optimized.onnx")
        ort.InferenceSession(model_path, options(1, levels["all"], saved), providers=["CPUExecutionProvider"])
        created, single_us, throughput = measure(saved, options(1, ort.GraphOptimizationLevel.ORT_DISABLE_ALL), single, batch)
        print(f"{1:>7} {'pre-saved':>9} {created:9.1f} {single_us:9.1f} {throughput:11,.0f}")


if __name__ == "__main__":
    main()
