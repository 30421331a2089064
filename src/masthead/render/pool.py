"""Rendering routes on every core: forked workers render and write their own pages.

Workers are forked after the Site, the routes and the compiled templates exist, so
they share them and nothing large is pickled. Each worker writes its pages straight
into the sink's folder and sends back only counts and diagnostics (pickling 10,000
pages back to the parent would cost more than rendering them). A sink that cannot be
written from other processes (MemorySink) gets the bytes back instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from markupsafe import Markup

from masthead.content.models import Entry
from masthead.emit.search import SEARCH_MARK
from masthead.errors import Diagnostic
from masthead.output import Sink
from masthead.parallel import fork_map
from masthead.site.routes import Route

if TYPE_CHECKING:
    from masthead.render.templates import CardKey, Renderer

Progress = Callable[[int, int], None]
CHUNK = 200
MIN_PARALLEL = 400  # below this, starting workers costs more than it saves


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
        _prerender_cards(renderer, routes, jobs)
    elif meanwhile is not None:
        meanwhile()

    def work(part: range) -> tuple[int, int, list[tuple[str, bytes]], list[Diagnostic],
                                   list[str]]:
        before = len(renderer.reporter.diagnostics)
        files: list[tuple[str, bytes]] = []
        indexed: list[str] = []
        count = 0
        for index in part:
            route = routes[index]
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
    # The parent's own work runs while the pages are rendered, not while the cards are:
    # the pages cannot start before the last card is in, so it would hold them up.
    for size, count, files, diagnostics, indexed in fork_map(
            work, len(routes), jobs, CHUNK, MIN_PARALLEL, meanwhile if parallel else None):
        written += count
        done += size
        if searchable is not None:
            searchable.extend(indexed)
        for rel, data in files:
            sink.write(rel, data)
        for diagnostic in diagnostics:
            renderer.reporter.add(diagnostic)
        if progress:
            progress(done, len(routes))
    return written


def _prerender_cards(renderer: Renderer, routes: Sequence[Route], jobs: int) -> None:
    """Render the story cards of every listing once, spread over the workers, before the
    pages are: otherwise each worker would render nearly every card itself."""
    wanted: dict[str, dict[int, Entry]] = {}  # language -> the entries its listings show
    for route in routes:
        pager = route.context.get("pager")
        entries = getattr(pager, "items", None)
        if entries:
            shown = wanted.get(route.lang)
            if shown is None:
                shown = wanted[route.lang] = {}
            shown.update(zip(map(id, entries), entries, strict=True))  # at C speed
    items = [(lang, entry) for lang, shown in wanted.items() for entry in shown.values()]

    def work(part: range) -> dict[CardKey, Markup]:
        cards = {}
        for index in part:
            lang, entry = items[index]
            # Listings show cards with an <h2> title; the few other kinds (the home page's
            # eager first card) are rendered by the page that asks, not for every story.
            key, html = renderer.kept_card(lang, entry, "h2")
            cards[key] = html
        return cards

    for cards in fork_map(work, len(items), jobs, 1000, MIN_PARALLEL):
        renderer.adopt_cards(cards)
