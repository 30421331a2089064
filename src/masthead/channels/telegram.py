"""A story as a Telegram channel post, and the Bot API calls that post and edit it.

A post is the story's picture with a caption (at most 1,024 characters) or, without a
picture, a message (at most 4,096): the title in bold, the summary, the link to the
story and, for readers where the site is blocked, the same story at the first mirror.
Telegram counts the text it shows, after reading the HTML, in UTF-16 units; the summary
(then the title) is shortened to fit, never a link. Everything taken from the story is
escaped for Telegram's HTML, and the links are the site's own http(s) addresses.

The Bot API's documented answers decide what happens next: 429 carries ``retry_after``
(waited, up to a limit, then retried); a 5xx or a refused connection is retried with a
growing pause; 400 and 403 are the request's fault (a caption too long, the bot not an
admin of the channel) and are reported with Telegram's own words. A request that left
and got no answer in time may have been posted: it is never repeated by itself."""

from __future__ import annotations

import html
import re
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

CAPTION_LIMIT = 1024
TEXT_LIMIT = 4096
RETRY_AFTER_LIMIT = 120.0  # seconds a 429 may ask for; longer: left for the next run
ATTEMPTS = 5
TIMEOUT = httpx.Timeout(30.0, connect=10.0)
# What the Bot API says when it cannot fetch or read a picture given by its address.
_PICTURE_PROBLEM = re.compile(r"(?i)wrong file identifier|http url|failed to get|"
                              r"image_process_failed|wrong type of the web page content")


@dataclass(frozen=True)
class Post:
    """What a channel shows: Telegram HTML, with the picture's address when there is one."""

    html: str
    photo: str = ""  # absolute http(s) URL of the picture

    @property
    def limit(self) -> int:
        return CAPTION_LIMIT if self.photo else TEXT_LIMIT

    @property
    def text(self) -> str:
        """What readers see, as Telegram counts it (the tags read, the entities undone)."""
        return shown(self.html)


def units(text: str) -> int:
    """Length in UTF-16 code units, as Telegram measures its limits."""
    return len(text.encode("utf-16-le")) // 2


def shown(markup: str) -> str:
    """The visible text of Telegram HTML made by :func:`compose`."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def _cut(text: str, room: int) -> str:
    """``text`` shortened to ``room`` UTF-16 units, with an ellipsis when cut."""
    if units(text) <= room:
        return text
    if room <= 1:
        return ""
    out, used = [], 0
    for char in text:
        size = units(char)
        if used + size > room - 1:
            break
        out.append(char)
        used += size
    return "".join(out).rstrip() + "…"


def _link(url: str, label: str) -> str:
    return f'<a href="{html.escape(url, quote=True)}">{html.escape(label, quote=False)}</a>'


def compose(title: str, summary: str, url: str, photo: str, read_label: str,
            blocked_label: str, mirror_url: str) -> Post:
    """The post: title, summary, link, and the story at the first mirror (when the site
    has one); shortened to the limit of its kind."""
    limit = CAPTION_LIMIT if photo else TEXT_LIMIT
    tail = "\n\n" + _link(url, read_label)
    if mirror_url:
        host = urllib.parse.urlsplit(mirror_url).hostname or mirror_url
        tail += f"\n{html.escape(blocked_label, quote=False)}: {_link(mirror_url, host)}"
    tail_units = units(shown(tail))
    title = " ".join(title.split())
    summary = " ".join(summary.split())
    title = _cut(title, max(1, limit - tail_units - 2))
    room = limit - tail_units - units(title) - 2  # "\n\n" between title and summary
    summary = _cut(summary, room) if room > 0 else ""
    body = f"<b>{html.escape(title, quote=False)}</b>"
    if summary:
        body += "\n\n" + html.escape(summary, quote=False)
    return Post(body + tail, photo)


class ChannelError(Exception):
    """The channel refused or could not be reached; ``unsure``: the post may be there."""

    def __init__(self, message: str, unsure: bool = False, retry_after: float = 0.0) -> None:
        super().__init__(message)
        self.unsure = unsure
        self.retry_after = retry_after


class BotApi:
    """The Bot API at ``base`` (Telegram's, or a self-hosted ``telegram-bot-api``)."""

    def __init__(self, base: str, token: str, say: Callable[[str], None] = print,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.base = f"{base.rstrip('/')}/bot{token}"
        self.say = say
        self.sleep = sleep
        self.http = httpx.Client(timeout=TIMEOUT, follow_redirects=False)

    def close(self) -> None:
        self.http.close()

    def post(self, chat: str, post: Post) -> str:
        """Post to ``chat``; the message's id."""
        result: Any = None
        if post.photo:
            try:
                result = self._call("sendPhoto", {"chat_id": chat, "photo": post.photo,
                                                  "caption": post.html, "parse_mode": "HTML"})
            except ChannelError as exc:  # Telegram could not fetch the picture: no picture
                if exc.unsure or not _PICTURE_PROBLEM.search(str(exc)):
                    raise
                self.say(f"the picture could not be posted ({exc}); posting the text alone")
        if result is None:
            result = self._call("sendMessage", {
                "chat_id": chat, "text": post.html, "parse_mode": "HTML",
                "link_preview_options": {"url": _first_link(post.html),
                                         "prefer_large_media": True}})
        message = result.get("message_id") if isinstance(result, dict) else None
        if not isinstance(message, int):
            raise ChannelError("the Bot API answered without a message id", unsure=True)
        return str(message)

    def edit(self, chat: str, message: str, post: Post) -> None:
        """Change a post to ``post`` (its picture stays)."""
        if post.photo:
            self._call("editMessageCaption", {"chat_id": chat, "message_id": int(message),
                                              "caption": post.html, "parse_mode": "HTML"})
        else:
            self._call("editMessageText", {"chat_id": chat, "message_id": int(message),
                                           "text": post.html, "parse_mode": "HTML"})

    def delete(self, chat: str, message: str) -> None:
        """Take a post out of the channel (the bot needs the right to delete messages
        for a post older than 48 hours)."""
        self._call("deleteMessage", {"chat_id": chat, "message_id": int(message)})

    def _call(self, method: str, payload: dict[str, Any]) -> Any:
        pause, problem = 1.0, ""
        for attempt in range(1, ATTEMPTS + 1):
            try:
                answer = self.http.post(f"{self.base}/{method}", json=payload)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                problem = f"cannot reach the Bot API: {_safe(exc, self.base)}"
            except httpx.HTTPError as exc:  # it left: Telegram may have posted it
                raise ChannelError(f"no answer from the Bot API ({type(exc).__name__}); the "
                                   "post may be in the channel", unsure=True) from None
            else:
                body = _json(answer)
                if answer.status_code == 200 and body.get("ok") is True:
                    return body.get("result")
                said = str(body.get("description") or f"HTTP {answer.status_code}")[:300]
                if answer.status_code == 429:
                    wait = float((body.get("parameters") or {}).get("retry_after") or 1)
                    if wait > RETRY_AFTER_LIMIT:
                        raise ChannelError(f"{said} (asked to wait {wait:.0f} s: left for "
                                           "the next run)", retry_after=wait)
                    problem = f"Telegram kept asking to wait ({said})"
                    self.say(f"Telegram asks to wait {wait:.0f} s before {method}")
                    self.sleep(wait)
                    continue
                if answer.status_code < 500:
                    raise ChannelError(_explained(answer.status_code, said))
                problem = f"the Bot API failed: {said}"
            if attempt < ATTEMPTS:
                self.say(f"{problem}; trying again in {pause:.0f} s")
                self.sleep(pause)
                pause *= 2
        raise ChannelError(problem)


def _first_link(markup: str) -> str:
    found = re.search(r'href="([^"]+)"', markup)
    return html.unescape(found.group(1)) if found else ""


def _json(answer: httpx.Response) -> dict[str, Any]:
    try:
        body = answer.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _safe(exc: Exception, base: str) -> str:
    """An error's words without the bot's token (it is in the URL)."""
    token_part = base.rsplit("/bot", 1)[-1]
    return str(exc).replace(token_part, "…") if token_part else str(exc)


def _explained(status: int, said: str) -> str:
    if status == 403:
        return (f"Telegram refused ({said}): make the bot an administrator of the channel "
                "with the right to post")
    if status == 401:
        return f"Telegram refused the token ({said}): check the bot token's variable"
    if status == 400 and "chat not found" in said.lower():
        return f"Telegram knows no such channel ({said}): check chat in [[channels]]"
    return f"Telegram refused the post ({said})"
