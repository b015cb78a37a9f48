"""The JavaScript runtime against the Python one, in one run: Node's single-text latency next
to Python's on the same reviews, and what a browser page downloads and how soon it answers.

    python benchmarks/js_runtime.py [--data TARBALL] [--reviews 2000]

Needs Node with `npm ci` in js/, and for the browser part Playwright and a system Chromium.
Latency: `predict(text)` one review per call (text -> label and score, the one-text graph),
median and p99 over the same test reviews, Python first then Node, 3 rounds each. Browser: the
demo page served by js/scripts/serve.js, cold cache: bytes of every response (and gzip-compressed,
as a server that compresses would send them), time to the model being ready, first prediction.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import socket
import statistics
import subprocess
import time
from pathlib import Path

import numpy as np

from edge_sentiment import SentimentClassifier

from bench import DEFAULT_DATA

REPO = Path(__file__).resolve().parent.parent
NODE_LATENCY = """
import { SentimentClassifier } from './src/index.js'; import fs from 'node:fs';
const texts = JSON.parse(fs.readFileSync(0, 'utf8'));
const clf = await SentimentClassifier.load('../artifacts/default');
for (const t of texts.slice(0, 50)) await clf.predict(t);
const times = [];
for (let round = 0; round < 3; round++) for (const t of texts) {
  const start = process.hrtime.bigint(); await clf.predict(t); times.push(Number(process.hrtime.bigint() - start) / 1e3);
}
console.log(JSON.stringify(times));
"""


def summary(us: list[float]) -> str:
    return f"median {statistics.median(us):7.1f} µs   p99 {np.percentile(us, 99):7.1f} µs"


def python_latency(texts: list[str]) -> list[float]:
    clf = SentimentClassifier.load()
    for t in texts[:50]:
        clf.predict(t)
    times = []
    for _ in range(3):
        for t in texts:
            start = time.perf_counter()
            clf.predict(t)
            times.append((time.perf_counter() - start) * 1e6)
    return times


def node_latency(texts: list[str]) -> list[float]:
    out = subprocess.run(["node", "--input-type=module", "-e", NODE_LATENCY], input=json.dumps(texts), text=True,
                         capture_output=True, cwd=REPO / "js", check=True)
    return json.loads(out.stdout)


def browser_figures() -> list[str]:
    from playwright.sync_api import sync_playwright

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(["node", str(REPO / "js" / "scripts" / "serve.js"), "--port", str(port)], stdout=subprocess.PIPE, text=True)
    server.stdout.readline()
    lines = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), args=["--no-sandbox"])
            page = browser.new_page()
            sizes: dict[str, tuple[int, int]] = {}
            page.on("response", lambda r: sizes.__setitem__(r.url, _sizes(r.url, port)))
            start = time.perf_counter()
            page.goto(f"http://127.0.0.1:{port}/js/demo/")
            page.wait_for_function("document.body.dataset.ready === 'yes'", timeout=300_000)
            ready = time.perf_counter() - start
            page.fill("#review", "not bad at all, a fun film")
            page.wait_for_function("document.getElementById('score').textContent !== ''", timeout=60_000)
            first = time.perf_counter() - start
            answer = page.text_content("#score")
            browser.close()
    finally:
        server.terminate()
    raw, packed = sum(s for s, _ in sizes.values()), sum(g for _, g in sizes.values())
    lines.append(f"browser (headless Chromium, demo page, cold cache): {len(sizes)} responses, {raw:,} bytes "
                 f"({packed:,} gzip-compressed)")
    for url, (size, gz) in sorted(sizes.items(), key=lambda kv: -kv[1][0])[:6]:
        lines.append(f"  {size:>12,} bytes ({gz:>10,} gzip)  {url.split(str(port))[-1]}")
    lines.append(f"  model ready {ready:.2f} s after navigation; first prediction on screen {first:.2f} s ({answer.strip()})")
    return lines


def _sizes(url: str, port: int) -> tuple[int, int]:
    """Bytes of the served file behind ``url`` (read from disk: a streamed .wasm has no body to ask for)."""
    path = REPO / url.split(f":{port}/", 1)[1].split("?")[0]
    if path.is_dir():
        path = path / "index.html"
    body = path.read_bytes() if path.is_file() else b""
    return len(body), len(gzip.compress(body, 6))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--reviews", type=int, default=2000)
    args = parser.parse_args()
    from edge_sentiment_export.data import load_imdb

    test = load_imdb(args.data, splits=("test",)).test.texts
    texts = [test[i] for i in np.random.default_rng(0).choice(len(test), args.reviews, replace=False)]
    print(f"machine: {os.cpu_count()} cores, load average at start {os.getloadavg()[0]:.2f}; node "
          f"{subprocess.run(['node', '--version'], capture_output=True, text=True).stdout.strip()}")
    print(f"python predict(text), {len(texts):,} test reviews x 3:  {summary(python_latency(texts))}")
    print(f"node   predict(text), same reviews x 3:        {summary(node_latency(texts))}")
    for line in browser_figures():
        print(line)
    print(f"load average at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
