"""The search index: Pagefind, run over the built pages, served by the site itself.

Pagefind (its binary ships inside the PyPI wheel and runs offline) reads the pages'
``data-pagefind-*`` attributes: only an article's body is indexed, with filters for
category, author, tag and year and the date to sort by, one index per page language.
"""

from __future__ import annotations

import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from masthead.errors import Diagnostic

INDEX_DIR = "pagefind"


@dataclass(frozen=True)
class SearchIndex:
    seconds: float
    bytes: int
    files: int


def build_search_index(site_dir: Path) -> SearchIndex | Diagnostic:
    """Index the pages under ``site_dir`` into ``site_dir/pagefind`` with Pagefind's Python
    API (``add_directory``: the service reads the files itself; adding pages one by one
    through the API is about ten pages a second)."""
    started = time.perf_counter()
    failures: list[BaseException] = []
    fresh = site_dir / f".{INDEX_DIR}.new"
    shutil.rmtree(fresh, ignore_errors=True)

    def run() -> None:  # in a thread of its own: the caller may be inside an event loop
        import asyncio  # here: most builds without a search change never need it

        try:
            asyncio.run(_index(site_dir, fresh))
        except BaseException as exc:
            failures.append(exc)

    worker = threading.Thread(target=run, name="pagefind")
    worker.start()
    worker.join()
    if failures:
        exc = failures[0]  # the service's own errors, reported as a diagnostic
        return Diagnostic(str(site_dir), None, f"the search index could not be built: {exc}",
                          "build with --no-search to skip it, and report this")
    # Pagefind names its files by content and never deletes old ones: a new index
    # replaces the whole folder, so that no stale file is left for a reader to fetch.
    current, old = site_dir / INDEX_DIR, site_dir / f".{INDEX_DIR}.old"
    shutil.rmtree(old, ignore_errors=True)
    if current.exists():
        current.rename(old)
    fresh.rename(current)
    shutil.rmtree(old, ignore_errors=True)
    files = [p for p in current.rglob("*") if p.is_file()]
    if not files:
        return Diagnostic(str(site_dir), None, "the search index is empty",
                          "build with --no-search to skip it, and report this")
    return SearchIndex(time.perf_counter() - started, sum(p.stat().st_size for p in files),
                       len(files))


async def _index(site_dir: Path, output: Path) -> None:
    from pagefind.index import IndexConfig, PagefindIndex

    config = IndexConfig(output_path=str(output))
    async with PagefindIndex(config=config) as index:  # writes the files on leaving
        await index.add_directory(str(site_dir))
