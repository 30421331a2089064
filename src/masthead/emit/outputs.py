"""Every file a build writes besides the pages, in one list.

Pages and feeds are routes (``site/routes.py``): one per address, rendered in the
workers. Everything else a site needs once (sitemaps, robots.txt, the headers files, the
service worker, the news sitemap) is a ``SiteFile`` here, with its name, whether a file
of that name in ``public/`` is published instead, and how it is made. The pipeline loops
over this list for full and incremental builds alike; what a page may not be called, and
which files in ``public/`` a build replaces, come from it too. A new site-wide file is
one function and one line in ``SITE_FILES``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from masthead.config import SiteConfig
from masthead.digests import digest
from masthead.emit.activitypub import FOLDER as FEDIVERSE
from masthead.emit.activitypub import NODEINFO_LINK, fediverse_accounts, fediverse_files
from masthead.emit.failover import SERVICE_WORKER, service_worker
from masthead.emit.headers import HEADERS_FILE, NGINX_FILE, headers_file, nginx_snippet
from masthead.emit.search import INDEX_DIR
from masthead.emit.sitemap import (
    NEWS_SITEMAP,
    news_sitemap,
    robots_txt,
    sitemap_files,
    sitemap_names,
    sitemap_rows,
)
from masthead.site.index import Site
from masthead.site.routes import Route
from masthead.site.urls import Urls

# Folders at the top of the output that masthead fills itself: theme assets, image
# variants (and video posters), the search index.
FOLDERS = {"assets": "theme assets", "_img": "image variants", INDEX_DIR: "search index",
           FEDIVERSE: "fediverse accounts"}
# Names a page cannot take although masthead writes no such file itself: what browsers
# ask every site for, and the output folder's own mark.
KEPT_NAMES = frozenset({"favicon.ico", ".masthead-output"})


@dataclass
class SiteContext:
    """What site-wide files are made from. ``made`` collects the files made so far (one
    may depend on another: robots.txt names the news sitemap when there is one)."""

    config: SiteConfig
    site: Site
    routes: list[Route]
    now: dt.datetime
    policy: str  # the Content-Security-Policy every page carries
    assets: dict[str, str]  # theme asset name -> URL
    made: dict[str, bytes] = field(default_factory=dict)
    next_due: dt.datetime | None = None  # when a file made now must be made again


Make = Callable[[SiteContext], dict[str, bytes]]


@dataclass(frozen=True)
class SiteFile:
    """A file masthead writes once per site (or a numbered family: sitemap-1.xml...).

    ``public_wins``: a file of that name in ``public/`` is published instead (a site may
    write its own robots.txt); otherwise a public file of that name is replaced, said.
    ``from_pages``: made from the final list of pages while they are written, and
    fingerprinted by ``fingerprints`` (what it lists) instead of by its bytes."""

    name: str
    kind: str  # how a warning names it: "the sitemap page masthead makes"
    make: Make
    public_wins: bool = False
    numbered: re.Pattern[str] | None = None
    from_pages: bool = False
    fingerprints: Callable[[SiteContext], dict[str, str]] | None = None

    def owns(self, rel: str) -> bool:
        """Whether ``rel`` (a path at the top of the output) is this file or one of its
        family."""
        return rel == self.name or bool(self.numbered and self.numbered.fullmatch(rel))


def _news(context: SiteContext) -> dict[str, bytes]:
    site = context.site
    news, expires = news_sitemap(
        context.config, {lang: s.posts for lang, s in site.languages.items()},
        {lang: Urls(s.prefix, site.layout) for lang, s in site.languages.items()},
        context.now)
    context.next_due = expires
    return {NEWS_SITEMAP: news} if news is not None else {}


def _robots(context: SiteContext) -> dict[str, bytes]:
    return {"robots.txt": robots_txt(context.config, NEWS_SITEMAP in context.made)}


def _headers(context: SiteContext) -> dict[str, bytes]:
    config = context.config
    return {HEADERS_FILE: headers_file(context.policy, config.onion, config.failover,
                                       bool(fediverse_accounts(config)))}


def _nginx(context: SiteContext) -> dict[str, bytes]:
    config = context.config
    api = config.api_url if fediverse_accounts(config) else None
    return {NGINX_FILE: nginx_snippet(context.policy, config.onion, config.failover, api)}


def _service_worker(context: SiteContext) -> dict[str, bytes]:
    if not context.config.failover:
        return {}
    return {SERVICE_WORKER: service_worker(context.config, context.assets)}


def _fediverse(context: SiteContext) -> dict[str, bytes]:
    return fediverse_files(context.config, context.site, context.now)


def _sitemaps(context: SiteContext) -> dict[str, bytes]:
    return sitemap_files(context.config, context.routes)


def _sitemap_fingerprints(context: SiteContext) -> dict[str, str]:
    rows = sitemap_rows(context.routes)  # exactly what the sitemap says
    fingerprint = digest("sitemap", context.config.base_url, rows)
    return dict.fromkeys(sitemap_names(len(rows)), fingerprint)


SITE_FILES: tuple[SiteFile, ...] = (
    SiteFile(NEWS_SITEMAP, "sitemap", _news),
    SiteFile("robots.txt", "robots", _robots, public_wins=True),
    SiteFile(HEADERS_FILE, "headers", _headers, public_wins=True),
    SiteFile(NGINX_FILE, "headers", _nginx, public_wins=True),
    SiteFile(SERVICE_WORKER, "service worker", _service_worker, public_wins=True),
    SiteFile(NODEINFO_LINK, "fediverse", _fediverse,
             numbered=re.compile(re.escape(FEDIVERSE) + r"/.+")),
    SiteFile("sitemap.xml", "sitemap", _sitemaps, numbered=re.compile(r"sitemap-[^/]*\.xml"),
             from_pages=True, fingerprints=_sitemap_fingerprints),
)


def make_site_files(context: SiteContext, published: dict[str, Path]) -> dict[str, bytes]:
    """The files made before pages are rendered, but those ``public/`` provides."""
    for output in SITE_FILES:
        if not output.from_pages and not (output.public_wins and output.name in published):
            context.made.update(output.make(context))
    return context.made


def made_from_pages(context: SiteContext) -> dict[str, bytes]:
    """The files made from the final list of pages (sitemaps), written beside them."""
    files: dict[str, bytes] = {}
    for output in SITE_FILES:
        if output.from_pages:
            files.update(output.make(context))
    return files


def page_list_fingerprints(context: SiteContext) -> dict[str, str]:
    """The fingerprint of every file made from the list of pages."""
    found: dict[str, str] = {}
    for output in SITE_FILES:
        if output.fingerprints is not None:
            found.update(output.fingerprints(context))
    return found


def replaced(rel: str) -> SiteFile | None:
    """The site file that a public file at ``rel`` would collide with and lose to."""
    return next((o for o in SITE_FILES if not o.public_wins and o.owns(rel)), None)


def reserved(top: str) -> bool:
    """Whether a page or public folder at the top of the output may not take this name
    (compared in lower case, as on hosts that ignore case)."""
    top = top.lower()
    return (top in FOLDERS or top in KEPT_NAMES
            or any(o.owns(top) for o in SITE_FILES))
