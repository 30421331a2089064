"""The search index: Pagefind, run over the built pages, served by the site itself.

Pagefind (its binary ships inside the PyPI wheel and runs offline) reads the pages'
``data-pagefind-*`` attributes: only an article's body is indexed, with filters for
category, author, tag and year and the date to sort by, one index per page language.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
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
    assert made is not None  # only an index asked to stop is None
    return made if isinstance(made, Diagnostic) else swap_search_index(site_dir, made)


@dataclass(frozen=True)
class FreshIndex:
    """An index made beside the one readers use, not yet in its place."""

    folder: Path
    started: float


def new_search_index(site_dir: Path, pages: list[str] | None = None, nice: int = 0,
                     stop: threading.Event | None = None
                     ) -> FreshIndex | Diagnostic | None:
    """The index of the pages under ``site_dir``, made in a folder of its own beside the
    current one (see :func:`build_search_index`).

    With ``stop``, Pagefind runs in a process group of its own, at the lower priority
    ``nice``, and is killed as soon as ``stop`` is set (None is returned): the desk
    indexes after a publish, and the next publish would make that index stale anyway,
    so it takes the machine rather than share it."""
    started = time.perf_counter()
    fresh = site_dir / f".{INDEX_DIR}.new"
    shutil.rmtree(fresh, ignore_errors=True)
    shown = site_dir / PAGES_DIR
    shutil.rmtree(shown, ignore_errors=True)
    # Without any such page Pagefind indexes every page: it is then shown them all.
    source = shown if pages and _link_pages(site_dir, pages, shown) else site_dir
    try:
        failure = (_index_apart(source, fresh, nice, stop) if stop is not None
                   else _index_here(source, fresh))
    finally:
        shutil.rmtree(shown, ignore_errors=True)
    if failure is STOPPED:
        shutil.rmtree(fresh, ignore_errors=True)
        return None
    if failure:  # the service's own errors, reported as a diagnostic
        return Diagnostic(str(site_dir), None,
                          f"the search index could not be built: {failure}",
                          "build with --no-search to skip it, and report this")
    return FreshIndex(fresh, started)


STOPPED = "stopped"


def _index_here(source: Path, fresh: Path) -> str:
    """Index in a thread of this process (the caller may be inside an event loop); the
    error, or ''."""
    failures: list[BaseException] = []

    def run() -> None:
        import asyncio  # here: most builds without a search change never need it

        try:
            asyncio.run(_index(source, fresh))
        except BaseException as exc:
            failures.append(exc)

    worker = threading.Thread(target=run, name="pagefind")
    worker.start()
    worker.join()
    return str(failures[0]) if failures else ""


def _index_apart(source: Path, fresh: Path, nice: int, stop: threading.Event) -> str:
    """Index in a process group of its own (this module run as a program, and the
    Pagefind it starts); STOPPED when ``stop`` was set first, the error, or ''."""
    with tempfile.TemporaryFile() as errors:  # a file: a chatty Pagefind fills no pipe
        process = subprocess.Popen([sys.executable, "-m", "masthead.emit.search",
                                    str(source), str(fresh), str(nice)],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=errors, start_new_session=True)
        stopped = False
        while process.poll() is None:
            if stop.wait(0.1):
                stopped = True
                break
        with contextlib.suppress(ProcessLookupError):  # and a Pagefind left behind
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        if stopped:
            return STOPPED
        errors.seek(0)
        said = errors.read().decode(errors="replace").strip()
    if process.returncode:
        return said.splitlines()[-1] if said else f"exit {process.returncode}"
    return ""


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


def main(argv: list[str]) -> int:
    """``python -m masthead.emit.search SOURCE FRESH NICE``: the index of SOURCE's pages
    into FRESH, at priority NICE (see :func:`_index_apart`)."""
    import asyncio

    source, fresh, nice = argv
    if int(nice) and hasattr(os, "nice"):
        os.nice(int(nice))  # Pagefind, started from here, inherits it
    try:
        asyncio.run(_index(Path(source), Path(fresh)))
    except Exception as exc:  # the message is what the caller reports
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
