"""build(): the stages in order, each timed, ending in one BuildReport.

config -> discover -> load -> index -> routes -> render -> write. Content problems are
collected by a Reporter; if any is an error (or a warning under ``strict``) nothing is
written and BuildFailed carries the diagnostics, so the previous output stays in place.

``build`` writes everything into a Sink (memory, or a fresh folder swapped in whole).
``build_site`` is what the command line uses: with a BuildCache it re-reads only
changed files and, when the output folder is the one the cache describes, renders
and writes only the pages whose fingerprint changed and deletes the pages that are
gone; otherwise it does a full build and records the fingerprints for next time.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from masthead.assets.posters import fetch_posters, poster_url
from masthead.assets.static import public_files, theme_assets
from masthead.config import SiteConfig, placeholder_base_url
from masthead.content.discover import (
    Layout,
    SourceFile,
    detect_layout,
    discover,
    missing_content,
)
from masthead.content.load import BuildOptions, CachedModel, load_content, read_models
from masthead.content.models import Entry
from masthead.emit.headers import (
    HEADERS_FILE,
    NGINX_FILE,
    content_security_policy,
    form_origins,
    headers_file,
    meta_policy,
    nginx_snippet,
)
from masthead.emit.search import SearchIndex, build_search_index
from masthead.emit.sitemap import (
    NEWS_SITEMAP,
    news_sitemap,
    robots_txt,
    sitemap_files,
    sitemap_names,
    sitemap_rows,
)
from masthead.errors import BuildFailed, Diagnostic, Reporter, Severity
from masthead.i18n import load_strings
from masthead.images import ImageSettings, ResponsiveImages, cache_folder
from masthead.incremental import BuildCache, Manifest
from masthead.media import PublicFiles
from masthead.output import MARKER, DiskSink, MemorySink, Sink, check_output_dir, write_atomic
from masthead.parallel import default_jobs
from masthead.paths import THEME_TEMPLATES, has_site_templates
from masthead.render.fingerprint import Fingerprints, digest, files_digest
from masthead.render.pool import render_routes
from masthead.site.index import Site, index_site
from masthead.site.routes import Route, build_routes
from masthead.site.urls import Urls
from masthead.site.usage import MediaUsage, media_usage
from masthead.site.views import fold_views
from masthead.speedups import collector_paused, keep_frozen, release_frozen
from masthead.speedups import enabled as speedups_enabled

if TYPE_CHECKING:
    from masthead.render.templates import CompiledTemplates, Renderer

Progress = Callable[[int, int], None]
FULL_REBUILD_SHARE = 0.3  # past this share of changed pages, a clean build is as fast
REUSE_LIMIT = 20  # stories whose text changed; past this, preparing the site anew is as quick


@dataclass
class BuildReport:
    pages: int = 0  # pages rendered by this build
    files: int = 0  # files written by this build
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    skipped: list[Entry] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    site: Site | None = None
    incremental: bool = False
    removed: int = 0
    unchanged_pages: int = 0  # when nothing changed at all: the pages already in place
    search: SearchIndex | None = None
    images_encoded: int = 0  # source images that needed new variants
    variants_encoded: int = 0  # variant files encoded by this build


@dataclass
class _Prepared:
    """Everything up to rendering, shared by full and incremental builds."""

    site: Site
    routes: list[Route]
    renderer: Renderer  # (imported when a build renders: jinja2 is slow to import)
    public: dict[str, Path]
    static: dict[str, bytes]  # theme assets, robots.txt (the sitemap is made when written)
    make_fingerprints: Callable[[], Fingerprints]
    models: dict[str, CachedModel]
    models_key: str
    models_changed: bool
    models_before: dict[str, CachedModel] | None
    news_expires: datetime | None = None  # when the news sitemap's oldest post drops out

    @cached_property
    def fingerprints(self) -> Fingerprints:
        """What each page is made from; worked out only for builds that keep a cache."""
        return self.make_fingerprints()


@dataclass
class BuildState:
    """What a long-running process (``masthead serve``) keeps from one build to the next,
    so that saving a story's text re-renders that story's page and nothing else."""

    prepared: _Prepared | None = None
    environment: str = ""


@contextmanager
def _timed(report: BuildReport, stage: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        report.timings[stage] = report.timings.get(stage, 0.0) + time.perf_counter() - start


def build(config: SiteConfig, sink: Sink, options: BuildOptions | None = None, *,
          strict: bool = False, serve_mode: bool = False,
          progress: Progress | None = None, jobs: int = 0,
          image_cache: Path | None = None) -> BuildReport:
    """A full build into ``sink``; raise BuildFailed (sink aborted) on content errors.
    Image variants are kept in ``image_cache`` (default: the site's .masthead/images)."""
    started = time.perf_counter()
    report, reporter = BuildReport(), Reporter()
    jobs = jobs or default_jobs()
    try:
        prepared = _prepare(config, options or BuildOptions(), reporter, report, serve_mode,
                            jobs, None, image_cache=image_cache)
        _write_all(prepared, sink, report, jobs, progress)
    except BaseException:
        sink.abort()
        raise
    _finish(reporter, report, strict, sink.abort)
    with _timed(report, "commit"):
        sink.commit()
    report.seconds = time.perf_counter() - started
    return report


def build_site(config: SiteConfig, out_dir: Path, options: BuildOptions | None = None, *,
               strict: bool = False, serve_mode: bool = False,
               progress: Progress | None = None, jobs: int = 0,
               cache: BuildCache | None = None,
               full_rebuild_share: float = FULL_REBUILD_SHARE,
               state: BuildState | None = None, image_cache: Path | None = None,
               image_progress: Progress | None = None) -> BuildReport:
    """Build into ``out_dir`` on disk, incrementally when ``cache`` allows it (and fewer
    than ``full_rebuild_share`` of the files changed)."""
    started = time.perf_counter()
    report, reporter = BuildReport(), Reporter()
    jobs = jobs or default_jobs()
    out_dir = out_dir.resolve()
    check_output_dir(out_dir, config.root)
    options = options or BuildOptions()
    sink = None
    found = _discover(config, report, stat=cache is not None)  # only the cache uses stats
    environment = _environment(config, found[0], options, out_dir, serve_mode, strict)
    inputs = digest(environment, [(f.rel, f.mtime_ns, f.size) for f in found[1]]) if cache \
        else ""
    manifest = cache.load_manifest() if cache and not cache.interrupted() else None
    if manifest is not None and _unchanged(manifest, out_dir, inputs, options):
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
    narrow = (manifest is not None and _usable(manifest, out_dir) and speedups_enabled()
              and manifest.environment == environment and not has_site_templates(config.root)
              and not (manifest.next_due
                       and options.now >= datetime.fromisoformat(manifest.next_due)))
    if narrow and state is not None and state.prepared is not None \
            and state.environment == environment:
        reused = _reuse(state.prepared, found[1], reporter, report)
        if reused is not None:
            prepared, edited = reused
    if state is not None and prepared is None:
        release_frozen()  # the kept build is about to be replaced: let it be collected
    try:
        if prepared is None:
            prepared = _prepare(config, options, reporter, report, serve_mode, jobs, cache,
                                found, image_cache, image_progress)
            edited = _text_edits(prepared) if narrow else None
        done = None
        if manifest is not None and _usable(manifest, out_dir):
            done = _update(prepared, manifest, out_dir, reporter, report, strict, jobs, progress,
                           full_rebuild_share, serve_mode,
                           cache.begin_update if cache else lambda: None, edited)
        if done is None:
            sink = DiskSink(out_dir, config.root)
            if cache:
                cache.forget_manifest()  # the output is about to change under it
            searchable: list[str] = []
            _write_all(prepared, sink, report, jobs, progress,
                       searchable if config.search else None)
            _finish(reporter, report, strict, sink.abort)
            _search(config, sink.tmp, reporter, report, strict, sink.abort, searchable)
            with _timed(report, "commit"):
                sink.commit()
            done = _manifest(prepared, out_dir) if cache else None
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
        with _timed(report, "cache"):
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


def _finish(reporter: Reporter, report: BuildReport, strict: bool,
            abort: Callable[[], None]) -> None:
    report.diagnostics = reporter.sorted()
    if reporter.errors or (strict and reporter.warnings):
        abort()
        raise BuildFailed(report.diagnostics)


def _discover(config: SiteConfig, report: BuildReport,
              stat: bool = True) -> tuple[Layout, list[SourceFile]]:
    with _timed(report, "discover"):
        layout = detect_layout(config)
        problems: list[Diagnostic] = []
        files = discover(config, layout, stat, problems)
    problem = missing_content(config, layout, files)
    if problem is not None or problems:
        raise BuildFailed([*problems, *([problem] if problem else [])])
    return layout, files


@collector_paused()
def _prepare(config: SiteConfig, options: BuildOptions, reporter: Reporter,
             report: BuildReport, serve_mode: bool, jobs: int,
             cache: BuildCache | None,
             found: tuple[Layout, list[SourceFile]] | None = None,
             image_cache: Path | None = None,
             image_progress: Progress | None = None) -> _Prepared:
    public = PublicFiles(config.root / "public")
    layout, files = found or _discover(config, report, stat=cache is not None)
    placeholder = None if serve_mode else placeholder_base_url(config)
    if placeholder is not None:
        reporter.add(placeholder)
    with _timed(report, "discover"):
        strings = load_strings(config.root, layout.languages)
        outside: list[str] = []
        published = public_files(config.root / "public", outside)
        for rel in outside:
            reporter.warning(f"public/{rel}", None, "links to a file outside public/; it is "
                             "not published", "copy the file into public/ instead of linking")
        public_digest = files_digest([config.root / "public"])
        models_key = _models_key(config, public_digest)
        cached = cache.load_models(models_key) if cache else None
    with _timed(report, "load"):
        compiled: list[CompiledTemplates] = []

        def compile_while_reading() -> None:
            from masthead.render.templates import compile_templates

            compiled.append(compile_templates(config.root))

        content = load_content(config, layout, files, public, options, reporter, jobs, cached,
                               meanwhile=compile_while_reading, digests=cache is not None)
        report.skipped = content.skipped
        if options.views:
            fold_views(content, layout, options.views)
    with _timed(report, "index"):
        site = index_site(config, layout, content, reporter)
        routes = build_routes(site, reporter)
        _drop_replaced(published, routes, reporter)
        report.site, report.routes = site, routes
    with _timed(report, "images"):
        usage = media_usage(site)
        images, posters, generated = _images(config, usage, public, reporter, report, jobs,
                                             image_cache, image_progress)
        published.update(generated)
    with _timed(report, "assets"):
        static, assets = theme_assets(config.root)
        news, news_expires = news_sitemap(
            config, {lang: s.posts for lang, s in site.languages.items()},
            {lang: Urls(s.prefix, layout) for lang, s in site.languages.items()}, options.now)
        if news is not None:
            static[NEWS_SITEMAP] = news
        if "robots.txt" not in published:
            static["robots.txt"] = robots_txt(config, news is not None)
        csp = content_security_policy(config, usage, form_origins(
            [s.newsletter.action for s in site.languages.values()]))
        if HEADERS_FILE not in published:
            static[HEADERS_FILE] = headers_file(csp)
        if NGINX_FILE not in published:
            static[NGINX_FILE] = nginx_snippet(csp)
        from masthead.render.templates import Renderer, make_environment

        renderer = Renderer(site, strings, public,
                            make_environment(config.root, compiled[0] if compiled else None),
                            assets,
                            reporter, serve_mode=serve_mode, images=images, posters=posters,
                            csp_meta=meta_policy(csp))
        renderer.set_alternates(routes)

        def make_fingerprints() -> Fingerprints:
            fingerprints = Fingerprints(site, strings, assets,
                                        [THEME_TEMPLATES, config.root / "templates"],
                                        public_digest, serve_mode,
                                        {rel: c.digest for rel, c in content.cache.items()},
                                        whole_site=has_site_templates(config.root),
                                        policy=csp)
            fingerprints.set_alternates(routes)
            return fingerprints
    changed = cached is None or len(cached) != len(content.cache) or any(
        cached.get(rel) is not entry for rel, entry in content.cache.items())
    return _Prepared(site, routes, renderer, published, static, make_fingerprints, content.cache,
                     models_key, changed, cached or None, news_expires)


def _drop_replaced(published: dict[str, Path], routes: list[Route],
                   reporter: Reporter) -> None:
    """A file in public/ at the path of a generated page, feed or sitemap is replaced by
    it: said, and not copied."""
    generated = {route.output_path: route for route in routes}
    for rel in [rel for rel in published
                if rel in generated or rel == "sitemap.xml" or rel == NEWS_SITEMAP
                or (rel.startswith("sitemap-") and rel.endswith(".xml"))]:
        what = generated[rel].kind if rel in generated else "sitemap"
        reporter.warning(f"public/{rel}", None,
                         f"is replaced by the {what} page masthead makes at /{rel}",
                         "remove it from public/, or rename it")
        del published[rel]


def _images(config: SiteConfig, usage: MediaUsage, public: PublicFiles, reporter: Reporter,
            report: BuildReport, jobs: int, cache_dir: Path | None,
            progress: Progress | None) -> tuple[ResponsiveImages | None, frozenset[str],
                                                 dict[str, Path]]:
    """Video posters and image variants: (variants by URL, videos with a poster, output
    path -> file of every generated file)."""
    generated: dict[str, Path] = {}
    posters: dict[str, Path] = {}
    if not (config.images or (config.embed_posters and usage.youtube)):
        return None, frozenset(), generated  # nothing to keep: no cache folder made
    folder = cache_dir or cache_folder(config.root)
    folder.mkdir(parents=True, exist_ok=True)
    if config.embed_posters and usage.youtube:
        posters = fetch_posters(usage.youtube, folder / "posters")
        for video, path in posters.items():
            public.add(poster_url(video), path)
            generated[poster_url(video).lstrip("/")] = path
    if not config.images:
        return None, frozenset(posters), generated
    settings = ImageSettings(config.image_widths, config.image_formats, config.image_quality,
                             config.image_avif_quality)
    images = ResponsiveImages(public, settings, folder)
    wanted = {**usage.images, **{poster_url(v): usage.youtube[v] for v in posters}}
    for url in images.plan(wanted):
        _image_problem(config, reporter, wanted[url], url,
                       "cannot be read as an image (a truncated or mislabelled file?)")
    result = images.encode(jobs, progress)
    for url, reason in result.failures:
        _image_problem(config, reporter, wanted[url], url, reason)
    report.images_encoded, report.variants_encoded = result.images, result.variants
    generated.update(images.outputs())
    return images, frozenset(posters), generated


def _image_problem(config: SiteConfig, reporter: Reporter, source: str, url: str,
                   reason: str) -> None:
    """An error on the line of ``source`` that names the image."""
    line = None
    try:
        text = (config.root / source).read_text(encoding="utf-8")
        index = text.find(url)
        line = text.count("\n", 0, index) + 1 if index >= 0 else None
    except OSError:
        pass
    reporter.error(source, line, f"image '{url}' {reason}",
                   f"replace public{url} with a JPEG, PNG or WebP file, or remove it")


def _write_all(prepared: _Prepared, sink: Sink, report: BuildReport, jobs: int,
               progress: Progress | None, searchable: list[str] | None = None) -> None:
    def write_files() -> None:
        """Public files, theme assets and sitemaps: written while workers render."""
        with _timed(report, "assets"):
            for rel, source in prepared.public.items():
                sink.copy(rel, source)
            sitemaps = sitemap_files(prepared.site.config, prepared.routes)
            for rel, data in {**prepared.static, **sitemaps}.items():
                sink.write(rel, data)
            report.files += len(prepared.public) + len(prepared.static) + len(sitemaps)

    with _timed(report, "render"):
        written = render_routes(prepared.renderer, prepared.routes, sink, jobs, progress,
                                write_files, searchable)
        report.pages = written
        report.files += written


def _manifest(prepared: _Prepared, out_dir: Path) -> Manifest:
    files = {route.output_path: prepared.fingerprints.route(route) for route in prepared.routes}
    rows = sitemap_rows(prepared.routes)  # exactly what the sitemap says
    sitemap = digest("sitemap", prepared.site.config.base_url, rows)
    for name in sitemap_names(len(rows)):
        files[name] = sitemap
    for rel, source in prepared.public.items():
        stat = source.stat()
        files[rel] = f"public:{stat.st_size}:{stat.st_mtime_ns}"
    for rel, data in prepared.static.items():
        files[rel] = digest(data)
    return Manifest(str(out_dir), files)


def _environment(config: SiteConfig, layout: Layout, options: BuildOptions, out_dir: Path,
                 serve_mode: bool, strict: bool) -> str:
    """A digest of everything a build reads but the content files: settings, options and
    the files under public/, templates/, static/, i18n/, config/ and the theme. With the
    content files' sizes and times added, equal digests mean an identical output."""
    root = config.root
    folders = [root / "public", root / "templates", root / "static", root / "i18n",
               THEME_TEMPLATES.parent, *(p for p in (root / "config",) if p.is_dir())]
    return digest(repr(config), repr(layout), options.drafts, options.future, serve_mode,
                  strict, str(out_dir), files_digest(folders),
                  sorted(options.views.items()) if options.views else None)


def _unchanged(manifest: Manifest, out_dir: Path, inputs: str, options: BuildOptions) -> bool:
    if not (manifest.inputs == inputs and _usable(manifest, out_dir)):
        return False
    return not manifest.next_due or options.now < datetime.fromisoformat(manifest.next_due)


def _usable(manifest: Manifest, out_dir: Path) -> bool:
    return manifest.output == str(out_dir) and (out_dir / MARKER).is_file()


def _update(prepared: _Prepared, old: Manifest, out_dir: Path, reporter: Reporter,
            report: BuildReport, strict: bool, jobs: int, progress: Progress | None,
            full_rebuild_share: float, serve_mode: bool = False,
            before_write: Callable[[], None] = lambda: None,
            edited: set[str] | None = None) -> Manifest | None:
    """Render and write only what changed; None when a full build is the better deal.
    With ``edited`` (files whose story text alone changed, see :func:`_text_edits`), only
    the pages that carry those stories' text are fingerprinted again: the rest of the
    site shows nothing that changed."""
    with _timed(report, "fingerprint"):
        new = _narrowed(prepared, old, edited) if edited else None
        if new is None:
            new = _manifest(prepared, out_dir)
        # The manifest is trusted for files it lists: checking 20,000 files for
        # existence would cost more than the rest of a no-change build.
        changed = [rel for rel, fingerprint in new.files.items()
                   if old.files.get(rel) != fingerprint]
        removed = [rel for rel in old.files if rel not in new.files]
    if len(changed) > full_rebuild_share * max(1, len(new.files)):
        return None
    changed_set = set(changed)
    routes = [route for route in prepared.routes if route.output_path in changed_set]
    pending = MemorySink()
    with _timed(report, "render"):
        report.pages = render_routes(prepared.renderer, routes, pending, jobs, progress)
    _finish(reporter, report, strict, pending.abort)
    before_write()
    with _timed(report, "write"):
        sitemaps = (sitemap_files(prepared.site.config, prepared.routes)
                    if any(rel.startswith("sitemap") and rel.endswith(".xml") and
                           rel not in prepared.public for rel in changed) else {})
        for rel in changed:
            if rel in prepared.public:
                _replace(out_dir / rel, prepared.public[rel].read_bytes())
            elif rel in prepared.static:
                _replace(out_dir / rel, prepared.static[rel])
            elif rel in sitemaps:
                _replace(out_dir / rel, sitemaps[rel])
            elif rel in pending.files:
                _replace(out_dir / rel, pending.files[rel])
        for rel in removed:
            _remove(out_dir, rel)
    report.files = len(changed)
    report.removed = len(removed)
    report.incremental = True
    if not serve_mode and any(rel.endswith(".html") for rel in (*changed, *removed)):
        _search(prepared.site.config, out_dir, reporter, report, strict, lambda: None)
    return new


def _search(config: SiteConfig, site_dir: Path, reporter: Reporter, report: BuildReport,
            strict: bool, abort: Callable[[], None], pages: list[str] | None = None) -> None:
    """Index the pages for search (skipped when the site turns search off): ``pages``
    when the build knows which pages ask to be indexed, else every page of the site."""
    if not config.search:
        return
    with _timed(report, "search"):
        result = build_search_index(site_dir, pages)
    if isinstance(result, Diagnostic):
        reporter.add(result)
        _finish(reporter, report, strict, abort)
    else:
        report.search = result


def _text_edits(prepared: _Prepared) -> set[str] | None:
    """The files of a freshly prepared site that changed since the cached models, when
    each is a story whose text alone changed (with the same diagnostics); None otherwise."""
    before = prepared.models_before
    if before is None or len(before) != len(prepared.models):
        return None
    changed = {rel for rel, model in prepared.models.items() if before.get(rel) is not model}
    if not changed or len(changed) > REUSE_LIMIT or any(rel not in before for rel in changed):
        return None
    for rel in changed:
        new, old = prepared.models[rel], before[rel]
        if new.diagnostics != old.diagnostics or not _only_text_changed(new.model, old.model):
            return None
    return changed


def _narrowed(prepared: _Prepared, old: Manifest, edited: set[str]) -> Manifest | None:
    """The old manifest with new fingerprints for the pages that carry the edited stories'
    text (their own pages, the feeds that list them); None if the site's pages are not
    the ones the manifest lists."""
    routes = prepared.routes
    if len(routes) != old.pages or any(route.output_path not in old.files for route in routes):
        return None
    new = Manifest(old.output, dict(old.files))
    fingerprints = prepared.fingerprints
    for route in routes:
        entry = route.context.get("entry")
        carries = (isinstance(entry, Entry) and entry.source in edited) or (
            route.kind == "feed" and any(e.source in edited for e in route.context["entries"]))
        if carries:
            new.files[route.output_path] = fingerprints.route(route)
    return new


def _reuse(prepared: _Prepared, files: list[SourceFile], reporter: Reporter,
           report: BuildReport) -> tuple[_Prepared, set[str]] | None:
    """The build a long-running process kept, with the new text of the stories whose text
    alone changed (their front matter as it was); None when anything else changed, and
    the site is prepared anew. What to render and write is then decided as for any
    build, by comparing fingerprints (:func:`_update`).

    A story's body shows on its own page and in the feeds that carry it: cards, listings,
    "next" links and the sitemap show its metadata, which is compared field by field
    (the reading time computed from the text included).
    """
    old = prepared.models
    if {f.rel for f in files} != set(old):
        return None
    changed = [f for f in files if (old[f.rel].mtime_ns, old[f.rel].size) != (f.mtime_ns,
                                                                                f.size)]
    if not changed or len(changed) > REUSE_LIMIT:
        return None
    with _timed(report, "load"):
        local = Reporter()
        models, kept = read_models(prepared.site.config, prepared.site.layout, changed,
                                   prepared.renderer.public, local, jobs=1)
    for source, model in zip(changed, models, strict=True):
        if local.errors or not _only_text_changed(model, old[source.rel].model):
            return None
    by_source: dict[str, Entry] = {
        source.rel: model for source, model in zip(changed, models, strict=True)}

    def fresh(entry: Entry) -> Entry:
        return replace(by_source[entry.source], lang=entry.lang)

    for index, route in enumerate(prepared.routes):
        entry = route.context.get("entry")
        listed: tuple[Entry, ...] = route.context["entries"] if route.kind == "feed" else ()
        if isinstance(entry, Entry) and entry.source in by_source:
            prepared.routes[index] = replace(route, context={**route.context,
                                                             "entry": fresh(entry)})
        elif any(e.source in by_source for e in listed):
            prepared.routes[index] = replace(route, context={**route.context, "entries": tuple(
                fresh(e) if e.source in by_source else e for e in listed)})
    stories = {(m.collection, m.slug) for m in by_source.values()}
    prepared.renderer.reporter = reporter
    prepared.renderer.forget(stories)
    fingerprints = prepared.fingerprints
    fingerprints.sources.update({rel: entry.digest for rel, entry in kept.items()})
    fingerprints.forget(stories)
    prepared.models_before = dict(prepared.models)
    prepared.models.update(kept)
    prepared.models_changed = True
    report.site, report.routes = prepared.site, prepared.routes
    return prepared, set(by_source)


def _models_key(config: SiteConfig, public_digest: str) -> str:
    """Parsed models depend on the settings and on which images exist."""
    return digest(repr(config), public_digest)


def _only_text_changed(model: object, previous: object) -> bool:
    """Both are stories that differ in their text alone: front matter and what is computed
    from the text (reading time) equal, and the same images and embeds (what a story shows
    from elsewhere decides variants, posters and the CSP)."""
    if not (isinstance(model, Entry) and isinstance(previous, Entry)):
        return False
    return (replace(model, body=previous.body, lang=previous.lang) == previous
            and model.extra == previous.extra
            and (model.body.images, model.body.frames) == (previous.body.images,
                                                           previous.body.frames))


def _replace(path: Path, data: bytes) -> None:
    """Write an output file atomically, readable by the web server."""
    write_atomic(path, data, 0o644)


def _remove(out_dir: Path, rel: str) -> None:
    path = out_dir / rel
    path.unlink(missing_ok=True)
    parent = path.parent
    while parent != out_dir and parent.is_dir() and not any(parent.iterdir()):
        parent.rmdir()
        parent = parent.parent


def terminal_progress(stream: object = sys.stderr, label: str = "rendering",
                      unit: str = "pages") -> Progress | None:
    """A one-line progress bar on a terminal; nothing when output is piped or in CI."""
    if not getattr(stream, "isatty", lambda: False)():
        return None

    def show(done: int, total: int) -> None:
        width = 30
        filled = int(width * done / max(total, 1))
        end = "\n" if done == total else ""
        print(f"\r  {label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} {unit}",
              end=end, file=stream, flush=True)  # type: ignore[call-overload]

    return show
