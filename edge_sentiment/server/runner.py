"""Starting the server: the bundle is loaded (and checked) before a socket is opened, the
socket is bound here (so a busy port is a one-line error, and ``--port 0`` picks a free
one), then uvicorn serves, in this process or in ``workers`` processes."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import sys
import tempfile

from ..errors import EdgeSentimentError
from .settings import ServeSettings

log = logging.getLogger("edge_sentiment.server")


def serve(settings: ServeSettings, announce=lambda line: print(line, file=sys.stderr, flush=True)) -> None:
    """Serve until SIGTERM or Ctrl-C, then stop accepting, finish the requests in flight (at most
    ``settings.shutdown_timeout`` seconds) and return. Raises :class:`EdgeSentimentError` for a
    bundle that does not load or an address that cannot be bound: nothing is served then."""
    import uvicorn

    from ..classifier import SentimentClassifier
    from .app import create_app

    classifier = SentimentClassifier.load(settings.model, backend=settings.backend)
    sock = _bind(settings.host, settings.port)
    host, port = sock.getsockname()[:2]
    where = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    announce(f"serving {classifier.bundle.manifest.name} ({', '.join(classifier.labels)}) on {where} "
             f"with {settings.workers} worker{'s' if settings.workers > 1 else ''}; stop with Ctrl-C or SIGTERM")
    options = dict(
        host=host, port=port, log_level=settings.log_level, access_log=settings.access_log,
        limit_concurrency=settings.max_connections, timeout_graceful_shutdown=settings.shutdown_timeout,
        lifespan="on", server_header=False, http="edge_sentiment.server.protocol:HeadTimeoutProtocol",
    )
    with _stop_signals_end_quietly():
        if settings.workers == 1:
            server = uvicorn.Server(uvicorn.Config(create_app(classifier, settings), **options))
            server.run(sockets=[sock])
            if not server.started:
                raise EdgeSentimentError("the server did not start (see the lines above)")
            return
        classifier.close()  # each worker loads its own copy; this one only proved the bundle loads
        del classifier
        _serve_in_processes(settings, sock, options)


def _serve_in_processes(settings: ServeSettings, sock: socket.socket, options: dict) -> None:
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    metrics_dir = tempfile.mkdtemp(prefix="edge-sentiment-metrics-")  # the workers' shared metrics (ours)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    settings.to_environment()
    try:
        config = uvicorn.Config("edge_sentiment.server.app:app_from_environment", factory=True,
                                workers=settings.workers, **options)
        Multiprocess(config, sockets=[sock]).run()
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)


def _bind(host: str, port: int) -> socket.socket:
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror as exc:
        raise EdgeSentimentError(f"--host {host}: not an address of this machine ({exc.strerror})") from None
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on connections of a socket that says it is
    # TCP; without it Nagle's algorithm holds each response's body until the client's delayed ACK (~40 ms).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        fix = "choose another --port, or stop what listens there" if exc.errno == 98 else "check --host and --port"
        raise EdgeSentimentError(f"cannot listen on {host}:{port}: {exc.strerror}; {fix}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class _stop_signals_end_quietly:
    """uvicorn handles SIGTERM and Ctrl-C itself (a graceful stop) and raises the signal again
    once stopped; here that second delivery only ends the call: a stopped server exits 0."""

    def __enter__(self) -> None:
        self._previous = {number: signal.signal(number, lambda signum, frame: None)
                          for number in (signal.SIGINT, signal.SIGTERM)}

    def __exit__(self, *exc_info) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)
