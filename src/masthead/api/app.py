"""The API: its features (``api/features/``) behind shared middleware, one application.

Every route answers JSON to scripts and, where a plain HTML form can post (newsletter,
contact), a short page to browsers without JavaScript (post, then redirect to a page
that says what happened). Errors are 4xx with ``{"error": ..., "field": ...}`` and
change nothing. Logs carry no address, no email, no IP.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import os
import time
from collections.abc import AsyncIterator
from typing import Protocol

import anyio.to_thread
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from masthead.api.context import ApiContext, ApiSettings, error, site_origins
from masthead.api.db import Database, prepare_database
from masthead.api.features.contact import Contact
from masthead.api.features.fediverse import Fediverse
from masthead.api.features.signups import SignUps
from masthead.api.features.views import Views
from masthead.api.middleware import BodyLimitMiddleware, RateLimitMiddleware, SameSiteMiddleware
from masthead.api.paths import CHECK_EVERY, SitePaths
from masthead.api.protection import BadInput
from masthead.config import SiteConfig
from masthead.i18n import load_strings

log = logging.getLogger("masthead.api")

__all__ = ["ApiSettings", "create_app"]


class Feature(Protocol):
    """What a feature module gives the application."""

    def routes(self) -> list[Route]: ...
    async def start(self) -> None: ...
    async def housekeeping(self) -> None: ...


class Api:
    """The running API: its context, its features, their start and housekeeping."""

    def __init__(self, context: ApiContext) -> None:
        self.context = context
        self.views = Views(context)
        self.signups = SignUps(context)
        self.contact = Contact(context)
        self.fediverse = Fediverse(context)
        self.features: list[Feature] = [self.views, self.signups, self.contact,
                                        self.fediverse]

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        context = self.context
        await prepare_database(context.db)
        secret = os.environ.get("MASTHEAD_API_SECRET", "") or await context.db.secret()
        context.limits.key = hmac.new(secret.encode(), b"masthead-limits", "sha256").digest()
        await anyio.to_thread.run_sync(lambda: context.paths.refresh(force=True))
        context.languages = tuple(context.paths.languages) or (context.config.language,)
        context.strings = load_strings(context.config.root, context.languages)
        for feature in self.features:
            await feature.start()
        tasks = [asyncio.create_task(self._housekeeping()), *self.signups.workers()]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            self.fediverse.close()
            await context.db.close()

    async def _housekeeping(self) -> None:
        while True:
            await asyncio.sleep(CHECK_EVERY)
            try:
                await anyio.to_thread.run_sync(self.context.paths.refresh)
                now = time.time()
                await self.context.limits.forget(int(now // 60) - 2, int(now // 86400) - 1)
                for feature in self.features:
                    await feature.housekeeping()
            except Exception:  # keep serving; the next round tries again
                log.exception("housekeeping failed")

    async def health(self, request: Request) -> Response:
        return JSONResponse({"ok": True, "articles": len(self.context.paths.paths)})


async def _not_found(request: Request, exc: Exception) -> Response:
    return error("no such endpoint", status=404)


async def _not_allowed(request: Request, exc: Exception) -> Response:
    return error("method not allowed here", status=405)


def create_app(config: SiteConfig, db: Database, settings: ApiSettings | None = None,
               paths: SitePaths | None = None) -> Starlette:
    settings = settings or ApiSettings()
    context = ApiContext(config, db, settings, paths)
    api = Api(context)
    routes = [route for feature in api.features for route in feature.routes()]
    routes.append(Route("/api/health", api.health, methods=["GET"]))

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, BadInput)
        return context.bad_input(request, exc)

    middleware = [
        Middleware(CORSMiddleware, allow_origins=site_origins(config),
                   allow_methods=["GET", "POST"], allow_headers=["Content-Type"],
                   allow_credentials=False, max_age=600),
        Middleware(SameSiteMiddleware, origins=context.origins),
        Middleware(RateLimitMiddleware, limits=context.limits,
                   per_minute=settings.rate_limit, trusted=settings.trusted_proxies),
        Middleware(BodyLimitMiddleware),
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=api.lifespan,
                    exception_handlers={404: _not_found, 405: _not_allowed,
                                        BadInput: refused})
    app.state.api = api
    return app
