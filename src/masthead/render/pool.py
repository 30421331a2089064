"""Rendering routes on every core: forked workers render and write their own pages.

Workers are forked after the Site, the routes and the compiled templates exist, so
they share them and nothing large is pickled. Each worker writes its pages straight
into the sink's folder and sends back only counts and diagnostics (pickling 10,000
pages back to the parent would cost more than rendering them). A sink that cannot be
written from other processes (MemorySink) gets the bytes back instead.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from masthead.emit.search import SEARCH_MARK
from masthead.errors import Diagnostic
from masthead.output import Sink
from masthead.parallel import SharedCount, map_parts, reporting
from masthead.site.routes import Route

if TYPE_CHECKING:
    from masthead.render.templates import Renderer

Progress = Callable[[int, int], None]
CHUNK = 200
TICK = 25  # pages a worker renders between two additions to the shared count
REPORT_EVERY = 0.5  # seconds between two looks at that count
MIN_PARALLEL = 400  # below this, starting workers costs more than it saves
SHARED_TAIL = 0.2  # of each worker's span of stories, left to whichever worker is free


def render_routes(renderer: Renderer, routes: Sequence[Route], sink: Sink, jobs: int,
                  progress: Progress | None = None,
                  meanwhile: Callable[[], None] | None = None,
                  searchable: list[str] | None = None) -> int:
    """Render every route into ``sink``; return how many pages were written.
    ``meanwhile`` (writing the files that are not pages) runs while workers render;
    ``searchable`` receives the path of every page that asks to be indexed for search."""
    parallel = jobs > 1 and len(routes) >= MIN_PARALLEL
    write_here = not parallel or getattr(sink, "parallel_safe", False)
    if parallel:
        renderer.warm_up({route.template for route in routes})
        order, parts = shares_by_story(routes, jobs)
    else:
        order = list(range(len(routes)))
        parts = [range(at, min(at + CHUNK, len(routes))) for at in range(0, len(routes), CHUNK)]

    # Workers are first given large parts: they say how far they are in shared memory,
    # so that progress moves from the first second, not when a part comes back.
    ticks = SharedCount() if progress and parallel else None

    def work(part: range) -> tuple[int, int, list[tuple[str, bytes]], list[Diagnostic],
                                   list[str]]:
        before = len(renderer.reporter.diagnostics)
        files: list[tuple[str, bytes]] = []
        indexed: list[str] = []
        count = 0
        for number, position in enumerate(part, 1):
            if ticks is not None and number % TICK == 0:
                ticks.add(TICK)
            route = routes[order[position]]
            html = renderer.render(route)
            if html is None:
                continue
            if searchable is not None and SEARCH_MARK in html:
                indexed.append(route.output_path)
            if write_here:
                sink.write(route.output_path, html.encode("utf-8"))
            else:
                files.append((route.output_path, html.encode("utf-8")))
            count += 1
        new = renderer.reporter.diagnostics[before:] if parallel else []
        return len(part), count, files, new, indexed

    written = done = 0
    total = len(routes)
    if progress:
        progress(0, total)

    def tell() -> None:
        if progress and ticks is not None:
            progress(min(max(done, ticks.read()), total - 1), total)

    with reporting(tell, REPORT_EVERY) if ticks is not None else contextlib.nullcontext():
        for size, count, files, diagnostics, indexed in map_parts(
                work, parts, jobs if parallel else 1, meanwhile):
            written += count
            done += size
            if searchable is not None:
                searchable.extend(indexed)
            for rel, data in files:
                sink.write(rel, data)
            for diagnostic in diagnostics:
                renderer.reporter.add(diagnostic)
            if progress and done < total:
                progress(done, total)
    if progress:
        progress(total, total)
    return written


def shares_by_story(routes: Sequence[Route], jobs: int) -> tuple[list[int], list[range]]:
    """Split the routes among ``jobs`` workers so that each story's card is rendered by
    one worker, not by all: (the order to render routes in, as indexes into ``routes``;
    the parts of that order to hand out).

    Most of a listing page's cost is its cards; a card is rendered once per worker and
    reused by every listing that shows it (five or six) and by the story before it ("next
    article"). So the first ``jobs`` parts, one per worker, each hold the listing pages
    and stories of one span of the archive (by the newest story a page shows). What is
    left (each span's oldest stories, the pages that show none) follows in small parts,
    taken by whichever worker is free: a worker that is slowed down is caught up with.
    """
    rank: dict[int, int] = {}
    for route in routes:
        entry = route.context.get("entry")
        if entry is not None and route.kind == "post":
            rank[id(entry)] = len(rank)
    spans: list[list[int]] = [[] for _ in range(jobs)]
    rest: list[tuple[int, int]] = []  # (rank, route index)
    size = max(1, -(-len(rank) // jobs))
    shared = int(size * SHARED_TAIL)
    for index, route in enumerate(routes):
        context = route.context
        pager = context.get("pager")
        shown = pager.items[0] if pager is not None and pager.items else context.get("entry")
        position = rank.get(id(shown), -1)
        if position < 0:
            rest.append((-1, index))
        elif position % size >= size - shared:
            rest.append((position, index))
        else:
            spans[position // size].append(index)
    rest.sort()
    order = [index for span in spans for index in span]
    parts = []
    start = 0
    for span in spans:
        parts.append(range(start, start + len(span)))
        start += len(span)
    order.extend(index for _position, index in rest)
    parts.extend(range(at, min(at + CHUNK, len(order))) for at in range(start, len(order), CHUNK))
    return order, [part for part in parts if part]
