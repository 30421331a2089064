"""What keeps the API standing when the site is attacked: a cap on request bodies,
strict input checks with clear JSON errors, cells a spreadsheet cannot run. (The rate
limits, shared by every process, are counted in the database under keyed hashes: an
address is never written anywhere.)"""

from __future__ import annotations

import re
from urllib.parse import unquote

from email_validator import EmailNotValidError, validate_email

# Bytes. A contact message is at most 5,000 characters; sent by the site's form without
# JavaScript, 5,000 Cyrillic characters are 45 KB of URL-encoding. The limits on each
# field count characters.
MAX_BODY = 64 * 1024
MAX_PATH = 400
MAX_VIEW_ID = 64
_VIEW_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")  # used with fullmatch: "id\n" is refused
_PATH = re.compile(r"^/[^\s?#\\]*$")


class BadInput(Exception):
    """A request the API refuses: ``status``, a message for people and the field."""

    def __init__(self, message: str, field: str = "", status: int = 400) -> None:
        super().__init__(message)
        self.message, self.field, self.status = message, field, status


def clean_path(value: object) -> str:
    """A site path as the page sends it (``location.pathname``): ``/posts/a`` and
    ``/posts/a/`` are one page."""
    if not isinstance(value, str) or not value:
        raise BadInput("'path' must be the page's path, such as /posts/my-story", "path")
    if len(value) > MAX_PATH or not _PATH.match(value) or ".." in unquote(value).split("/"):
        raise BadInput("'path' is not a path of this site", "path")
    return value.rstrip("/") or "/"


def clean_view_id(value: object) -> str:
    if not isinstance(value, str) or not _VIEW_ID.fullmatch(value):
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


def clean_text(value: object, name: str, limit: int, required: bool = True,
               single_line: bool = False) -> str:
    """Text as typed; ``single_line`` (a name, which goes into a mail header) refuses
    any line break, U+2028 and U+2029 included."""
    if value is None or value == "":
        if required:
            raise BadInput(f"'{name}' is required", name)
        return ""
    if not isinstance(value, str):
        raise BadInput(f"'{name}' must be text", name)
    if single_line and any(c in value for c in "\r\n\x85\u2028\u2029"):
        raise BadInput(f"'{name}' must be on one line", name)
    text = value.replace("\r\n", "\n").strip()
    if len(text) > limit:
        raise BadInput(f"'{name}' is longer than {limit} characters", name)
    if any(ord(c) < 32 and c not in "\n\t" for c in text):
        raise BadInput(f"'{name}' contains control characters", name)
    return text


def spreadsheet_safe(value: str) -> str:
    """A cell a spreadsheet shows as text: one starting with =, +, -, @ or a control
    character would be read as a formula (``=cmd|...``)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
