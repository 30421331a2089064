"""Counted views folded into the stories: front-matter ``views`` plus what readers did.

Banter's ``views`` are typed by hand; ``masthead build --views`` adds the counts that
``masthead api`` recorded, so "Most read" and "Popular" follow real reading. Each
story keeps the counted part apart, so its page can show a live count on top of the
front-matter value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from masthead.content.discover import Layout
from masthead.content.load import Content
from masthead.content.models import Entry
from masthead.site.urls import Urls


def fold_views(content: Content, layout: Layout, counted: Mapping[str, int]) -> int:
    """Add ``counted`` (page path without its final "/" -> views) to the stories in
    ``content``; return how many stories got views."""
    touched = 0

    def add(entry: Entry, urls: Urls) -> Entry:
        nonlocal touched
        number = counted.get(urls.entry(entry).rstrip("/"), 0)
        if number <= 0:
            return entry
        touched += 1
        return replace(entry, views=entry.views + number, counted_views=number)

    for code, lang in content.languages.items():
        urls = Urls("" if code == layout.default_language else f"/{code}", layout)
        lang.posts = [add(e, urls) for e in lang.posts]
        lang.items = {name: [add(e, urls) for e in entries]
                      for name, entries in lang.items.items()}
    return touched
