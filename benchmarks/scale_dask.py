"""Scoring at scale with Dask against in-process ``predict_proba``, on the same machine and texts.

    python benchmarks/scale_dask.py [--texts 200000] [--partitions 16] [--model DIR]

Writes ``--texts`` texts (IMDB test reviews, whole, when ../shared/data has
them, else the bundle's conformance texts repeated) to Parquet in a temporary folder, then
measures texts/s of: ``predict_proba`` on the whole list in this process (workers=1), and the
Dask recipe (read Parquet, ``map_partitions(score_frame)``, write Parquet) on a LocalCluster of
1 and 2 worker processes (1 thread each), cluster start-up excluded, the bundle's first load
included. One JSON line per measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
IMDB = REPO.parent / "shared" / "data" / "aclImdb_v1_labeled.tar.gz"


def texts_for(count: int, model: str | None) -> tuple[list[str], str]:
    if IMDB.is_file():
        sys.path.insert(0, str(REPO / "export"))
        from edge_sentiment_export.data import load_imdb

        reviews = load_imdb(IMDB, splits=("test",)).test.texts
        source = "IMDB test reviews"
    else:
        from edge_sentiment.bundle import load_bundle
        from edge_sentiment.conformance import read_cases

        reviews = [case["text"] for case in read_cases(load_bundle(model))]
        source = "conformance texts"
    return [reviews[i % len(reviews)] for i in range(count)], source


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", type=int, default=200_000)
    parser.add_argument("--partitions", type=int, default=16)
    parser.add_argument("--model", default=None)
    options = parser.parse_args()

    import dask.dataframe as dd
    import distributed
    import pandas as pd

    from edge_sentiment import SentimentClassifier
    from edge_sentiment.frames import score_frame

    texts, source = texts_for(options.texts, options.model)
    print(json.dumps({"machine": {"cpus": os.cpu_count(), "load_1min": os.getloadavg()[0]}, "texts": len(texts),
                      "source": source, "partitions": options.partitions}), flush=True)
    began = time.perf_counter()
    SentimentClassifier.load(options.model).predict_proba(texts)
    seconds = time.perf_counter() - began
    print(json.dumps({"run": "in-process predict_proba", "seconds": round(seconds, 2),
                      "texts_per_s": round(len(texts) / seconds)}), flush=True)
    with tempfile.TemporaryDirectory() as folder:
        source_path = Path(folder) / "texts"
        dd.from_pandas(pd.DataFrame({"id": range(len(texts)), "text": texts}),
                       npartitions=options.partitions).to_parquet(source_path)
        for workers in (1, 2):
            with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                          dashboard_address=None) as cluster, distributed.Client(cluster):
                began = time.perf_counter()
                scored = dd.read_parquet(source_path).map_partitions(score_frame, "text", model=options.model)
                scored.to_parquet(Path(folder) / f"scored-{workers}")
                seconds = time.perf_counter() - began
            print(json.dumps({"run": f"dask, {workers} worker process{'es' if workers > 1 else ''}",
                              "seconds": round(seconds, 2), "texts_per_s": round(len(texts) / seconds),
                              "load_1min": os.getloadavg()[0]}), flush=True)


if __name__ == "__main__":
    main()
