"""Connections that never send a request are closed after a few seconds.

uvicorn waits for a connection's first request for as long as the client likes: a
thousand sockets opened and left silent (the cheapest attack there is) then fill the
connection cap, and every reader asking for a view count gets 503. nginx in front cuts
them (``client_header_timeout``); this protocol does the same for an API reached
directly. It is uvicorn's own HTTP protocol with one timer more."""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT = 10.0  # seconds a connection may stay silent before its first request


def silent_closing(seconds: float) -> type[H11Protocol]:
    """uvicorn's HTTP protocol, closing a connection that sends nothing for ``seconds``
    after it is opened (for ``uvicorn.run(http=...)``)."""

    class SilentClosing(H11Protocol):
        _first_request: asyncio.TimerHandle | None = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._first_request = asyncio.get_running_loop().call_later(
                seconds, self._close_silent)

        def data_received(self, data: bytes) -> None:
            if self._first_request is not None:
                self._first_request.cancel()
                self._first_request = None
            super().data_received(data)

        def connection_lost(self, exc: Exception | None) -> None:
            if self._first_request is not None:
                self._first_request.cancel()
                self._first_request = None
            super().connection_lost(exc)

        def _close_silent(self) -> None:
            self._first_request = None
            if not self.transport.is_closing():
                self.transport.close()

    return SilentClosing
