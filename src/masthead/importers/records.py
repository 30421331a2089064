"""What every importer produces: one record per thing it found (the site's settings, a
story, a page, an author, a category, a media file, an old address to redirect), and
the report of what it did. A reader of another system turns its files into these; one
writer (``writer.py``) turns them into a site, as Pelican's importers share one record
and one writer."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

PROGRESS_EVERY = 2.0  # seconds between two progress lines of a long import


@dataclass(frozen=True)
class SiteInfo:
    """The old site's name, address and language, for a new masthead.toml."""

    system: str  # "WordPress", "Jekyll", "Hugo": named in the file's first comment
    title: str
    address: str
    language: str


@dataclass(frozen=True)
class Story:
    """A post. ``fields``: its front matter (empty values are left out); ``counted``:
    how the report counts it (posts, drafts, scheduled posts)."""

    slug: str
    fields: dict[str, object]
    body: str
    counted: str = "posts"


@dataclass(frozen=True)
class Page:
    slug: str
    fields: dict[str, object]
    body: str


@dataclass(frozen=True)
class Author:
    slug: str
    name: str


@dataclass(frozen=True)
class Category:
    slug: str
    name: str
    description: str = ""


@dataclass(frozen=True)
class Media:
    """A file to publish at ``public/<target>``."""

    target: str
    source: Path


@dataclass(frozen=True)
class Redirect:
    """An old address that readers and search engines still follow; ``new`` is where it
    leads now. An address that cannot be written into a redirect map safely is left out
    with a warning."""

    old: str
    new: str


Imported = SiteInfo | Story | Page | Author | Category | Media | Redirect


@dataclass
class ImportReport:
    counts: Counter[str] = field(default_factory=Counter)
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    missing_media: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    written: int = 0
    unchanged: int = 0

    def lines(self) -> list[str]:
        found = ", ".join(f"{n} {what}" for what, n in sorted(self.counts.items()))
        result = [f"Imported {found}; {self.written} files written, {self.unchanged} "
                  "unchanged."]
        result += [f"skipped: {line}" for line in self.skipped]
        result += [f"warning: {line}" for line in self.warnings]
        if self.missing_media:
            result.append(f"{len(self.missing_media)} media files were not in the uploads "
                          "folder; their addresses were kept:")
            result += [f"  {url}" for url in self.missing_media]
        if self.kept:
            result.append(f"{len(self.kept)} files edited since the last import were kept "
                          "as they are (--force replaces them):")
            result += [f"  {rel}" for rel in self.kept]
        return result
