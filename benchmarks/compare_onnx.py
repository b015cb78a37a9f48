"""Interleaved A/B timing of ONNX model files on the same reviews (one review per call).

    python benchmarks/compare_onnx.py OLD.onnx NEW.onnx [...] [--model DIR] [--data TARBALL]

Each file is run over the same 2,000 test reviews, encoded with the bundle's
vocabulary (``--model``, default: the shipped one) and trimmed of leading
padding as the runtime does (a file with a 1-D input, a single-text graph,
gets the row's ids without padding); every file scores the same review back to
back (in alternating order), so a noisy machine slows all of them alike. The
files must take the bundle's input.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

from edge_sentiment import load_bundle
from edge_sentiment.backends import trim_leading_padding
from edge_sentiment.backends.onnx import session_options
from edge_sentiment.constants import PAD_ID
from edge_sentiment.encoding import Encoder

from bench import DEFAULT_DATA


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--model", type=Path, default=None, help="bundle whose encoding to use (default: the shipped model)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from edge_sentiment_export.data import load_imdb  # TensorFlow-free

    bundle = load_bundle(args.model)
    test = load_imdb(args.data, splits=("test",)).test
    picks = np.random.default_rng(0).choice(len(test), size=2000, replace=False)
    rows = [trim_leading_padding(r[None]) for r in Encoder(bundle.vocab, bundle.encoding).encode([test.texts[i] for i in picks])]
    sessions = {str(f): ort.InferenceSession(str(f), session_options()) for f in args.files}
    times: dict[str, list[float]] = {name: [] for name in sessions}
    names = {name: (s.get_inputs()[0].name, s.get_outputs()[0].name) for name, s in sessions.items()}
    one_dimensional = {name for name, s in sessions.items() if len(s.get_inputs()[0].shape) == 1}
    unpadded = [row[0][row[0] != PAD_ID] for row in rows]
    for round_number in range(args.rounds):
        order = list(sessions) if round_number % 2 == 0 else list(reversed(sessions))
        for x, ids in zip(rows, unpadded):  # every file on the same review back to back, in alternating order
            for name in order:
                input_name, output_name = names[name]
                feed = {input_name: ids if name in one_dimensional else x}
                start = time.perf_counter()
                sessions[name].run([output_name], feed)
                times[name].append(time.perf_counter() - start)
    for name, values in times.items():
        us = np.array(values) * 1e6
        print(f"{name}: median {np.median(us):7.1f} µs   p99 {np.percentile(us, 99):7.1f} µs   ({len(values)} calls)")


if __name__ == "__main__":
    main()
