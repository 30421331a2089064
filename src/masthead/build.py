"""build(): the stages in order, each timed, ending in one BuildReport.

config -> discover -> load -> index -> routes -> render -> write -> commit. Content
problems are collected by a Reporter; if any is an error (or a warning under
``strict``), the sink is aborted and BuildFailed carries the diagnostics, so the
previous output stays in place.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from masthead.assets.static import copy_public, theme_assets
from masthead.config import SiteConfig
from masthead.content.discover import detect_layout, discover
from masthead.content.load import BuildOptions, load_content
from masthead.content.models import Entry
from masthead.emit.sitemap import robots_txt, sitemap_files
from masthead.errors import BuildFailed, Diagnostic, Reporter
from masthead.i18n import load_strings
from masthead.media import PublicFiles
from masthead.output import Sink
from masthead.parallel import default_jobs
from masthead.render.pool import render_routes
from masthead.render.templates import Renderer, make_environment
from masthead.site.index import Site, index_site
from masthead.site.routes import Route, build_routes

Progress = Callable[[int, int], None]


@dataclass
class BuildReport:
    pages: int = 0
    files: int = 0
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    skipped: list[Entry] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    site: Site | None = None


@contextmanager
def _timed(report: BuildReport, stage: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        report.timings[stage] = report.timings.get(stage, 0.0) + time.perf_counter() - start


def build(config: SiteConfig, sink: Sink, options: BuildOptions | None = None, *,
          strict: bool = False, serve_mode: bool = False,
          progress: Progress | None = None, jobs: int = 0) -> BuildReport:
    """Build the site into ``sink``; raise BuildFailed (sink aborted) on content errors."""
    options = options or BuildOptions()
    started = time.perf_counter()
    report = BuildReport()
    reporter = Reporter()
    try:
        _run(config, sink, options, reporter, report, serve_mode, progress, jobs)
    except BaseException:
        sink.abort()
        raise
    report.diagnostics = reporter.sorted()
    if reporter.errors or (strict and reporter.warnings):
        sink.abort()
        raise BuildFailed(report.diagnostics)
    with _timed(report, "commit"):
        sink.commit()
    report.seconds = time.perf_counter() - started
    return report


def _run(config: SiteConfig, sink: Sink, options: BuildOptions, reporter: Reporter,
         report: BuildReport, serve_mode: bool, progress: Progress | None, jobs: int) -> None:
    public = PublicFiles(config.root / "public")
    with _timed(report, "discover"):
        layout = detect_layout(config)
        files = discover(config, layout)
        strings = load_strings(config.root, layout.languages)
    with _timed(report, "load"):
        content = load_content(config, layout, files, public, options, reporter,
                               jobs or default_jobs())
        report.skipped = content.skipped
    with _timed(report, "index"):
        site = index_site(config, layout, content, reporter)
        routes = build_routes(site, reporter)
        report.site, report.routes = site, routes
    with _timed(report, "assets"):
        report.files += copy_public(config.root / "public", sink)
        assets = theme_assets(config.root, sink)
    with _timed(report, "render"):
        renderer = Renderer(site, strings, public, make_environment(config.root), assets,
                            reporter, serve_mode=serve_mode)
        renderer.set_alternates(routes)
        written = render_routes(renderer, routes, sink, jobs or default_jobs(), progress)
        report.pages = written
        report.files += written
    with _timed(report, "emit"):
        emitted = sitemap_files(config, routes)
        if not (config.root / "public" / "robots.txt").exists():
            emitted["robots.txt"] = robots_txt(config)
        for rel, data in emitted.items():
            sink.write(rel, data)
        report.files += len(emitted)


def terminal_progress(stream: object = sys.stderr) -> Progress | None:
    """A one-line progress bar on a terminal; nothing when output is piped or in CI."""
    if not getattr(stream, "isatty", lambda: False)():
        return None

    def show(done: int, total: int) -> None:
        width = 30
        filled = int(width * done / max(total, 1))
        end = "\n" if done == total else ""
        print(f"\r  rendering [{'#' * filled}{'.' * (width - filled)}] {done}/{total} pages",
              end=end, file=stream, flush=True)  # type: ignore[call-overload]

    return show
