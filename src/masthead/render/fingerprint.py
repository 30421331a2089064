"""Fingerprints: a short digest of everything a page shows, computed without rendering it.

An incremental build re-renders a page only when its fingerprint changed. A page's
fingerprint combines what every page of its language shows (settings, templates,
strings, menus, the "Most read" block) with what this page shows: its own content,
the cards it lists (each card's digest covers the story's metadata, author and
category), its neighbours. A property test builds random edit sequences both ways
and requires byte-identical output, which is what keeps this list honest.

That list describes what the default theme's templates show. A site with templates of
its own may print any field of any model on any page, so there every page's digest
covers every content file (``whole_site``): an edit re-renders the site, and the output
is always what a clean build writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

from masthead import __version__
from masthead.content.models import Author, Category, Entry, Page
from masthead.digests import digest, files_digest
from masthead.i18n import Strings
from masthead.site.index import LanguageSite, Site, Tag
from masthead.site.paginate import Pager
from masthead.site.routes import Route


def _model_repr(model: Any) -> str:
    if is_dataclass(model):
        return repr([(f.name, _model_repr(getattr(model, f.name))) for f in fields(model)])
    if isinstance(model, dict):
        return repr(sorted((str(k), _model_repr(v)) for k, v in model.items()))
    return repr(model)


_TEXT_FIELDS = frozenset({"body", "extra"})  # a model's text, and what only its page shows
_METADATA: dict[type, tuple[str, ...]] = {}


def _metadata(model: Any) -> tuple[object, ...]:
    """Every field of a model but its text, in declaration order."""
    cls = type(model)
    names = _METADATA.get(cls)
    if names is None:
        names = _METADATA[cls] = tuple(f.name for f in fields(model)
                                       if f.name not in _TEXT_FIELDS)
    return tuple(getattr(model, name) for name in names)


class Fingerprints:
    """Digests for every route of one build."""

    def __init__(self, site: Site, strings: dict[str, Strings], assets: dict[str, str],
                 templates: Iterable[Path], public_digest: str, serve_mode: bool,
                 sources: dict[str, str], whole_site: bool = False,
                 policy: str = "") -> None:
        self.site = site
        self.sources = sources  # file -> digest of its text
        self._entry: dict[tuple[str, str, str], str] = {}
        self._card: dict[tuple[str, str, str], str] = {}
        self._model: dict[int, str] = {}
        base = digest(__version__, _model_repr(site.config), _model_repr(site.layout),
                      files_digest(templates), sorted(assets.items()), public_digest,
                      serve_mode, list(site.languages),
                      sorted(sources.items()) if whole_site else None,
                      policy)  # every page carries the Content-Security-Policy
        self._global = {
            lang: digest(base, lang, sorted(strings[lang].table.items()),
                         _model_repr(lang_site.newsletter),
                         [self.card(lang_site, e) + str(e.views) for e in lang_site.popular])
            for lang, lang_site in site.languages.items()}
        self._alternates: dict[tuple[str, ...], str] = {}

    def set_alternates(self, routes: list[Route]) -> None:
        """The translations of each page show up in its head and language switch."""
        table: dict[tuple[str, ...], list[str]] = {}
        for route in routes:
            table.setdefault(route.key, []).append(f"{route.lang}={route.url}")
        self._alternates = {key: " ".join(sorted(urls)) for key, urls in table.items()
                            if len(urls) > 1}

    def model(self, model: Any) -> str:
        """A model is what its file says, read in its language."""
        key = id(model)
        found = self._model.get(key)
        if found is None:
            source = getattr(model, "source", None)
            text = self.sources.get(source) if isinstance(source, str) else None
            found = (digest(type(model).__name__, source, text, model.lang) if text
                     else digest(type(model).__name__, _model_repr(model)))
            self._model[key] = found
        return found

    def forget(self, stories: set[tuple[str, str]]) -> None:
        """Drop what was worked out for these (collection, slug) stories, in every
        language (their text changed)."""
        for key in [k for k in self._entry if (k[1], k[2]) in stories]:
            del self._entry[key]

    def card(self, site: LanguageSite, entry: Entry) -> str:
        """What a card (or a compact list line) may show of a story: every field of the
        story, its author and its category but their text, read from the models'
        declarations (a field added to a model is covered without a change here)."""
        key = (site.lang, entry.collection, entry.slug)
        found = self._card.get(key)
        if found is None:
            author, category = site.author_of(entry), site.category_of(entry)
            found = digest(_metadata(entry), _metadata(author) if author else None,
                           _metadata(category) if category else None)
            self._card[key] = found
        return found

    def _entry_page(self, site: LanguageSite, entry: Entry) -> str:
        key = (site.lang, entry.collection, entry.slug)
        found = self._entry.get(key)
        if found is None:
            author, category, following = (site.author_of(entry), site.category_of(entry),
                                           site.next_of(entry))
            found = digest(self.model(entry), entry.views, entry.counted_views,
                           self.model(author) if author else None,
                           self.model(category) if category else None,
                           self.card(site, following) if following else None)
            self._entry[key] = found
        return found

    def route(self, route: Route) -> str:
        site = self.site.languages[route.lang]
        parts: list[object] = [self._global[route.lang], route.url, route.template, route.kind,
                               self._alternates.get(route.key, "")]
        for name, value in route.context.items():  # built in a fixed order by routes.py
            parts.append(name)
            parts.append(self._value(site, name, value))
        parts.append(self._kind_extra(site, route))
        return digest(*parts)

    def _value(self, site: LanguageSite, name: str, value: Any) -> object:
        if isinstance(value, Entry):
            return self._entry_page(site, value)
        if isinstance(value, Pager):
            return " ".join([value.base, str(value.number), value.shown(),
                             *(self.card(site, e) for e in value.items)])
        if isinstance(value, tuple) and all(isinstance(e, Entry) for e in value):
            return [self.card(site, e) + str(e.views) for e in value]
        if isinstance(value, Tag):
            return (value.slug, value.name, len(value.posts))
        if isinstance(value, (Author, Category, Page)):
            return self.model(value)
        return _model_repr(value)

    def _kind_extra(self, site: LanguageSite, route: Route) -> object:
        if route.kind in ("home", "404"):
            return ([self.card(site, e) for e in site.featured],
                    [self.card(site, e) for e in site.posts[:3]],
                    [(c.slug, c.name, site.category_count(c)) for c in site.categories.values()],
                    [(t.slug, t.name, len(t.posts)) for t in site.popular_tags])
        if route.kind == "terms":
            return ([(self.model(c), site.category_count(c)) for c in site.categories.values()],
                    [self.model(a) for a in site.all_authors],
                    sorted((t.slug, t.name, len(t.posts)) for t in site.tags.values()))
        if route.kind == "archive-years":
            return [(e.slug, e.title, e.date.isoformat()) for e in site.posts]
        if route.kind == "feed":  # whole articles, with their authors and categories
            return [self._entry_page(site, e) + self.card(site, e)
                    for e in route.context["entries"]]
        if route.kind == "page":
            return ([self.model(a) for a in site.all_authors], route.context["page"].slug)
        return None
