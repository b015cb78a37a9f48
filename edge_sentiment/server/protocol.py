"""The HTTP connection: uvicorn's own, except that a connection which has not sent a whole
request head within ``head_timeout`` seconds of opening is closed. uvicorn waits for a first
request head forever, so clients that connect and send nothing, or a header a byte at a time,
would each hold one of ``--max-connections`` slots for good."""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.auto import AutoHTTPProtocol


class HeadTimeoutProtocol(AutoHTTPProtocol):  # type: ignore[valid-type,misc]
    #: Seconds a new connection has to send its first request head (set from ``--read-timeout``).
    head_timeout: float = 10.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._head_timer = self.loop.call_later(self.head_timeout, self._close_if_no_request)

    def connection_lost(self, exc: Exception | None) -> None:
        self._head_timer.cancel()
        super().connection_lost(exc)

    def _close_if_no_request(self) -> None:
        if self.cycle is None and not self.transport.is_closing():  # no request head has come
            self.transport.close()
