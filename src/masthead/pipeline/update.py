"""The one incremental mechanism: fingerprints of what each page shows, compared with the
manifest of the output; only what changed is rendered and written, atomically file by
file, with a journal so that an update killed half-way is never trusted."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from masthead.config import SiteConfig
from masthead.content.discover import (
    Layout,
    SourceFile,
)
from masthead.content.load import read_models
from masthead.content.models import Entry
from masthead.digests import digest, files_digest
from masthead.emit.outputs import made_from_pages, page_list_fingerprints
from masthead.errors import Reporter
from masthead.incremental import Manifest
from masthead.options import BuildOptions
from masthead.output import MARKER, MemorySink, write_atomic
from masthead.paths import THEME_TEMPLATES
from masthead.pipeline.session import BuildSession
from masthead.pipeline.stages import REUSE_LIMIT, Prepared, search_index
from masthead.render.pool import render_routes


def manifest_of(prepared: Prepared, out_dir: Path) -> Manifest:
    files = {route.output_path: prepared.fingerprints.route(route) for route in prepared.routes}
    files.update(page_list_fingerprints(prepared.files))
    for rel, source in prepared.public.items():
        stat = source.stat()
        files[rel] = f"public:{stat.st_size}:{stat.st_mtime_ns}"
    for rel, data in prepared.static.items():
        files[rel] = digest(data)
    return Manifest(str(out_dir), files)


def environment_of(config: SiteConfig, layout: Layout, options: BuildOptions, out_dir: Path
                   ) -> str:
    """A digest of everything a build reads but the content files: settings, options and
    the files under public/, templates/, static/, i18n/, config/ and the theme. With the
    content files' sizes and times added, equal digests mean an identical output."""
    root = config.root
    folders = [root / "public", root / "templates", root / "static", root / "i18n",
               THEME_TEMPLATES.parent, *(p for p in (root / "config",) if p.is_dir())]
    return digest(repr(config), repr(layout), options.drafts, options.future, options.preview,
                  options.strict, str(out_dir), files_digest(folders),
                  sorted(options.views.items()) if options.views else None)


def unchanged(manifest: Manifest, out_dir: Path, inputs: str, options: BuildOptions) -> bool:
    if not (manifest.inputs == inputs and usable(manifest, out_dir)):
        return False
    return not manifest.next_due or options.now < datetime.fromisoformat(manifest.next_due)


def usable(manifest: Manifest, out_dir: Path) -> bool:
    return manifest.output == str(out_dir) and (out_dir / MARKER).is_file()


def update(session: BuildSession, prepared: Prepared, old: Manifest, out_dir: Path,
           full_rebuild_share: float, before_write: Callable[[], None] = lambda: None,
           edited: set[str] | None = None) -> Manifest | None:
    """Render and write only what changed; None when a full build is the better deal.
    With ``edited`` (files whose story text alone changed, see :func:`text_edits`), only
    the pages that carry those stories' text are fingerprinted again: the rest of the
    site shows nothing that changed."""
    report = session.report
    with session.timed("fingerprint"):
        new = narrowed(prepared, old, edited) if edited else None
        if new is None:
            new = manifest_of(prepared, out_dir)
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
    with session.timed("render"):
        report.pages = render_routes(prepared.renderer, routes, pending, session.jobs,
                                     session.stage("rendering", "pages"))
    session.finish(pending.abort)
    before_write()
    with session.timed("write"):
        lists = (made_from_pages(prepared.files) if any(
            rel not in prepared.public and rel not in prepared.static and rel not in pending.files
            for rel in changed) else {})
        for rel in changed:
            if rel in prepared.public:
                replace_file(out_dir / rel, prepared.public[rel].read_bytes())
            elif rel in prepared.static:
                replace_file(out_dir / rel, prepared.static[rel])
            elif rel in lists:
                replace_file(out_dir / rel, lists[rel])
            elif rel in pending.files:
                replace_file(out_dir / rel, pending.files[rel])
        for rel in removed:
            remove_file(out_dir, rel)
    report.files = len(changed)
    report.removed = len(removed)
    report.incremental = True
    if not session.preview and any(rel.endswith(".html") for rel in (*changed, *removed)):
        search_index(session, out_dir, lambda: None)
    return new


def text_edits(prepared: Prepared) -> set[str] | None:
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
        if new.diagnostics != old.diagnostics or not only_text_changed(new.model, old.model):
            return None
    return changed


def narrowed(prepared: Prepared, old: Manifest, edited: set[str]) -> Manifest | None:
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


def reuse(session: BuildSession, prepared: Prepared, files: list[SourceFile]
          ) -> tuple[Prepared, set[str]] | None:
    """The build a long-running process kept, with the new text of the stories whose text
    alone changed (their front matter as it was); None when anything else changed, and
    the site is prepared anew. What to render and write is then decided as for any
    build, by comparing fingerprints (:func:`update`).

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
    reporter, report = session.reporter, session.report
    with session.timed("load"):
        local = Reporter()
        models, kept = read_models(prepared.site.config, prepared.site.layout, changed,
                                   prepared.renderer.public, local, jobs=1)
    for source, model in zip(changed, models, strict=True):
        if local.errors or not only_text_changed(model, old[source.rel].model):
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


def only_text_changed(model: object, previous: object) -> bool:
    """Both are stories that differ in their text alone: front matter and what is computed
    from the text (reading time) equal, and the same images and embeds (what a story shows
    from elsewhere decides variants, posters and the CSP)."""
    if not (isinstance(model, Entry) and isinstance(previous, Entry)):
        return False
    return (replace(model, body=previous.body, lang=previous.lang) == previous
            and model.extra == previous.extra
            and (model.body.images, model.body.frames) == (previous.body.images,
                                                           previous.body.frames))


def replace_file(path: Path, data: bytes) -> None:
    """Write an output file atomically, readable by the web server."""
    write_atomic(path, data, 0o644)


def remove_file(out_dir: Path, rel: str) -> None:
    path = out_dir / rel
    path.unlink(missing_ok=True)
    parent = path.parent
    while parent != out_dir and parent.is_dir() and not any(parent.iterdir()):
        parent.rmdir()
        parent = parent.parent
