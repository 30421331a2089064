"""What keeps the API standing when the site is attacked: per-client rate limits, a cap
on request bodies, strict input checks with clear JSON errors.

Rate limits are counted in memory only, by client address, for one minute; addresses
are never written anywhere (the outlet's readers must not be identifiable from its
server's data).
"""

from __future__ import annotations

import re
import time
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import unquote

from email_validator import EmailNotValidError, validate_email

MAX_BODY = 16 * 1024  # bytes: a contact message is at most 5,000 characters
MAX_PATH = 400
MAX_VIEW_ID = 64
_VIEW_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_PATH = re.compile(r"^/[^\s?#\\]*$")


class BadInput(Exception):
    """A request the API refuses: ``status``, a message for people and the field."""

    def __init__(self, message: str, field: str = "", status: int = 400) -> None:
        super().__init__(message)
        self.message, self.field, self.status = message, field, status


@dataclass
class RateLimiter:
    """At most ``per_minute`` requests per client in any 60 seconds; 0 turns it off."""

    per_minute: int
    _seen: dict[str, deque[float]] = field(default_factory=dict)
    _swept: float = 0.0

    def allow(self, client: str) -> bool:
        if self.per_minute <= 0:
            return True
        now = time.monotonic()
        if now - self._swept > 60:
            self._sweep(now)
        stamps = self._seen.setdefault(client, deque())
        while stamps and now - stamps[0] > 60:
            stamps.popleft()
        if len(stamps) >= self.per_minute:
            return False
        stamps.append(now)
        return True

    def _sweep(self, now: float) -> None:
        """Forget clients idle for a minute, so that memory does not grow with them."""
        for client in [c for c, s in self._seen.items() if not s or now - s[-1] > 60]:
            del self._seen[client]
        self._swept = now


def clean_path(value: object) -> str:
    """A site path as the page sends it (``location.pathname``): ``/posts/a`` and
    ``/posts/a/`` are one page."""
    if not isinstance(value, str) or not value:
        raise BadInput("'path' must be the page's path, such as /posts/my-story", "path")
    if len(value) > MAX_PATH or not _PATH.match(value) or ".." in unquote(value).split("/"):
        raise BadInput("'path' is not a path of this site", "path")
    return value.rstrip("/") or "/"


def clean_view_id(value: object) -> str:
    if not isinstance(value, str) or not _VIEW_ID.match(value):
        raise BadInput("'id' must be 8 to 64 letters, digits, '-' or '_' made for this page "
                       "load", "id")
    return value


def clean_email(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadInput("an email address is required", "email")
    if len(value) > 254:
        raise BadInput("the email address is too long", "email")
    try:
        checked = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise BadInput(f"not a valid email address: {exc}", "email") from None
    return checked.normalized.lower()


def clean_text(value: object, name: str, limit: int, required: bool = True) -> str:
    if value is None or value == "":
        if required:
            raise BadInput(f"'{name}' is required", name)
        return ""
    if not isinstance(value, str):
        raise BadInput(f"'{name}' must be text", name)
    text = value.replace("\r\n", "\n").strip()
    if len(text) > limit:
        raise BadInput(f"'{name}' is longer than {limit} characters", name)
    if any(ord(c) < 32 and c not in "\n\t" for c in text):
        raise BadInput(f"'{name}' contains control characters", name)
    return text
