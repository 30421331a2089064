"""The URL scheme, in one place: Banter's paths, with a language prefix for translations.

Links end in '/' so that static hosts answer them without a redirect (a round trip
saved on every click on a slow phone); ``/posts/a`` is still served by every host.
"""

from __future__ import annotations

from dataclasses import dataclass

from masthead.content.discover import Layout
from masthead.content.models import Author, Category, Entry, Page
from masthead.content.slugs import banter_slug, url_path


@dataclass(frozen=True, slots=True)
class Urls:
    prefix: str
    layout: Layout

    def home(self) -> str:
        return f"{self.prefix}/"

    def entry(self, entry: Entry) -> str:
        if entry.collection == "posts":
            return url_path(f"{self.prefix}/posts/{entry.slug}/")
        for collection in self.layout.collections:
            if collection.name == entry.collection:
                return url_path(f"{self.prefix}{collection.url}/{entry.slug}/")
        return url_path(f"{self.prefix}/{entry.collection}/{entry.slug}/")

    def author(self, author: Author) -> str:
        """An external author links out, as on Banter sites; others to their page."""
        if author.is_external:
            return author.external_link
        return self.author_page(author)

    def author_page(self, author: Author) -> str:
        return url_path(f"{self.prefix}{self.layout.authors_url}/{author.slug}/")

    def authors(self) -> str:
        return f"{self.prefix}{self.layout.authors_url}/"

    def category(self, category: Category) -> str:
        return url_path(f"{self.prefix}/categories/{category.slug}/")

    def categories(self) -> str:
        return f"{self.prefix}/categories/"

    def tag(self, name: str) -> str:
        return url_path(f"{self.prefix}/tags/{banter_slug(name)}/")

    def tags(self) -> str:
        return f"{self.prefix}/tags/"

    def page(self, page: Page | str) -> str:
        slug = page if isinstance(page, str) else page.slug
        return url_path(f"{self.prefix}/{slug}/")

    def search(self) -> str:
        return f"{self.prefix}/search/"

    def mirrors(self) -> str:
        return f"{self.prefix}/mirrors/"

    def archive(self) -> str:
        return f"{self.prefix}/archive/"

    def link(self, href: str) -> str:
        """A menu link written for the default language, moved under this prefix."""
        if not self.prefix or not href.startswith("/") or href.startswith("//"):
            return href
        if href == f"{self.prefix}" or href.startswith(f"{self.prefix}/"):
            return href
        return f"{self.prefix}{href}"
