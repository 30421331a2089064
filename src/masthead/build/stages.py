"""What the steps of a build share: the report, the prepared site, the state a long-running
process keeps, timing, and the end of a build that found errors."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from masthead.config import SiteConfig
from masthead.content.load import CachedModel
from masthead.content.models import Entry
from masthead.emit.search import SearchIndex, build_search_index
from masthead.errors import BuildFailed, Diagnostic, Reporter
from masthead.render.fingerprint import Fingerprints
from masthead.site.index import Site
from masthead.site.routes import Route

if TYPE_CHECKING:
    from masthead.render.templates import Renderer



Progress = Callable[[int, int], None]
Stages = Callable[[str, str], Progress]  # a stage's name and unit -> its progress


def stage(progress: Stages | None, label: str, unit: str) -> Progress | None:
    return progress(label, unit) if progress else None
FULL_REBUILD_SHARE = 0.3  # past this share of changed pages, a clean build is as fast
REUSE_LIMIT = 20  # stories whose text changed; past this, preparing the site anew is as quick


@dataclass
class BuildReport:
    pages: int = 0  # pages rendered by this build
    files: int = 0  # files written by this build
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    skipped: list[Entry] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    site: Site | None = None
    incremental: bool = False
    removed: int = 0
    unchanged_pages: int = 0  # when nothing changed at all: the pages already in place
    search: SearchIndex | None = None
    images_encoded: int = 0  # source images that needed new variants
    variants_encoded: int = 0  # variant files encoded by this build


@dataclass
class Prepared:
    """Everything up to rendering, shared by full and incremental builds."""

    site: Site
    routes: list[Route]
    renderer: Renderer  # (imported when a build renders: jinja2 is slow to import)
    public: dict[str, Path]
    static: dict[str, bytes]  # theme assets, robots.txt (the sitemap is made when written)
    make_fingerprints: Callable[[], Fingerprints]
    models: dict[str, CachedModel]
    models_key: str
    models_changed: bool
    models_before: dict[str, CachedModel] | None
    news_expires: datetime | None = None  # when the news sitemap's oldest post drops out

    @cached_property
    def fingerprints(self) -> Fingerprints:
        """What each page is made from; worked out only for builds that keep a cache."""
        return self.make_fingerprints()


@dataclass
class BuildState:
    """What a long-running process (``masthead serve``) keeps from one build to the next,
    so that saving a story's text re-renders that story's page and nothing else."""

    prepared: Prepared | None = None
    environment: str = ""


@contextmanager
def timed(report: BuildReport, stage: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        report.timings[stage] = report.timings.get(stage, 0.0) + time.perf_counter() - start


def finish(reporter: Reporter, report: BuildReport, strict: bool,
           abort: Callable[[], None]) -> None:
    report.diagnostics = reporter.sorted()
    if reporter.errors or (strict and reporter.warnings):
        abort()
        raise BuildFailed(report.diagnostics)


def search_index(config: SiteConfig, site_dir: Path, reporter: Reporter, report: BuildReport,
                 strict: bool, abort: Callable[[], None], pages: list[str] | None = None,
                 progress: Stages | None = None) -> None:
    """Index the pages for search (skipped when the site turns search off): ``pages``
    when the build knows which pages ask to be indexed, else every page of the site."""
    if not config.search:
        return
    shown = stage(progress, "search index", "pages")
    total = len(pages) if pages is not None else 0
    if shown:
        shown(0, total)  # Pagefind says nothing while it works: the stage is named
    with timed(report, "search"):
        result = build_search_index(site_dir, pages)
    if shown:
        shown(total, total)
    if isinstance(result, Diagnostic):
        reporter.add(result)
        finish(reporter, report, strict, abort)
    else:
        report.search = result
