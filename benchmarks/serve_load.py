"""Load test of ``edge-sentiment serve`` on loopback, against the classifier in-process.

    python benchmarks/serve_load.py [--model DIR] [--requests 2000] [--soak 600]

Starts the real server on a free port, then, with an asyncio HTTP client (aiohttp, keep-alive
connections), sends 1 text per request from 1, 8 and 64 concurrent clients and 64 texts per
request from 1 and 8 clients; each scenario sends ``--requests`` requests (bounded in count)
and stops after ``--max-seconds`` (bounded in time). Prints, per scenario, p50/p99 latency,
texts/s and the server's CPU time per request, and the same for in-process calls: ``predict(text)`` one at a time, and
``predict_proba`` on 64 texts at a time. The client shares the machine's cores with the server.
With ``--soak S`` it then keeps 8 clients busy for S seconds and samples the server's resident
memory every 10 s (VmRSS from /proc): the series, and the growth from the first sample after
warm-up to the last. Texts: the bundle's conformance texts (real review sentences; those UTF-8 cannot carry left out).
Every figure is one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def start_server(model: str | None, *args: str) -> tuple[subprocess.Popen, str]:
    command = [sys.executable, "-m", "edge_sentiment", "serve", "--port", "0", *args]
    if model:
        command += ["--model", model]
    process = subprocess.Popen(command, stderr=subprocess.PIPE)
    while True:
        line = process.stderr.readline().decode()
        if not line:
            raise SystemExit(f"the server exited: {process.wait()}")
        found = re.search(r"on (http://\S+:\d+) ", line)
        if found:
            break
    import threading

    threading.Thread(target=lambda: [None for _ in process.stderr], daemon=True).start()
    return process, found.group(1)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary(name: str, latencies: list[float], texts: int, seconds: float, **extra) -> dict:
    return {"scenario": name, "requests": len(latencies), "p50_ms": round(1000 * percentile(latencies, 0.5), 3),
            "p99_ms": round(1000 * percentile(latencies, 0.99), 3), "texts_per_s": round(texts / seconds, 1),
            "seconds": round(seconds, 2), **extra}


async def http_scenario(url: str, texts: list[str], clients: int, per_request: int, requests: int,
                        max_seconds: float) -> dict:
    import aiohttp

    latencies: list[float] = []
    failures = 0
    counter = iter(range(requests))
    deadline = time.perf_counter() + max_seconds
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(url, connector=connector) as session:
        async with session.post("/v1/predict", json={"text": "warm up"}) as response:
            await response.read()

        async def one_client(offset: int) -> None:
            nonlocal failures
            for i in counter:
                if time.perf_counter() > deadline:
                    return
                start = (i * per_request + offset) % len(texts)
                chunk = (texts * 2)[start : start + per_request]
                body = {"text": chunk[0]} if per_request == 1 else {"texts": chunk}
                began = time.perf_counter()
                async with session.post("/v1/predict", json=body) as response:
                    await response.read()
                latencies.append(time.perf_counter() - began)
                failures += response.status != 200

        began = time.perf_counter()
        await asyncio.gather(*(one_client(c) for c in range(clients)))
        seconds = time.perf_counter() - began
    return summary(f"http {per_request} text{'s' if per_request > 1 else ''}/request, {clients} client"
                   f"{'s' if clients > 1 else ''}", latencies, len(latencies) * per_request, seconds, failures=failures)


def in_process(model: str | None, texts: list[str], requests: int) -> list[dict]:
    from edge_sentiment import SentimentClassifier

    classifier = SentimentClassifier.load(model)
    classifier.predict("warm up")
    results = []
    latencies = []
    began = time.perf_counter()
    for i in range(requests):
        start = time.perf_counter()
        classifier.predict(texts[i % len(texts)])
        latencies.append(time.perf_counter() - start)
    results.append(summary("in-process predict(text), 1 thread", latencies, requests, time.perf_counter() - began))
    latencies = []
    began = time.perf_counter()
    for i in range(requests // 8):
        start = time.perf_counter()
        classifier.predict_proba((texts * 2)[(i * 64) % len(texts) :][:64])
        latencies.append(time.perf_counter() - start)
    results.append(summary("in-process predict_proba(64 texts), 1 thread", latencies, 64 * len(latencies),
                           time.perf_counter() - began))
    return results


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its threads so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def soak(url: str, pid: int, texts: list[str], seconds: float) -> dict:
    samples = []

    async def sampler() -> None:
        began = time.perf_counter()
        while time.perf_counter() - began < seconds:
            samples.append((round(time.perf_counter() - began), round(rss_mib(pid), 1)))
            await asyncio.sleep(10)

    load = asyncio.create_task(http_scenario(url, texts, 8, 1, 10**9, seconds))
    await sampler()
    result = await load
    warm = samples[1][1] if len(samples) > 1 else samples[0][1]
    return {"scenario": f"soak: 8 clients, 1 text/request, {seconds:g} s", "requests": result["requests"],
            "failures": result["failures"], "texts_per_s": result["texts_per_s"], "rss_mib": samples,
            "growth_after_warmup_mib": round(samples[-1][1] - warm, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--max-seconds", type=float, default=60)
    parser.add_argument("--soak", type=float, default=0)
    parser.add_argument("--server-args", default="", help="more options for serve, e.g. '--batch-wait-ms 0'")
    options = parser.parse_args()
    from edge_sentiment.bundle import load_bundle
    from edge_sentiment.conformance import read_cases

    texts = [case["text"] for case in read_cases(load_bundle(options.model))]
    texts = [text for text in texts if text.isprintable() or text.encode("utf-8", "ignore").decode() == text]
    print(json.dumps({"machine": {"cpus": os.cpu_count(), "load_1min_before": os.getloadavg()[0]},
                      "texts": len(texts), "server_args": options.server_args}), flush=True)
    for result in in_process(options.model, texts, options.requests):
        print(json.dumps(result), flush=True)
    process, url = start_server(options.model, *options.server_args.split())
    try:
        for clients, per_request in ((1, 1), (8, 1), (64, 1), (1, 64), (8, 64)):
            requests = options.requests if per_request == 1 else max(1, options.requests // 8)
            cpu_before = cpu_seconds(process.pid)
            result = asyncio.run(http_scenario(url, texts, clients, per_request, requests, options.max_seconds))
            result["server_cpu_ms_per_request"] = round(1000 * (cpu_seconds(process.pid) - cpu_before) / result["requests"], 3)
            print(json.dumps(result), flush=True)
        print(json.dumps({"server_rss_mib": round(rss_mib(process.pid), 1), "load_1min_after": os.getloadavg()[0]}),
              flush=True)
        if options.soak:
            print(json.dumps(asyncio.run(soak(url, process.pid, texts, options.soak))), flush=True)
    finally:
        process.terminate()
        print(json.dumps({"server_exit_status": process.wait(60)}), flush=True)


if __name__ == "__main__":
    main()
