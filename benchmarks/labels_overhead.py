"""Does N-label support cost the binary default model anything? predict(text) latency and
predict_proba throughput of two checkouts of the runtime, measured in one run, interleaved.

    python benchmarks/labels_overhead.py OLD_CHECKOUT [--data ../shared/data/aclImdb_v1_labeled.tar.gz]

OLD_CHECKOUT is a folder holding another version's ``edge_sentiment`` package (e.g. made with
``git worktree add /tmp/before 5358c26``); this checkout is the other side. Each round runs
both in fresh processes on the same test reviews (shipped model, onnx backend): the median
single-text latency over ``--reviews`` texts and the texts/s of one ``predict_proba`` over all
25,000. Rounds alternate old/new so machine noise falls on both.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
DEFAULT_DATA = HERE.parent / "shared" / "data" / "aclImdb_v1_labeled.tar.gz"

MEASURE = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
import edge_sentiment
from edge_sentiment import SentimentClassifier
from edge_sentiment_export.data import load_imdb
texts = load_imdb(sys.argv[2], splits=("test",)).test.texts
clf = SentimentClassifier.load()
sample = texts[:: len(texts) // int(sys.argv[3])][: int(sys.argv[3])]
for text in sample[:50]:
    clf.predict(text)
latencies = []
for text in sample:
    start = time.perf_counter()
    clf.predict(text)
    latencies.append(time.perf_counter() - start)
start = time.perf_counter()
clf.predict_proba(texts)
seconds = time.perf_counter() - start
latencies.sort()
print(json.dumps({"package": edge_sentiment.__file__, "median_us": latencies[len(latencies) // 2] * 1e6,
                  "p99_us": latencies[int(len(latencies) * 0.99)] * 1e6, "texts_per_s": len(texts) / seconds}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--reviews", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results = {"old": [], "new": []}
    for _ in range(args.rounds):
        for side, root in (("old", args.old), ("new", HERE)):
            out = subprocess.run([sys.executable, "-c", MEASURE, str(root), str(args.data), str(args.reviews)],
                                 capture_output=True, text=True, check=True).stdout
            results[side].append(json.loads(out.splitlines()[-1]))
    for side, runs in results.items():
        print(f"{side}: {runs[0]['package']}")
        for key in ("median_us", "p99_us", "texts_per_s"):
            values = [run[key] for run in runs]
            print(f"  {key:12} median of {len(values)} rounds {statistics.median(values):10.1f}  (rounds: "
                  + ", ".join(f"{v:.1f}" for v in values) + ")")


if __name__ == "__main__":
    main()
