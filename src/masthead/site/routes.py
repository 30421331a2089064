"""Site -> Routes: every page the site serves, with its template and what it shows.

Two routes for one URL are an error naming both files (a page called
``categories.md`` would hide the category list, for instance).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from masthead.config.feeds import FEED_FILES
from masthead.content.models import Entry
from masthead.errors import Reporter
from masthead.site.index import LanguageSite, Site
from masthead.site.paginate import paginate
from masthead.site.urls import Urls

SPECIAL_PAGES = ("about", "contact", "privacy")
FEED_TEMPLATE = "@feed"  # made in Python (emit/feeds.py), not by a template


@dataclass(frozen=True, slots=True)
class Route:
    """One output page: its URL, template, language and the values its template shows.
    Slotted: a 100,000-post site has over 200,000 routes, and without a ``__dict__`` each
    takes 96 bytes instead of 352 (its values apart)."""

    url: str
    template: str
    lang: str
    kind: str
    key: tuple[str, ...]
    source: str = ""
    context: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    # The file a static host serves for this URL (Unicode path, not %-encoded): made with
    # the route, as routes are checked for collisions and every page is written by it.
    output_path: str = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        path = unquote(self.url).lstrip("/")
        if "." not in path.rsplit("/", 1)[-1]:  # not a file such as 404.html or feed.xml
            path += "index.html"
        object.__setattr__(self, "output_path", path)


def build_routes(site: Site, reporter: Reporter,
                 reserved: Callable[[str], bool]) -> list[Route]:
    """Every page of every language; ``reserved`` says which names at the top of the
    output masthead writes itself (``emit/outputs.py``): a page there is an error."""
    routes: list[Route] = []
    for lang_site in site.languages.values():
        routes.extend(_language_routes(lang_site))
    return _without_collisions(routes, reporter, reserved)


def _language_routes(site: LanguageSite) -> list[Route]:
    urls = Urls(site.prefix, site.layout)
    per_page = site.config.posts_per_page
    lang = site.lang
    routes: list[Route] = []

    title = site.config.title
    feeds: list[tuple[str, str, tuple[Entry, ...], str]] = [
        (urls.home(), title, site.posts, "")]
    for pager in paginate(site.posts, per_page, urls.home()):
        if pager.front:
            routes.append(Route(pager.url, "home.html", lang, "home", ("home",),
                                context={"pager": pager, "feed": urls.home()}))
        else:
            routes.append(Route(pager.url, "list.html", lang, "archive",
                                ("home", str(pager.number)),
                                context={"pager": pager, "feed": urls.home()}))

    for entry in site.posts:
        routes.append(Route(urls.entry(entry), "post.html", lang, "post", ("posts", entry.slug),
                            entry.source, {"entry": entry}))
    for collection in site.layout.collections:
        for entry in site.items.get(collection.name, ()):
            routes.append(Route(urls.entry(entry), collection.template, lang, "item",
                                (collection.name, entry.slug), entry.source,
                                {"entry": entry, "collection": collection}))

    for category in site.categories.values():
        entries = site.category_entries(category)
        popular = site.popular_in(entries)
        base = urls.category(category)
        feeds.append((base, f"{category.name} — {title}", entries, category.source))
        for pager in paginate(entries, per_page, base):
            routes.append(Route(pager.url, "category.html", lang, "category",
                                ("categories", category.slug, str(pager.number)),
                                category.source,
                                {"pager": pager, "category": category, "popular": popular,
                                 "feed": base}))
    for author in site.authors.values():
        entries = site.posts_by_author.get(author.slug, ())
        popular = site.popular_in(entries)
        base = urls.author_page(author)
        feeds.append((base, f"{author.name} — {title}", entries, author.source))
        for pager in paginate(entries, per_page, base):
            routes.append(Route(pager.url, "author.html", lang, "author",
                                ("authors", author.slug, str(pager.number)), author.source,
                                {"pager": pager, "author": author, "popular": popular,
                                 "feed": base}))
    for tag in site.tags.values():
        popular = site.popular_in(tag.posts)
        base = urls.tag(tag.name)
        feeds.append((base, f"#{tag.name} — {title}", tag.posts, ""))
        for pager in paginate(tag.posts, per_page, base):
            routes.append(Route(pager.url, "tag.html", lang, "tag",
                                ("tags", tag.slug, str(pager.number)), "",
                                {"pager": pager, "tag": tag, "popular": popular,
                                 "feed": base}))

    routes.append(Route(urls.categories(), "terms.html", lang, "terms", ("categories",),
                        context={"terms": "categories"}))
    routes.append(Route(urls.authors(), "terms.html", lang, "terms", ("authors",),
                        context={"terms": "authors"}))
    routes.append(Route(urls.tags(), "terms.html", lang, "terms", ("tags",),
                        context={"terms": "tags"}))
    routes.append(Route(urls.archive(), "archive.html", lang, "archive-years", ("archive",)))
    if site.config.search:
        routes.append(Route(urls.search(), "search.html", lang, "search", ("search",)))
    if len(site.config.addresses) > 1:  # how to reach the site where one is blocked
        routes.append(Route(urls.mirrors(), "mirrors.html", lang, "mirrors", ("mirrors",)))

    for page in site.pages.values():
        template = f"{page.slug}.html" if page.slug in SPECIAL_PAGES else "page.html"
        routes.append(Route(urls.page(page), template, lang, "page", ("pages", page.slug),
                            page.source, {"page": page}))

    routes.append(Route(f"{site.prefix}/404.html", "404.html", lang, "404", ("404",)))
    newest = site.config.feed_items
    for base, feed_title, entries, source in feeds:
        for fmt in site.config.feed_formats:
            name = FEED_FILES[fmt]
            routes.append(Route(base + name, FEED_TEMPLATE, lang, "feed",
                                ("feed", lang, base, fmt), source,
                                {"format": fmt, "title": feed_title, "listing": base,
                                 "entries": tuple(entries[:newest])}))
    return routes


def _without_collisions(routes: list[Route], reporter: Reporter,
                        reserved: Callable[[str], bool]) -> list[Route]:
    seen: dict[str, Route] = {}
    kept = []
    for route in routes:
        path = route.output_path.lower()  # one URL on case-insensitive hosts too
        first = seen.get(path)
        top = path.split("/", 1)[0]
        if first is None and reserved(top):
            reporter.error(route.source or "content", 1,
                           f"the URL {unquote(route.url)} is a file masthead writes itself",
                           "rename the file (its name is the URL)")
            continue
        if first is not None:
            reporter.error(route.source or first.source or "content", 1,
                           f"two files for one URL {unquote(route.url)}: "
                           f"{_made_by(first)} and {_made_by(route)}",
                           "rename one of them (the file name is the URL)")
            continue
        seen[path] = route
        kept.append(route)
    return _without_file_folders(kept, reporter)


def _made_by(route: Route) -> str:
    return route.source or f"masthead {route.kind} page"


def _without_file_folders(routes: list[Route], reporter: Reporter) -> list[Route]:
    """A page whose folder is another page's file (a page named ``feed.xml`` beside the
    site's feed, ``404.html`` beside the error page) cannot be written: the file wins."""
    files = {route.output_path.lower(): route for route in routes}
    kept = []
    for route in routes:
        parts = route.output_path.lower().split("/")
        clash = next((files[p] for p in ("/".join(parts[:n]) for n in range(1, len(parts))
                                         if "." in parts[n - 1]) if p in files), None)
        if clash is not None:
            reporter.error(route.source or clash.source or "content", 1,
                           f"the URL {unquote(route.url)} is inside "
                           f"{unquote(clash.url)}, a file of the site ({_made_by(clash)})",
                           "rename the file (its name is the URL)")
            continue
        kept.append(route)
    return kept
