"""The Site: every lookup a page needs, computed once in linear time.

Banter re-reads every post for every page; here each index (by category, author,
tag, featured, popular, next article) is built in one pass and then only read.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from masthead.config import SiteConfig
from masthead.content.discover import Layout
from masthead.content.load import Content, LanguageContent
from masthead.content.models import (
    Author,
    Body,
    Category,
    Entry,
    Newsletter,
    Page,
    Reference,
)
from masthead.content.slugs import banter_slug
from masthead.errors import Reporter, did_you_mean

T = TypeVar("T")
_NOT_LOOKED_UP: Any = object()  # a name not yet looked up (None: looked up, not found)


@dataclass(frozen=True, slots=True)
class Tag:
    slug: str
    name: str
    posts: tuple[Entry, ...]


def newest_first(entries: Iterable[Entry]) -> list[Entry]:
    # Dates compare by their instant: as a timestamp, 9x faster than datetimes with
    # different UTC offsets (100,000 posts: 1.3 s -> 0.15 s), and the same order.
    return sorted(entries, key=lambda e: (e.instant, e.slug), reverse=True)


def most_viewed(entries: Iterable[Entry], count: int) -> tuple[Entry, ...]:
    """The ``count`` most viewed, without sorting the rest (a site's every category,
    author and tag asks, and a 100,000-post archive made sorting them all 2 s)."""
    # A lambda, not operator.attrgetter: Python 3.11 reads a slotted attribute faster in
    # bytecode than attrgetter does (600,000 keys over 100,000 posts: 0.30 s against 0.40).
    return tuple(heapq.nlargest(count, entries, key=lambda e: (e.views, e.instant,
                                                                e.slug)))


@dataclass
class LanguageSite:
    """One language's content, indexed. Built once by ``index_site``; never changed after."""

    config: SiteConfig
    layout: Layout
    lang: str
    prefix: str
    posts: tuple[Entry, ...]
    items: dict[str, tuple[Entry, ...]]
    authors: dict[str, Author]
    categories: dict[str, Category]
    pages: dict[str, Page]
    newsletter: Newsletter
    posts_by_category: dict[str, tuple[Entry, ...]] = field(default_factory=dict)
    posts_by_author: dict[str, tuple[Entry, ...]] = field(default_factory=dict)
    tags: dict[str, Tag] = field(default_factory=dict)
    featured: tuple[Entry, ...] = ()
    popular: tuple[Entry, ...] = ()
    popular_tags: tuple[Tag, ...] = ()
    next_entry: dict[tuple[str, str], Entry] = field(default_factory=dict)
    author_of_entry: dict[tuple[str, str], Author] = field(default_factory=dict)
    category_of_entry: dict[tuple[str, str], Category] = field(default_factory=dict)

    # --- what templates ask -------------------------------------------------------------

    def author_of(self, entry: Entry) -> Author | None:
        return self.author_of_entry.get((entry.collection, entry.slug))

    def category_of(self, entry: Entry) -> Category | None:
        return self.category_of_entry.get((entry.collection, entry.slug))

    def next_of(self, entry: Entry) -> Entry | None:
        return self.next_entry.get((entry.collection, entry.slug))

    def popular_in(self, entries: Iterable[Entry], count: int = 4) -> tuple[Entry, ...]:
        return most_viewed(entries, count)

    def category_count(self, category: Category) -> int:
        return len(self.category_entries(category))

    def category_entries(self, category: Category) -> tuple[Entry, ...]:
        """Posts of a category; a category named like a collection lists its items too."""
        own = self.posts_by_category.get(category.slug, ())
        collection = self.items.get(category.slug, ())
        if not collection:
            return own
        return tuple(newest_first([*own, *collection]))

    @property
    def members(self) -> tuple[Author, ...]:
        """People listed on the about page: members (or everyone, on a plain Banter site)."""
        people = sorted(self.authors.values(), key=lambda a: (a.order, a.name))
        members = [a for a in people if a.role == "member"]
        return tuple(members or [a for a in people if a.role != "external"])

    @property
    def all_authors(self) -> tuple[Author, ...]:
        return tuple(sorted(self.authors.values(), key=lambda a: (a.order, a.name)))


@dataclass
class Site:
    config: SiteConfig
    layout: Layout
    languages: dict[str, LanguageSite]

    @property
    def default(self) -> LanguageSite:
        return self.languages[self.layout.default_language]

    def own_posts(self, lang: str) -> list[Entry]:
        """The posts that are ``lang``'s own version: a language's site also lists
        another's story where it has no translation (the same file). A file listed by
        several languages is the one whose code names one of its folders, else the
        default language's. What a channel of that language is owed."""
        listing: dict[str, list[str]] = {}
        for code, language in self.languages.items():
            for entry in language.posts:
                listing.setdefault(entry.source, []).append(code)
        found = []
        for entry in self.languages[lang].posts if lang in self.languages else ():
            sharing = listing[entry.source]
            if len(sharing) > 1:
                folders = entry.source.split("/")[:-1]
                named = [code for code in sharing if code in folders]
                if lang != (named[0] if named else self.layout.default_language):
                    continue
            found.append(entry)
        return found


def index_site(config: SiteConfig, layout: Layout, content: Content,
               reporter: Reporter) -> Site:
    languages = {}
    for code, lang_content in content.languages.items():
        prefix = "" if code == layout.default_language else f"/{code}"
        languages[code] = _index_language(config, layout, lang_content, prefix, reporter)
    return Site(config, layout, languages)


def _index_language(config: SiteConfig, layout: Layout, content: LanguageContent, prefix: str,
                    reporter: Reporter) -> LanguageSite:
    posts = tuple(newest_first(content.posts))
    items = {name: tuple(newest_first(entries)) for name, entries in content.items.items()}
    site = LanguageSite(
        config=config, layout=layout, lang=content.lang, prefix=prefix, posts=posts,
        items=items, authors={a.slug: a for a in content.authors},
        categories={c.slug: c for c in content.categories},
        pages={p.slug: p for p in content.pages}, newsletter=content.newsletter)
    authors = _Matcher({a.slug: a for a in content.authors}, lambda a: a.name)
    categories = _Matcher({c.slug: c for c in content.categories}, lambda c: c.name)

    by_category: dict[str, list[Entry]] = defaultdict(list)
    by_author: dict[str, list[Entry]] = defaultdict(list)
    by_tag: dict[str, list[Entry]] = defaultdict(list)
    uncategorised: list[Entry] = []  # posts that follow the whole feed to their next one
    tag_names: dict[str, str] = {}
    # Lookups by the text written in front matter, each made once: an archive names a
    # few dozen authors, categories and tags over and over (100,000 posts: -0.2 s).
    found_authors: dict[str, Author | None] = {}
    found_categories: dict[str, Category | None] = {}
    tag_slugs: dict[str, str] = {}
    author_of_entry, category_of_entry = site.author_of_entry, site.category_of_entry
    everything = [*posts, *(e for entries in items.values() for e in entries)]
    for entry in everything:
        key = (entry.collection, entry.slug)
        is_post = entry.collection == "posts"
        reference = entry.author
        if reference is not None:
            value = reference.value
            author = found_authors.get(value, _NOT_LOOKED_UP)
            if author is _NOT_LOOKED_UP:
                author = found_authors[value] = authors.find(reference)
            if author is None and banter_slug(value):
                _unknown(reporter, entry, reference, "author", authors.names())
                author = found_authors[value] = authors.add(_named_author(entry, value))
                site.authors[author.slug] = author
            if author is not None:
                author_of_entry[key] = author
                if is_post:
                    by_author[author.slug].append(entry)
        reference = entry.category
        category = None
        if reference is not None:
            value = reference.value
            category = found_categories.get(value, _NOT_LOOKED_UP)
            if category is _NOT_LOOKED_UP:
                category = found_categories[value] = categories.find(reference)
            if category is None and banter_slug(value):
                _unknown(reporter, entry, reference, "category", categories.names())
                category = found_categories[value] = categories.add(
                    Category(banter_slug(value), entry.lang, entry.source, value, "", ""))
                site.categories[category.slug] = category
            if category is not None:
                category_of_entry[key] = category
                if is_post:
                    by_category[category.slug].append(entry)
        if is_post:
            if category is None:
                uncategorised.append(entry)
            for name in entry.tags:
                slug = tag_slugs.get(name)
                if slug is None:
                    slug = tag_slugs[name] = banter_slug(name)
                if not slug:
                    continue
                tag_names.setdefault(slug, name)
                by_tag[slug].append(entry)

    site.posts_by_category = {slug: tuple(v) for slug, v in by_category.items()}
    site.posts_by_author = {slug: tuple(v) for slug, v in by_author.items()}
    site.tags = {slug: Tag(slug, tag_names[slug], tuple(v)) for slug, v in by_tag.items()}
    site.featured = tuple(p for p in posts if p.featured)[: config.featured_count]
    site.popular = most_viewed(posts, config.popular_count)
    site.popular_tags = tuple(sorted(site.tags.values(), key=lambda t: (-len(t.posts), t.slug))
                              [: config.popular_tags_count])
    site.next_entry = _next_entries([*by_category.values(), uncategorised], items)
    return site


def _next_entries(groups: list[list[Entry]],
                  items: dict[str, tuple[Entry, ...]]) -> dict[tuple[str, str], Entry]:
    """Next article = the next older post of the same category; the oldest wraps around.

    Stable across builds (Banter picks one at random). ``groups`` are the posts of each
    category and those without one (which follow the whole feed), newest first;
    collection items follow their collection.
    """
    result = {}
    for sequence in [*groups, *items.values()]:
        if len(sequence) < 2:
            continue
        for entry, after in zip(sequence, [*sequence[1:], sequence[0]], strict=True):
            result[(entry.collection, entry.slug)] = after
    return result


class _Matcher(Generic[T]):
    """Finds a model by name or slug, compared the Banter way (lower case, hyphens)."""

    def __init__(self, by_slug: dict[str, T], name_of: Callable[[T], str]) -> None:
        self.by_slug = by_slug
        self.name_of = name_of
        self.by_name: dict[str, T] = {}
        for model in by_slug.values():
            self.by_name.setdefault(banter_slug(name_of(model)), model)

    def add(self, model: T) -> T:
        """A model made for a name no file defines: found by that name from now on."""
        self.by_name.setdefault(banter_slug(self.name_of(model)), model)
        return model

    def find(self, reference: Reference) -> T | None:
        key = banter_slug(reference.value)
        return self.by_name.get(key) or self.by_slug.get(key) or self.by_slug.get(reference.value)

    def names(self) -> list[str]:
        return [self.name_of(m) for m in self.by_slug.values()]


def _named_author(entry: Entry, name: str) -> Author:
    """An author page made from a name alone, as Hugo makes a taxonomy term's page: not
    listed among the staff (no role), found by its name."""
    return Author(banter_slug(name), entry.lang, entry.source, name, "", "contributor", "",
                  10_000, (), "", Body("", 1, entry.source))


def _unknown(reporter: Reporter, entry: Entry, reference: Reference, what: str,
             names: list[str]) -> None:
    """A name without a file: the site is built with a page made from the name (as
    Banter and Hugo publish what they can), and a warning says so (an error with
    --strict)."""
    hint = did_you_mean(reference.value, names, f"{what} names")
    reporter.warning(entry.source, reference.line, f"unknown {what} '{reference.value}': "
                     f"a page is made from its name", hint or f"add a file for this {what} "
                     f"in content/{'authors' if what == 'author' else 'categories'}/, or "
                     "correct the name")
