"""The tokens in links sent by email (confirm a subscription, unsubscribe).

A token is random and says nothing: not the address, not when it was made. The
database keeps only its SHA-256 (a copy of the database cannot be used to unsubscribe
anyone), with the address it stands for. Every email carries tokens of its own, so a
link forwarded with one newsletter is not a key to the reader forever."""

from __future__ import annotations

import hashlib
import re
import secrets

CONFIRM, CONFIRM_USED, LEAVE = "confirm", "confirm-used", "leave"
_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,64}")


def new_token() -> tuple[str, str]:
    """(token for the link, digest for the database)."""
    token = secrets.token_urlsafe(24)
    return token, digest(token)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def well_formed(token: str) -> bool:
    """A token of the shape this module makes (checked before the database is asked)."""
    return bool(_SHAPE.fullmatch(token))
