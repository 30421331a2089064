"""Security headers for static hosts: ``_headers`` and an nginx snippet.

The Content-Security-Policy is made from what the site actually uses: its own origin
for everything (inline style attributes only when a body's raw HTML has them),
WebAssembly for the search page when search is on, the hosts of click-to-load embeds
(only ever framed after a click), hosts a site allowed in ``embed_allow``, remote
image hosts and a newsletter form posting elsewhere. A page
that tries to load anything else is stopped by the browser, which is what a site
that gets attacked wants. ``_headers`` is read by Netlify and Cloudflare Pages; the
nginx snippet is included in a ``server`` block.
"""

from __future__ import annotations

import re

from masthead.config import SiteConfig
from masthead.content.embeds import YOUTUBE
from masthead.content.markdown import INLINE_STYLE
from masthead.safeurl import header_safe, host_of, origin_of
from masthead.site.usage import MediaUsage

HEADERS_FILE = "_headers"
NGINX_FILE = "nginx-headers.conf"
IMMUTABLE = ("/assets/", "/_img/")  # content-hashed names: cache for a year
PERMISSIONS = ("accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
               "microphone=(), payment=(), usb=(), browsing-topics=()")


def content_security_policy(config: SiteConfig, usage: MediaUsage,
                            form_actions: set[str]) -> str:
    allowed = sorted(config.embed_allow)
    frames: set[str] = set()
    scripts: set[str] = set()
    for url, _source in usage.frames.items():
        if url == INLINE_STYLE:
            continue
        host = host_of(url)
        if not host:
            continue
        if YOUTUBE.match(url) and host not in config.embed_allow:
            frames.add("www.youtube-nocookie.com")  # what a facade loads on click
        elif url.lower().rsplit("?", 1)[0].endswith(".js"):
            if host in config.embed_allow:
                scripts.add(host)
        else:
            frames.add(host)
    if usage.youtube:
        frames.add("www.youtube-nocookie.com")
    script_src = ["'self'", *(f"https://{h}" for h in sorted(scripts))]
    if config.search:
        script_src.append("'wasm-unsafe-eval'")  # Pagefind runs as WebAssembly
    frame_src = [f"https://{h}" for h in sorted(frames | set(allowed))] or ["'none'"]
    img_src = ["'self'", "data:", *(f"https://{h}" for h in sorted(usage.image_hosts))]
    api = form_origins([config.api_endpoint])  # an API on another host: scripts call it too
    # The failover service worker fetches pages from the mirrors (its own policy is this).
    mirrors = form_origins(list(config.web_addresses)) if config.failover else set()
    form = ["'self'", *sorted(form_actions | api)]
    directives = [
        ("default-src", ["'self'"]),
        ("script-src", script_src),
        ("style-src", ["'self'"]),
        # Style attributes survive the sanitizer only where the site allows them.
        *([("style-src-attr", ["'unsafe-inline'"])]
          if INLINE_STYLE in usage.frames and any(a.endswith(":style")
                                                  for a in config.html_allow_attributes)
          else []),
        ("img-src", img_src),
        ("font-src", ["'self'"]),
        ("connect-src", ["'self'", *sorted(api | mirrors)]),
        ("media-src", ["'self'", *(f"https://{h}" for h in sorted(usage.media_hosts))]),
        ("frame-src", frame_src),
        ("object-src", ["'none'"]),
        ("base-uri", ["'self'"]),
        ("form-action", form),
        ("frame-ancestors", ["'self'"]),
    ]
    if config.base_url.startswith("https://"):
        directives.append(("upgrade-insecure-requests", []))
    return "; ".join(" ".join([name, *values]) for name, values in directives)


# Directives a policy in a <meta> element may not carry (browsers ignore them there and
# say so in the console).
_NOT_IN_META = ("frame-ancestors", "report-uri", "report-to", "sandbox")


def meta_policy(csp: str) -> str:
    """The policy for every page's ``<meta http-equiv>``: for hosts that send no headers
    (a plain bucket, GitHub Pages), the page protects itself."""
    return "; ".join(part for part in csp.split("; ")
                     if part.split(" ", 1)[0] not in _NOT_IN_META)


def form_origins(actions: list[str]) -> set[str]:
    """Origins of forms that post to another site (a newsletter service, say), each
    rebuilt from a well-formed URL (anything else never reaches a header)."""
    return {origin for origin in map(origin_of, actions) if origin}


def security_headers(csp: str) -> list[tuple[str, str]]:
    return [
        ("Content-Security-Policy", csp),
        ("Referrer-Policy", "same-origin"),
        ("X-Content-Type-Options", "nosniff"),
        ("Permissions-Policy", PERMISSIONS),
        ("X-Frame-Options", "SAMEORIGIN"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]


def _checked(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The headers, each value safe in a quoted header value: what goes into them is
    checked where it comes from, and this is the last guard."""
    for name, value in headers:
        if not header_safe(value):
            raise ValueError(f"unsafe {name} header value: {value!r}")
    return headers


def site_headers(csp: str, mirrored: bool) -> list[tuple[str, str]]:
    """Every response's headers. A site with mirrors lets any origin read its files
    (public pages, fetched without cookies): a reader's browser on one address fetches
    the same path from another when the first is blocked."""
    cors = [("Access-Control-Allow-Origin", "*")] if mirrored else []
    return _checked([*security_headers(csp), *cors])


FEDIVERSE_PREFIX = "/fediverse/"
_NGINX_URL = re.compile(r"^(https?://[A-Za-z0-9.:\[\]-]+)?/[A-Za-z0-9/._~-]*$")


def _fediverse_nginx(common: list[str], api_url: str) -> list[str]:
    """The accounts' files as ActivityPub JSON, readable from any origin, and WebFinger
    (which answers ``?resource=``) handed to the API: under the site's own address an
    internal rewrite to its location, elsewhere a redirect (fediverse servers follow
    it). An API address nginx could misread is left out, said in a comment."""
    lines = [f"location ^~ {FEDIVERSE_PREFIX} {{", *(f"    {line}" for line in common),
             '    add_header Access-Control-Allow-Origin "*" always;',
             "    types { } default_type application/activity+json;", "}",
             "location = /.well-known/nodeinfo {", *(f"    {line}" for line in common),
             "    types { } default_type application/json;", "}"]
    api = api_url.rstrip("/")
    if not _NGINX_URL.match(api + "/"):
        return [*lines, "# WebFinger: api_url is not a plain address; route "
                "/.well-known/webfinger to <api>/fediverse/webfinger yourself"]
    if api.startswith("/"):
        return [*lines, "location = /.well-known/webfinger {",
                f"    rewrite ^ {api}/fediverse/webfinger last;", "}"]
    return [*lines, "location = /.well-known/webfinger {",
            f"    return 302 {api}/fediverse/webfinger$is_args$args;", "}"]


def headers_file(csp: str, onion: str = "", mirrored: bool = False,
                 fediverse: bool = False) -> bytes:
    """Netlify / Cloudflare Pages ``_headers``; with an onion address, Onion-Location
    (the onion site's home: these hosts cannot put each page's path in a header)."""
    lines = ["# Written by masthead from what the site uses; rebuilt on every build.", "/*"]
    lines += [f"  {name}: {value}" for name, value in site_headers(csp, mirrored)]
    if onion:
        lines += [f"  Onion-Location: {value}" for _name, value in
                  _checked([("Onion-Location", onion.rstrip("/") + "/")])]
    for prefix in IMMUTABLE:
        lines += [f"{prefix}*", "  Cache-Control: public, max-age=31536000, immutable"]
    if fediverse:
        lines += [f"{FEDIVERSE_PREFIX}*", "  Content-Type: application/activity+json",
                  "  Access-Control-Allow-Origin: *"]
    return ("\n".join(lines) + "\n").encode()


COMPRESSION = (
    "gzip on;", "gzip_vary on;", "gzip_comp_level 5;", "gzip_min_length 512;",
    "gzip_types text/css text/plain text/xml application/javascript application/json "
    "application/xml application/rss+xml application/atom+xml application/feed+json "
    "application/manifest+json image/svg+xml;")


def nginx_snippet(csp: str, onion: str = "", mirrored: bool = False,
                  fediverse_api: str | None = None) -> bytes:
    """``include`` it inside the site's ``server { }`` block. nginx drops inherited
    add_header lines in a location that adds its own, so each location repeats them. With
    an onion address, Onion-Location names the same page there ($request_uri)."""
    common = [f'add_header {name} "{value}" always;'
              for name, value in site_headers(csp, mirrored)]
    if onion:
        base = _checked([("Onion-Location", onion.rstrip("/"))])[0][1]
        common.append(f'add_header Onion-Location "{base}$request_uri" always;')
    lines = ["# Security headers written by masthead from what the site uses.",
             "# Use: include /path/to/site/nginx-headers.conf; inside server { }.", *common,
             "# Text compressed on the way (a page shrinks to a fifth: what a phone waits for).",
             *COMPRESSION]
    for prefix in IMMUTABLE:
        lines += [f"location {prefix} {{", *(f"    {line}" for line in common),
                  '    add_header Cache-Control "public, max-age=31536000, immutable" always;',
                  "}"]
    if fediverse_api is not None:
        lines += _fediverse_nginx(common, fediverse_api)
    return ("\n".join(lines) + "\n").encode()
