"""What a URL written by a user may be, wherever it lands: a link, a header, a config file.

Every string from content or settings can be an attack. Links are allowed only with the
schemes a news page needs (``http``, ``https``, ``mailto``, ``tel``) or none at all (a path on
the site); a host goes into a Content-Security-Policy or an nginx snippet only when it is a
well-formed host name, rebuilt from its parts, never copied as written.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

LINK_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
# What browsers ignore in a URL before reading its scheme: C0 controls and spaces around
# it, tabs and line breaks anywhere ("java\tscript:" is javascript:).
_IGNORED = re.compile(r"[\x00-\x20]+")
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOSTNAME = re.compile(rf"^(?:{_LABEL}\.)*{_LABEL}\.?$")
# Safe inside a double-quoted header value in _headers and in nginx's configuration: no
# quote, backslash, variable ($), braces or control characters.
_HEADER_SAFE = re.compile(r"^[\x20-\x7e]*$")
_HEADER_UNSAFE = set('"\\${}')


def link_ok(url: str) -> bool:
    """Whether ``url`` may be the target of a link or a form: a scheme from
    :data:`LINK_SCHEMES`, or none (a path, a fragment, a query). Character references are
    read first, as a browser reads them in an attribute."""
    text = _IGNORED.sub("", html.unescape(url))
    match = _SCHEME.match(text)
    return match is None or match.group(1).lower() in LINK_SCHEMES


def source_ok(url: str) -> bool:
    """Whether ``url`` may be loaded by a page (an image, a video, a frame): ``http``,
    ``https`` or a path on the site."""
    text = _IGNORED.sub("", html.unescape(url))
    match = _SCHEME.match(text)
    return match is None or match.group(1).lower() in ("http", "https")


def hostname(host: str) -> str:
    """``host`` as an ASCII host name in lower case (IDNA for other scripts), or '' when it
    is not a well-formed host name."""
    host = host.strip().lower()
    if not host or len(host) > 253:
        return ""
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return ""
    return host.rstrip(".") if _HOSTNAME.match(host) else ""


def host_of(url: str) -> str:
    """The well-formed host name of an http(s) or scheme-relative URL, or ''."""
    try:
        parts = urlsplit(url.strip() if "//" in url else f"//{url.strip()}")
        if parts.scheme and parts.scheme.lower() not in ("http", "https"):
            return ""
        return hostname(parts.hostname or "")
    except ValueError:
        return ""


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of an http(s) URL, rebuilt from its parts, or ''."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return ""
    scheme = parts.scheme.lower()
    host = hostname(parts.hostname or "")
    if scheme not in ("http", "https") or not host:
        return ""
    return f"{scheme}://{host}" + (f":{port}" if port else "")


def header_safe(value: str) -> bool:
    """Whether ``value`` may stand in a double-quoted header value of ``_headers`` or of
    the nginx snippet as it is."""
    return bool(_HEADER_SAFE.match(value)) and not (_HEADER_UNSAFE & set(value))
