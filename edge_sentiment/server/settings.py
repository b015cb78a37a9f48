"""What ``edge-sentiment serve`` was asked for: one dataclass, handed to each worker process
through the environment (uvicorn starts workers by importing the app by name)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass

#: The environment variable that carries the settings to worker processes.
SETTINGS_VARIABLE = "EDGE_SENTIMENT_SERVE_SETTINGS"


@dataclass(frozen=True)
class ServeSettings:
    """Options of the HTTP server (the CLI's ``serve --help`` explains each)."""

    model: str | None = None  # bundle directory; None: the model shipped with the package
    backend: str = "onnx"
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1
    #: Largest request body, in bytes (413 beyond it).
    max_body_bytes: int = 4 * 1024 * 1024
    #: Most texts in one request (413 beyond it).
    max_texts: int = 1000
    #: Micro-batching: texts scored together at most, and how long the first request of a batch waits for others.
    batch_texts: int = 256
    batch_wait_ms: float = 0.0
    #: Texts waiting to be scored at most; more are refused with 503 (the server is overloaded).
    max_queued_texts: int = 20_000
    #: Seconds a request may wait for its scores (504 after), and for its body to arrive (408 after; a new
    #: connection's first request head: closed after).
    timeout: float = 30.0
    read_timeout: float = 10.0
    #: Seconds SIGTERM waits for requests in flight before cancelling them.
    shutdown_timeout: float = 20.0
    #: Open connections at most; more are answered 503.
    max_connections: int = 1000
    access_log: bool = False
    log_level: str = "info"

    def to_environment(self) -> None:
        os.environ[SETTINGS_VARIABLE] = json.dumps(asdict(self))

    @classmethod
    def from_environment(cls) -> ServeSettings:
        return cls(**json.loads(os.environ[SETTINGS_VARIABLE]))
