"""Request bodies, read whole before the app sees them: bounded in size (413) and in the time
a client may take to send them (408), so a slow or oversized client costs a bounded amount."""

from __future__ import annotations

import asyncio
import json

Scope = dict
Message = dict


class BodyLimits:
    """Pure ASGI middleware: buffers each HTTP request's body, at most ``max_bytes`` of it,
    within ``read_timeout`` seconds; then hands the app a ``receive`` that replays it."""

    def __init__(self, app, *, max_bytes: int, read_timeout: float) -> None:
        self.app, self.max_bytes, self.read_timeout = app, max_bytes, read_timeout

    async def __call__(self, scope: Scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await _refuse(send, 413, f"the request body is {declared:,} bytes; the limit is {self.max_bytes:,} "
                          "(send fewer texts per request, or start the server with a larger --max-body)")
            return
        try:
            async with asyncio.timeout(self.read_timeout):  # (no task per request, as wait_for would start)
                body = await self._read(receive)
        except TimeoutError:
            await _refuse(send, 408, f"the request body did not arrive within {self.read_timeout:g} s")
            return
        except _TooLarge:
            await _refuse(send, 413, f"the request body is over the limit of {self.max_bytes:,} bytes "
                          "(send fewer texts per request, or start the server with a larger --max-body)")
            return
        except _Disconnected:
            return  # the client went away: nobody to answer
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: only the disconnect can come

        await self.app(scope, replay, send)

    async def _read(self, receive) -> bytes:
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Disconnected
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


class _TooLarge(Exception):
    pass


class _Disconnected(Exception):
    pass


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(send, status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
