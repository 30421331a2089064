"""The one writer of every import: records (``records.py``) in, a site folder out.

Stories, pages, authors and categories become Markdown files with YAML front matter,
media files are copied under ``public/``, and the old addresses become redirect maps for
nginx and for static hosts. Files edited since the last import are kept (``SiteWriter``);
what was done is counted in the report."""

from __future__ import annotations

from pathlib import Path

import yaml

from masthead.importers.files import SiteWriter
from masthead.importers.records import (
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
from masthead.importers.redirects import live_pages, safe_path, write_redirects
from masthead.importers.settings import settings_file


def front_matter(fields: dict[str, object], body: str) -> bytes:
    """A Markdown file: the fields that have a value as YAML, then the body."""
    head = yaml.safe_dump({k: v for k, v in fields.items() if v not in (None, "", [])},
                          allow_unicode=True, sort_keys=False, width=1000)
    return f"---\n{head}---\n{body}".encode()


class ImportWriter:
    """Writes each record as it comes; ``finish`` writes the redirects and the record of
    what was imported, and completes the report."""

    def __init__(self, site: Path, force: bool, report: ImportReport) -> None:
        self.site = site
        self.files = SiteWriter(site, force)
        self.report = report
        self.address = ""
        self.urls: list[str] = []  # the addresses of the pages written
        self.redirects: dict[str, str] = {}

    def write(self, record: Imported) -> None:
        counts = self.report.counts
        if isinstance(record, SiteInfo):
            self.address = record.address
            if not (self.site / "masthead.toml").exists():  # a second import: the user's
                self.files.write("masthead.toml", settings_file(
                    record.system, record.title, record.address, record.language,
                    self.report.warnings.append))
        elif isinstance(record, Story):
            self.files.write(f"content/posts/{record.slug}.md",
                             front_matter(record.fields, record.body))
            counts[record.counted] += 1
            self.urls.append(f"/posts/{record.slug}/")
        elif isinstance(record, Page):
            self.files.write(f"content/pages/{record.slug}.md",
                             front_matter(record.fields, record.body))
            counts["pages"] += 1
            self.urls.append(f"/{record.slug}/")
        elif isinstance(record, Author):
            self.files.write(f"content/authors/{record.slug}.md",
                             front_matter({"name": record.name, "role": "member"}, ""))
            counts["authors"] += 1
        elif isinstance(record, Category):
            self.files.write(f"content/categories/{record.slug}.md", front_matter(
                {"name": record.name, "description": record.description}, ""))
            counts["categories"] += 1
        elif isinstance(record, Media):
            self.files.copy(f"public/{record.target}", record.source)
            counts["media files"] += 1
        elif isinstance(record, Redirect):
            self._redirect(record.old, record.new)

    def _redirect(self, old: str, new: str) -> None:
        old = old if old.startswith("/") else "/" + old
        if old.rstrip("/") == new.rstrip("/"):
            return
        if not safe_path(old):
            self.report.warnings.append(f"the old address {old[:80]!r} cannot be redirected "
                                        "safely; left out")
            return
        self.redirects[old] = new

    def finish(self, planned: list[str] | None = None) -> ImportReport:
        """``planned``: every address the import gives a page, drafts included (no
        redirect may lead away from one)."""
        pages = live_pages([*(planned or self.urls), *self.redirects.values()])
        self.report.counts["redirects"] = write_redirects(
            self.files, self.redirects, self.address, pages, self.report.warnings.append)
        self.files.save()
        self.report.written = len(self.files.written)
        self.report.unchanged = len(self.files.unchanged)
        self.report.kept = self.files.kept
        return self.report
