"""A local server that speaks the Telegram Bot API methods masthead uses, with the
documented limits and errors, for tests (Telegram itself is unreachable from here).

- ``/bot<token>/<method>``: a wrong token is 401 Unauthorized;
- ``sendMessage`` (text at most 4,096 characters), ``sendPhoto`` (caption at most 1,024),
  ``editMessageText``, ``editMessageCaption``; lengths counted as Telegram counts them,
  in UTF-16 units of the text left after the HTML is read; HTML that Telegram would not
  read (an unknown tag, a link without href, a tag not closed) is 400 "can't parse
  entities";
- a chat it does not know: 400 "chat not found"; a chat where the bot is not an admin:
  403 "bot is not a member of the channel chat";
- scripted trouble for the next calls: 429 with ``retry_after``, a 5xx, or an answer
  held back for some seconds after the post was made (to kill the poster meanwhile).
"""

from __future__ import annotations

import asyncio
import html.parser
import threading
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from aiohttp import web

TOKEN = "123456:test-token"
_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
         "tg-spoiler", "span", "blockquote"}


class _Reader(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.open: list[str] = []
        self.problem = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _TAGS:
            self.problem = self.problem or f"Unsupported start tag \"{tag}\""
        if tag == "a" and not dict(attrs).get("href"):
            self.problem = self.problem or "Can't find end tag corresponding to start tag a"
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.problem = self.problem or f"Unmatched end tag \"{tag}\""
        else:
            self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def read_html(markup: str) -> tuple[str, str]:
    """(visible text, problem) of Telegram HTML."""
    reader = _Reader()
    reader.feed(markup)
    reader.close()
    if reader.open and not reader.problem:
        reader.problem = f"Can't find end tag corresponding to start tag \"{reader.open[-1]}\""
    return "".join(reader.text), reader.problem


def units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Message:
    chat: str
    id: int
    kind: str  # text | photo
    html: str
    text: str
    photo: str = ""
    edits: int = 0


@dataclass
class BotApiServer:
    """The server's state: what was posted, and what trouble the next calls meet."""

    admin_of: set[str] = field(default_factory=lambda: {"@news_en", "@novosti_ru"})
    known: set[str] = field(default_factory=lambda: {"@news_en", "@novosti_ru", "@other"})
    messages: list[Message] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    # what the next calls meet, in order: ("429", retry_after), ("500", 0), ("hold", seconds)
    trouble: list[tuple[str, float]] = field(default_factory=list)
    bad_photos: set[str] = field(default_factory=set)  # addresses Telegram cannot fetch
    undeletable: set[tuple[str, int]] = field(default_factory=set)  # (chat, id): no right
    url: str = ""

    def install(self, app: web.Application) -> None:
        app.router.add_post("/bot{token}/{method}", self.handle)

    def posted(self, chat: str) -> list[Message]:
        return [m for m in self.messages if m.chat == chat]

    async def handle(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        self.calls.append(method)
        if token != TOKEN:
            return _error(401, "Unauthorized")
        if self.trouble:
            kind, value = self.trouble[0]
            if kind in ("429", "500"):
                self.trouble.pop(0)
                if kind == "429":
                    return web.json_response({"ok": False, "error_code": 429,
                                              "description": "Too Many Requests: retry after "
                                                             f"{int(value)}",
                                              "parameters": {"retry_after": value}},
                                             status=429)
                return _error(500, "Internal Server Error")
        body: dict[str, Any] = await request.json()
        chat = str(body.get("chat_id", ""))
        if chat not in self.known:
            return _error(400, "Bad Request: chat not found")
        if chat not in self.admin_of:
            return _error(403, "Forbidden: bot is not a member of the channel chat")
        if method == "deleteMessage":
            found = next((m for m in self.messages if m.chat == chat
                          and m.id == body.get("message_id")), None)
            if found is None:
                return _error(400, "Bad Request: message to delete not found")
            if (found.chat, found.id) in self.undeletable:
                return _error(400, "Bad Request: message can't be deleted")
            self.messages.remove(found)
            return web.json_response({"ok": True, "result": True})
        if method in ("sendMessage", "editMessageText"):
            markup, limit, empty = str(body.get("text", "")), 4096, "message text is empty"
            too_long = "message is too long"
        elif method in ("sendPhoto", "editMessageCaption"):
            markup, limit, empty = str(body.get("caption", "")), 1024, ""
            too_long = "message caption is too long"
        else:
            return _error(404, "Not Found: method not found")
        text, problem = read_html(markup) if body.get("parse_mode") == "HTML" else (markup, "")
        if problem:
            return _error(400, f"Bad Request: can't parse entities: {problem}")
        if empty and not text.strip():
            return _error(400, f"Bad Request: {empty}")
        if units(text) > limit:
            return _error(400, f"Bad Request: {too_long}")
        if method == "sendPhoto" and str(body.get("photo")) in self.bad_photos:
            return _error(400, "Bad Request: wrong file identifier/HTTP URL specified")
        if method.startswith("edit"):
            found = next((m for m in self.messages if m.chat == chat
                          and m.id == body.get("message_id")), None)
            if found is None:
                return _error(400, "Bad Request: message to edit not found")
            if found.html == markup:
                return _error(400, "Bad Request: message is not modified: specified new "
                                   "message content and reply markup are exactly the same")
            found.html, found.text, found.edits = markup, text, found.edits + 1
            return web.json_response({"ok": True, "result": {"message_id": found.id}})
        message = Message(chat, len(self.posted(chat)) + 1,
                          "photo" if method == "sendPhoto" else "text", markup, text,
                          str(body.get("photo", "")))
        self.messages.append(message)
        if self.trouble and self.trouble[0][0] == "hold":  # posted; the answer comes late
            await asyncio.sleep(self.trouble.pop(0)[1])
        return web.json_response({"ok": True, "result": {
            "message_id": message.id, "chat": {"id": -100, "type": "channel"}}})


def _error(status: int, description: str) -> web.Response:
    return web.json_response({"ok": False, "error_code": status, "description": description},
                             status=status)


class Served(Protocol):
    """A fake server's state: its routes, and its address once it listens."""

    url: str

    def install(self, app: web.Application) -> None: ...


S = TypeVar("S", bound=Served)


class Running(Generic[S]):
    """The server on a loopback port, on a thread of its own."""

    def __init__(self, state: S) -> None:
        self.state = state
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.runner: web.AppRunner | None = None

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        app = web.Application()
        self.state.install(app)
        self.runner = web.AppRunner(app)
        self.loop.run_until_complete(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.state.url = f"http://127.0.0.1:{port}"
        self.ready.set()
        self.loop.run_forever()

    def __enter__(self) -> S:
        self.thread.start()
        self.ready.wait(10)
        return self.state

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            if self.runner is not None:
                await self.runner.cleanup()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()
