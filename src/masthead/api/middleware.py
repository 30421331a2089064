"""What stands in front of every feature, as Starlette middleware classes: a rate limit
per client shared by every process, a cap on request bodies, and the check that a
request comes from the site's own pages.

The limits are counted in the database under keyed hashes (``Limits``): an address, of
a reader or a mailbox, is never written anywhere."""

from __future__ import annotations

import hmac
import json
import time
from typing import Any
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from masthead.api.clients import Network, client_key
from masthead.api.db import Cursor, Database
from masthead.api.protection import MAX_BODY, BadInput

UNLIMITED = frozenset({"/api/health"})  # what a monitor polls: never limited


class Limits:
    """Counts per key and time bucket, in the database every process shares."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.key = b""  # set at start, from the database's secret

    def hashed(self, kind: str, value: str) -> str:
        """A keyed hash: the limits table never holds an address."""
        digest = hmac.new(self.key, value.encode(), "sha256").hexdigest()[:32]
        return f"{kind}:{digest}"

    async def hit(self, key: str, bucket: int) -> int:
        """Count one more request under ``key`` in time ``bucket``; the count so far. One
        statement, so that processes on one database share one budget."""
        q = self.db.sql

        def work(cur: Cursor) -> int:
            cur.execute(q("INSERT INTO limits (key, bucket, hits) VALUES (?, ?, 1) "
                          "ON CONFLICT (key, bucket) DO UPDATE SET hits = limits.hits + 1 "
                          "RETURNING hits"), (key, bucket))
            return int(cur.fetchone()[0])

        return await self.db.run(work)

    async def unhit(self, key: str, bucket: int) -> None:
        """Take back one count of ``hit`` (a mail counted that the server did not take)."""
        q = self.db.sql
        await self.db.run(lambda cur: cur.execute(
            q("UPDATE limits SET hits = hits - 1 WHERE key = ? AND bucket = ? AND hits > 0"),
            (key, bucket)))

    async def forget(self, before: int, before_day: int) -> None:
        q = self.db.sql

        def work(cur: Cursor) -> None:
            # Patterns as parameters: a literal % would be a placeholder to psycopg.
            cur.execute(q("DELETE FROM limits WHERE (key LIKE ? AND bucket < ?) OR "
                          "(key LIKE ? AND bucket < ?)"), ("c:%", before, "m:%", before_day))

        await self.db.run(work)


async def _json_error(send: Send, message: str, status: int) -> None:
    body = json.dumps({"error": message}, ensure_ascii=False, separators=(",", ":")).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"cache-control", b"no-store")]})
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


class RateLimitMiddleware:
    """At most ``per_minute`` requests a minute per client (0: no limit), counted in the
    database that every process of the API shares; more get 429."""

    def __init__(self, app: ASGIApp, limits: Limits, per_minute: int,
                 trusted: tuple[Network, ...] = ()) -> None:
        self.app, self.limits, self.per_minute, self.trusted = app, limits, per_minute, trusted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.per_minute > 0 and scope["path"] not in UNLIMITED:
            client = scope.get("client")
            key = client_key(client[0] if client else "",
                             _header(scope, b"x-forwarded-for") or "", self.trusted)
            hits = await self.limits.hit(self.limits.hashed("c", key), int(time.time() // 60))
            if hits > self.per_minute:
                await _json_error(send, "too many requests; try again in a minute", 429)
                return
        await self.app(scope, receive, send)


class BodyLimitMiddleware:
    """A request body of more than ``MAX_BODY`` bytes is refused with 413 when a feature
    reads it (declared larger, or found larger while it streams): a feature that refuses
    the request for another reason first says that reason."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        too_large = BadInput(f"the request is larger than {self.limit} bytes", status=413)
        seen = 0

        async def capped() -> Message:
            nonlocal seen
            if declared and (not declared.isdigit() or int(declared) > self.limit):
                raise too_large
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise too_large
            return message

        await self.app(scope, capped, send)


class SameSiteMiddleware:
    """Whether a request comes from the site's own pages (or a mirror's, or its onion
    address), as ``request.state.same_site``: another site's page could otherwise make
    its visitors' browsers count views or post forms. Browsers say where a request comes
    from in Sec-Fetch-Site, which no page can change; without it (an older browser), the
    Origin must be one of the site's addresses or the host the request came to. Each
    feature decides what a request from elsewhere gets."""

    def __init__(self, app: ASGIApp, origins: frozenset[str]) -> None:
        self.app, self.origins = app, origins

    def same_site(self, scope: Scope) -> bool:
        origin = _header(scope, b"origin")
        fetched = _header(scope, b"sec-fetch-site")
        if fetched is not None:
            return fetched in ("same-origin", "same-site", "none") or (
                origin is not None and origin in self.origins)
        return origin is None or origin in self.origins or (
            urlsplit(origin).netloc == (_header(scope, b"host") or "") != "")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            state: dict[str, Any] = scope.setdefault("state", {})
            state["same_site"] = self.same_site(scope)
        await self.app(scope, receive, send)

