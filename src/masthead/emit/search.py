"""The search index: Pagefind, run over the built pages, served by the site itself.

Pagefind (its binary ships inside the PyPI wheel and runs offline) reads the pages'
``data-pagefind-*`` attributes: only an article's body is indexed, with filters for
category, author, tag and year and the date to sort by, one index per page language.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from masthead.errors import Diagnostic
from masthead.output import link_or_copy

INDEX_DIR = "pagefind"
PAGES_DIR = ".search-pages"  # the pages Pagefind is shown, while it runs
SEARCH_MARK = "data-pagefind-body"  # in a page: Pagefind indexes it (and only such pages)


@dataclass(frozen=True)
class SearchIndex:
    seconds: float
    bytes: int
    files: int


def build_search_index(site_dir: Path, pages: list[str] | None = None
                       ) -> SearchIndex | Diagnostic:
    """Index the pages under ``site_dir`` into ``site_dir/pagefind`` with Pagefind's Python
    API (``add_directory``: the service reads the files itself; adding pages one by one
    through the API is about ten pages a second).

    ``pages`` (paths under ``site_dir``), when the build knows them, are the only pages
    that ask to be indexed: Pagefind is shown just those, through a folder of hard links,
    since it would otherwise parse every listing page only to drop it (10,000 posts:
    29 s -> 25 s). The index is the same."""
    made = new_search_index(site_dir, pages)
    return made if isinstance(made, Diagnostic) else swap_search_index(site_dir, made)


@dataclass(frozen=True)
class FreshIndex:
    """An index made beside the one readers use, not yet in its place."""

    folder: Path
    started: float


def new_search_index(site_dir: Path, pages: list[str] | None = None, nice: int = 0
                     ) -> FreshIndex | Diagnostic:
    """The index of the pages under ``site_dir``, made in a folder of its own beside the
    current one (see :func:`build_search_index`). With ``nice``, Pagefind runs at that
    lower priority: the desk indexes while the next publish builds, and the publish
    comes first."""
    started = time.perf_counter()
    failures: list[BaseException] = []
    fresh = site_dir / f".{INDEX_DIR}.new"
    shutil.rmtree(fresh, ignore_errors=True)
    shown = site_dir / PAGES_DIR
    shutil.rmtree(shown, ignore_errors=True)
    # Without any such page Pagefind indexes every page: it is then shown them all.
    source = shown if pages and _link_pages(site_dir, pages, shown) else site_dir

    def run() -> None:  # in a thread of its own: the caller may be inside an event loop
        import asyncio  # here: most builds without a search change never need it

        if nice and hasattr(os, "setpriority"):  # this thread, and Pagefind started from it
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
        try:
            asyncio.run(_index(source, fresh))
        except BaseException as exc:
            failures.append(exc)

    worker = threading.Thread(target=run, name="pagefind")
    try:
        worker.start()
        worker.join()
    finally:
        shutil.rmtree(shown, ignore_errors=True)
    if failures:
        exc = failures[0]  # the service's own errors, reported as a diagnostic
        return Diagnostic(str(site_dir), None, f"the search index could not be built: {exc}",
                          "build with --no-search to skip it, and report this")
    return FreshIndex(fresh, started)


def swap_search_index(site_dir: Path, made: FreshIndex) -> SearchIndex | Diagnostic:
    """Put a new index in the place of the current one."""
    # Pagefind names its files by content and never deletes old ones: a new index
    # replaces the whole folder, so that no stale file is left for a reader to fetch.
    current, old = site_dir / INDEX_DIR, site_dir / f".{INDEX_DIR}.old"
    shutil.rmtree(old, ignore_errors=True)
    if current.exists():
        current.rename(old)
    made.folder.rename(current)
    shutil.rmtree(old, ignore_errors=True)
    files = [p for p in current.rglob("*") if p.is_file()]
    if not files:
        return Diagnostic(str(site_dir), None, "the search index is empty",
                          "build with --no-search to skip it, and report this")
    return SearchIndex(time.perf_counter() - made.started,
                       sum(p.stat().st_size for p in files), len(files))


def keep_index(old_site: Path, new_site: Path) -> None:
    """The search index of ``old_site`` in ``new_site`` too (hard links where the file
    system allows), for a build that leaves indexing to later: readers keep searching
    the previous index rather than finding none."""
    index = old_site / INDEX_DIR
    if index.is_dir() and not (new_site / INDEX_DIR).exists():
        shutil.copytree(index, new_site / INDEX_DIR, copy_function=link_or_copy)


def _link_pages(site_dir: Path, pages: list[str], folder: Path) -> bool:
    """Hard-link ``pages`` into ``folder`` at the same relative paths; False (and nothing
    left behind) where the file system cannot link."""
    made: set[Path] = set()
    try:
        for rel in pages:
            target = folder / rel
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            os.link(site_dir / rel, target)
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)
        return False
    return True


async def _index(site_dir: Path, output: Path) -> None:
    from pagefind.index import IndexConfig, PagefindIndex

    config = IndexConfig(output_path=str(output))
    async with PagefindIndex(config=config) as index:  # writes the files on leaving
        await index.add_directory(str(site_dir))
