"""build() and build_site(): the steps of a build in order, each timed, ending in one
BuildReport; see the package's docstring for what each does."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from masthead.config import SiteConfig
from masthead.digests import digest
from masthead.errors import Diagnostic, Severity
from masthead.incremental import BuildCache, Manifest
from masthead.options import BuildOptions
from masthead.output import DiskSink, Sink, check_output_dir
from masthead.paths import has_site_templates
from masthead.pipeline.prepare import discover_content, prepare, write_all
from masthead.pipeline.session import BuildReport, BuildSession, ProgressStages
from masthead.pipeline.stages import FULL_REBUILD_SHARE, BuildState, Prepared, search_index
from masthead.pipeline.update import (
    environment_of,
    manifest_of,
    reuse,
    text_edits,
    unchanged,
    update,
    usable,
)
from masthead.speedups import enabled as speedups_enabled
from masthead.speedups import keep_frozen, release_frozen


def build(config: SiteConfig, sink: Sink, options: BuildOptions | None = None, *,
          progress: ProgressStages | None = None,
          image_cache: Path | None = None) -> BuildReport:
    """A full build into ``sink``; raise BuildFailed (sink aborted) on content errors."""
    session = BuildSession(config, options or BuildOptions(), progress, image_cache)
    try:
        prepared = prepare(session, None)
        write_all(session, prepared, sink)
    except BaseException:
        sink.abort()
        raise
    session.finish(sink.abort)
    with session.timed("commit"):
        sink.commit()
    return session.done()


def build_site(config: SiteConfig, out_dir: Path, options: BuildOptions | None = None, *,
               progress: ProgressStages | None = None,
               image_cache: Path | None = None,
               cache: BuildCache | None = None,
               state: BuildState | None = None,
               full_rebuild_share: float = FULL_REBUILD_SHARE) -> BuildReport:
    """Build into ``out_dir`` on disk, incrementally when ``cache`` allows it (and fewer
    than ``full_rebuild_share`` of the files changed); ``state`` is what a long-running
    process keeps between builds."""
    session = BuildSession(config, options or BuildOptions(), progress, image_cache)
    options, report = session.options, session.report
    out_dir = out_dir.resolve()
    check_output_dir(out_dir, config.root)
    found = discover_content(session, stat=cache is not None)  # only the cache uses stats
    environment = environment_of(config, found[0], options, out_dir)
    inputs = digest(environment, [(f.rel, f.mtime_ns, f.size) for f in found[1]]) if cache \
        else ""
    manifest = cache.load_manifest() if cache and not cache.interrupted() else None
    if manifest is not None and unchanged(manifest, out_dir, inputs, options):
        report.incremental = True
        report.diagnostics = [Diagnostic(r[0], r[1], r[2], r[3], Severity(r[4]), r[5])
                              for r in manifest.warnings]
        report.unchanged_pages = manifest.pages
        return session.done()
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
        reused = reuse(session, state.prepared, found[1])
        if reused is not None:
            prepared, edited = reused
    if state is not None and prepared is None:
        release_frozen()  # the kept build is about to be replaced: let it be collected
    sink = None
    try:
        if prepared is None:
            prepared = prepare(session, cache, found)
            edited = text_edits(prepared) if narrow else None
        done = None
        if manifest is not None and usable(manifest, out_dir):
            done = update(session, prepared, manifest, out_dir, full_rebuild_share,
                          cache.begin_update if cache else lambda: None, edited)
        if done is None:
            sink = DiskSink(out_dir, config.root)
            if cache:
                cache.forget_manifest()  # the output is about to change under it
            searchable: list[str] = []
            write_all(session, prepared, sink, searchable if config.search else None)
            session.finish(sink.abort)
            search_index(session, sink.tmp, sink.abort, searchable, previous=out_dir)
            with session.timed("commit"):
                sink.commit()
            done = manifest_of(prepared, out_dir) if cache else None
    except BaseException:
        if sink is not None:
            sink.abort()
        raise
    if cache and done is not None:
        keep_manifest(session, cache, prepared, done, manifest, inputs, environment)
    if state is not None:
        state.prepared, state.environment = prepared, environment
        keep_frozen()  # what is kept lives as long as the server
    return session.done()


def keep_manifest(session: BuildSession, cache: BuildCache, prepared: Prepared,
                  done: Manifest, before: Manifest | None, inputs: str,
                  environment: str) -> None:
    """Record what the output now holds, when the next build is due (a scheduled story,
    the news sitemap's oldest post dropping out) and the warnings to say again."""
    report, options = session.report, session.options
    done.inputs, done.pages = inputs, len(prepared.routes)
    done.environment = environment
    due = [e.date for e in report.skipped if not e.draft and e.date > options.now]
    if prepared.files.next_due is not None:
        due.append(prepared.files.next_due)
    done.next_due = min(due).isoformat() if due else ""
    done.warnings = [[d.path, d.line, d.message, d.hint, d.severity.value, d.col]
                     for d in report.diagnostics]
    with session.timed("cache"):
        if before is None or done != before:
            cache.save_manifest(done)
        cache.end_update()
        if prepared.models_changed:
            cache.save_models(prepared.models_key, prepared.models, prepared.models_before)
