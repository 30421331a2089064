"""Rendering routes on every core: forked workers render and write their own pages.

Workers are forked after the Site, the routes and the compiled templates exist, so
they share them copy-on-write and nothing large is pickled. Each worker writes its
pages straight into the sink's folder and sends back only counts and diagnostics
(pickling 10,000 pages back to the parent would cost more than rendering them).
A sink that cannot be written from other processes (MemorySink) gets the bytes back.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from masthead.errors import Diagnostic
from masthead.output import Sink
from masthead.render.templates import Renderer
from masthead.site.routes import Route

Progress = Callable[[int, int], None]
CHUNK = 200
MIN_PARALLEL = 400  # below this, starting workers costs more than it saves


@dataclass
class _Job:
    renderer: Renderer
    routes: Sequence[Route]
    sink: Sink
    write_here: bool


_JOB: _Job | None = None


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)


def render_routes(renderer: Renderer, routes: Sequence[Route], sink: Sink, jobs: int,
                  progress: Progress | None = None) -> int:
    """Render every route into ``sink``; return how many pages were written."""
    if jobs <= 1 or len(routes) < MIN_PARALLEL or "fork" not in \
            multiprocessing.get_all_start_methods():
        return _render_range(renderer, routes, sink, range(len(routes)), progress)
    renderer.warm_up({route.template for route in routes})
    global _JOB
    _JOB = _Job(renderer, routes, sink, write_here=getattr(sink, "parallel_safe", False))
    chunks = [range(start, min(start + CHUNK, len(routes)))
              for start in range(0, len(routes), CHUNK)]
    written = done = 0
    context = multiprocessing.get_context("fork")
    try:
        with context.Pool(jobs) as pool:
            for count, files, diagnostics in pool.imap_unordered(_work, chunks):
                written += count
                for rel, data in files:
                    sink.write(rel, data)
                for diagnostic in diagnostics:
                    renderer.reporter.add(diagnostic)
                done += CHUNK
                if progress:
                    progress(min(done, len(routes)), len(routes))
    finally:
        _JOB = None
    return written


def _work(indices: range) -> tuple[int, list[tuple[str, bytes]], list[Diagnostic]]:
    job = _JOB
    assert job is not None, "worker started without a job"
    before = len(job.renderer.reporter.diagnostics)
    files: list[tuple[str, bytes]] = []
    count = 0
    for index in indices:
        route = job.routes[index]
        html = job.renderer.render(route)
        if html is None:
            continue
        data = html.encode("utf-8")
        if job.write_here:
            job.sink.write(route.output_path, data)
        else:
            files.append((route.output_path, data))
        count += 1
    return count, files, job.renderer.reporter.diagnostics[before:]


def _render_range(renderer: Renderer, routes: Sequence[Route], sink: Sink, indices: range,
                  progress: Progress | None) -> int:
    written = 0
    total = len(routes)
    for number in indices:
        route = routes[number]
        html = renderer.render(route)
        if html is not None:
            sink.write(route.output_path, html.encode("utf-8"))
            written += 1
        if progress and ((number + 1) % 250 == 0 or number + 1 == total):
            progress(number + 1, total)
    return written
