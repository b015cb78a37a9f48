"""``edge-sentiment serve``: the HTTP API (the ``serve`` extra: FastAPI, uvicorn, prometheus-client).

:func:`serve` runs it; :func:`create_app` builds the ASGI application for a classifier, to run
under another ASGI server or inside a test."""

from __future__ import annotations

from ..errors import MissingExtraError

try:
    import fastapi  # noqa: F401
    import prometheus_client  # noqa: F401
    import uvicorn  # noqa: F401
except ImportError as exc:
    raise MissingExtraError(f"serving over HTTP needs {exc.name}: pip install 'edge-sentiment[serve]'") from None

from .app import create_app  # noqa: E402
from .runner import serve  # noqa: E402
from .settings import ServeSettings  # noqa: E402

__all__ = ["ServeSettings", "create_app", "serve"]
