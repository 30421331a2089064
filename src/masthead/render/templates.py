"""Jinja2 environment and the Renderer that turns a Route into HTML.

Templates come from the site's own ``templates/`` first, then the default theme,
so a site overrides any template by giving one of the same name. Templates see the
read-only LanguageSite and frozen models; helpers for URLs, strings, images and
bodies are globals, so no template needs Python to compute anything.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from masthead.config import MenuItem, SiteConfig
from masthead.config.feeds import FEED_FORMATS
from masthead.content.dates import iso
from masthead.content.embeds import youtube_facade
from masthead.content.markdown import BODY_SIZES, BodyMedia, render_markdown
from masthead.content.models import Author, Body, Entry, Page
from masthead.emit.feeds import FeedWriter
from masthead.errors import Reporter
from masthead.i18n import Strings
from masthead.images import ResponsiveImages
from masthead.media import PublicFiles
from masthead.paths import THEME_TEMPLATES
from masthead.render.bodies import BodyRenderer, picture_html
from masthead.render.cardmark import HEADING_MARK, heading_only_printed
from masthead.render.seo import SiteParts, json_ld, site_parts
from masthead.site.index import Site
from masthead.site.routes import FEED_TEMPLATE, Route
from masthead.site.urls import Urls
from masthead.speedups import enabled as speedups_enabled
from masthead.speedups import fast_templates

MACROS = "partials/macros.html"
CARD_TEMPLATE = "partials/card.html"
CardKey = tuple[str, str, str, str, bool, bool]  # language, collection, slug, heading, ...
# Fragments kept per process: the shared ones (header, menu, footer, "Most read") are
# first; a page-specific one (the header of a page with translations) is not worth keeping.
PARTIALS_KEPT = 200


class CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates kept in memory, so that each language's environment (and a
    build that compiled them while files were still being read) compiles a template
    once. Jinja checks each entry against the template's source."""

    def __init__(self) -> None:
        self._store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = self._store.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._store[bucket.key] = bucket.bytecode_to_string()


def compile_templates(site_root: Path) -> CompiledTemplates:
    """Compile every template the site can use (the work of the first render)."""
    compiled = CompiledTemplates()
    env = make_environment(site_root, compiled)
    for name in env.list_templates(filter_func=lambda name: name.endswith(".html")):
        # A broken template is reported, with its file and line, when a page uses it.
        with contextlib.suppress(jinja2.TemplateError):
            env.get_template(name)
    return compiled


def make_environment(site_root: Path,
                     compiled: CompiledTemplates | None = None) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    if (site_root / "templates").is_dir():
        loaders.append(jinja2.FileSystemLoader(site_root / "templates"))
    loaders.append(jinja2.FileSystemLoader(THEME_TEMPLATES))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        bytecode_cache=compiled or CompiledTemplates(),
    )
    if fast_templates():
        from masthead.render.fastjinja import configure  # private names of Jinja2

        configure(env)
    env.filters["iso"] = lambda moment: iso(moment) if moment else ""
    env.globals["feed_formats"] = FEED_FORMATS
    return env


@dataclass
class Renderer:
    """Renders routes of one build. Body HTML is made here, when its page is rendered."""

    site: Site
    strings: dict[str, Strings]
    public: PublicFiles
    env: jinja2.Environment
    assets: dict[str, str]
    reporter: Reporter
    serve_mode: bool = False
    images: ResponsiveImages | None = None
    posters: frozenset[str] = frozenset()  # videos whose poster the site serves
    csp_meta: str = ""  # the Content-Security-Policy every page carries in a <meta>

    def __post_init__(self) -> None:
        self._alternates: dict[tuple[str, ...], dict[str, str]] = {}
        self._keep = speedups_enabled()  # reuse what was rendered (see masthead.speedups)
        self._body_cache: dict[tuple[str, str, int], str] = {}
        self.bodies = BodyRenderer(self.site.config, self.strings, self.public, self.images,
                                   self.posters)
        self._card_cache: dict[CardKey, Markup] = {}
        self._card_marks: dict[str, bool] = {}  # per language: one render for all levels
        self._envs: dict[str, jinja2.Environment] = {}
        self._menu_links: dict[str, dict[str, str]] = {}  # per language: page URL -> link
        self._partial_cache: dict[tuple[Any, ...], Markup] = {}
        self._favicons: dict[str, Markup] = {}
        self._site_parts: dict[str, SiteParts] = {}  # per language: for structured data
        self._feed_cache: OrderedDict[tuple[str, str, str], str] = OrderedDict()
        self.env.globals.update(
            config=self.site.config,
            assets=self.assets,
            image_size=self.image_size,
            img=self.img,
            logo=self.logo,
            favicon=self.favicon,
            md=self.markdown,
            video_facade=self.video_facade,
            now=dt.datetime.now(dt.UTC),
            serve_mode=self.serve_mode,
            csp_meta=self.csp_meta,
        )

    def render(self, route: Route) -> str | None:
        """The page's HTML; a template mistake becomes a diagnostic (and None)."""
        try:
            return self._render(route)
        except jinja2.TemplateSyntaxError as exc:
            self.reporter.error(_template_path(exc.filename, self.site.config.root), exc.lineno,
                                f"template error: {exc.message}",
                                "check the tag's spelling and that every block is closed")
        except (jinja2.TemplateError, TypeError, AttributeError, KeyError, ValueError) as exc:
            frame = _template_frame(exc)
            self.reporter.error(_template_path(frame[0], self.site.config.root) if frame
                                else route.template, frame[1] if frame else None,
                                f"template error while rendering {route.url}: "
                                f"{type(exc).__name__}: {exc}",
                                "a value the template uses is missing or of the wrong kind")
        return None

    def _render(self, route: Route) -> str:
        if route.template == FEED_TEMPLATE:
            writer = FeedWriter(self.site.languages[route.lang], self.feed_body,
                                self._feed_cache)
            feed = route.context
            return writer.write(feed["format"], feed["title"], feed["listing"], feed["entries"])
        template = self.environment(route.lang).get_template(route.template)
        context: dict[str, Any] = {
            "route": route,
            "canonical": self.site.config.absolute_url(route.url),
            "alternates": self._alternates.get(route.key, {}),
            "languages": self._language_links(route),
            "menu_current": self._menu_current(route),
            "structured_data": self._structured_data(route),
            **route.context,
        }
        return template.render(context)

    def _structured_data(self, route: Route) -> Markup:
        lang_site = self.site.languages[route.lang]
        parts = self._site_parts.get(route.lang)
        if parts is None:
            parts = self._site_parts[route.lang] = site_parts(lang_site, self.public)
        return json_ld(route, lang_site, parts)

    def _menu_current(self, route: Route) -> str:
        """The menu link that points at this page (written with or without a final '/')."""
        links = self._menu_links.get(route.lang)
        if links is None:
            links = self._menu_links[route.lang] = {}
            urls = Urls(self.site.languages[route.lang].prefix, self.site.layout)
            for item in self.site.config.main_menu:
                for link in (item.link, *(sub.link for sub in item.submenu)):
                    localized = urls.link(link)
                    if localized != "#":
                        links.setdefault(localized.rstrip("/"), localized)
        return links.get(route.url.rstrip("/"), "")

    def environment(self, lang: str) -> jinja2.Environment:
        """The environment of one language: what every page of the language shares (the
        language's site, strings, URLs, menus, card and partial helpers) is in its globals,
        so macros imported without context see it and are built once per template instead
        of once per page (``import ... with context`` still works, at that cost)."""
        env = self._envs.get(lang)
        if env is None:
            lang_site = self.site.languages[lang]
            urls = Urls(lang_site.prefix, self.site.layout)
            env = self.env.overlay(cache_size=400)  # its own cache: templates bind globals
            env.globals = {
                **self.env.globals,
                "site": lang_site,
                "lang": lang,
                "urls": urls,
                "t": self.strings[lang],
                "main_menu": _localize(self.site.config.main_menu, urls),
                "footer_menu": _localize(self.site.config.footer_menu, urls),
                "body": self.body,
                "card": lambda entry, heading="h3", eager=False, show_image=True: self.card(
                    lang, entry, heading, eager, show_image),
                "partial": lambda name, **values: self.partial(lang, name, values),
            }
            # The theme's macros, as ``m`` in every template: an ``{% import %}`` in each
            # page and card would re-check the module's globals on every render.
            env.globals["m"] = env.get_template(MACROS).module
            self._envs[lang] = env
        return env

    def forget(self, stories: set[tuple[str, str]]) -> None:
        """Drop what was made from these (collection, slug) stories' text, in every language."""
        for key in [k for k in self._feed_cache if (k[1], k[2]) in stories]:
            del self._feed_cache[key]

    def partial(self, lang: str, name: str, values: dict[str, Any]) -> Markup:
        """A template fragment that depends only on the language and ``values``, rendered
        once and reused (the footer, the menu, the "Most read" block on every page)."""
        if not self._keep:
            return Markup(self.environment(lang).get_template(name).render(values))
        key = (lang, name, _cache_key(values))
        html = self._partial_cache.get(key)
        if html is None:
            html = Markup(self.environment(lang).get_template(name).render(values))
            if len(self._partial_cache) < PARTIALS_KEPT:
                self._partial_cache[key] = html
        return html

    def warm_up(self, templates: set[str]) -> None:
        """Compile every template once before workers are forked, so they share them."""
        for lang in self.site.languages:
            env = self.environment(lang)
            for name in sorted((templates - {FEED_TEMPLATE}) | {CARD_TEMPLATE}):
                env.get_template(name)

    def card(self, lang: str, entry: Entry, heading: str = "h3", eager: bool = False,
             show_image: bool = True) -> Markup:
        """A story card, rendered once per entry and reused on every listing that shows it
        (most of a listing page's cost is its cards; a post appears in five or six
        listings), and at every heading level when the template allows (see cardmark):
        rendered once with a mark for the level, then kept for each level asked for."""
        if not self._keep:
            return self._render_card(lang, entry, heading, eager, show_image)
        key = (lang, entry.collection, entry.slug, heading, eager, show_image)
        html = self._card_cache.get(key)
        if html is not None:
            return html
        marks = self._card_marks.get(lang)
        if marks is None:
            marks = self._card_marks[lang] = heading_only_printed(self.environment(lang),
                                                                  CARD_TEMPLATE)
        if not marks:
            html = self._card_cache[key] = self._render_card(lang, entry, heading, eager,
                                                             show_image)
            return html
        marked_key = (lang, entry.collection, entry.slug, HEADING_MARK, eager, show_image)
        marked = self._card_cache.get(marked_key)
        if marked is None:
            marked = self._card_cache[marked_key] = self._render_card(
                lang, entry, HEADING_MARK, eager, show_image)
        # The level joins the pieces around the marks (kept, so once per card and level).
        html = self._card_cache[key] = Markup(
            str(escape(heading)).join(str.split(marked, HEADING_MARK)))
        return html

    def _render_card(self, lang: str, entry: Entry, heading: str, eager: bool,
                     show_image: bool) -> Markup:
        template = self.environment(lang).get_template(CARD_TEMPLATE)
        return Markup(template.render({"entry": entry, "heading": heading, "eager": eager,
                                       "show_image": show_image}))

    def body(self, owner: Entry | Author | Page | Body) -> Markup:
        """The HTML of a model's Markdown body. Bios and pages appear on many pages and are
        kept once rendered; a story's body appears on its own page only, so it is not
        (keeping every body would grow with the archive)."""
        return self._body(owner, feed=False)

    def feed_body(self, owner: Entry | Author | Page | Body) -> Markup:
        """A body for feeds: plain <img> (feed readers drop <picture> and srcset)."""
        return self._body(owner, feed=True)

    def _body(self, owner: Entry | Author | Page | Body, feed: bool) -> Markup:
        body = owner if isinstance(owner, Body) else owner.body
        lang = getattr(owner, "lang", None) or self.site.layout.default_language
        keep = self._keep and not isinstance(owner, Entry) and not feed
        key = (lang, body.source, body.line)
        html = self._body_cache.get(key) if keep else None
        if html is None:
            markdown = body.markdown
            rendered = self.bodies.render(markdown, lang, feed)
            html = rendered.html
            for src in rendered.images:
                if self.public.is_local(src) and not self.public.exists(src):
                    line = _line_of(body, markdown, src)
                    self.reporter.warning(body.source, line, f"image '{src}' does not exist; "
                                          "the page is shown without it",
                                          f"put the file at public{src}, or correct the path")
                    html = without_image(html, src)
            if keep:
                self._body_cache[key] = html
        return Markup(html)

    def img(self, src: str | None, alt: str = "", cls: str = "", eager: bool = False,
            sizes: str = BODY_SIZES, low: bool = False) -> Markup:
        """An <img> with its size, in a <picture> with its variants (see picture_html)."""
        if not src:
            return Markup("")
        return Markup(picture_html(src, alt, cls, eager, self.image_size(src), self.srcsets,
                                   sizes, low))

    def image_size(self, src: str) -> tuple[int, int] | None:
        return self.bodies.image_size(src)

    def favicon(self, src: str) -> Markup:
        """The icon links: the small PNGs made of a large favicon, else the file itself
        (made once: every page's head has them)."""
        made = self._favicons.get(src)
        if made is None:
            made = self._favicons[src] = self._favicon_links(src)
        return made

    def _favicon_links(self, src: str) -> Markup:
        found = self.images.icon(src) if self.images else None
        if not found:
            return Markup(f'<link rel="icon" href="{escape(src)}">')
        links = []
        for variant in found.variants:
            height = max(1, round(found.height * variant.width / found.width))
            rel = "apple-touch-icon" if variant.width >= 180 else "icon"
            kind = ' type="image/png"' if rel == "icon" else ""
            links.append(f'<link rel="{rel}"{kind} sizes="{variant.width}x{height}" '
                         f'href="/{escape(variant.rel)}">')
        return Markup("".join(links))

    def logo(self, src: str, cropped: str, alt: str, height: int = 40) -> Markup:
        """The header's logo, ``height`` CSS pixels high, with its variants; on narrow
        screens the cropped logo, each source with its own width and height so that
        the box the browser keeps for it has the shape of the picture it shows."""
        sources = []
        if cropped:
            sources.append(self._logo_sources(cropped, height, ' media="(max-width: 30rem)"'))
        sources.append(self._logo_sources(src, height, ""))
        size = self.image_size(src)
        shape = (f' width="{round(size[0] * height / size[1])}" height="{height}"'
                 if size else "")
        return Markup(f'<picture>{"".join(sources)}<img class="brand-logo" '
                      f'src="{escape(src)}" alt="{escape(alt)}"{shape}></picture>')

    def _logo_sources(self, src: str, height: int, media: str) -> str:
        size = self.image_size(src)
        width = round(size[0] * height / size[1]) if size else 0
        shape = f' width="{width}" height="{height}"' if size else ""
        sized = f' sizes="{width}px"' if size else ""
        found = [f'<source{media} type="{mime}" srcset="{escape(srcset)}"{sized}{shape}>'
                 for mime, srcset in self.srcsets(src)]
        if media:  # the original too, for browsers that take none of the variants
            described = f"{escape(src)} {size[0]}w" if size else str(escape(src))
            found.append(f'<source{media} srcset="{described}"{sized}{shape}>')
        return "".join(found)

    def srcsets(self, src: str) -> tuple[tuple[str, str], ...]:
        return self.bodies.srcsets(src)

    def video_facade(self, video_id: str, title: str, lang: str) -> Markup:
        """A video's click-to-load player (the ``youtubeId`` of a videos item)."""
        policy = self.bodies.media(lang).embeds
        assert policy is not None
        if policy.allows("https://www.youtube-nocookie.com/"):
            return Markup(f'<iframe src="https://www.youtube-nocookie.com/embed/'
                          f'{escape(video_id)}" title="{escape(title)}" loading="lazy" '
                          'allow="encrypted-media; picture-in-picture; fullscreen" '
                          'referrerpolicy="strict-origin-when-cross-origin"></iframe>')
        return Markup(youtube_facade(video_id, title, policy))

    def markdown(self, text: str | None) -> Markup:
        """Markdown in front matter values (bios, section texts)."""
        if not text:
            return Markup("")
        return Markup(render_markdown(
            str(text), BodyMedia(size=self.image_size, srcsets=self.srcsets)).html)

    def set_alternates(self, routes: list[Route]) -> None:
        """hreflang links: the same content key in every language that has it."""
        if len(self.site.languages) < 2:
            self._alternates = {}
            return
        table: dict[tuple[str, ...], dict[str, str]] = {}
        for route in routes:
            table.setdefault(route.key, {})[route.lang] = self.site.config.absolute_url(route.url)
        self._alternates = {k: v for k, v in table.items() if len(v) > 1}

    def _language_links(self, route: Route) -> list[dict[str, Any]]:
        if len(self.site.languages) < 2:
            return []
        alternates = self._alternates.get(route.key, {})
        links = []
        for code, lang_site in self.site.languages.items():
            href = alternates.get(code) or self.site.config.absolute_url(
                Urls(lang_site.prefix, self.site.layout).home())
            links.append({"code": code, "name": self.strings[code]("language_name"),
                          "href": _site_relative(href, self.site.config),
                          "current": code == route.lang})
        return links


def _cache_key(value: Any) -> Any:
    """A hashable stand-in for a template value: entries by identity, sequences by items.
    A tuple of entries (a "Most read" list, passed on thousands of pages) is keyed once:
    its key is kept with the tuple itself, which cannot change."""
    kind = type(value)
    if kind is str:
        return value
    if kind is tuple:
        kept = _TUPLE_KEYS.get(id(value))
        if kept is not None and kept[0] is value:
            return kept[1]
        key = tuple([_cache_key(item) for item in value])
        if all(type(item) is Entry for item in value):
            if len(_TUPLE_KEYS) >= _TUPLE_KEYS_KEPT:
                _TUPLE_KEYS.clear()
            _TUPLE_KEYS[id(value)] = (value, key)
        return key
    if isinstance(value, Entry):
        return (value.collection, value.lang, value.slug)
    if isinstance(value, (list, tuple)):
        return tuple([_cache_key(item) for item in value])
    if isinstance(value, dict):  # in the order written: another order is another key
        return tuple([(key, _cache_key(item)) for key, item in value.items()])
    return value


_TUPLE_KEYS: dict[int, tuple[tuple[Any, ...], Any]] = {}
_TUPLE_KEYS_KEPT = 4096


def _localize(items: tuple[MenuItem, ...], urls: Urls) -> list[dict[str, Any]]:
    return [{"name": item.name, "link": urls.link(item.link),
             "submenu": _localize(item.submenu, urls)} for item in items]


def _site_relative(url: str, config: SiteConfig) -> str:
    base = config.base_url.rstrip("/")
    return url[len(base):] if url.startswith(base) else url


def without_image(html: str, src: str) -> str:
    """The HTML without the <img> (and the <picture> holding it) of a missing file."""
    quoted = re.escape(str(escape(src)))
    image = rf'<img\b[^>]*\bsrc="{quoted}"[^>]*>'
    html = re.sub(rf"<picture>(?:(?!</picture>).)*?{image}\s*</picture>", "", html, flags=re.S)
    return re.sub(image, "", html)


def _line_of(body: Body, markdown: str, needle: str) -> int:
    index = markdown.find(needle)
    return body.line + (markdown.count("\n", 0, index) if index >= 0 else 0)


def _template_path(filename: str | None, root: Path) -> str:
    if not filename:
        return "templates"
    path = Path(filename)
    for base in (root, THEME_TEMPLATES.parent.parent.parent.parent):
        try:
            return str(path.relative_to(base))
        except ValueError:
            continue
    return str(path)


def _template_frame(exc: BaseException) -> tuple[str, int] | None:
    """The innermost template file and line of an exception, from its traceback."""
    found = None
    tb = exc.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.endswith(".html") and "__jinja" not in name:
            found = (name, tb.tb_lineno)
        tb = tb.tb_next
    return found
