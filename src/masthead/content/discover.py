"""Finding the content files of a site and what each one is.

A Banter site keeps each kind of content in its own folder under ``content/``; our
first user's fork adds locale subfolders (``content/posts/en``, ``content/posts/ru``),
``people/`` instead of ``authors/``, and the ``docs`` and ``videos`` collections.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from masthead.config import CollectionConfig, SiteConfig
from masthead.content.languages import is_language
from masthead.errors import Diagnostic, closest
from masthead.paths import utf8_name

MARKDOWN_SUFFIXES = (".md", ".markdown")
AUTO_COLLECTIONS = {
    "docs": CollectionConfig("docs", "docs", "/docs", "doc.html"),
    "videos": CollectionConfig("videos", "videos", "/videos", "video.html"),
}
_LOCALE = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")


class SourceFile(NamedTuple):
    """One Markdown file: where it is, what kind of content, which language, its slug.
    A named tuple, not a dataclass: a 100,000-post archive makes 100,000 of them on
    every build, and a frozen dataclass takes five times as long to make."""

    file: str  # the path as text: 10,000 Path objects cost 0.1 s that most builds never use
    rel: str
    kind: str
    lang: str | None
    slug: str
    mtime_ns: int = 0  # as found, so that the build cache need not ask again
    size: int = -1

    @property
    def path(self) -> Path:
        return Path(self.file)


@dataclass(frozen=True, slots=True)
class Layout:
    """What a content folder holds: languages, the authors folder, the collections."""

    languages: tuple[str, ...]
    default_language: str
    authors_folder: str
    collections: tuple[CollectionConfig, ...]
    localized: bool

    @property
    def authors_url(self) -> str:
        return "/" + self.authors_folder


def detect_layout(config: SiteConfig) -> Layout:
    content = config.root / "content"
    authors = "people" if (content / "people").is_dir() and not (
        content / "authors").is_dir() else "authors"
    collections = {c.name: c for c in config.collections}
    for name, auto in AUTO_COLLECTIONS.items():
        if name not in collections and (content / auto.folder).is_dir():
            collections[name] = auto
    found: list[str] = []
    posts = content / "posts"
    if posts.is_dir():
        with os.scandir(posts) as children:  # no stat per file: posts/ may hold 100,000
            found = sorted(child.name for child in children
                           if _LOCALE.match(child.name) and child.is_dir()
                           and (is_language(child.name) or child.name in config.languages))
    localized = bool(found)
    if config.languages:
        languages = tuple(config.languages)
    elif found:
        languages = tuple(sorted(found, key=lambda code: (code != config.language, code)))
    else:
        languages = (config.language,)
    default = config.language if config.language in languages else languages[0]
    ordered = (default, *[code for code in languages if code != default])
    return Layout(ordered, default, authors, tuple(collections.values()), localized)


def folders_like_languages(config: SiteConfig, layout: Layout) -> list[str]:
    """Folders under content/posts/ named like a language that the site does not have
    (``old/``, or ``xal/`` on a site whose ``languages`` do not name it): their stories
    are the default language's, which a writer may not expect."""
    posts = config.root / "content" / "posts"
    if not posts.is_dir():
        return []
    with os.scandir(posts) as children:
        return sorted(child.name for child in children if _LOCALE.match(child.name)
                      and child.name not in layout.languages and child.is_dir())


def kinds_of(layout: Layout) -> dict[str, str]:
    """Each folder of ``content/`` that holds content, with the kind of what it holds."""
    kinds = {"posts": "posts", layout.authors_folder: "authors", "categories": "categories",
             "pages": "pages", "shared": "shared"}
    kinds.update({c.folder: c.name for c in layout.collections})
    return kinds


def source_of(config: SiteConfig, layout: Layout, rel: str) -> SourceFile | None:
    """The content file at ``rel`` (``content/posts/ru/a.md``) as ``discover`` would
    find it, whether or not it exists yet; None outside the content folders."""
    parts = rel.split("/")
    kind = kinds_of(layout).get(parts[1]) if len(parts) > 2 and parts[0] == "content" else None
    if kind is None:
        return None
    lang = parts[2] if len(parts) > 3 and parts[2] in layout.languages else None
    slug = unicodedata.normalize("NFC", parts[-1].rsplit(".", 1)[0])
    return SourceFile(str(config.root / rel), rel, kind, lang, slug)


def discover(config: SiteConfig, layout: Layout, stat: bool = True,
             problems: list[Diagnostic] | None = None) -> list[SourceFile]:
    """Every content file, sorted by path so that builds are reproducible; with its size
    and modification time unless not ``stat`` (only the build cache asks for them, and
    a file's stat is most of the time this takes)."""
    content = config.root / "content"
    kind_names = kinds_of(layout)
    kinds = list(kind_names)
    files: list[SourceFile] = []
    root_prefix = len(str(config.root)) + 1  # paths below are built from it, so slicing is exact
    languages = set(layout.languages)
    for folder in kinds:
        base = content / folder
        if not base.is_dir():
            continue
        kind = kind_names[folder]
        add = files.append
        for entry, parts in _walk(str(base), ()):
            lang = parts[0] if parts and parts[0] in languages else None
            name, path = entry.name, entry.path
            if not path.isascii() and not utf8_name(path):
                if problems is not None:
                    shown = path[root_prefix:].encode("utf-8", "replace").decode("utf-8")
                    problems.append(Diagnostic(shown, None, "the file's name is not UTF-8",
                                               "rename it: its name is its address"))
                continue
            if stat:
                found = entry.stat()
                mtime_ns, size = found.st_mtime_ns, found.st_size
            else:
                mtime_ns, size = 0, -1
            # Positional: a named tuple made with keywords takes twice as long, and
            # 100,000 posts make 100,000 of them.
            slug = name.rsplit(".", 1)[0]
            if not slug.isascii():  # one spelling of "é" for every file system's
                slug = unicodedata.normalize("NFC", slug)
            add(SourceFile(path, path[root_prefix:], kind, lang, slug, mtime_ns, size))
    return files


SITE_FOLDERS = {"config", "public", "templates", "static", "i18n", "dist", "node_modules"}


def missing_content(config: SiteConfig, layout: Layout,
                    files: list[SourceFile]) -> Diagnostic | None:
    """An error when there is nothing to publish: no ``content/`` folder (often a misspelt
    one), or no Markdown file in any of the folders masthead reads."""
    root, content = config.root, config.root / "content"
    folders = ["posts", layout.authors_folder, "categories", "pages", "shared",
               *(c.folder for c in layout.collections)]
    if not content.is_dir():
        others = [p.name for p in root.iterdir() if p.is_dir() and p.name not in SITE_FOLDERS
                  and not p.name.startswith(".")] if root.is_dir() else []
        near = closest("content", others)
        hint = (f"rename '{near}/' to 'content/'" if near else
                "put stories in content/posts/ (masthead new DIR makes a starter site)")
        return Diagnostic(".", None, "there is no content/ folder: nothing to publish", hint)
    if any(f.kind == "posts" or f.kind in {c.name for c in layout.collections} for f in files):
        return None
    others = [p.name for p in content.iterdir() if p.is_dir() and p.name not in folders]
    near = closest("posts", others)
    hint = (f"rename 'content/{near}/' to 'content/posts/'" if near else
            "write each story as a Markdown file in content/posts/, e.g. content/posts/"
            "first-story.md with a title and a date in its front matter")
    return Diagnostic("content", None, "content/posts/ holds no stories: nothing to publish",
                      hint)


def _walk(folder: str, parts: tuple[str, ...]) -> list[tuple[os.DirEntry[str],
                                                           tuple[str, ...]]]:
    """Markdown files under ``folder``, sorted, skipping names that start with . or _;
    each with the names of the folders between ``folder`` and it."""
    found = []
    with os.scandir(folder) as scan:
        entries = sorted(scan, key=_name)
    for entry in entries:
        name = entry.name
        if name[0] in "._":
            continue
        if entry.is_dir():
            found.extend(_walk(entry.path, (*parts, name)))
        elif name.lower().endswith(MARKDOWN_SUFFIXES) and entry.is_file():
            found.append((entry, parts))
    return found



def _name(entry: os.DirEntry[str]) -> str:
    return entry.name

