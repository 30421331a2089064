"""The stories a newsletter carries, as its emails show them.

The site is loaded as a build loads it (the same content, checks and Markdown), and each
body is made as the feeds make it (plain images, every link absolute), then narrowed to
what mail programs show safely: no scripts, frames, forms or styles of the story's own,
and no image from another host (an email that loads a stranger's picture tells them who
opened it)."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from functools import cached_property

import nh3
from markupsafe import escape
from selectolax.lexbor import LexborHTMLParser

from masthead.config import SiteConfig
from masthead.content.models import Entry
from masthead.emit.feeds import absolutize
from masthead.options import BuildOptions
from masthead.pipeline.prepare import prepare
from masthead.pipeline.session import BuildSession
from masthead.pipeline.stages import Prepared
from masthead.safeurl import host_of
from masthead.site.urls import Urls

EMAIL_WIDTH = 600  # px: the column mail programs show well on a phone and a desktop
_TAGS = {"p", "a", "strong", "em", "b", "i", "u", "s", "blockquote", "ul", "ol", "li", "h2",
         "h3", "h4", "h5", "h6", "img", "figure", "figcaption", "br", "hr", "code", "pre",
         "table", "thead", "tbody", "tr", "th", "td", "sup", "sub", "small", "cite", "q",
         "abbr", "del", "ins", "mark", "span", "div"}
_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "width", "height"},
               "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"},
               "abbr": {"title"}}


@dataclass(frozen=True)
class Story:
    """One story in one language, ready for an email."""

    slug: str
    lang: str
    title: str
    description: str
    url: str
    date: dt.datetime
    author: str
    image: str  # absolute URL, or ""
    image_size: tuple[int, int] | None
    body: str  # email-safe HTML


class SiteStories:
    """The public stories of a site, by slug, in each language."""

    def __init__(self, config: SiteConfig, now: dt.datetime | None = None) -> None:
        self.config = config
        self.now = now or dt.datetime.now(dt.UTC)
        session = BuildSession(config, BuildOptions(now=self.now, jobs=1))
        self.prepared: Prepared = prepare(session, None)
        self.site = self.prepared.site
        self.languages = tuple(self.site.languages)  # the default first

    @cached_property
    def _entries(self) -> dict[tuple[str, str], Entry]:
        return {(entry.slug, lang): entry for lang, site in self.site.languages.items()
                for entry in site.posts}

    def published_since(self, since: dt.datetime) -> list[str]:
        """Slugs of the stories published after ``since`` (and by now), oldest first."""
        found: dict[str, float] = {}
        for (slug, _lang), entry in self._entries.items():
            if since.timestamp() < entry.instant <= self.now.timestamp():
                found[slug] = min(found.get(slug, entry.instant), entry.instant)
        return sorted(found, key=lambda slug: (found[slug], slug))

    def has(self, slug: str, lang: str) -> bool:
        """Whether the story has a version of its own in ``lang`` (``Site.own_posts``)."""
        return slug in self._own_slugs(lang)

    @functools.cache  # noqa: B019 (one SiteStories per run)
    def _own_slugs(self, lang: str) -> frozenset[str]:
        return frozenset(entry.slug for entry in self.site.own_posts(lang))

    def exists(self, slug: str) -> bool:
        return any((slug, lang) in self._entries for lang in self.languages)

    def story(self, slug: str, lang: str) -> Story:
        """The story in ``lang``; where it has no version in it, the site's default
        language's (as the site links to it), else the first language that has it."""
        for code in (lang, *self.languages):
            entry = self._entries.get((slug, code))
            if entry is not None:
                return self._story(entry)
        raise KeyError(slug)

    def _story(self, entry: Entry) -> Story:
        language = self.site.languages[entry.lang]
        urls = Urls(language.prefix, language.layout)
        author = language.author_of(entry)
        bodies = self.prepared.renderer.bodies
        html = absolutize(bodies.render(entry.body.markdown, entry.lang, feed=True).html,
                          self.config)
        image = self.config.absolute_url(entry.image) if entry.image else ""
        if image and not self._own(image):
            image = ""
        return Story(entry.slug, entry.lang, entry.title, entry.description,
                     self.config.absolute_url(urls.entry(entry)), entry.date,
                     author.name if author else "", image,
                     bodies.image_size(entry.image) if image else None,
                     self.email_html(html))

    def _own(self, url: str) -> bool:
        return host_of(url) == host_of(self.config.base_url)

    def email_html(self, html: str) -> str:
        """``html`` with only what mail programs show safely, images from the site only,
        each no wider than the column."""
        clean = nh3.clean(html, tags=_TAGS, attributes=_ATTRIBUTES,
                          url_schemes={"https", "http", "mailto"}, link_rel=None)
        tree = LexborHTMLParser(clean)
        for img in tree.css("img"):
            src = img.attributes.get("src") or ""
            if not self._own(src):  # a link to it instead: nothing loads from elsewhere
                alt = img.attributes.get("alt") or src
                link = LexborHTMLParser(f'<a href="{escape(src)}">{escape(alt)}</a>'
                                        ).css_first("a")
                if link is not None:
                    img.replace_with(link)
                continue
            width, height = img.attributes.get("width"), img.attributes.get("height")
            if width and height and width.isdigit() and height.isdigit() and \
                    int(width) > EMAIL_WIDTH:
                img.attrs["height"] = str(round(int(height) * EMAIL_WIDTH / int(width)))
                img.attrs["width"] = str(EMAIL_WIDTH)
        body = tree.body
        return body.inner_html if body is not None and body.inner_html else ""
