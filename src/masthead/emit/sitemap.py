"""sitemap.xml and robots.txt, so that search engines find every page.

Chunks of at most 50,000 URLs under a sitemap index, as the protocol requires;
``lastmod`` comes from the newest date a page shows.
"""

from __future__ import annotations

import datetime as dt
import operator
from typing import Any

from masthead.config import SiteConfig
from masthead.content.dates import iso
from masthead.content.models import Entry
from masthead.emit.xmltext import escape
from masthead.site.routes import Route

CHUNK = 50_000


def _lastmod(route: Route) -> dt.datetime | None:
    entry = route.context.get("entry")
    if isinstance(entry, Entry):
        return entry.modified or entry.date
    pager = route.context.get("pager")
    items = getattr(pager, "items", ())
    if items:
        try:  # the common case, at C speed: entries never modified, whose lastmod is
            if not any(map(_MODIFIED, items)):  # the date whose timestamp is ``instant``
                instants = list(map(_INSTANT, items))
                newest: dt.datetime = items[instants.index(max(instants))].date
                return newest  # the first of the newest, as max() picks it
        except AttributeError:  # an item that is not an entry
            pass
    dates = [item.modified or item.date for item in items if isinstance(item, Entry)]
    return max(dates, key=dt.datetime.timestamp) if dates else None  # fast, same order


_MODIFIED = operator.attrgetter("modified")
_INSTANT = operator.attrgetter("instant")


def listed(routes: list[Route]) -> list[Route]:
    """The routes a sitemap lists: every public page."""
    return [route for route in routes if route.kind not in ("404", "feed", "search")]


def sitemap_rows(routes: list[Route]) -> list[tuple[str, str, tuple[str, ...], str]]:
    """What the sitemap says of each listed route (for its fingerprint): URL, language,
    translation key, lastmod."""
    rows = []
    for route in listed(routes):
        lastmod = _lastmod(route)
        rows.append((route.url, route.lang, route.key, iso(lastmod) if lastmod else ""))
    return rows


def sitemap_names(count: int) -> list[str]:
    """The sitemap files for ``count`` URLs (an index and chunks past 50,000)."""
    chunks = max(1, -(-count // CHUNK))
    return ["sitemap.xml"] if chunks == 1 else [
        "sitemap.xml", *(f"sitemap-{n}.xml" for n in range(1, chunks + 1))]


def sitemap_files(config: SiteConfig, routes: list[Route]) -> dict[str, bytes]:
    """{'sitemap.xml': ..., 'sitemap-1.xml': ...} for every public page, each URL with its
    translations (hreflang) when the site has several languages."""
    pages = listed(routes)
    translations: dict[tuple[str, ...], list[tuple[str, str]]] = {}
    if len({route.lang for route in pages}) > 1:
        for route in pages:
            translations.setdefault(route.key, []).append(
                (route.lang, config.absolute_url(route.url)))
    urls = []
    for route in pages:
        lastmod = _lastmod(route)
        entry = f"<url><loc>{escape(config.absolute_url(route.url))}</loc>"
        if lastmod is not None:
            entry += f"<lastmod>{iso(lastmod)}</lastmod>"
        alternates = translations.get(route.key, ())
        if len(alternates) > 1:
            entry += "".join(f'<xhtml:link rel="alternate" hreflang="{lang}" '
                             f'href="{escape(url)}"/>' for lang, url in sorted(alternates))
        urls.append(entry + "</url>")
    header = '<?xml version="1.0" encoding="UTF-8"?>\n'
    namespace = ('xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
                 'xmlns:xhtml="http://www.w3.org/1999/xhtml"')
    chunks = [urls[i:i + CHUNK] for i in range(0, len(urls), CHUNK)] or [[]]
    if len(chunks) == 1:
        body = f"{header}<urlset {namespace}>\n" + "\n".join(chunks[0]) + "\n</urlset>\n"
        return {"sitemap.xml": body.encode()}
    files = {}
    index = [f'{header}<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for number, chunk in enumerate(chunks, 1):
        name = f"sitemap-{number}.xml"
        files[name] = (f"{header}<urlset {namespace}>\n" + "\n".join(chunk)
                       + "\n</urlset>\n").encode()
        index.append(f"<sitemap><loc>{escape(config.absolute_url(name))}</loc></sitemap>")
    files["sitemap.xml"] = ("\n".join(index) + "\n</sitemapindex>\n").encode()
    return files


NEWS_WINDOW = dt.timedelta(hours=48)
NEWS_SITEMAP = "news-sitemap.xml"


def news_sitemap(config: SiteConfig, site_posts: dict[str, tuple[Entry, ...]],
                 urls: dict[str, Any], now: dt.datetime) -> tuple[bytes | None,
                                                                 dt.datetime | None]:
    """The Google News sitemap: posts of the last 48 hours in every language (None when
    there are none: an empty one is not valid), and when the oldest of them drops out
    (the next build after that must rewrite it)."""
    rows, expires = [], None
    for lang, posts in site_posts.items():
        for post in posts:
            if not (now - NEWS_WINDOW <= post.date <= now):
                continue
            leaves = post.date + NEWS_WINDOW
            expires = leaves if expires is None else min(expires, leaves)
            rows.append(
                f"<url><loc>{escape(config.absolute_url(urls[lang].entry(post)))}</loc>"
                "<news:news><news:publication>"
                f"<news:name>{escape(config.title)}</news:name>"
                f"<news:language>{escape(lang)}</news:language></news:publication>"
                f"<news:publication_date>{post.date.isoformat()}</news:publication_date>"
                f"<news:title>{escape(post.title)}</news:title></news:news></url>")
    if not rows:
        return None, None
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n'
            + "\n".join(rows) + "\n</urlset>\n")
    return body.encode(), expires


def robots_txt(config: SiteConfig, news: bool) -> bytes:
    text = f"User-agent: *\nAllow: /\n\nSitemap: {config.absolute_url('sitemap.xml')}\n"
    if news:
        text += f"Sitemap: {config.absolute_url(NEWS_SITEMAP)}\n"
    return text.encode()
