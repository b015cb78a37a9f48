"""Prometheus metrics (``GET /metrics``, the Prometheus text format), with prometheus_client.

With ``--workers`` N > 1 every worker process writes its figures to a shared folder
(prometheus_client's multiprocess mode, set up by the server before the workers start), so
whichever worker answers a scrape reports the whole server."""

from __future__ import annotations

import os
import time

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import CONTENT_TYPE_LATEST as CONTENT_TYPE
from prometheus_client.multiprocess import MultiProcessCollector

__all__ = ["CONTENT_TYPE", "Metrics", "RequestMetrics"]

#: Seconds: from a fraction of a millisecond (one text, idle) to the request timeout.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)


class Metrics:
    """The server's counters and histograms."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("edge_sentiment_requests", "HTTP requests answered, by route and status.",
                                ["route", "status"], registry=self.registry)
        self.errors = Counter("edge_sentiment_errors", "HTTP requests answered with a 4xx or 5xx status.",
                              ["route", "status"], registry=self.registry)
        self.latency = Histogram("edge_sentiment_request_duration_seconds", "Time from request to response, by route.",
                                 ["route"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.texts = Counter("edge_sentiment_texts_scored", "Texts scored.", registry=self.registry)
        self.batch = Histogram("edge_sentiment_batch_texts", "Texts per model call (micro-batching).",
                               buckets=BATCH_BUCKETS, registry=self.registry)

    def exposition(self) -> bytes:
        """The current figures in the Prometheus text format (every worker's, in multiprocess mode)."""
        if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)


class RequestMetrics:
    """ASGI middleware: every HTTP request is counted under its route (``other`` when none matched)
and status (499 when the client closed the connection before an answer was sent)."""

    def __init__(self, app, *, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # No answer sent: the client went away first (nginx's 499, "client closed request").
        started, status = time.perf_counter(), 499

        async def send_status(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        except Exception:
            status = 500  # (the server's error middleware answers it)
            raise
        finally:
            route = getattr(scope.get("route"), "path", "other")
            self.metrics.requests.labels(route, str(status)).inc()
            if status >= 400:
                self.metrics.errors.labels(route, str(status)).inc()
            self.metrics.latency.labels(route).observe(time.perf_counter() - started)
