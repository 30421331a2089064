"""A real SMTP server on loopback (aiosmtpd) that refuses and defers some addresses as
providers do, a two-language site, and subscribers put straight into the API's
database (SQLite or PostgreSQL, from the API tests' fixtures)."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from masthead.api.db import Database, open_database, prepare_database
from masthead.newsletter.editions import run_async
from tests.api.conftest import (  # noqa: F401 (fixtures)
    database,
    free_port,
    mailbox,
    postgres_server,
)
from tests.conftest import post, write_site

STORY = "river-delta"
SETTINGS = """\
title = "The Steppe Ledger"
base_url = "https://news.example.org/"
language = "en"
api_url = "/api"
smtp_host = "127.0.0.1"
smtp_port = {port}
mail_from = "The Steppe Ledger <news@example.org>"
images = false
search = false
embed_posters = false
"""


@dataclass
class Server:
    """What the SMTP server got: messages per recipient, RCPT attempts, raw messages."""

    port: int
    refuse: set[str] = field(default_factory=set)  # 550 always
    defer: set[str] = field(default_factory=set)  # 451 the first time
    received: Counter[str] = field(default_factory=Counter)
    attempts: Counter[str] = field(default_factory=Counter)
    languages: dict[str, str] = field(default_factory=dict)
    raw: dict[str, bytes] = field(default_factory=dict)
    keep_raw: int = 50  # whole messages kept (the first few recipients)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def total(self) -> int:
        return sum(self.received.values())


def patient_controller(handler: Any, port: int) -> Any:
    """aiosmtpd, except that a message whose final dot has arrived is kept when the client
    goes away before reading the answer, as SMTP servers such as Postfix do (RFC 1047: the
    message is the server's from that dot on). aiosmtpd cancels the session as soon as the
    connection ends instead, dropping a message it has already been given whole."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP

    class PatientSMTP(SMTP):
        def eof_received(self) -> bool | None:
            # What the client sent before going away is read to its end first; the
            # session ends a moment later (aiosmtpd would end it at once).
            asyncio.StreamReaderProtocol.eof_received(self)
            handler = self._handler_coroutine
            if handler is not None:
                asyncio.get_running_loop().call_later(0.05, handler.cancel)
            return False

        def connection_lost(self, error: Exception | None) -> None:
            asyncio.get_running_loop().call_later(0.06, SMTP.connection_lost, self, error)

    class PatientController(Controller):
        def factory(self) -> SMTP:
            return PatientSMTP(self.handler, **self.SMTP_kwargs)

    return PatientController(handler, hostname="127.0.0.1", port=port)


@pytest.fixture
def smtp_server() -> Iterator[Server]:
    server = Server(free_port())

    class Handler:
        async def handle_RCPT(self, _server: Any, session: Any, envelope: Any, address: str,
                              _options: Any) -> str:
            with server.lock:
                server.attempts[address] += 1
                if address in server.refuse:
                    return "550 5.1.1 no such mailbox"
                if address in server.defer and server.attempts[address] == 1:
                    return "451 4.7.1 greylisted, try again later"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, _server: Any, session: Any, envelope: Any) -> str:
            data = envelope.original_content
            language = data.split(b"Content-Language: ", 1)[1][:2].decode()
            with server.lock:
                for to in envelope.rcpt_tos:
                    server.received[to] += 1
                    server.languages[to] = language
                    if len(server.raw) < server.keep_raw:
                        server.raw[to] = data
            return "250 OK queued"

    controller = patient_controller(Handler(), server.port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


def _hours_ago(hours: float) -> str:
    """A date relative to now: the automatic send looks back a day from the real clock."""
    moment = dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours)
    return moment.replace(microsecond=0).isoformat()


def newsletter_site(root: Path, port: int, extra: str = "") -> Path:
    """A site whose story came out three hours ago (an older one five days ago)."""
    body = ("Boats lie on their sides in the reeds. ![The delta](/images/delta.png)\n\n"
            "A [report](https://news.example.org/reports/water/) and an outside picture: "
            "![tracker](https://tracker.example.net/pixel.png)\n\n<script>alert(1)</script>")
    return write_site(root, {
        "masthead.toml": SETTINGS.format(port=port) + extra,
        f"content/posts/en/{STORY}.md": post("The delta is drying", description="Three dry "
                                             "summers closed the spring channels.",
                                             date=_hours_ago(3), body=body),
        f"content/posts/ru/{STORY}.md": post("Дельта пересыхает", description="Три сухих лета.",
                                             date=_hours_ago(3), body=body),
        "content/posts/en/older.md": post("An older story", date=_hours_ago(120)),
        "public/images/delta.png": _png(),
    })


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (1200, 600), (90, 120, 150)).save(out, "PNG")
    return out.getvalue()


def subscribe(url: str, site: Path, addresses: list[tuple[str, str]],
              status: str = "confirmed") -> Database:
    """Put subscribers (address, language) into the database as confirmed ones."""
    store = open_database(url, site)
    run_async(prepare_database(store))

    def work(cur: Any) -> None:
        for email, lang in addresses:
            cur.execute(store.sql("INSERT INTO subscribers (email, status, nonce, created, "
                                  "confirmed, lang) VALUES (?, ?, '', '2026-01-01', "
                                  "'2026-01-02', ?)"), (email, status, lang))

    store.transact(work)
    return store


def close(store: Database) -> None:
    run_async(store.close())
