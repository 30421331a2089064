"""The typed content of a site: what a newsroom writes, validated and frozen.

Models keep the Markdown body, not its HTML: bodies are rendered when their page
is rendered, so the site model stays small (metadata only) however large the
archive grows, and rendering can be spread over processes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Body:
    """Markdown text and where it starts in its file (for diagnostics)."""

    markdown: str
    line: int
    source: str


@dataclass(frozen=True, slots=True)
class SocialProfile:
    name: str
    url: str


@dataclass(frozen=True, slots=True)
class Author:
    slug: str
    lang: str
    source: str
    name: str
    image: str
    role: str
    title: str
    order: int
    social_links: tuple[SocialProfile, ...]
    external_link: str
    body: Body

    @property
    def is_external(self) -> bool:
        return self.role == "external" and bool(self.external_link)


@dataclass(frozen=True, slots=True)
class Category:
    slug: str
    lang: str
    source: str
    name: str
    image: str
    description: str


@dataclass(frozen=True, slots=True)
class Reference:
    """A name written in front matter that must match another file, and where."""

    value: str
    line: int | None


@dataclass(frozen=True, slots=True)
class Entry:
    """A dated piece of content with its own page: a post, or a collection item."""

    collection: str
    slug: str
    lang: str
    source: str
    title: str
    description: str
    image: str
    date: dt.datetime
    modified: dt.datetime | None
    author: Reference | None
    category: Reference | None
    tags: tuple[str, ...]
    group: str
    draft: bool
    views: int
    reading_minutes: int
    youtube_id: str
    body: Body
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def featured(self) -> bool:
        return self.group.lower() == "featured"


@dataclass(frozen=True, slots=True)
class Page:
    slug: str
    lang: str
    source: str
    title: str
    description: str
    sections: dict[str, Any]
    body: Body


@dataclass(frozen=True, slots=True)
class Newsletter:
    title: str = ""
    subtext: str = ""
    placeholder: str = "Enter your email"
    button: str = "Subscribe"
    action: str = "#"
    footer: str = ""
