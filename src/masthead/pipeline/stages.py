"""What the steps of a build share beyond the session: the prepared site, the state a
long-running process keeps, and the search index that ends a build."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from masthead.content.load import CachedModel
from masthead.emit.outputs import SiteContext
from masthead.emit.search import build_search_index, keep_index
from masthead.errors import Diagnostic
from masthead.pipeline.session import BuildSession
from masthead.render.fingerprint import Fingerprints
from masthead.site.index import Site
from masthead.site.routes import Route

if TYPE_CHECKING:
    from masthead.render.templates import Renderer

FULL_REBUILD_SHARE = 0.3  # past this share of changed pages, a clean build is as fast
REUSE_LIMIT = 20  # stories whose text changed; past this, preparing the site anew is as quick


@dataclass
class Prepared:
    """Everything up to rendering, shared by full and incremental builds."""

    site: Site
    routes: list[Route]
    renderer: Renderer  # (imported when a build renders: jinja2 is slow to import)
    public: dict[str, Path]
    static: dict[str, bytes]  # site-wide files made before rendering (see emit/outputs.py)
    make_fingerprints: Callable[[], Fingerprints]
    models: dict[str, CachedModel]
    models_key: str
    models_changed: bool
    models_before: dict[str, CachedModel] | None
    files: SiteContext  # what site-wide files are made from (see emit/outputs.py)

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


def search_index(session: BuildSession, site_dir: Path, abort: Callable[[], None],
                 pages: list[str] | None = None, previous: Path | None = None) -> None:
    """Index the pages for search (skipped when the site turns search off): ``pages``
    when the build knows which pages ask to be indexed, else every page of the site.
    When the build is asked to leave the index to its caller, the index of ``previous``
    (the output being replaced) is kept in ``site_dir``."""
    if not session.config.search:
        return
    if not session.options.index_search:  # the caller indexes afterwards
        if previous is not None and previous != site_dir:
            keep_index(previous, site_dir)
        return
    shown = session.stage("search index", "pages")
    total = len(pages) if pages is not None else 0
    if shown:
        shown(0, total)  # Pagefind says nothing while it works: the stage is named
    with session.timed("search"):
        result = build_search_index(site_dir, pages)
    if shown:
        shown(total, total)
    if isinstance(result, Diagnostic):
        session.reporter.add(result)
        session.finish(abort)
    else:
        session.report.search = result
