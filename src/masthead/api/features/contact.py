"""Messages from the contact form: ``POST /api/contact`` stores the message, then it is
forwarded to the editors' address (now, and on each housekeeping round while the mail
server fails): none is dropped silently, none is forwarded twice.

What is stored and why: a message is what the reader typed in the form (name, address,
text) and when it was received and forwarded."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from masthead.api.context import ApiContext, read_body, same_site
from masthead.api.db import Cursor, Database, now_text
from masthead.api.mail import MailError
from masthead.api.protection import BadInput, clean_email, clean_text

log = logging.getLogger("masthead.api")


class Messages:
    """The messages' SQL."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add_message(self, name: str, email: str, message: str) -> None:
        q = self.db.sql

        def work(cur: Cursor) -> None:
            cur.execute(q("INSERT INTO messages (received, name, email, message, forwarded) "
                          "VALUES (?, ?, ?, ?, '')"), (now_text(), name, email, message))

        await self.db.run(work)

    async def unforwarded(self, limit: int = 20) -> list[tuple[int, str, str, str]]:
        """(id, name, email, message) of messages not forwarded yet, oldest first, each
        claimed for this process (a claim older than ten minutes, from a process that
        died, is taken over): two processes do not forward one message twice."""
        q = self.db.sql
        stale = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)).isoformat(
            timespec="seconds")

        def work(cur: Cursor) -> list[tuple[int, str, str, str]]:
            cur.execute(q("SELECT id, name, email, message FROM messages WHERE forwarded = '' "
                          "OR (forwarded LIKE ? AND forwarded < ?) ORDER BY id "
                          "LIMIT ?"), ("claimed %", f"claimed {stale}", limit))
            rows = [(int(r[0]), r[1], r[2], r[3]) for r in cur.fetchall()]
            for row in rows:
                cur.execute(q("UPDATE messages SET forwarded = ? WHERE id = ?"),
                            (f"claimed {now_text()}", row[0]))
            return rows

        return await self.db.run(work)

    async def release(self, message_ids: list[int]) -> None:
        """Claims given back: the SMTP server failed, the next round tries again."""
        q = self.db.sql

        def work(cur: Cursor) -> None:
            for message_id in message_ids:
                cur.execute(q("UPDATE messages SET forwarded = '' WHERE id = ? AND "
                              "forwarded LIKE ?"), (message_id, "claimed %"))

        await self.db.run(work)

    async def forwarded(self, message_id: int) -> None:
        q = self.db.sql

        def work(cur: Cursor) -> None:
            cur.execute(q("UPDATE messages SET forwarded = ? WHERE id = ?"),
                        (now_text(), message_id))

        await self.db.run(work)

    async def messages(self) -> list[tuple[str, str, str, str]]:
        def work(cur: Cursor) -> list[tuple[str, str, str, str]]:
            cur.execute("SELECT received, name, email, message FROM messages ORDER BY id")
            return [(row[0], row[1], row[2], row[3]) for row in cur.fetchall()]

        return await self.db.run(work)


class Contact:
    """The feature: its route and the forwarding of what it stored."""

    def __init__(self, context: ApiContext) -> None:
        self.context = context
        self.store = Messages(context.db)
        self._forwarding = asyncio.Lock()  # one forwarder at a time in this process

    def routes(self) -> list[Route]:
        return [Route("/api/contact", self.contact, methods=["POST"])]

    async def start(self) -> None:
        """Nothing to prepare: what waits is forwarded on the first housekeeping round."""

    async def housekeeping(self) -> None:
        await self.forward_messages()

    async def contact(self, request: Request) -> Response:
        context = self.context
        data = await read_body(request)
        lang = context.lang_of(data.get("lang"))
        if data.get("website"):  # the honeypot
            return context.accepted(request, "contact", lang)
        if not same_site(request):
            raise BadInput("messages are taken from the site's own contact page only",
                           status=403)
        name = clean_text(data.get("name"), "name", 200, single_line=True)
        email = clean_email(data.get("email"))
        message = clean_text(data.get("message"), "message", 5000)
        await self.store.add_message(name, email, message)
        log.info("contact message stored")
        answer = context.accepted(request, "contact", lang)
        answer.background = BackgroundTask(self.forward_messages)
        return answer

    async def forward_messages(self) -> int:
        """Forward every stored message not forwarded yet: none is dropped silently."""
        config, mailer = self.context.config, self.context.mailer
        if not (config.contact_to and mailer.settings.enabled):
            return 0
        done = 0
        async with self._forwarding:
            claimed = await self.store.unforwarded()
            for message_id, name, email, message in claimed:
                try:
                    await mailer.send(config.contact_to, f"[{config.title}] {name}", message,
                                      reply_to=email)
                except MailError:
                    log.warning("contact messages stored, not forwarded yet: the SMTP "
                                "server failed; they are tried again")
                    await self.store.release([m[0] for m in claimed[done:]])
                    break
                await self.store.forwarded(message_id)
                done += 1
        return done
