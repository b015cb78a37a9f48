"""The HTTP API: a FastAPI application around one loaded classifier.

Routes: ``POST /v1/predict``, ``POST /v1/explain``, ``GET /v1/model``, ``GET /healthz``,
``GET /readyz``, ``GET /metrics`` and ``GET /openapi.json``. Errors are JSON objects
``{"error": "..."}`` whose message names the field or limit and the fix.
"""

from __future__ import annotations

import asyncio
import json
import signal
import threading
from collections.abc import Mapping
from contextlib import asynccontextmanager
from typing import Any, Union

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException

from .. import __version__
from ..classifier import SentimentClassifier, prediction_record
from .batching import MicroBatcher, Overloaded
from .limits import BodyLimits
from .metrics import CONTENT_TYPE, Metrics, RequestMetrics
from .schemas import Error, ExplainRequest, Explanation, PredictRequest, Prediction, Predictions, Status
from .settings import ServeSettings

ERRORS: dict[int | str, dict[str, Any]] = {status: {"model": Error} for status in (400, 408, 413, 422, 503, 504)}


class _State:
    """What the routes share: the classifier, the batcher, whether the server takes work."""

    def __init__(self, classifier: SentimentClassifier, settings: ServeSettings, metrics: Metrics) -> None:
        self.classifier, self.settings, self.metrics = classifier, settings, metrics
        self.batcher = MicroBatcher(
            classifier.predict_batch, max_texts=settings.batch_texts, wait=settings.batch_wait_ms / 1000,
            max_queued_texts=settings.max_queued_texts, on_batch=metrics.batch.observe,
        )
        self.ready = False
        self.draining = False


def create_app(classifier: SentimentClassifier, settings: ServeSettings) -> FastAPI:
    """The application serving ``classifier`` (loaded by the caller: a bundle that fails to
    load never gets as far as a server)."""
    from .protocol import HeadTimeoutProtocol

    HeadTimeoutProtocol.head_timeout = settings.read_timeout  # (in each worker process too)
    state = _State(classifier, settings, Metrics())

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        state.batcher.start()
        await state.batcher.score(["warm up"])  # the first call builds the session's kernels
        _mark_draining_on_stop(state)
        state.ready = True
        yield
        state.ready = False
        await state.batcher.stop()

    app = FastAPI(
        title="edge-sentiment", version=__version__, lifespan=lifespan,
        description="Text classification with an edge-sentiment bundle: scores, explanations, the model's manifest.",
        docs_url=None, redoc_url=None,  # their pages load scripts from a CDN; /openapi.json is the description
    )
    app.state.edge_sentiment = state
    _add_error_handlers(app)
    _add_routes(app, state)
    app.add_middleware(BodyLimits, max_bytes=settings.max_body_bytes, read_timeout=settings.read_timeout)
    app.add_middleware(RequestMetrics, metrics=state.metrics)  # added last: outermost, so it sees every answer
    return app


def app_from_environment() -> FastAPI:
    """The factory each worker process of ``serve --workers N`` calls (settings from the environment)."""
    settings = ServeSettings.from_environment()
    return create_app(SentimentClassifier.load(settings.model, backend=settings.backend), settings)


def _add_routes(app: FastAPI, state: _State) -> None:
    classifier, settings, metrics = state.classifier, state.settings, state.metrics
    multilabel = classifier.task == "multilabel"

    @app.post("/v1/predict", response_model=Union[Prediction, Predictions], responses=ERRORS,
              summary="Score one text or a list of texts", openapi_extra=_body(PredictRequest))
    async def predict(http: Request) -> Response:
        request = PredictRequest.model_validate_json(await http.body())
        texts = [request.text] if request.text is not None else request.texts or []
        if len(texts) > settings.max_texts:
            return _error(413, f"{len(texts):,} texts in one request; the limit is {settings.max_texts:,} "
                          "(split the list, or start the server with a larger --max-texts)")
        try:
            async with asyncio.timeout(settings.timeout):
                predictions = await state.batcher.score(texts)
        except Overloaded as exc:
            return _error(503, f"the server is overloaded ({exc}); retry later", retry_after=1)
        except TimeoutError:
            return _error(504, f"scoring took longer than the server's timeout of {settings.timeout:g} s; "
                          "retry, or send fewer texts per request")
        metrics.texts.inc(len(texts))
        records = [prediction_record(t, p, multilabel=multilabel, top_k=request.top_k) for t, p in zip(texts, predictions)]
        return _json(200, records[0] if request.text is not None else {"predictions": records})

    @app.post("/v1/explain", response_model=Explanation, responses=ERRORS,
              summary="Which words drove a text's score", openapi_extra=_body(ExplainRequest))
    async def explain(http: Request) -> Response:
        request = ExplainRequest.model_validate_json(await http.body())
        if request.label is not None and request.label not in classifier.labels:
            return _error(422, f"label: {request.label!r} is not a label of this model; its labels: "
                          + ", ".join(classifier.labels))
        try:
            explanation = await asyncio.wait_for(run_in_threadpool(classifier.explain, request.text, request.label),
                                                 settings.timeout)
        except TimeoutError:
            return _error(504, f"explaining took longer than the server's timeout of {settings.timeout:g} s")
        return _json(200, explanation.to_dict())

    @app.get("/v1/model", summary="The bundle's manifest (what `edge-sentiment info --json` prints)")
    async def model() -> Response:
        return _json(200, classifier.bundle.manifest.to_dict())

    @app.get("/healthz", response_model=Status, summary="The process is up")
    async def healthz() -> Response:
        return _json(200, {"status": "ok"})

    @app.get("/readyz", response_model=Status, responses={503: {"model": Status}},
             summary="The model is loaded and the server takes requests (503 while starting or stopping)")
    async def readyz() -> Response:
        if state.ready and not state.draining:
            return _json(200, {"status": "ready"})
        return _json(503, {"status": "stopping" if state.draining else "starting"})

    @app.get("/metrics", summary="Prometheus metrics (text format)", response_class=Response,
             responses={200: {"content": {"text/plain": {}}}})
    async def prometheus_metrics() -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE)


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ValidationError)
    async def invalid_request(request, exc: ValidationError) -> Response:
        problems = exc.errors(include_url=False)
        malformed = next((p for p in problems if p.get("type") == "json_invalid"), None)
        if malformed is not None:
            return _error(400, f"the request body is not valid JSON ({malformed.get('ctx', {}).get('error', 'malformed')}); "
                          'send an object such as {"text": "great film"}')
        return _error(422, "; ".join(_describe(problem) for problem in problems))

    @app.exception_handler(HTTPException)
    async def http_error(request, exc: HTTPException) -> Response:
        if exc.status_code == 404:  # (a guessed path, /predict: the answer names the real ones)
            return _error(404, f"not found: {request.url.path}; the routes are {', '.join(_routes(app))} (and GET /docs)")
        if exc.status_code == 405:
            allowed = (exc.headers or {}).get("Allow")
            return _error(405, f"method not allowed: {request.url.path} takes {allowed}" if allowed else "method not allowed")
        return _error(exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def unexpected(request, exc: Exception) -> Response:
        return _error(500, f"unexpected {type(exc).__name__}: {exc} (a bug; please report it)")


def _routes(app: FastAPI) -> list[str]:
    """The API's routes as ``METHOD /path``, in the order they were added."""
    return [f"{method} {route.path}" for route in app.routes if isinstance(route, APIRoute)
            for method in sorted(route.methods or ())]


def _describe(problem: Mapping[str, Any]) -> str:
    """One validation problem as ``field: what is wrong`` (``texts[3]: Input should be a valid string``)."""
    where = ""
    for part in problem.get("loc", ()):
        where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
    message = str(problem.get("msg", "invalid")).removeprefix("Value error, ")
    if problem.get("type") == "extra_forbidden":
        message = "not a field of this request (check its spelling)"
    if problem.get("type") == "model_type":
        message = 'the request body must be a JSON object, such as {"text": "great film"}'
    return f"{where}: {message}" if where else message


def _body(model: type[BaseModel]) -> dict:
    """The OpenAPI request body of a route that reads ``model`` as JSON itself (whatever the
    Content-Type: ``curl -d`` sends form encoding)."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": model.model_json_schema()}}}}


def _mark_draining_on_stop(state: _State) -> None:
    """Readiness turns 503 as soon as a stop signal arrives (before the server drains):
    chained in front of the server's own handlers, which stop it."""
    if threading.current_thread() is not threading.main_thread():
        return
    for number in (signal.SIGINT, signal.SIGTERM):
        previous = signal.getsignal(number)
        if callable(previous):
            def stopping(signum, frame, previous=previous) -> None:
                state.draining = True
                previous(signum, frame)

            signal.signal(number, stopping)


def _json(status: int, body: object) -> Response:
    text = json.dumps(body, ensure_ascii=False)
    try:
        content = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate in a text (valid in JSON escapes, not in UTF-8)
        content = json.dumps(body).encode("ascii")
    return Response(content, status_code=status, media_type="application/json")


def _error(status: int, message: str, retry_after: int | None = None) -> Response:
    response = _json(status, {"error": message})
    if retry_after is not None:
        response.headers["retry-after"] = str(retry_after)
    return response
