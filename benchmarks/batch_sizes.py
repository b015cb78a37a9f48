"""Batch throughput by batch size: ``predict_proba`` on batches of 500 to 5,000 texts of a file.

    python benchmarks/batch_sizes.py TEXTS.tsv BUNDLE... [--sizes 500,1000,2000,5000] [--backends onnx,numpy] [--rounds 5]

Each bundle is loaded and first scores every text of the file once (its subword table then holds
their words, as a long-running process's would). A round then times, for every size, one call on
each of the file's consecutive batches of that size (at most 10,000 texts a size, so the same
texts are not scored twice in a row and the CPU's caches do not flatter small batches). Rounds
alternate the models and sizes so the machine's noise falls on all; each line is the median
texts/s over the rounds, as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from own_data import read_tsv  # noqa: E402

#: Texts timed per size and round (consecutive batches of the file, never one batch twice in a row).
TEXTS_PER_SIZE = 10_000


def _batches(texts: list[str], size: int) -> list[list[str]]:
    count = max(1, min(TEXTS_PER_SIZE, len(texts)) // size)
    return [texts[start : start + size] for start in range(0, count * size, size)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("texts", type=Path)
    parser.add_argument("bundles", nargs="+", type=Path)
    parser.add_argument("--sizes", default="500,1000,2000,5000")
    parser.add_argument("--backends", default="onnx")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    from edge_sentiment import TextClassifier

    texts = [" ".join(text.split()) for text in read_tsv(args.texts)[0]]
    sizes = [int(size) for size in args.sizes.split(",")]
    if max(sizes) > len(texts):
        parser.error(f"{args.texts} has {len(texts)} texts, fewer than the largest batch size {max(sizes)}")
    models = {}
    for bundle in args.bundles:
        for backend in args.backends.split(","):
            classifier = TextClassifier.load(bundle, backend=backend)
            classifier.predict_proba(texts)
            models[f"{bundle} ({backend})"] = classifier
    seconds: dict[tuple[str, int], list[float]] = {}
    for _ in range(args.rounds):
        for name, classifier in models.items():
            for size in sizes:
                batches = _batches(texts, size)
                started = time.perf_counter()
                for batch in batches:
                    classifier.predict_proba(batch)
                seconds.setdefault((name, size), []).append((time.perf_counter() - started) / sum(map(len, batches)))
    for name in models:
        print(json.dumps({"model": name, "texts_per_s": {size: round(1 / statistics.median(seconds[name, size])) for size in sizes},
                          "load": round(os.getloadavg()[0], 2)}), flush=True)


if __name__ == "__main__":
    main()
