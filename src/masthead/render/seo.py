"""Structured data (schema.org JSON-LD) for each kind of page.

Search engines show news articles, authors and videos richly when a page says what it
is: NewsArticle for posts, Person for authors, VideoObject for videos, WebSite for the
home page, and a BreadcrumbList everywhere below it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from markupsafe import Markup

from masthead.content.dates import iso
from masthead.content.models import Author, Category, Entry
from masthead.media import PublicFiles
from masthead.site.index import LanguageSite, Tag
from masthead.site.routes import Route
from masthead.site.urls import Urls


@dataclass(frozen=True)
class SiteParts:
    """What every page of a language says alike: made once per language (site_parts)."""

    urls: Urls
    home: str  # the home page's absolute address
    publisher: dict[str, Any]


def site_parts(site: LanguageSite, public: PublicFiles) -> SiteParts:
    urls = Urls(site.prefix, site.layout)
    return SiteParts(urls, site.config.absolute_url(urls.home()), _publisher(site, public))


def json_ld(route: Route, site: LanguageSite, parts: SiteParts) -> Markup:
    """The page's ``<script type="application/ld+json">`` elements."""
    graphs = _graphs(route, site, parts)
    html = "".join('<script type="application/ld+json">' + script_json(graph) + "</script>"
                   for graph in graphs)
    return str.__new__(Markup, html)  # JSON with <, > and & escaped: safe as it is


_SCRIPT_UNSAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                                "\u2028": "\\u2028", "\u2029": "\\u2029"})


def script_json(value: Any) -> str:
    """JSON to stand inside a ``<script>`` element: ``<``, ``>`` and ``&`` written as
    escapes, so that no text (``</script>``, ``<!--``) can end or change the element, and
    the line separators that older JavaScript parsers refuse."""
    text = orjson.dumps(value).decode()
    # Most graphs have none of these: five substring scans cost less than one translate.
    if "<" in text or ">" in text or "&" in text or "\u2028" in text or "\u2029" in text:
        return text.translate(_SCRIPT_UNSAFE)
    return text


def _graphs(route: Route, site: LanguageSite, parts: SiteParts) -> list[dict[str, Any]]:
    config = site.config
    urls, home, publisher = parts.urls, parts.home, parts.publisher
    here = config.absolute_url(route.url)
    crumbs: list[tuple[str, str]] = [(config.title, home)]
    graphs: list[dict[str, Any]] = []
    context = route.context
    entry = context.get("entry")
    if route.kind == "home":
        graphs.append({"@context": "https://schema.org", "@type": "WebSite", "name": config.title,
                       "url": home, "inLanguage": site.lang, "publisher": publisher,
                       **({"description": config.description} if config.description else {})})
        return graphs
    if isinstance(entry, Entry):
        category = site.category_of(entry)
        if category:
            crumbs.append((category.name, config.absolute_url(urls.category(category))))
        crumbs.append((entry.title, here))
        graphs.append(_video(entry, here, site) if entry.youtube_id
                      else _article(entry, here, site, urls, publisher))
    elif isinstance(context.get("author"), Author):
        author: Author = context["author"]
        crumbs.append((author.name, here))
        person: dict[str, Any] = {"@context": "https://schema.org", "@type": "Person",
                                  "name": author.name, "url": here}
        if author.image:
            person["image"] = config.absolute_url(author.image)
        if author.title:
            person["jobTitle"] = author.title
        same = [link.url for link in author.social_links]
        if author.is_external:
            same.insert(0, author.external_link)
        if same:
            person["sameAs"] = same
        graphs.append(person)
    elif isinstance(context.get("category"), Category):
        crumbs.append((context["category"].name, here))
    elif isinstance(context.get("tag"), Tag):
        crumbs.append((f"#{context['tag'].name}", here))
    elif route.kind == "page":
        crumbs.append((context["page"].title, here))
    else:
        return graphs
    graphs.append({
        "@context": "https://schema.org", "@type": "BreadcrumbList",
        "itemListElement": [{"@type": "ListItem", "position": n, "name": name, "item": url}
                            for n, (name, url) in enumerate(crumbs, 1)]})
    return graphs


def _publisher(site: LanguageSite, public: PublicFiles) -> dict[str, Any]:
    config = site.config
    organization: dict[str, Any] = {"@type": "Organization", "name": config.author or
                                    config.title, "url": config.absolute_url("/")}
    logo = config.logo or config.favicon
    if logo:
        organization["logo"] = _image_object(logo, site, public)
    return organization


def _image_object(url: str, site: LanguageSite, public: PublicFiles) -> dict[str, Any]:
    image: dict[str, Any] = {"@type": "ImageObject", "url": site.config.absolute_url(url)}
    size = public.size(url)
    if size:
        image["width"], image["height"] = size
    return image


def _article(entry: Entry, here: str, site: LanguageSite, urls: Urls,
             publisher: dict[str, Any]) -> dict[str, Any]:
    config = site.config
    article: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle" if entry.collection == "posts" else "Article",
        "headline": entry.title[:110], "url": here, "mainEntityOfPage": here,
        "datePublished": iso(entry.date),
        "dateModified": iso(entry.modified or entry.date),
        "inLanguage": site.lang, "publisher": publisher,
    }
    if entry.description:
        article["description"] = entry.description
    image = entry.image or config.og_image
    if image:
        article["image"] = [config.absolute_url(image)]
    author = site.author_of(entry)
    if author:
        article["author"] = [{"@type": "Person", "name": author.name,
                              "url": config.absolute_url(urls.author(author))}]
    else:
        article["author"] = [{"@type": "Organization", "name": publisher["name"],
                              "url": publisher["url"]}]
    category = site.category_of(entry)
    if category:
        article["articleSection"] = category.name
    if entry.tags:
        article["keywords"] = list(entry.tags)
    return article


def _video(entry: Entry, here: str, site: LanguageSite) -> dict[str, Any]:
    config = site.config
    video: dict[str, Any] = {
        "@context": "https://schema.org", "@type": "VideoObject", "name": entry.title,
        "description": entry.description or entry.title,
        "uploadDate": iso(entry.date), "url": here, "inLanguage": site.lang,
        "embedUrl": f"https://www.youtube-nocookie.com/embed/{entry.youtube_id}",
        "contentUrl": f"https://www.youtube.com/watch?v={entry.youtube_id}",
    }
    thumbnail = entry.image or config.og_image
    video["thumbnailUrl"] = [config.absolute_url(thumbnail)] if thumbnail else [
        f"https://i.ytimg.com/vi/{entry.youtube_id}/hqdefault.jpg"]
    return video
