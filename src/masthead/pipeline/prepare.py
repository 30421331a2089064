"""Everything up to rendering: discover, load, index, routes, images, assets; then writing
a whole site into a sink."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from masthead.assets.active import made_safe, page_policy
from masthead.assets.posters import fetch_posters, poster_url
from masthead.assets.static import public_files, theme_assets
from masthead.config import SiteConfig, placeholder_base_url
from masthead.content.discover import (
    Layout,
    SourceFile,
    detect_layout,
    discover,
    folders_like_languages,
    missing_content,
)
from masthead.content.load import load_content
from masthead.digests import digest, files_digest
from masthead.emit.headers import (
    content_security_policy,
    form_origins,
    meta_policy,
)
from masthead.emit.outputs import (
    FOLDERS,
    SiteContext,
    made_from_pages,
    make_site_files,
    replaced,
    reserved,
)
from masthead.errors import BuildFailed, Diagnostic, Reporter
from masthead.i18n import load_strings
from masthead.images import UNDECODED, ImageSettings, ResponsiveImages, cache_folder
from masthead.incremental import BuildCache
from masthead.media import PIXEL_LIMIT, PublicFiles
from masthead.output import Sink
from masthead.paths import THEME_TEMPLATES, has_site_templates
from masthead.render.fingerprint import Fingerprints
from masthead.render.pool import render_routes
from masthead.site.index import index_site
from masthead.site.routes import Route, build_routes
from masthead.site.usage import MediaUsage, media_usage
from masthead.site.views import fold_views
from masthead.speedups import collector_paused

if TYPE_CHECKING:
    from masthead.render.templates import CompiledTemplates

from masthead.pipeline.session import BuildSession
from masthead.pipeline.stages import Prepared


def discover_content(session: BuildSession, stat: bool = True
                     ) -> tuple[Layout, list[SourceFile]]:
    config = session.config
    with session.timed("discover"):
        layout = detect_layout(config)
        problems: list[Diagnostic] = []
        files = discover(config, layout, stat, problems)
    problem = missing_content(config, layout, files)
    if problem is not None or problems:
        raise BuildFailed([*problems, *([problem] if problem else [])])
    return layout, files


@collector_paused()
def prepare(session: BuildSession, cache: BuildCache | None,
            found: tuple[Layout, list[SourceFile]] | None = None) -> Prepared:
    config, options, reporter, report = (session.config, session.options, session.reporter,
                                         session.report)
    serve_mode = options.preview
    public = PublicFiles(config.root / "public")
    layout, files = found or discover_content(session, stat=cache is not None)
    placeholder = None if serve_mode else placeholder_base_url(config)
    if placeholder is not None:
        reporter.add(placeholder)
    with session.timed("discover"):
        for folder in folders_like_languages(config, layout):
            reporter.warning(f"content/posts/{folder}", None,
                             f"is named like a language, but the site's languages are "
                             f"{', '.join(layout.languages)}: its stories are "
                             f"{layout.default_language} stories at /posts/...",
                             f'to make it a language, write languages = '
                             f'{[*layout.languages, folder]!r} in masthead.toml'.replace(
                                 "'", '"'))
        strings = load_strings(config.root, layout.languages)
        outside: list[str] = []
        clashes: list[tuple[str, str]] = []
        published = public_files(config.root / "public", outside, clashes)
        for rel in outside:
            shown = rel.encode("utf-8", "backslashreplace").decode("utf-8")
            if shown != rel or any(ord(c) < 32 or ord(c) == 127 for c in rel):
                reporter.warning(f"public/{shown!r}", None, "has a name no address can carry "
                                 "(a line break, a control character, not UTF-8); it is not "
                                 "published", "rename it")
            else:
                reporter.warning(f"public/{rel}", None, "links to a file outside public/; it "
                                 "is not published",
                                 "copy the file into public/ instead of linking")
        for first, second in clashes:
            reporter.error(f"public/{second}", None,
                           f"public/{first} and public/{second} are one file on hosts that "
                           "ignore case or Unicode spelling (one would replace the other)",
                           "rename one of them, and the links to it")
        public_digest = files_digest([config.root / "public"])
        models_key = key_of_models(config, public_digest)
        cached = cache.load_models(models_key) if cache else None
    with session.timed("load"):
        compiled: list[CompiledTemplates] = []

        def compile_while_reading() -> None:
            from masthead.render.templates import compile_templates

            compiled.append(compile_templates(config.root))

        content = load_content(config, layout, files, public, options, reporter,
                               cached, meanwhile=compile_while_reading,
                               digests=cache is not None,
                               progress=session.stage("reading", "files"))
        report.skipped = content.skipped
        if options.views:
            fold_views(content, layout, options.views)
    with session.timed("index"):
        site = index_site(config, layout, content, reporter)
        routes = build_routes(site, reporter, reserved)
        drop_replaced(published, routes, reporter)
        report.site, report.routes = site, routes
    with session.timed("images"):
        usage = media_usage(site)
        images, posters, generated = make_images(session, usage, public)
        published.update(generated)
    with session.timed("assets"):
        static, assets = theme_assets(config.root)
        csp = content_security_policy(config, usage, form_origins(
            [s.newsletter.action for s in site.languages.values()]))
        if not config.trust_public:
            static.update(made_safe(published, page_policy(meta_policy(csp)),
                                    lambda rel, text, hint: reporter.warning(
                                        f"public/{rel}", None, text, hint)))
        site_files = SiteContext(config, site, routes, options.now, csp, assets)
        static.update(make_site_files(site_files, published))
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
    return Prepared(site, routes, renderer, published, static, make_fingerprints, content.cache,
                    models_key, changed, cached or None, site_files)


def drop_replaced(published: dict[str, Path], routes: list[Route],
                  reporter: Reporter) -> None:
    """A file in public/ at the path of a generated page, feed or sitemap is replaced by
    it: said, and not copied."""
    generated = {route.output_path: route for route in routes}
    folders = {rel.rsplit("/", 1)[0] for rel in generated if "/" in rel}
    for rel in list(published):
        output = replaced(rel)
        made = generated[rel].kind if rel in generated else output.kind if output else ""
        if made:
            reporter.warning(f"public/{rel}", None,
                             f"is replaced by the {made} page masthead makes at /{rel}",
                             "remove it from public/, or rename it")
            del published[rel]
    for rel in list(published):
        parts = rel.split("/")
        within = next((p for p in ("/".join(parts[:n]) for n in range(1, len(parts)))
                       if p in generated or reserved(p)), None)
        if within is not None:
            reporter.warning(f"public/{rel}", None,
                             f"is inside /{within}, a file masthead makes; it is not "
                             "published", "move it out of that folder")
            del published[rel]
        elif rel in folders or rel in FOLDERS:
            reporter.warning(f"public/{rel}", None,
                             f"has the name of a folder masthead makes (/{rel}/); it is "
                             "not published", "rename it")
            del published[rel]


def make_images(session: BuildSession, usage: MediaUsage, public: PublicFiles
                ) -> tuple[ResponsiveImages | None, frozenset[str], dict[str, Path]]:
    """Video posters and image variants: (variants by URL, videos with a poster, output
    path -> file of every generated file). ``on_request``: a preview's variants are
    planned but not encoded (only those made before are copied); the dev server makes
    each when a browser first asks for it (see ``images_on_request``)."""
    config, reporter, report = session.config, session.reporter, session.report
    on_request, cache_dir = session.preview, session.image_cache
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
    images = ResponsiveImages(public, image_settings(config), folder)
    wanted = {**usage.images, **{poster_url(v): usage.youtube[v] for v in posters}}
    # A site's own templates may show pictures at any size: every width for them.
    own_templates = has_site_templates(config.root)
    pixels = {} if own_templates else dict(usage.pixels)
    for logo in (config.logo, config.logo_cropped):  # on every page: worth its variants
        if logo and public.is_local(logo):
            wanted.setdefault(logo, "masthead.toml")
            size = public.size(logo)  # shown 40 CSS pixels high, on screens of up to 3x
            if size and logo not in usage.images and not own_templates:
                pixels[logo] = 3 * round(size[0] * 40 / max(1, size[1]))
    if config.favicon and public.is_local(config.favicon):
        images.plan_icon(config.favicon)
    for url in images.plan(wanted, pixels):
        image_problem(config, reporter, wanted[url], url,
                      "cannot be read as an image (a truncated or mislabelled file?)")
    for url, (width, height) in images.too_large.items():
        reporter.warning(f"public{url}", None,
                         f"has {width} x {height} pixels, over the {PIXEL_LIMIT // 10**6}-"
                         "megapixel limit: published as it is, without smaller versions",
                         "resize it (phones may fail to show it)")
    result = images.encode(session.jobs, session.stage("encoding images", "images"),
                           photos=not on_request)
    for url, reason in result.failures:
        if reason.startswith(UNDECODED):  # its header read, its pixels not: as it is
            reporter.warning(f"public{url}", None, f"{reason}; published as it is, "
                             "without smaller versions", "save it again with an image "
                             "editor to have smaller versions made")
        else:
            image_problem(config, reporter, wanted[url], url, reason)
    report.images_encoded, report.variants_encoded = result.images, result.variants
    generated.update(images.outputs(made_only=on_request))
    return images, frozenset(posters), generated


def image_settings(config: SiteConfig) -> ImageSettings:
    return ImageSettings(config.image_widths, config.image_formats, config.image_quality,
                         config.image_avif_quality, config.image_encoding)


def images_on_request(config: SiteConfig) -> ResponsiveImages | None:
    """What makes the variants of a preview when a browser asks for them (None: the site
    has responsive images turned off)."""
    if not config.images:
        return None
    return ResponsiveImages(PublicFiles(config.root / "public"), image_settings(config),
                            cache_folder(config.root))


def image_problem(config: SiteConfig, reporter: Reporter, source: str, url: str,
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


def write_all(session: BuildSession, prepared: Prepared, sink: Sink,
              searchable: list[str] | None = None) -> None:
    report = session.report

    def write_files() -> None:
        """Public files, theme assets and site files: written while workers render."""
        with session.timed("assets"):
            for rel, source in prepared.public.items():
                sink.copy(rel, source)
            lists = made_from_pages(prepared.files)
            for rel, data in {**prepared.static, **lists}.items():
                sink.write(rel, data)
            report.files += len(prepared.public) + len(prepared.static) + len(lists)

    with session.timed("render"):
        written = render_routes(prepared.renderer, prepared.routes, sink, session.jobs,
                                session.stage("rendering", "pages"), write_files, searchable)
        report.pages = written
        report.files += written


def key_of_models(config: SiteConfig, public_digest: str) -> str:
    """Parsed models depend on the settings and on which images exist."""
    return digest(repr(config), public_digest)
