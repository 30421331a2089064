"""The one place where slugs are made.

Banter compares categories, tags and authors by lower-casing a name and turning
spaces into hyphens; masthead does the same so that existing links keep working,
and keeps non-ASCII letters (Cyrillic tags stay Cyrillic, percent-encoded in links).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from urllib.parse import quote

_SPACES = re.compile(r"\s+")
_UNSAFE = re.compile(r"[/?#%\\<>\"'`|^{}\[\]]")


# A slug is a folder name in the output: file systems allow 255 bytes. Longer ones (a
# 300-letter tag) are cut at a character's edge; no real name comes near.
SLUG_BYTES = 200


@functools.lru_cache(maxsize=65536)
def banter_slug(name: str) -> str:
    """Banter's rule: lower case, whitespace to hyphens (``Free Nations`` -> ``free-nations``)."""
    text = unicodedata.normalize("NFC", str(name)).strip().lower()
    slug = _UNSAFE.sub("", _SPACES.sub("-", text))
    if len(slug) * 4 > SLUG_BYTES and len(slug.encode()) > SLUG_BYTES:
        slug = slug.encode()[:SLUG_BYTES].decode("utf-8", "ignore")
    return slug


_NON_WORD = re.compile(r"[^\w\- ]+", re.UNICODE)


def anchor_slug(text: str) -> str:
    """An id for a heading: words kept (any script), punctuation dropped."""
    if not text.isascii():  # ASCII text is already in NFC
        text = unicodedata.normalize("NFC", text)
    text = _NON_WORD.sub("", text.strip().lower())
    return _SPACES.sub("-", text).strip("-") or "section"


_URL_SAFE = "/:@!$&'()*+,;=-._~"
_NEEDS_QUOTING = re.compile(r"[^A-Za-z0-9/:@!$&'()*+,;=\-._~]")


def url_path(path: str) -> str:
    """Percent-encode a path for an href, keeping '/' (Cyrillic tags become %D0%...)."""
    if not _NEEDS_QUOTING.search(path):  # most paths: nothing to encode, and 10x faster
        return path
    return quote(path, safe=_URL_SAFE)
