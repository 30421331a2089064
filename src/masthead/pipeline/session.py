"""One build's session: what it was asked (the site's settings and the build's options),
how it shows progress, and what it gathers (the reporter and the report).

Every step of the pipeline takes the session instead of the same ten parameters, as
Zola's steps take its ``Site``: a step that needs the mode, the strictness or the number
of workers reads it here, and a new setting reaches every step without touching them."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from masthead.config import SiteConfig
from masthead.errors import BuildFailed, Diagnostic, Reporter
from masthead.options import BuildOptions
from masthead.parallel import default_jobs

if TYPE_CHECKING:
    from masthead.content.models import Entry
    from masthead.emit.search import SearchIndex
    from masthead.site.index import Site
    from masthead.site.routes import Route

Progress = Callable[[int, int], None]  # done, total
ProgressStages = Callable[[str, str], Progress]  # a stage's name and unit -> its progress


@dataclass
class BuildReport:
    """What a build did, for the command line, the dev server and the tests."""

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
class BuildSession:
    """A build in progress. ``image_cache``: where image variants are kept (default: the
    site's .masthead/images)."""

    config: SiteConfig
    options: BuildOptions = field(default_factory=BuildOptions)
    progress: ProgressStages | None = None
    image_cache: Path | None = None
    reporter: Reporter = field(default_factory=Reporter)
    report: BuildReport = field(default_factory=BuildReport)
    started: float = field(default_factory=time.perf_counter)

    @property
    def jobs(self) -> int:
        return self.options.jobs or default_jobs()

    @property
    def preview(self) -> bool:
        return self.options.preview

    def stage(self, label: str, unit: str) -> Progress | None:
        """The progress callback of a stage, when the session shows progress."""
        return self.progress(label, unit) if self.progress else None

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        """Add the time spent in the block to the report's timing of ``stage``."""
        start = time.perf_counter()
        try:
            yield
        finally:
            timings = self.report.timings
            timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - start

    def finish(self, abort: Callable[[], None]) -> None:
        """Sort the diagnostics into the report; on an error (or a warning when strict)
        abort the output and raise BuildFailed."""
        reporter = self.reporter
        self.report.diagnostics = reporter.sorted()
        if reporter.errors or (self.options.strict and reporter.warnings):
            abort()
            raise BuildFailed(self.report.diagnostics)

    def done(self) -> BuildReport:
        self.report.seconds = time.perf_counter() - self.started
        return self.report
