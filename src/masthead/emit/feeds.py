"""RSS 2.0, Atom 1.0 and JSON Feed 1.1 for the site and each category, author and tag.

Where a site is blocked, feed readers and aggregators are how readers still get it, so
feeds carry the full article by default, with every link and image made absolute. A
feed is a Route (kind ``feed``) like any page: rendered in the workers, fingerprinted,
rebuilt only when one of its stories changed.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import OrderedDict
from collections.abc import Callable

from markupsafe import Markup

from masthead.config import SiteConfig
from masthead.config.feeds import FEED_FILES
from masthead.content.dates import iso
from masthead.content.models import Author, Entry
from masthead.emit.xmltext import escape, quoteattr
from masthead.site.index import LanguageSite
from masthead.site.urls import Urls

_LOCAL_URL = re.compile(r'(\s(?:href|src|poster)=")(/(?!/)[^"]*)"')

BodyHtml = Callable[[Entry], Markup]
CONTENT_CACHE = 4096  # stories whose feed HTML a worker keeps (a story is in ~15 feeds)


def absolutize(html: str, config: SiteConfig) -> str:
    """Site-relative links and images in ``html`` made absolute (feeds are read elsewhere)."""
    return _LOCAL_URL.sub(lambda m: f'{m.group(1)}{config.absolute_url(m.group(2))}"', html)


def escape_content(fmt: str, html: str) -> str:
    """HTML as a feed of this format carries it: XML-escaped, or as a JSON string."""
    return json.dumps(html, ensure_ascii=False)[1:-1] if fmt == "json" else escape(html)


class FeedWriter:
    """Writes one feed of one listing in one format."""

    def __init__(self, site: LanguageSite, body_html: BodyHtml,
                 cache: OrderedDict[tuple[str, str, str], str] | None = None) -> None:
        self.site = site
        self.config = site.config
        self.urls = Urls(site.prefix, site.layout)
        self.body_html = body_html
        self.cache: OrderedDict[tuple[str, str, str], str] = (
            cache if cache is not None else OrderedDict())

    def write(self, fmt: str, title: str, listing: str, entries: tuple[Entry, ...]) -> str:
        feed_url = self.config.absolute_url(listing + FEED_FILES[fmt])
        home = self.config.absolute_url(listing)
        if fmt == "rss":
            return self._rss(title, home, feed_url, entries)
        if fmt == "atom":
            return self._atom(title, home, feed_url, entries)
        return self._json(title, home, feed_url, entries)

    # --- what every format says about a story ------------------------------------------

    def _link(self, entry: Entry) -> str:
        return self.config.absolute_url(self.urls.entry(entry))

    def _content(self, entry: Entry) -> str:
        """The article as feeds carry it (made once per story, for all its feeds)."""
        key = (entry.lang, entry.collection, entry.slug)
        html = self.cache.get(key)
        if html is not None:
            self.cache.move_to_end(key)
            return html
        html = str(self.body_html(entry))
        if entry.image:
            image = self.config.absolute_url(entry.image)
            html = f'<p><img src="{escape(image)}" alt=""></p>\n{html}'
        html = absolutize(html, self.config)
        self.cache[key] = html
        if len(self.cache) > CONTENT_CACHE:
            self.cache.popitem(last=False)
        return html

    def _author(self, entry: Entry) -> Author | None:
        return self.site.author_of(entry)

    def _author_url(self, author: Author) -> str:
        return self.config.absolute_url(self.urls.author(author))

    def _tags(self, entry: Entry) -> list[str]:
        category = self.site.category_of(entry)
        return ([category.name] if category else []) + list(entry.tags)

    # --- formats -----------------------------------------------------------------------

    def _rss(self, title: str, home: str, feed_url: str, entries: tuple[Entry, ...]) -> str:
        items = []
        for entry in entries:
            parts = [f"<title>{escape(entry.title)}</title>",
                     f"<link>{escape(self._link(entry))}</link>",
                     f'<guid isPermaLink="true">{escape(self._link(entry))}</guid>',
                     f"<pubDate>{_rfc822(entry.date)}</pubDate>"]
            author = self._author(entry)
            if author:
                parts.append(f"<dc:creator>{escape(author.name)}</dc:creator>")
            parts += [f"<category>{escape(tag)}</category>" for tag in self._tags(entry)]
            if entry.description:
                parts.append(f"<description>{escape(as_html(entry.description))}"
                             "</description>")
            if self.config.feed_full_content:
                parts.append(f"<content:encoded>{escape(self._content(entry))}</content:encoded>")
            items.append("<item>" + "".join(parts) + "</item>")
        updated = _rfc822(max((e.modified or e.date) for e in entries)) if entries \
            else ""
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
            f"<title>{escape(title)}</title><link>{escape(home)}</link>"
            f"<description>{escape(as_html(self.config.description or title))}</description>"
            f"<language>{escape(self.site.lang)}</language>"
            + (f"<lastBuildDate>{updated}</lastBuildDate>" if updated else "")
            + f'<atom:link href={quoteattr(feed_url)} rel="self" type="application/rss+xml"/>'
            + "\n".join(items) + "</channel></rss>\n")

    def _atom(self, title: str, home: str, feed_url: str, entries: tuple[Entry, ...]) -> str:
        items = []
        for entry in entries:
            updated = iso(entry.modified or entry.date)
            parts = [f"<title>{escape(entry.title)}</title>",
                     f"<link rel=\"alternate\" href={quoteattr(self._link(entry))}/>",
                     f"<id>{escape(self._link(entry))}</id>",
                     f"<published>{iso(entry.date)}</published>",
                     f"<updated>{updated}</updated>"]
            author = self._author(entry)
            if author:
                parts.append(f"<author><name>{escape(author.name)}</name>"
                             f"<uri>{escape(self._author_url(author))}</uri></author>")
            parts += [f"<category term={quoteattr(tag)}/>" for tag in self._tags(entry)]
            if entry.description:
                parts.append(f"<summary>{escape(entry.description)}</summary>")
            if self.config.feed_full_content:
                parts.append(f'<content type="html">{escape(self._content(entry))}</content>')
            items.append("<entry>" + "".join(parts) + "</entry>")
        updated = max((e.modified or e.date) for e in entries).isoformat() if entries \
            else "1970-01-01T00:00:00+00:00"
        publisher = self.config.author or self.config.title
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang={quoteattr(self.site.lang)}>'
            f"<title>{escape(title)}</title><id>{escape(feed_url)}</id>"
            f"<updated>{updated}</updated><author><name>{escape(publisher)}</name></author>"
            f'<link rel="self" href={quoteattr(feed_url)}/>'
            f'<link rel="alternate" href={quoteattr(home)}/>'
            + "\n".join(items) + "</feed>\n")

    def _json(self, title: str, home: str, feed_url: str, entries: tuple[Entry, ...]) -> str:
        items = []
        for entry in entries:
            item: dict[str, object] = {
                "id": self._link(entry), "url": self._link(entry), "title": entry.title,
                "date_published": iso(entry.date), "tags": self._tags(entry)}
            if entry.modified:
                item["date_modified"] = iso(entry.modified)
            if entry.description:
                item["summary"] = entry.description
            if entry.image:
                item["image"] = self.config.absolute_url(entry.image)
            author = self._author(entry)
            if author:
                item["authors"] = [{"name": author.name, "url": self._author_url(author)}]
            if self.config.feed_full_content:
                item["content_html"] = self._content(entry)
            else:
                item["content_text"] = entry.description or entry.title
            items.append(item)
        feed = {"version": "https://jsonfeed.org/version/1.1", "title": title,
                "home_page_url": home, "feed_url": feed_url, "language": self.site.lang,
                "items": items}
        if self.config.description:
            feed["description"] = self.config.description
        return json.dumps(feed, ensure_ascii=False, indent=1) + "\n"


def as_html(text: str) -> str:
    """Plain text as the HTML that RSS readers take a ``<description>`` to be: a
    description that says ``<img onerror=...>`` is shown as those characters, not run."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _rfc822(moment: dt.datetime) -> str:
    """An RSS date; ``email.utils`` is imported when a feed is first written (a rebuild
    after an edit writes none, and the import is 5 ms of its start-up)."""
    from email.utils import format_datetime

    return format_datetime(moment)
