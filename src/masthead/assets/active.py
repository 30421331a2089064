"""Files in public/ that a browser would run: SVG (script, event handlers, links to
``javascript:``), HTML pages that masthead did not make, and XML that renders as a page.
Copied byte for byte, any of them runs script on the site's own origin wherever the host
does not send the Content-Security-Policy header (a plain bucket, GitHub Pages, a mirror),
and public/ fills up with files from elsewhere: an old WordPress's uploads, a Hugo
bundle, a photo a reader sent.

So by default (``trust_public = false``) each is published made safe, or not at all:
- SVG goes through svg-hush (Cloudflare's SVG sanitizer): scripts, event handlers,
  ``foreignObject`` and links out of the picture removed; a file it cannot read is left
  out.
- An HTML page gets a ``<meta>`` Content-Security-Policy before anything else in it: the
  site's own policy, with no script at all (``script-src 'none'``). A plain-text file
  that only has an ``.html`` name (a search engine's ownership check) is kept as it is.
- XHTML, and XML that would render as XHTML or SVG or through a stylesheet, is left out.
Each change is said as a warning naming the file. A site whose public/ holds only its
own files can turn this off with ``trust_public = true``."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

Warn = Callable[[str, str, str], None]  # (public path, message, hint)

PAGE_SUFFIXES = (".html", ".htm", ".shtml")
REFUSED_SUFFIXES = (".xhtml", ".xht", ".svgz", ".xsl", ".xslt")
_MARKUP = re.compile(rb"<[A-Za-z!?/]")
_ACTIVE_SVG = re.compile(rb"<script|<foreignObject|\son[a-z]+\s*=|javascript:|<iframe|"
                         rb"<embed|<object|xlink:href\s*=\s*[\"'](?!#)|<use\b[^>]*href\s*="
                         rb"\s*[\"'](?!#)", re.I)
_RENDERS = re.compile(rb"http://www\.w3\.org/1999/xhtml|http://www\.w3\.org/2000/svg|"
                      rb"<\?xml-stylesheet", re.I)
_SCRIPT_URL = re.compile(rb"(?i)(?:java|vb)script\s*:")
_DOCTYPE = re.compile(rb"\A(\xef\xbb\xbf)?\s*(<!doctype[^>]*>)?", re.I)
HINT = ("keep it as it is with trust_public = true in masthead.toml only if the file is "
        "the site's own")


def is_active(rel: str) -> bool:
    return rel.lower().endswith((".svg", ".xml", *PAGE_SUFFIXES, *REFUSED_SUFFIXES))


def made_safe(published: dict[str, Path], page_policy: str, warn: Warn) -> dict[str, bytes]:
    """Takes every active file out of ``published`` (output path -> source) and returns
    what is published in its place (output path -> bytes)."""
    safe: dict[str, bytes] = {}
    for rel in [rel for rel in published if is_active(rel)]:
        source = published.pop(rel)
        data = source.read_bytes()
        lower = rel.lower()
        if lower.endswith(".svg"):
            cleaned = safe_svg(data)
            if cleaned is None:
                warn(rel, "cannot be read as SVG; it is not published", "check the file")
                continue
            if _ACTIVE_SVG.search(data):
                warn(rel, "had script, event handlers or outside links; published without "
                     "them", HINT)
            safe[rel] = cleaned
        elif lower.endswith(PAGE_SUFFIXES):
            safe[rel] = guarded_page(data, page_policy)
            if safe[rel] is not data and re.search(rb"<script|\son[a-z]+\s*=", data, re.I):
                warn(rel, "is a page masthead did not make; published with a policy that "
                     "runs none of its scripts", HINT)
        elif lower.endswith(".xml") and not _RENDERS.search(data):
            published[rel] = source  # data (a feed, a sitemap of its own): as it is
        else:
            warn(rel, "would be shown by browsers as a page or picture that can run "
                 "script; it is not published", HINT)
    return safe


def safe_svg(data: bytes) -> bytes | None:
    """The picture without anything that runs or loads from elsewhere (``None``: not a
    readable SVG)."""
    import py_svg_hush

    try:
        cleaned = py_svg_hush.filter_svg(data)
    except ValueError:
        return None
    # svg-hush keeps an <animate to="javascript:..."> whose attributeName it removed:
    # inert, but no reason to publish the words.
    return _SCRIPT_URL.sub(b"", cleaned)


def guarded_page(data: bytes, policy: str) -> bytes:
    """``data`` with a ``<meta>`` policy as the first thing a browser reads in it (after
    a doctype); text without markup is returned as it is."""
    if not _MARKUP.search(data):
        return data
    meta = ('<meta http-equiv="Content-Security-Policy" content="'
            + policy.replace("&", "&amp;").replace('"', "&quot;") + '">').encode()
    head = _DOCTYPE.match(data)
    end = head.end() if head else 0
    return data[:end] + meta + data[end:]


def page_policy(site_policy: str) -> str:
    """The site's policy (as a ``<meta>`` may carry it) for pages it did not make: no
    script from anywhere, no plugins, no form posted elsewhere."""
    parts = []
    for part in site_policy.split("; "):
        name = part.split(" ", 1)[0]
        if name == "script-src":
            part = "script-src 'none'"
        parts.append(part)
    return "; ".join(parts)
