"""The typed content of a site: what a newsroom writes, validated and frozen.

Models keep the Markdown body, not its HTML: bodies are rendered when their page
is rendered, so the site model stays small (metadata only) however large the
archive grows, and rendering can be spread over processes.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

from masthead.content.text import read_text

M = TypeVar("M")


def pickled_as_arguments(cls: type[M]) -> type[M]:
    """Pickle a frozen dataclass as its constructor's arguments: loading then costs one
    call, where the default state walks ``fields()`` in Python for every object (a
    10,000-post site crosses from the readers to the builder as about 40,000 of them)."""
    values: Callable[[Any], tuple[Any, ...]] = operator.attrgetter(
        *(item.name for item in fields(cls)))  # type: ignore[arg-type]

    def __reduce__(self: M) -> tuple[type[M], tuple[Any, ...]]:
        return cls, values(self)

    cls.__reduce__ = __reduce__  # type: ignore[assignment,method-assign]
    return cls


@dataclass(frozen=True, slots=True, eq=False)
class Body:
    """Markdown text, and where it starts in its file (for diagnostics).

    A body read from a file is pickled without its text, which is read again from the
    file when a page needs it: the build cache and what workers send back stay small
    (a 10,000-post archive is about 60 MB of Markdown, its metadata a few MB).
    """

    text: str | None
    line: int
    source: str
    path: str = ""  # the file, to read the text again
    offset: int = 0  # where the body starts in the file's text
    images: tuple[str, ...] = ()  # image URLs the text mentions (for variants, CSP)
    frames: tuple[str, ...] = ()  # iframe and script URLs it embeds (for facades, CSP)

    @property
    def markdown(self) -> str:
        """The text; read from the file each time when it was not kept (a page renders
        its body once, and keeping 100,000 bodies would cost gigabytes)."""
        if self.text is not None:
            return self.text
        raw = read_text(self.path)
        return (raw[1:] if raw.startswith("\ufeff") else raw)[self.offset:]

    def __reduce__(self) -> tuple[type[Body], tuple[object, ...]]:
        # As its constructor's arguments (one call to load), without the text when the
        # file can give it again.
        return Body, (None if self.path else self.text, self.line, self.source, self.path,
                      self.offset, self.images, self.frames)


@pickled_as_arguments
@dataclass(frozen=True, slots=True)
class SocialProfile:
    name: str
    url: str


@pickled_as_arguments
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


@pickled_as_arguments
@dataclass(frozen=True, slots=True)
class Category:
    slug: str
    lang: str
    source: str
    name: str
    image: str
    description: str


@pickled_as_arguments
@dataclass(frozen=True, slots=True)
class Reference:
    """A name written in front matter that must match another file, and where."""

    value: str
    line: int | None


@pickled_as_arguments
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
    # ``date`` as a POSIX timestamp, for sorting: comparing aware datetimes with different
    # UTC offsets is 9x slower, and listings, "Most read" and sitemaps sort 100,000s.
    instant: float
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
    counted_views: int = 0  # the part of ``views`` counted by the API at build time

    @property
    def featured(self) -> bool:
        return self.group.lower() == "featured"


@pickled_as_arguments
@dataclass(frozen=True, slots=True)
class Page:
    slug: str
    lang: str
    source: str
    title: str
    description: str
    sections: dict[str, Any]
    body: Body


@pickled_as_arguments
@dataclass(frozen=True, slots=True)
class Newsletter:
    title: str = ""
    subtext: str = ""
    placeholder: str = "Enter your email"
    button: str = "Subscribe"
    action: str = "#"
    footer: str = ""
