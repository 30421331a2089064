"""Old URLs kept alive on any host: an nginx ``map``, a ``_redirects`` file (Netlify,
Cloudflare Pages) and a small page at each old path (refresh + canonical) for hosts that
have neither."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from urllib.parse import unquote

from masthead.config.feeds import FEED_FILES
from masthead.content.slugs import url_path
from masthead.emit.outputs import reserved
from masthead.importers.files import SiteWriter

NGINX_FILE = "redirects.nginx"
REDIRECTS_FILE = "_redirects"
# What may stand in an nginx string and a _redirects line as it is: no quote, backslash,
# variable, brace, semicolon, space or control character.
_SAFE_PATH = re.compile(r"^/[^\s\"'\\${};#<>\x00-\x1f\x7f]*$")


# The site's own sections: an old address equal to one of them is a page of the new site.
SECTIONS = frozenset({"posts", "categories", "authors", "tags", "archive", "search",
                      "mirrors", "page"})
_FEEDS = frozenset(FEED_FILES.values())


def safe_path(path: str) -> bool:
    return bool(_SAFE_PATH.match(path)) and ".." not in path.split("/")


def nginx_string(value: str) -> str:
    """A value as a double-quoted nginx string: backslash and quote escaped, ``$`` (which
    nginx reads as a variable in a map's value) percent-encoded. Line breaks and control
    characters have no place in a path and are refused."""
    if re.search(r"[\x00-\x1f\x7f]", value):
        raise ValueError(f"{value[:60]!r} has a control character")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def served(old: str, pages: frozenset[str]) -> bool:
    """Whether the new site serves ``old`` itself: its home page, a page the import
    wrote (``pages``: paths in lower case without the last slash), a section, a list's
    next pages, a feed, or a file masthead writes (``/feed.json``, ``/sitemap.xml/``).
    A redirect there would send readers away from a live page."""
    path = unquote(old).lower().rstrip("/")
    parts = path.strip("/").split("/")
    top, last = parts[0], parts[-1]
    return (not path or path in pages or reserved(top) or top in _FEEDS or last in _FEEDS
            or top == "404.html" or (top.startswith("sitemap") and top.endswith(".xml"))
            or (len(parts) == 1 and top in SECTIONS)
            or (len(parts) == 2 and top in ("categories", "authors", "tags"))
            or (len(parts) >= 2 and parts[-2] == "page" and last.isdigit()))


def live_pages(urls: Iterable[str]) -> frozenset[str]:
    return frozenset(unquote(url).lower().rstrip("/") for url in urls)


def without_served(redirects: dict[str, str], pages: frozenset[str],
                   warn: Callable[[str], None]) -> dict[str, str]:
    """The redirects that send nobody away from a page the new site has."""
    kept = {}
    for old, new in redirects.items():
        if served(old, pages):
            warn(f"the old address {old[:80]} is a page of the new site; it is not "
                 "redirected")
        else:
            kept[old] = new
    return kept


def nginx_map(redirects: dict[str, str]) -> str:
    """``include`` it in nginx's ``http { }``; in the site's ``server { }``:
    ``if ($masthead_redirect) { return 301 $masthead_redirect; }``. Keys are paths as
    nginx sees them ($uri: decoded), values are sent as they are (encoded)."""
    longest = max((len(key.encode()) for key in redirects), default=0)
    bucket = 64
    while bucket < longest + 32:
        bucket *= 2
    lines = ["# Old addresses of the site and where they are now; written by masthead import.",
             "# In http { }:   include /path/to/site/redirects.nginx;",
             "# In server { }: if ($masthead_redirect) { return 301 $masthead_redirect; }",
             "# (It sets map_hash_bucket_size for its longest address: remove that line if",
             "# the configuration sets a larger one.)",
             f"map_hash_bucket_size {bucket};",
             "map $uri $masthead_redirect {", '    default "";']
    for old, new in sorted(redirects.items()):
        for key in dict.fromkeys((old, old.rstrip("/") or "/")):
            lines.append(f"    {nginx_string(key)} {nginx_string(_no_dollar(url_path(new)))};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _no_dollar(url: str) -> str:
    return url.replace("$", "%24")


def redirects_file(redirects: dict[str, str]) -> str:
    lines = ["# Old addresses of the site and where they are now; written by masthead import."]
    lines += [f"{url_path(old)} {url_path(new)} 301" for old, new in sorted(redirects.items())]
    return "\n".join(lines) + "\n"


def redirect_page(new: str, absolute: str) -> str:
    """A page at an old path for hosts without redirects: readers are sent on at once,
    search engines are told where the page is now."""
    target = html.escape(url_path(new), quote=True)
    canonical = html.escape(absolute, quote=True)
    return ("<!doctype html>\n<html><head><meta charset=\"utf-8\">"
            f"<title>Moved</title><link rel=\"canonical\" href=\"{canonical}\">"
            f"<meta http-equiv=\"refresh\" content=\"0; url={target}\">"
            "<meta name=\"robots\" content=\"noindex\"></head>"
            f"<body><p>This page is now at <a href=\"{target}\">{target}</a>.</p>"
            "</body></html>\n")


def write_redirects(writer: SiteWriter, redirects: dict[str, str], base: str,
                    pages: frozenset[str], warn: Callable[[str], None]) -> int:
    """All three forms into the site: the nginx map beside masthead.toml, ``_redirects``
    and the pages at the old paths under public/ (``base``: the site's address), for
    every old address that the new site does not serve itself (``pages``, see
    ``served``). Returns how many."""
    redirects = without_served(redirects, pages, warn)
    writer.write(NGINX_FILE, nginx_map(redirects).encode())
    writer.write(f"public/{REDIRECTS_FILE}", redirects_file(redirects).encode())
    for old, new in redirects.items():
        rel = old.strip("/")
        if not rel:
            continue
        target = f"public/{rel}" if rel.endswith(".html") else f"public/{rel}/index.html"
        writer.write(target, redirect_page(new, base.rstrip("/") + new).encode())
    return len(redirects)
