"""build() and build_site(): the steps of a build in order, each timed, ending in one
BuildReport; see the package's docstring for what each does."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

from masthead.build.prepare import discover_content, prepare, write_all
from masthead.build.stages import (
    FULL_REBUILD_SHARE,
    BuildReport,
    BuildState,
    Stages,
    finish,
    search_index,
    timed,
)
from masthead.build.update import (
    environment_of,
    manifest_of,
    reuse,
    text_edits,
    unchanged,
    update,
    usable,
)
from masthead.config import SiteConfig
from masthead.content.load import BuildOptions
from masthead.errors import Diagnostic, Reporter, Severity
from masthead.incremental import BuildCache
from masthead.output import DiskSink, Sink, check_output_dir
from masthead.parallel import default_jobs
from masthead.paths import has_site_templates
from masthead.render.fingerprint import digest
from masthead.speedups import enabled as speedups_enabled
from masthead.speedups import keep_frozen, release_frozen


def build(config: SiteConfig, sink: Sink, options: BuildOptions | None = None, *,
          strict: bool = False, serve_mode: bool = False,
          progress: Stages | None = None, jobs: int = 0,
          image_cache: Path | None = None) -> BuildReport:
    """A full build into ``sink``; raise BuildFailed (sink aborted) on content errors.
    Image variants are kept in ``image_cache`` (default: the site's .masthead/images)."""
    started = time.perf_counter()
    report, reporter = BuildReport(), Reporter()
    jobs = jobs or default_jobs()
    try:
        prepared = prepare(config, options or BuildOptions(), reporter, report, serve_mode,
                            jobs, None, image_cache=image_cache, progress=progress)
        write_all(prepared, sink, report, jobs, progress)
    except BaseException:
        sink.abort()
        raise
    finish(reporter, report, strict, sink.abort)
    with timed(report, "commit"):
        sink.commit()
    report.seconds = time.perf_counter() - started
    return report


def build_site(config: SiteConfig, out_dir: Path, options: BuildOptions | None = None, *,
               strict: bool = False, serve_mode: bool = False,
               progress: Stages | None = None, jobs: int = 0,
               cache: BuildCache | None = None,
               full_rebuild_share: float = FULL_REBUILD_SHARE,
               state: BuildState | None = None,
               image_cache: Path | None = None) -> BuildReport:
    """Build into ``out_dir`` on disk, incrementally when ``cache`` allows it (and fewer
    than ``full_rebuild_share`` of the files changed)."""
    started = time.perf_counter()
    report, reporter = BuildReport(), Reporter()
    jobs = jobs or default_jobs()
    out_dir = out_dir.resolve()
    check_output_dir(out_dir, config.root)
    options = options or BuildOptions()
    sink = None
    found = discover_content(config, report, stat=cache is not None)  # only the cache uses stats
    environment = environment_of(config, found[0], options, out_dir, serve_mode, strict)
    inputs = digest(environment, [(f.rel, f.mtime_ns, f.size) for f in found[1]]) if cache \
        else ""
    manifest = cache.load_manifest() if cache and not cache.interrupted() else None
    if manifest is not None and unchanged(manifest, out_dir, inputs, options):
        report.incremental = True
        report.diagnostics = [Diagnostic(r[0], r[1], r[2], r[3], Severity(r[4]), r[5])
                              for r in manifest.warnings]
        report.unchanged_pages = manifest.pages
        report.seconds = time.perf_counter() - started
        return report
    prepared, edited = None, None
    # Text edits are narrowed (only the pages that carry those stories' text are looked at)
    # where the theme's templates decide what shows a story's text, and nothing else that
    # pages show has changed: settings, templates and public files, the time.
    narrow = (manifest is not None and usable(manifest, out_dir) and speedups_enabled()
              and manifest.environment == environment and not has_site_templates(config.root)
              and not (manifest.next_due
                       and options.now >= datetime.fromisoformat(manifest.next_due)))
    if narrow and state is not None and state.prepared is not None \
            and state.environment == environment:
        reused = reuse(state.prepared, found[1], reporter, report)
        if reused is not None:
            prepared, edited = reused
    if state is not None and prepared is None:
        release_frozen()  # the kept build is about to be replaced: let it be collected
    try:
        if prepared is None:
            prepared = prepare(config, options, reporter, report, serve_mode, jobs, cache,
                               found, image_cache, progress)
            edited = text_edits(prepared) if narrow else None
        done = None
        if manifest is not None and usable(manifest, out_dir):
            done = update(prepared, manifest, out_dir, reporter, report, strict, jobs, progress,
                          full_rebuild_share, serve_mode,
                          cache.begin_update if cache else lambda: None, edited)
        if done is None:
            sink = DiskSink(out_dir, config.root)
            if cache:
                cache.forget_manifest()  # the output is about to change under it
            searchable: list[str] = []
            write_all(prepared, sink, report, jobs, progress,
                      searchable if config.search else None)
            finish(reporter, report, strict, sink.abort)
            search_index(config, sink.tmp, reporter, report, strict, sink.abort, searchable,
                         progress)
            with timed(report, "commit"):
                sink.commit()
            done = manifest_of(prepared, out_dir) if cache else None
    except BaseException:
        if sink is not None:
            sink.abort()
        raise
    if cache and done is not None:
        done.inputs, done.pages = inputs, len(prepared.routes)
        done.environment = environment
        due = [e.date for e in report.skipped if not e.draft and e.date > options.now]
        if prepared.news_expires is not None:
            due.append(prepared.news_expires)
        done.next_due = min(due).isoformat() if due else ""
        done.warnings = [[d.path, d.line, d.message, d.hint, d.severity.value, d.col]
                         for d in report.diagnostics]
        with timed(report, "cache"):
            if manifest is None or done != manifest:
                cache.save_manifest(done)
            cache.end_update()
            if prepared.models_changed:
                cache.save_models(prepared.models_key, prepared.models, prepared.models_before)
    if state is not None:
        state.prepared, state.environment = prepared, environment
        keep_frozen()  # what is kept lives as long as the server
    report.seconds = time.perf_counter() - started
    return report

