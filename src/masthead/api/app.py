"""The API's routes: views, newsletter sign-ups, contact messages.

Every route answers JSON to scripts and, where a plain HTML form can post (newsletter,
contact), a short page to browsers without JavaScript (post, then redirect to a page
that says what happened). Errors are 4xx with ``{"error": ..., "field": ...}`` and
change nothing. Logs carry no address, no email, no IP.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import hmac
import io
import json
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import urlsplit

import anyio.to_thread
from itsdangerous import BadSignature, URLSafeSerializer
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from masthead.api import links
from masthead.api.clients import Network, client_key
from masthead.api.mail import Mailer, MailError, MailSettings
from masthead.api.paths import CHECK_EVERY, SitePaths
from masthead.api.protection import (
    MAX_BODY,
    BadInput,
    clean_email,
    clean_path,
    clean_text,
    clean_view_id,
    spreadsheet_safe,
)
from masthead.api.store import Store, prepare_store
from masthead.config import SiteConfig
from masthead.i18n import Strings, load_strings
from masthead.safeurl import origin_of

log = logging.getLogger("masthead.api")
CONFIRM_DAYS = 7
OUTBOX_LIMIT = 10_000  # confirmation mails that may wait at once (each address: one a day)
OUTBOX_BATCH = 20  # sign-ups a worker claims at a time
OUTBOX_AT_ONCE = 4  # confirmation mails a worker sends at once
ADMIN_TOKEN_ENV = "MASTHEAD_API_TOKEN"
MAX_QUERY_PATHS = 100


@dataclass
class ApiSettings:
    rate_limit: int = 60  # requests per client per minute, over all processes; 0: off
    public_url: str = ""  # where the API is reached from outside (for links in emails)
    trusted_proxies: tuple[Network, ...] = ()  # whose X-Forwarded-For is believed


def site_origin(config: SiteConfig) -> str:
    parts = urlsplit(config.base_url)
    return f"{parts.scheme}://{parts.netloc}"


def site_origins(config: SiteConfig) -> list[str]:
    """The main address and every mirror's: their pages call the API of the main one."""
    found = [site_origin(config), *(origin_of(url) for url in config.web_addresses)]
    return list(dict.fromkeys(o for o in found if o))


class Api:
    def __init__(self, config: SiteConfig, store: Store, settings: ApiSettings,
                 paths: SitePaths | None = None) -> None:
        self.config = config
        self.store = store
        self.settings = settings
        self.paths = paths if paths is not None else SitePaths(config)
        self.mailer = Mailer(MailSettings(config.smtp_host, config.smtp_port,
                                          config.smtp_starttls, config.mail_from))
        self.strings: dict[str, Strings] = {}
        self.languages: tuple[str, ...] = ()
        self._limit_key = b""
        self._forwarding = asyncio.Lock()  # one forwarder at a time in this process
        self._outbox_ready = asyncio.Event()  # a confirmation mail waits to be sent
        self.origins = frozenset(site_origins(config)) | frozenset(
            o for o in map(origin_of, config.addresses) if o)  # the onion address too
        self._legacy_unsubscribe: URLSafeSerializer | None = None

    # --- lifecycle --------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        await prepare_store(self.store)
        kept_apart = os.environ.get("MASTHEAD_API_SECRET", "")
        secret = kept_apart or await self.store.secret()
        # Unsubscribe links of emails sent before links were random (signed addresses)
        # keep working while their key is kept out of the database: with a key from the
        # database, whoever has a copy of it could unsubscribe anyone. Without one they
        # are retired (newer emails carry random links).
        self._legacy_unsubscribe = URLSafeSerializer(
            kept_apart, salt="masthead-unsubscribe") if kept_apart else None
        self._limit_key = hmac.new(secret.encode(), b"masthead-limits", "sha256").digest()
        await anyio.to_thread.run_sync(lambda: self.paths.refresh(force=True))
        self.languages = tuple(self.paths.languages) or (self.config.language,)
        self.strings = load_strings(self.config.root, self.languages)
        await self.store.forget_old_view_ids()
        tasks = [asyncio.create_task(self._housekeeping())]
        if self.mailer.settings.enabled:
            self._outbox_ready.set()  # what a stopped process left, sent now
            tasks.append(asyncio.create_task(self._send_outbox()))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await self.store.close()

    async def _housekeeping(self) -> None:
        while True:
            await asyncio.sleep(CHECK_EVERY)
            try:
                await anyio.to_thread.run_sync(self.paths.refresh)
                await self.store.forget_old_view_ids()
                now = time.time()
                await self.store.forget_limits(int(now // 60) - 2, int(now // 86400) - 1)
                await self.forward_messages()
            except Exception:  # keep serving; the next round tries again
                log.exception("housekeeping failed")

    # --- plumbing ---------------------------------------------------------------------

    def guarded(self, handler: Callable[[Request], Awaitable[Response]]
                ) -> Callable[[Request], Awaitable[Response]]:
        """Rate limit, size limit and BadInput -> 4xx, around a route."""

        async def run(request: Request) -> Response:
            if not await self.within_limit(request):
                return _error("too many requests; try again in a minute", status=429)
            try:
                return await handler(request)
            except BadInput as exc:
                if _wants_html(request):  # in the form's language, as its readers write
                    lang = self.lang_of(getattr(request.state, "form_lang", None)
                                        or request.query_params.get("lang"))
                    t = self.strings.get(lang) or Strings(lang, {})
                    return self.page(request, "api_error_title", t(_error_key(exc)),
                                     exc.status, lang)
                return _error(exc.message, exc.field, exc.status)

        return run

    def client(self, request: Request) -> str:
        peer = request.client.host if request.client else ""
        return client_key(peer, request.headers.get("x-forwarded-for", ""),
                          self.settings.trusted_proxies)

    def _key(self, kind: str, value: str) -> str:
        """A keyed hash: the limits table never holds an address, of a reader or a mailbox."""
        digest = hmac.new(self._limit_key, value.encode(), "sha256").hexdigest()[:32]
        return f"{kind}:{digest}"

    async def within_limit(self, request: Request) -> bool:
        """At most ``rate_limit`` requests a minute per client, counted in the database
        that every process of the API shares."""
        if self.settings.rate_limit <= 0:
            return True
        bucket = int(time.time() // 60)
        hits = await self.store.hit(self._key("c", self.client(request)), bucket)
        return hits <= self.settings.rate_limit

    async def first_mail_today(self, email: str) -> bool:
        """One confirmation mail per address a day, whatever process is asked."""
        day = int(time.time() // 86400)
        return await self.store.hit(self._key("m", email), day) == 1

    def same_site(self, request: Request) -> bool:
        """A request from the site's own pages (or a mirror's, or its onion address):
        another site's page could otherwise make its visitors' browsers count views or
        post forms. Browsers say where a request comes from in Sec-Fetch-Site, which no
        page can change; without it (an older browser), the Origin must be one of the
        site's addresses or the host the request came to."""
        origin = request.headers.get("origin")
        allowed = origin is None or origin in self.origins or (
            urlsplit(origin).netloc == request.headers.get("host", "") != "")
        fetched = request.headers.get("sec-fetch-site")
        if fetched is not None:
            return fetched in ("same-origin", "same-site", "none") or (
                origin is not None and origin in self.origins)
        return allowed

    async def body(self, request: Request) -> dict[str, Any]:
        """The JSON object or form a client sent (at most MAX_BODY bytes)."""
        declared = request.headers.get("content-length")
        if declared and (not declared.isdigit() or int(declared) > MAX_BODY):
            raise BadInput(f"the request is larger than {MAX_BODY} bytes", status=413)
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY:
                raise BadInput(f"the request is larger than {MAX_BODY} bytes", status=413)
            chunks.append(chunk)
        raw = b"".join(chunks)
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind == "application/x-www-form-urlencoded":
            from urllib.parse import parse_qsl

            try:
                form = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True,
                                      strict_parsing=False, max_num_fields=20))
                request.state.form_lang = form.get("lang")
                return form
            except (UnicodeDecodeError, ValueError):
                raise BadInput("the form could not be read") from None
        if kind != "application/json":
            raise BadInput("send JSON (Content-Type: application/json) or a form",
                           status=415)
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, ValueError):
            raise BadInput("the body is not valid JSON") from None
        except RecursionError:
            raise BadInput("the body's JSON is nested too deep") from None
        if not isinstance(data, dict):
            raise BadInput("the body must be a JSON object")
        return data

    def lang_of(self, value: object) -> str:
        return value if isinstance(value, str) and value in self.languages else (
            self.languages[0] if self.languages else self.config.language)

    def page(self, request: Request, title_key: str, text: str, status: int = 200,
             lang: str | None = None) -> HTMLResponse:
        """A small page for browsers that posted a form (or followed an emailed link)."""
        lang = lang or self.lang_of(request.query_params.get("lang"))
        t = self.strings.get(lang) or Strings(lang, {})
        prefix = "" if lang == (self.languages[0] if self.languages else lang) else f"/{lang}"
        home = self.config.absolute_url(f"{prefix}/")
        html = (f'<!doctype html><html lang="{escape(lang)}"><head><meta charset="utf-8">'
                '<meta name="viewport" content="width=device-width, initial-scale=1">'
                f'<meta name="robots" content="noindex"><title>{escape(t(title_key))} — '
                f"{escape(self.config.title)}</title></head><body><main>"
                f"<h1>{escape(t(title_key))}</h1><p>{escape(text)}</p>"
                f'<p><a href="{escape(home)}">{escape(t("api_back"))}</a></p>'
                "</main></body></html>")
        return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})

    def api_url(self) -> str:
        """The API's address for links in emails."""
        if self.settings.public_url:
            return self.settings.public_url.rstrip("/")
        return self.config.api_address

    # --- views ------------------------------------------------------------------------

    async def post_view(self, request: Request) -> Response:
        if not self.same_site(request):
            raise BadInput("views are counted from the site's own pages only", status=403)
        if _wants_html(request) or request.headers.get("content-type", "").split(";")[0] \
                .strip().lower() != "application/json":
            raise BadInput("send JSON (Content-Type: application/json)", status=415)
        data = await self.body(request)
        path = clean_path(data.get("path"))
        view_id = clean_view_id(data.get("id"))
        if path not in self.paths:
            raise BadInput("no such article on this site", "path", 404)
        counted, views = await self.store.record_view(path, view_id)
        return JSONResponse({"path": path, "views": views, "counted": counted},
                            headers={"Cache-Control": "no-store"})

    async def get_views(self, request: Request) -> Response:
        asked = request.query_params.getlist("path")
        if not asked:
            raise BadInput("ask for one or more paths: /api/views?path=/posts/a", "path")
        if len(asked) > MAX_QUERY_PATHS:
            raise BadInput(f"at most {MAX_QUERY_PATHS} paths at once", "path")
        paths = {raw: clean_path(raw) for raw in asked}
        counts = await self.store.view_counts(sorted(set(paths.values())))
        return JSONResponse({raw: counts.get(path, 0) for raw, path in paths.items()},
                            headers={"Cache-Control": "no-store"})

    async def all_views(self, request: Request) -> Response:
        counts = await self.store.view_counts()
        known = self.paths.paths
        return JSONResponse({p: n for p, n in sorted(counts.items()) if p in known},
                            headers={"Cache-Control": "no-store"})

    # --- newsletter -------------------------------------------------------------------

    async def subscribe(self, request: Request) -> Response:
        data = await self.body(request)
        lang = self.lang_of(data.get("lang"))
        if data.get("website"):  # the honeypot: people leave it empty
            return self._accepted(request, "subscribe", lang)
        if not self.same_site(request):  # as contact and views: another site's page
            raise BadInput("sign-ups are taken from the site's own pages only", status=403)
        email = clean_email(data.get("email"))
        if not self.mailer.settings.enabled:
            raise BadInput("sign-ups are not open: the site has no mail server set up",
                           status=503)
        # The same answer, at once, whatever the address's state: the request only puts
        # the sign-up in the outbox (one statement, the same for everyone); a worker
        # looks at the address and mails it, so neither the answer nor its time reveals
        # who subscribed, and a slow mail server holds no reader's connection.
        if await self.store.enqueue_signup(email, lang, OUTBOX_LIMIT):
            self._outbox_ready.set()
        else:
            log.warning("sign-ups are not queued: %d wait already (is the SMTP server "
                        "reachable?)", OUTBOX_LIMIT)
        return self._accepted(request, "subscribe", lang)

    async def _send_outbox(self) -> None:
        """Handle the sign-ups waiting in the outbox, a few at a time, for as long as the
        API runs: woken by a sign-up, and every minute for those another process queued
        or a failed round left. A mail the server did not take stays queued."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._outbox_ready.wait(), timeout=60)
            self._outbox_ready.clear()
            try:
                while await self._send_some():
                    pass
            except MailError:
                log.warning("confirmation mails wait: the SMTP server failed; tried again "
                            "in a minute")
            except Exception:  # keep the worker; the next round tries again
                log.exception("the outbox could not be sent")

    async def _send_some(self) -> bool:
        """Handle up to OUTBOX_BATCH waiting sign-ups, OUTBOX_AT_ONCE at a time (each on
        a connection of its own); whether there were any. A mail the server did not
        take goes back to the outbox, and so does the rest of the batch."""
        claimed = await self.store.claim_outbox(OUTBOX_BATCH)
        for start in range(0, len(claimed), OUTBOX_AT_ONCE):
            group = claimed[start:start + OUTBOX_AT_ONCE]
            results = await asyncio.gather(*(self._sign_up(email, lang)
                                             for _item, email, lang in group),
                                           return_exceptions=True)
            failed: BaseException | None = None
            for (item, _email, _lang), result in zip(group, results, strict=True):
                await self.store.outbox_done(item, done=not isinstance(result, BaseException))
                if isinstance(result, BaseException):
                    failed = result
            if failed is not None:
                for item, _email, _lang in claimed[start + OUTBOX_AT_ONCE:]:
                    await self.store.outbox_done(item, done=False)
                raise failed
        return bool(claimed)

    async def _sign_up(self, email: str, lang: str) -> None:
        """Record a sign-up; mail its confirmation when the address is not confirmed
        and had none today (whatever process is asked)."""
        state = await self.store.request_subscription(email, lang)
        if state in ("confirmed", "bounced") or not await self.first_mail_today(email):
            return
        try:
            await self._confirmation(email, lang)
        except MailError:
            await self.store.unhit(self._key("m", email), int(time.time() // 86400))
            raise
        log.info("newsletter sign-up requested (%s)", "new" if state == "new" else "again")

    async def _confirmation(self, email: str, lang: str) -> None:
        token, token_digest = links.new_token()
        leave_token, leave_digest = links.new_token()
        await self.store.add_links(email, [(links.CONFIRM, token_digest),
                                           (links.LEAVE, leave_digest)])
        t = self.strings.get(lang) or Strings(lang, {})
        link = f"{self.api_url()}/confirm?token={token}&lang={lang}"
        leave = f"{self.api_url()}/unsubscribe?token={leave_token}&lang={lang}"
        await self.mailer.send(
            email, t("api_confirm_subject", site=self.config.title),
            t("api_confirm_body", site=self.config.title, link=link,
              days=CONFIRM_DAYS, unsubscribe=leave),
            headers={"List-Unsubscribe": f"<{leave}>",
                     "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})

    def _accepted(self, request: Request, what: str, lang: str) -> Response:
        """The same answer whoever asks (a sign-up never reveals who is subscribed)."""
        if _wants_html(request):
            return RedirectResponse(f"{self.api_path(request)}/done/{what}?lang={lang}",
                                    status_code=303)
        return JSONResponse({"status": "accepted"}, status_code=202)

    def api_path(self, request: Request) -> str:
        return str(request.scope.get("root_path", "")) + "/api"

    async def done(self, request: Request) -> Response:
        what = request.path_params["what"]
        if what not in ("subscribe", "contact"):
            return _error("no such page", status=404)
        lang = self.lang_of(request.query_params.get("lang"))
        t = self.strings.get(lang) or Strings(lang, {})
        return self.page(request, f"api_{what}_title", t(f"api_{what}_done"), lang=lang)

    async def confirm(self, request: Request) -> Response:
        lang = self.lang_of(request.query_params.get("lang"))
        t = self.strings.get(lang) or Strings(lang, {})
        token = request.query_params.get("token", "")
        result = (await self.store.confirm(links.digest(token), CONFIRM_DAYS)
                  if links.well_formed(token) else "unknown")
        if result == "confirmed":
            log.info("newsletter subscription confirmed")
            return self.page(request, "api_subscribe_title", t("api_confirmed"), 200, lang)
        if result == "expired":
            return self.page(request, "api_error_title", t("api_link_expired"), 410, lang)
        if result == "used":
            return self.page(request, "api_error_title", t("api_link_used"), 410, lang)
        return self.page(request, "api_error_title", t("api_link_invalid"), 400, lang)

    async def unsubscribe(self, request: Request) -> Response:
        lang = self.lang_of(request.query_params.get("lang"))
        t = self.strings.get(lang) or Strings(lang, {})
        token = request.query_params.get("token", "")
        if links.well_formed(token):
            known = await self.store.unsubscribe(links.digest(token))
        else:
            known = await self._unsubscribe_legacy(token)
        if not known:
            return self.page(request, "api_error_title", t("api_link_invalid"), 400, lang)
        log.info("newsletter unsubscription")  # the same answer when it was done before
        if request.method == "POST":  # one-click, from the mail program (RFC 8058)
            return JSONResponse({"status": "unsubscribed"})
        return self.page(request, "api_subscribe_title", t("api_unsubscribed"), 200, lang)

    async def _unsubscribe_legacy(self, token: str) -> bool:
        if self._legacy_unsubscribe is None:
            return False
        try:
            email = self._legacy_unsubscribe.loads(token)
        except BadSignature:
            return False
        if not isinstance(email, str):
            return False
        await self.store.unsubscribe_address(email)
        return True

    async def export(self, request: Request) -> Response:
        expected = os.environ.get(ADMIN_TOKEN_ENV, "")
        if not expected:
            return _error(f"the export is off: start the API with {ADMIN_TOKEN_ENV} set",
                          status=403)
        header = request.headers.get("authorization", "")
        given = header[len("Bearer "):].strip() if header.startswith("Bearer ") else ""
        if not given or not hmac.compare_digest(given.encode(), expected.encode()):
            return _error("a valid token is required (Authorization: Bearer ...)", status=401)
        rows = await self.store.confirmed_subscribers()
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["email", "confirmed"])
        writer.writerows([spreadsheet_safe(email), confirmed] for email, confirmed in rows)
        log.info("subscribers exported (%d)", len(rows))
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"Cache-Control": "no-store",
                                 "Content-Disposition": 'attachment; filename="subscribers.csv"'})

    # --- contact ----------------------------------------------------------------------

    async def contact(self, request: Request) -> Response:
        data = await self.body(request)
        lang = self.lang_of(data.get("lang"))
        if data.get("website"):  # the honeypot
            return self._accepted(request, "contact", lang)
        if not self.same_site(request):
            raise BadInput("messages are taken from the site's own contact page only",
                           status=403)
        name = clean_text(data.get("name"), "name", 200, single_line=True)
        email = clean_email(data.get("email"))
        message = clean_text(data.get("message"), "message", 5000)
        await self.store.add_message(name, email, message)
        log.info("contact message stored")
        answer = self._accepted(request, "contact", lang)
        answer.background = BackgroundTask(self.forward_messages)
        return answer

    async def forward_messages(self) -> int:
        """Forward every stored message not forwarded yet (now, and on each housekeeping
        round while the SMTP server fails): none is dropped silently."""
        if not (self.config.contact_to and self.mailer.settings.enabled):
            return 0
        done = 0
        async with self._forwarding:
            claimed = await self.store.unforwarded()
            for message_id, name, email, message in claimed:
                try:
                    await self.mailer.send(self.config.contact_to,
                                           f"[{self.config.title}] {name}", message,
                                           reply_to=email)
                except MailError:
                    log.warning("contact messages stored, not forwarded yet: the SMTP "
                                "server failed; they are tried again")
                    await self.store.release([m[0] for m in claimed[done:]])
                    break
                await self.store.forwarded(message_id)
                done += 1
        return done

    async def health(self, request: Request) -> Response:
        return JSONResponse({"ok": True, "articles": len(self.paths.paths)})


def _error_key(problem: BadInput) -> str:
    """The interface string that says ``problem`` to a reader who sent a plain form."""
    if problem.field == "email":
        return "api_error_email"
    if problem.field:
        return "api_error_field"
    return {403: "api_error_forbidden", 413: "api_error_too_large",
            503: "api_error_closed"}.get(problem.status, "api_error_other")


def _wants_html(request: Request) -> bool:
    """A plain HTML form posted this (answered with pages, not JSON)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return (kind == "application/x-www-form-urlencoded"
            and "application/json" not in request.headers.get("accept", ""))


def _error(message: str, field: str = "", status: int = 400) -> JSONResponse:
    body: dict[str, str] = {"error": message}
    if field:
        body["field"] = field
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


async def _not_found(request: Request, exc: Exception) -> Response:
    return _error("no such endpoint", status=404)


async def _not_allowed(request: Request, exc: Exception) -> Response:
    return _error("method not allowed here", status=405)


def create_app(config: SiteConfig, store: Store, settings: ApiSettings | None = None,
               paths: SitePaths | None = None) -> Starlette:
    api = Api(config, store, settings or ApiSettings(), paths)
    g = api.guarded
    routes = [
        Route("/api/views", g(api.post_view), methods=["POST"]),
        Route("/api/views", g(api.get_views), methods=["GET"]),
        Route("/api/views/all", g(api.all_views), methods=["GET"]),
        Route("/api/subscribe", g(api.subscribe), methods=["POST"]),
        Route("/api/confirm", g(api.confirm), methods=["GET"]),
        Route("/api/unsubscribe", g(api.unsubscribe), methods=["GET", "POST"]),
        Route("/api/done/{what}", g(api.done), methods=["GET"]),
        Route("/api/subscribers.csv", g(api.export), methods=["GET"]),
        Route("/api/contact", g(api.contact), methods=["POST"]),
        Route("/api/health", api.health, methods=["GET"]),
    ]
    middleware = [Middleware(CORSMiddleware, allow_origins=site_origins(config),
                             allow_methods=["GET", "POST"], allow_headers=["Content-Type"],
                             allow_credentials=False, max_age=600)]
    app = Starlette(routes=routes, middleware=middleware, lifespan=api.lifespan,
                    exception_handlers={404: _not_found, 405: _not_allowed})
    app.state.api = api
    return app
