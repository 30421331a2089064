"""The newsletter's sign-ups: ``POST /api/subscribe``, the confirmation and unsubscribe
links mailed to readers, ``GET /api/subscribers.csv`` for the editors, and the outbox
worker that mails confirmations.

What is stored and why: a subscriber is an email address, its state, its language and
dates; a link is the digest of a token mailed to it (``api/links.py``); the outbox holds
sign-ups until their confirmation mail is sent (a slow or failing mail server never
holds a reader's connection, and a mail it did not take is tried again)."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import datetime as dt
import hmac
import io
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from masthead.api import links
from masthead.api.context import ApiContext, error, read_body, same_site
from masthead.api.db import Cursor, Database, now_text
from masthead.api.mail import MailError
from masthead.api.protection import BadInput, clean_email, spreadsheet_safe

log = logging.getLogger("masthead.api")
CONFIRM_DAYS = 7
OUTBOX_LIMIT = 10_000  # confirmation mails that may wait at once (each address: one a day)
OUTBOX_BATCH = 20  # sign-ups a worker claims at a time
OUTBOX_AT_ONCE = 4  # confirmation mails a worker sends at once
ADMIN_TOKEN_ENV = "MASTHEAD_API_TOKEN"


@dataclass(frozen=True)
class Subscriber:
    email: str
    status: str  # pending | confirmed | unsubscribed
    nonce: str  # unused: links are kept in their own table (api/links.py)
    created: str
    confirmed: str


def _leave(cur: Cursor, q: Callable[[str], str], email: str) -> None:
    cur.execute(q("UPDATE subscribers SET status = 'unsubscribed' "
                  "WHERE email = ? AND status <> 'unsubscribed'"), (email,))


class Subscribers:
    """The sign-ups' SQL (the newsletter reads the confirmed subscribers through it)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def subscriber(self, email: str) -> Subscriber | None:
        q = self.db.sql

        def work(cur: Cursor) -> Subscriber | None:
            cur.execute(q("SELECT email, status, nonce, created, confirmed FROM subscribers "
                          "WHERE email = ?"), (email,))
            row = cur.fetchone()
            return Subscriber(*row) if row else None

        return await self.db.run(work)

    async def request_subscription(self, email: str, lang: str = "") -> str:
        """The address's state before: 'new', 'pending', 'unsubscribed', 'confirmed' or
        'bounced'. A new or returning address becomes pending, in the language of the
        page signed up on (newsletters come in it); links mailed before stay valid. An
        address that bounced stays so (a sign-up does not revive it)."""
        q = self.db.sql

        def work(cur: Cursor) -> str:
            cur.execute(q("SELECT status FROM subscribers WHERE email = ?"), (email,))
            row = cur.fetchone()
            if row is None:
                cur.execute(q("INSERT INTO subscribers (email, status, nonce, created, confirmed,"
                              " lang) VALUES (?, 'pending', '', ?, '', ?) "
                              "ON CONFLICT (email) DO NOTHING"), (email, now_text(), lang))
                return "new"
            if row[0] in ("confirmed", "bounced"):
                return str(row[0])
            cur.execute(q("UPDATE subscribers SET status = 'pending', lang = ? "
                          "WHERE email = ?"), (lang, email))
            return str(row[0])

        return await self.db.run(work)

    async def add_links(self, email: str, digests: Sequence[tuple[str, str]]) -> None:
        """Remember the (kind, digest) of each token just put in an email to ``email``."""
        q = self.db.sql

        def work(cur: Cursor) -> None:
            for kind, digest in digests:
                cur.execute(q("INSERT INTO links (digest, email, kind, created) "
                              "VALUES (?, ?, ?, ?)"), (digest, email, kind, now_text()))

        await self.db.run(work)

    async def confirm(self, digest: str, max_days: int) -> str:
        """Follow a confirmation link: 'confirmed', 'used' (it was followed before, or
        the subscriber left since), 'expired' or 'unknown'. Every confirmation link of
        the address is used up with it."""
        q = self.db.sql
        oldest = (dt.datetime.now(dt.UTC) - dt.timedelta(days=max_days)).isoformat(
            timespec="seconds")

        def work(cur: Cursor) -> str:
            cur.execute(q("SELECT email, kind, created FROM links WHERE digest = ?"), (digest,))
            row = cur.fetchone()
            if row is None or row[1] not in (links.CONFIRM, links.CONFIRM_USED):
                return "unknown"
            if row[1] == links.CONFIRM_USED:
                return "used"
            if row[2] < oldest:
                return "expired"
            cur.execute(q("UPDATE links SET kind = ? WHERE email = ? AND kind = ?"),
                        (links.CONFIRM_USED, row[0], links.CONFIRM))
            cur.execute(q("UPDATE subscribers SET status = 'confirmed', confirmed = ? "
                          "WHERE email = ? AND status = 'pending'"), (now_text(), row[0]))
            return "confirmed" if cur.rowcount == 1 else "used"

        return await self.db.run(work)

    async def unsubscribe(self, digest: str) -> bool:
        """Follow an unsubscribe link: False when no email ever carried it. Following it
        again answers the same."""
        q = self.db.sql

        def work(cur: Cursor) -> bool:
            cur.execute(q("SELECT email FROM links WHERE digest = ? AND kind = ?"),
                        (digest, links.LEAVE))
            row = cur.fetchone()
            if row is not None:
                _leave(cur, q, row[0])
            return row is not None

        return await self.db.run(work)

    async def unsubscribe_address(self, email: str) -> None:
        """For a link of an email sent before links were random (it names the address)."""
        await self.db.run(lambda cur: _leave(cur, self.db.sql, email))

    async def confirmed_subscribers(self) -> list[tuple[str, str]]:
        def work(cur: Cursor) -> list[tuple[str, str]]:
            cur.execute("SELECT email, confirmed FROM subscribers WHERE status = 'confirmed' "
                        "ORDER BY confirmed, email")
            return [(row[0], row[1]) for row in cur.fetchall()]

        return await self.db.run(work)

    # --- the outbox -------------------------------------------------------------------

    async def enqueue_signup(self, email: str, lang: str, limit: int) -> bool:
        """A sign-up to handle (its confirmation mail, if one is due); False when ``limit``
        wait already (the outbox is bounded: a flood cannot fill the disk). One statement
        whatever the address's state, so that the time it takes tells nothing."""
        q = self.db.sql

        def work(cur: Cursor) -> bool:
            cur.execute("SELECT COUNT(*) FROM outbox")
            if int(cur.fetchone()[0]) >= limit:
                return False
            cur.execute(q("INSERT INTO outbox (email, lang, created, state) "
                          "VALUES (?, ?, ?, '')"), (email, lang, now_text()))
            return True

        return await self.db.run(work)

    async def claim_outbox(self, count: int) -> list[tuple[int, str, str]]:
        """(id, email, language) of sign-ups waiting, oldest first, claimed for this
        process; a claim older than ten minutes (its process died) is taken over."""
        q = self.db.sql
        stale = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)).isoformat(
            timespec="seconds")

        def work(cur: Cursor) -> list[tuple[int, str, str]]:
            cur.execute(q("SELECT id, email, lang FROM outbox WHERE state = '' OR "
                          "(state LIKE ? AND state < ?) ORDER BY id LIMIT ?"),
                        ("claimed %", f"claimed {stale}", count))
            rows = [(int(r[0]), r[1], r[2]) for r in cur.fetchall()]
            claimed = []
            for row in rows:  # another process may have claimed it since the SELECT
                cur.execute(q("UPDATE outbox SET state = ? WHERE id = ? AND (state = '' "
                              "OR (state LIKE ? AND state < ?))"),
                            (f"claimed {now_text()}", row[0], "claimed %", f"claimed {stale}"))
                if cur.rowcount == 1:
                    claimed.append(row)
            return claimed

        return await self.db.run(work)

    async def outbox_done(self, item: int, done: bool) -> None:
        """A claimed sign-up handled (gone from the outbox), or given back to be tried
        again."""
        q = self.db.sql

        def work(cur: Cursor) -> None:
            if done:
                cur.execute(q("DELETE FROM outbox WHERE id = ?"), (item,))
            else:
                cur.execute(q("UPDATE outbox SET state = '' WHERE id = ?"), (item,))

        await self.db.run(work)

    async def outbox_waiting(self) -> int:
        def work(cur: Cursor) -> int:
            cur.execute("SELECT COUNT(*) FROM outbox")
            return int(cur.fetchone()[0])

        return await self.db.run(work)


class SignUps:
    """The feature: its routes and the worker that mails confirmations."""

    def __init__(self, context: ApiContext) -> None:
        self.context = context
        self.store = Subscribers(context.db)
        self._outbox_ready = asyncio.Event()  # a confirmation mail waits to be sent
        self._legacy_unsubscribe: URLSafeSerializer | None = None

    def routes(self) -> list[Route]:
        return [Route("/api/subscribe", self.subscribe, methods=["POST"]),
                Route("/api/confirm", self.confirm, methods=["GET"]),
                Route("/api/unsubscribe", self.unsubscribe, methods=["GET", "POST"]),
                Route("/api/done/{what}", self.done, methods=["GET"]),
                Route("/api/subscribers.csv", self.export, methods=["GET"])]

    async def start(self) -> None:
        # Unsubscribe links of emails sent before links were random (signed addresses)
        # keep working while their key is kept out of the database: with a key from the
        # database, whoever has a copy of it could unsubscribe anyone. Without one they
        # are retired (newer emails carry random links).
        kept_apart = os.environ.get("MASTHEAD_API_SECRET", "")
        self._legacy_unsubscribe = URLSafeSerializer(
            kept_apart, salt="masthead-unsubscribe") if kept_apart else None

    def workers(self) -> list[asyncio.Task[None]]:
        if not self.context.mailer.settings.enabled:
            return []
        self._outbox_ready.set()  # what a stopped process left, sent now
        return [asyncio.create_task(self._send_outbox())]

    async def housekeeping(self) -> None:
        """Nothing on a timer: the outbox worker wakes every minute itself."""

    async def subscribe(self, request: Request) -> Response:
        context = self.context
        data = await read_body(request)
        lang = context.lang_of(data.get("lang"))
        if data.get("website"):  # the honeypot: people leave it empty
            return context.accepted(request, "subscribe", lang)
        if not same_site(request):  # as contact and views: another site's page
            raise BadInput("sign-ups are taken from the site's own pages only", status=403)
        email = clean_email(data.get("email"))
        if not context.mailer.settings.enabled:
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
        return context.accepted(request, "subscribe", lang)

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
        limits = self.context.limits
        state = await self.store.request_subscription(email, lang)
        day = int(time.time() // 86400)
        if state in ("confirmed", "bounced") or \
                await limits.hit(limits.hashed("m", email), day) != 1:
            return  # one confirmation mail per address a day
        try:
            await self._confirmation(email, lang)
        except MailError:
            await limits.unhit(limits.hashed("m", email), day)
            raise
        log.info("newsletter sign-up requested (%s)", "new" if state == "new" else "again")

    async def _confirmation(self, email: str, lang: str) -> None:
        context = self.context
        token, token_digest = links.new_token()
        leave_token, leave_digest = links.new_token()
        await self.store.add_links(email, [(links.CONFIRM, token_digest),
                                           (links.LEAVE, leave_digest)])
        t = context.strings_of(lang)
        link = f"{context.api_url()}/confirm?token={token}&lang={lang}"
        leave = f"{context.api_url()}/unsubscribe?token={leave_token}&lang={lang}"
        await context.mailer.send(
            email, t("api_confirm_subject", site=context.config.title),
            t("api_confirm_body", site=context.config.title, link=link,
              days=CONFIRM_DAYS, unsubscribe=leave),
            headers={"List-Unsubscribe": f"<{leave}>",
                     "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})

    async def done(self, request: Request) -> Response:
        what = request.path_params["what"]
        if what not in ("subscribe", "contact"):
            return error("no such page", status=404)
        context = self.context
        lang = context.lang_of(request.query_params.get("lang"))
        return context.page(request, f"api_{what}_title",
                            context.strings_of(lang)(f"api_{what}_done"), lang=lang)

    async def confirm(self, request: Request) -> Response:
        context = self.context
        lang = context.lang_of(request.query_params.get("lang"))
        t = context.strings_of(lang)
        token = request.query_params.get("token", "")
        result = (await self.store.confirm(links.digest(token), CONFIRM_DAYS)
                  if links.well_formed(token) else "unknown")
        if result == "confirmed":
            log.info("newsletter subscription confirmed")
            return context.page(request, "api_subscribe_title", t("api_confirmed"), 200, lang)
        if result == "expired":
            return context.page(request, "api_error_title", t("api_link_expired"), 410, lang)
        if result == "used":
            return context.page(request, "api_error_title", t("api_link_used"), 410, lang)
        return context.page(request, "api_error_title", t("api_link_invalid"), 400, lang)

    async def unsubscribe(self, request: Request) -> Response:
        context = self.context
        lang = context.lang_of(request.query_params.get("lang"))
        t = context.strings_of(lang)
        token = request.query_params.get("token", "")
        if links.well_formed(token):
            known = await self.store.unsubscribe(links.digest(token))
        else:
            known = await self._unsubscribe_legacy(token)
        if not known:
            return context.page(request, "api_error_title", t("api_link_invalid"), 400, lang)
        log.info("newsletter unsubscription")  # the same answer when it was done before
        if request.method == "POST":  # one-click, from the mail program (RFC 8058)
            return JSONResponse({"status": "unsubscribed"})
        return context.page(request, "api_subscribe_title", t("api_unsubscribed"), 200, lang)

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
            return error(f"the export is off: start the API with {ADMIN_TOKEN_ENV} set",
                         status=403)
        header = request.headers.get("authorization", "")
        given = header[len("Bearer "):].strip() if header.startswith("Bearer ") else ""
        if not given or not hmac.compare_digest(given.encode(), expected.encode()):
            return error("a valid token is required (Authorization: Bearer ...)", status=401)
        rows = await self.store.confirmed_subscribers()
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["email", "confirmed"])
        writer.writerows([spreadsheet_safe(email), confirmed] for email, confirmed in rows)
        log.info("subscribers exported (%d)", len(rows))
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"Cache-Control": "no-store",
                                 "Content-Disposition": 'attachment; filename="subscribers.csv"'})
