"""``masthead import jekyll`` and ``masthead import hugo``: a Markdown site of another
generator read as import records, which the one import writer turns into a site.

Both keep Markdown bodies as they are, apart from their template code (``templates.py``);
what differs between the two systems (where posts, pages and static files are, how
template code is written) is in ``jekyll.py`` and ``hugo.py``."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

from masthead.content.slugs import banter_slug
from masthead.importers import hugo, jekyll
from masthead.importers.files import readable_slug
from masthead.importers.markdown_source import MEDIA, Source, SourceError, names
from masthead.importers.records import (
    PROGRESS_EVERY,
    Author,
    Category,
    Imported,
    ImportReport,
    Media,
    Page,
    Redirect,
    SiteInfo,
    Story,
)
from masthead.importers.source import SourceFolder
from masthead.importers.templates import TemplateConverter
from masthead.importers.writer import ImportWriter

__all__ = ["SourceError", "import_markdown_site"]

Say = Callable[[str], None]
SYSTEMS: dict[str, ModuleType] = {"jekyll": jekyll, "hugo": hugo}


class MarkdownSiteReader:
    """Another generator's site as records; ``planned`` is every address it gives a page."""

    def __init__(self, system: ModuleType, folder: Path, report: ImportReport,
                 say: Say) -> None:
        self.system = system
        self.folder = folder
        self.report = report
        self.source = SourceFolder(folder, report.warnings.append)
        self.say = say
        self.planned: list[str] = []

    def records(self) -> Iterator[Imported]:
        config, sources = self.system.read(self.source, self.report)
        yield SiteInfo(self.system.NAME, str(config.get("title") or self.folder.name),
                       str(config.get("url") or config.get("baseURL") or ""),
                       str(config.get("lang") or config.get("languageCode") or "en")[:2]
                       .lower())
        new_urls = self._plan(sources)
        self.planned = list(new_urls.values())
        links = {}
        for source in sources:
            url = new_urls[id(source)]
            links[Path(source.rel).stem] = url
            links[source.rel] = url
            links[source.rel.split("/", 1)[-1]] = url
            links[source.slug] = url
        started = last = time.monotonic()
        for done, source in enumerate(sources, 1):
            if time.monotonic() - last > PROGRESS_EVERY:  # a large site: a line now and then
                last = time.monotonic()
                self.say(f"import: {done} of {len(sources)} posts and pages "
                         f"({last - started:.0f} s)")
            notes: list[str] = []
            body = self.system.convert(TemplateConverter(notes.append, links), source.body)
            self.report.warnings += [f"{source.rel}: {note}" for note in dict.fromkeys(notes)]
            url = new_urls[id(source)]
            yield from self._resources(source)
            yield self._record(source, _pointed(source, body))
            if not source.draft:
                yield from (Redirect(old, url) for old in source.old_urls)
        yield from self._people_and_sections(sources)
        yield from self._static()

    def _plan(self, sources: list[Source]) -> dict[int, str]:
        taken: set[tuple[str, str]] = set()
        urls = {}
        for source in sources:
            base, n = source.slug, 2
            while (source.kind, source.slug) in taken:
                source.slug, n = f"{base}-{n}", n + 1
            if source.slug != base:
                self.report.warnings.append(f"{source.rel}: the slug '{base}' is taken; "
                                            f"written as '{source.slug}'")
            taken.add((source.kind, source.slug))
            urls[id(source)] = (f"/posts/{source.slug}/" if source.kind == "post"
                                else f"/{source.slug}/")
        return urls

    def _resources(self, source: Source) -> Iterator[Imported]:
        """A Hugo bundle's files go to public/images/<slug>/."""
        for name, path in source.resources.items():
            yield Media(f"images/{source.slug}/{name}", path)

    def _record(self, source: Source, body: str) -> Story | Page:
        meta = source.meta
        title = str(meta.get("title") or source.slug.replace("-", " ").title())
        if not meta.get("title"):
            self.report.warnings.append(f"{source.rel}: no title; called '{title}'")
        if source.kind == "page":
            return Page(source.slug, {"title": title, "draft": True if source.draft else None},
                        body)
        if not source.date:  # the file's time: the same on every import
            modified = (self.source.root / source.rel).stat().st_mtime
            source.date = dt.datetime.fromtimestamp(int(modified), dt.UTC).isoformat()
            self.report.warnings.append(f"{source.rel}: no date; dated by the file's time")
        categories = names(meta.get("categories") or meta.get("category"))
        authors = names(meta.get("author") or meta.get("authors"))
        fields: dict[str, object] = {
            "title": title, "date": source.date,
            "author": authors[0] if authors else None,
            "category": categories[0] if categories else None,
            "tags": names(meta.get("tags")) + categories[1:],
            "description": str(meta.get("description") or meta.get("summary")
                               or meta.get("excerpt") or "")[:300],
            "image": str(meta.get("image") or meta.get("cover") or "") or None,
            "draft": True if source.draft else None}
        return Story(source.slug, fields, body, "drafts" if source.draft else "posts")

    def _people_and_sections(self, sources: list[Source]) -> Iterator[Imported]:
        """A file for each author and category the posts name (these systems keep them
        as plain names), so that each has its page without a warning."""
        authors: dict[str, str] = {}
        categories: dict[str, str] = {}
        for source in sources:
            if source.kind != "post":
                continue
            for name in names(source.meta.get("author") or source.meta.get("authors"))[:1]:
                authors.setdefault(banter_slug(name), name)
            for name in names(source.meta.get("categories") or source.meta.get("category"))[:1]:
                categories.setdefault(banter_slug(name), name)
        yield from (Author(readable_slug(slug, "author"), name)
                    for slug, name in authors.items() if slug)
        yield from (Category(readable_slug(slug, "category"), name)
                    for slug, name in categories.items() if slug)

    def _static(self) -> Iterator[Imported]:
        """The old site's static files, under public/ at the same paths."""
        for prefix, root in self.system.static_roots(self.source):
            if root is None:
                continue
            for path in self.source.files(root):
                if path.suffix.lower() in MEDIA:
                    yield Media(f"{prefix}{path.relative_to(root).as_posix()}", path)


def _pointed(source: Source, body: str) -> str:
    """References to a Hugo bundle's files pointed at their copies under /images/."""
    for name in source.resources:
        target = f"/images/{source.slug}/{name}"
        body = re.sub(rf'(\]\(|src="|src=)(?:\./)?{re.escape(name)}', rf"\g<1>{target}", body)
    return body


def import_markdown_site(system: str, folder: Path, site: Path, force: bool = False,
                         say: Say = print) -> ImportReport:
    if not folder.is_dir():
        raise SourceError(f"{folder} is not a folder")
    report = ImportReport()
    reader = MarkdownSiteReader(SYSTEMS[system], folder, report, say)
    writer = ImportWriter(site, force, report)
    for record in reader.records():
        writer.write(record)
    return writer.finish(reader.planned)
