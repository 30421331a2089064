"""sitemap.xml and robots.txt, so that search engines find every page.

Chunks of at most 50,000 URLs under a sitemap index, as the protocol requires;
``lastmod`` comes from the newest date a page shows.
"""

from __future__ import annotations

import datetime as dt
from xml.sax.saxutils import escape

from masthead.config import SiteConfig
from masthead.content.models import Entry
from masthead.site.routes import Route

CHUNK = 50_000


def _lastmod(route: Route) -> dt.datetime | None:
    entry = route.context.get("entry")
    if isinstance(entry, Entry):
        return entry.modified or entry.date
    pager = route.context.get("pager")
    items = getattr(pager, "items", ())
    dates = [item.modified or item.date for item in items if isinstance(item, Entry)]
    return max(dates) if dates else None


def listed(routes: list[Route]) -> list[Route]:
    """The routes a sitemap lists: every public page."""
    return [route for route in routes if route.kind not in ("404", "feed")]


def sitemap_names(count: int) -> list[str]:
    """The sitemap files for ``count`` URLs (an index and chunks past 50,000)."""
    chunks = max(1, -(-count // CHUNK))
    return ["sitemap.xml"] if chunks == 1 else [
        "sitemap.xml", *(f"sitemap-{n}.xml" for n in range(1, chunks + 1))]


def sitemap_files(config: SiteConfig, routes: list[Route]) -> dict[str, bytes]:
    """{'sitemap.xml': ..., 'sitemap-1.xml': ...} for every public page."""
    urls = []
    for route in listed(routes):
        lastmod = _lastmod(route)
        entry = f"<url><loc>{escape(config.absolute_url(route.url))}</loc>"
        if lastmod is not None:
            entry += f"<lastmod>{lastmod.isoformat()}</lastmod>"
        urls.append(entry + "</url>")
    header = '<?xml version="1.0" encoding="UTF-8"?>\n'
    namespace = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
    chunks = [urls[i:i + CHUNK] for i in range(0, len(urls), CHUNK)] or [[]]
    if len(chunks) == 1:
        body = f"{header}<urlset {namespace}>\n" + "\n".join(chunks[0]) + "\n</urlset>\n"
        return {"sitemap.xml": body.encode()}
    files = {}
    index = [f"{header}<sitemapindex {namespace}>"]
    for number, chunk in enumerate(chunks, 1):
        name = f"sitemap-{number}.xml"
        files[name] = (f"{header}<urlset {namespace}>\n" + "\n".join(chunk)
                       + "\n</urlset>\n").encode()
        index.append(f"<sitemap><loc>{escape(config.absolute_url(name))}</loc></sitemap>")
    files["sitemap.xml"] = ("\n".join(index) + "\n</sitemapindex>\n").encode()
    return files


def robots_txt(config: SiteConfig) -> bytes:
    return (f"User-agent: *\nAllow: /\n\nSitemap: {config.absolute_url('sitemap.xml')}\n"
            ).encode()
