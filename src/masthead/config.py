"""SiteConfig: the typed settings of one site, read from masthead.toml or a Banter config/.

A Banter project keeps its settings in ``config/site.config.js``, ``menus.js`` and
``social.js`` (JavaScript modules holding object literals, or the same objects as
``.json``). masthead reads those as they are, then applies ``masthead.toml`` on top,
so a newsroom can adopt masthead without rewriting anything and add what Banter
lacks (languages, collections, time zone) in one small file.

Every problem is collected as a Diagnostic and raised once as ``ConfigError``.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from masthead.errors import ConfigError, Diagnostic, Severity, did_you_mean
from masthead.safeurl import header_safe, hostname, link_ok, origin_of, source_ok

CONFIG_FILE = "masthead.toml"
BANTER_FILES = ("site.config", "menus", "social")


@dataclass(frozen=True, slots=True)
class MenuItem:
    name: str
    link: str
    submenu: tuple[MenuItem, ...] = ()


@dataclass(frozen=True, slots=True)
class SocialLink:
    name: str
    href: str


@dataclass(frozen=True, slots=True)
class CollectionConfig:
    """An extra content collection such as ``docs`` or ``videos``."""

    name: str
    folder: str
    url: str
    template: str


def _doc(text: str, default: Any = None, **kw: Any) -> Any:
    if "default_factory" in kw:
        return field(default_factory=kw["default_factory"], metadata={"doc": text})
    return field(default=default, metadata={"doc": text})


@dataclass(frozen=True)
class SiteConfig:
    """Settings of one site. Each field's ``doc`` is its reference documentation."""

    root: Path
    title: str = _doc("Site name, shown in the header and page titles.", "My Magazine")
    description: str = _doc("Default meta description of the site.", "")
    author: str = _doc("Publisher or owner, used in meta tags and the footer.", "")
    keywords: str = _doc("Comma-separated keywords for the home page meta tags.", "")
    og_image: str = _doc("Default social-sharing image (path under public/ or URL).", "")
    base_url: str = _doc("Absolute address of the published site, e.g. https://example.org/.",
                         "http://localhost:8000/")
    logo: str = _doc("Logo image shown in the header (path under public/).", "")
    logo_cropped: str = _doc("Square logo for small screens (Banter's logoCropped).", "")
    logo_text: str = _doc("Text shown beside or instead of the logo.", "")
    favicon: str = _doc("Favicon path under public/.", "")
    posts_per_page: int = _doc("Posts on each page of the home, category, author and tag feeds.",
                               6)
    copyright: str = _doc("Footer copyright line.", "")
    main_menu: tuple[MenuItem, ...] = _doc(
        "Header menu: a list of {name, link, submenu = [...]}.", default_factory=tuple)
    footer_menu: tuple[MenuItem, ...] = _doc("Footer links: a list of {name, link}.",
                                             default_factory=tuple)
    social: tuple[SocialLink, ...] = _doc("Social profiles: a list of {name, href}.",
                                          default_factory=tuple)
    language: str = _doc("Default language: its pages live at the site root.", "en")
    languages: tuple[str, ...] = _doc(
        "All languages in order; default: the locale folders found under content/posts.",
        default_factory=tuple)
    timezone: str = _doc("Time zone for dates written without an offset (IANA name).", "UTC")
    output: str = _doc("Output folder, relative to the site folder.", "dist")
    words_per_minute: int = _doc("Reading speed used when a post has no time_to_read_in_minutes.",
                                 200)
    featured_count: int = _doc("How many Featured posts the home page shows.", 5)
    popular_count: int = _doc("How many posts the 'Most read' lists show.", 5)
    popular_tags_count: int = _doc("How many tags the home page's popular tags list shows.", 12)
    search: bool = _doc("Build the search index and the /search/ page (Pagefind).", True)
    feed_items: int = _doc("How many of the newest stories each feed carries.", 50)
    feed_formats: tuple[str, ...] = _doc(
        'Feeds written for each listing: any of "rss", "atom", "json".',
        ("rss", "atom", "json"))
    feed_full_content: bool = _doc(
        "Feeds carry whole articles (true) or only their descriptions (false).", True)
    images: bool = _doc(
        "Make AVIF/WebP width variants of the local images pages show, offered by srcset.",
        True)
    image_widths: tuple[int, ...] = _doc(
        "Widths of the image variants in pixels (none wider than the original).",
        (320, 640, 960, 1440))
    image_formats: tuple[str, ...] = _doc('Formats of the variants: any of "avif", "webp".',
                                          ("avif", "webp"))
    image_quality: int = _doc("WebP quality of the variants, 1 to 100.", 75)
    image_avif_quality: int = _doc("AVIF quality of the variants, 1 to 100.", 55)
    embed_allow: tuple[str, ...] = _doc(
        "Hosts whose scripts and iframes may load with the page, e.g. "
        '["www.youtube-nocookie.com"]. Default none: tweets and Telegram posts become '
        "static cards, videos and other iframes click-to-load facades.", default_factory=tuple)
    html_allow_tags: tuple[str, ...] = _doc(
        "Tags raw HTML in bodies may use beyond the safe set masthead keeps (text, links, "
        'images, figures, tables, audio, video), e.g. ["form", "button"]. Scripts and styles '
        "never.", default_factory=tuple)
    html_allow_attributes: tuple[str, ...] = _doc(
        'Attributes raw HTML may use beyond the safe set, as "tag:name" or "*:name", e.g. '
        '["*:style"] (which also lets the Content-Security-Policy allow style attributes).',
        default_factory=tuple)
    embed_posters: bool = _doc(
        "Fetch YouTube poster images while building, so that video facades show a picture "
        "served by the site itself.", True)
    api_url: str = _doc(
        'Where `masthead api` answers, as the pages see it: "/api" when it is served under '
        "the site's own address, or a full URL. Empty: no view counting, and the newsletter "
        "and contact forms are not connected.", "")
    smtp_host: str = _doc("SMTP server for confirmation emails and contact messages "
                          "(user and password from MASTHEAD_SMTP_USER/PASSWORD).", "")
    smtp_port: int = _doc("Port of the SMTP server.", 25)
    smtp_starttls: bool = _doc("Use STARTTLS with the SMTP server.", False)
    mail_from: str = _doc("Sender address of the emails the API sends.", "")
    contact_to: str = _doc("Where contact messages are forwarded by email (they are "
                           "stored either way).", "")
    collections: tuple[CollectionConfig, ...] = _doc(
        "Extra collections: a list of {name, folder, url, template}; docs/ and videos/ are "
        "detected without it.", default_factory=tuple)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def output_dir(self) -> Path:
        return (self.root / self.output).resolve()

    def absolute_url(self, path: str) -> str:
        """``/posts/a/`` -> ``https://example.org/posts/a/``."""
        if path[:1] == "/" and path[1:2] != "/":  # a site path, as every page's URL is
            return self.base_url.rstrip("/") + path
        if _SCHEME.match(path):
            return path
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")


_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*:")  # a URL that is already absolute

# Banter's camelCase keys -> SiteConfig fields.
_BANTER_KEYS = {
    "baseURL": "base_url",
    "logo": "logo",
    "logoFull": "logo",
    "logoCropped": "logo_cropped",
    "logoText": "logo_text",
    "favicon": "favicon",
    "postPerPage": "posts_per_page",
    "copyright": "copyright",
}
_BANTER_META = {
    "title": "title",
    "description": "description",
    "author": "author",
    "keyword": "keywords",
    "ogImage": "og_image",
}


def load_config(root: Path, overrides: dict[str, str] | None = None) -> SiteConfig:
    """Read a site's settings; raise ConfigError listing every problem. ``overrides``
    (from ``--set key=value``) come last; values are TOML (``20``, ``false``,
    ``["rss"]``), or plain text."""
    root = root.resolve()
    problems: list[Diagnostic] = []
    values: dict[str, Any] = {}
    toml_path = root / CONFIG_FILE
    found_banter = _read_banter(root, values, problems)
    if toml_path.is_file():
        _read_toml(toml_path, values, problems)
    elif not found_banter:
        raise ConfigError([Diagnostic(
            str(root), None, f"no {CONFIG_FILE} or config/site.config.js in this folder",
            f"run 'masthead new {root.name}' to start a site, or point to a site folder")])
    if overrides:
        parsed: dict[str, Any] = {}
        for key, raw in overrides.items():
            try:
                parsed[key] = tomllib.loads(f"value = {raw}")["value"]
            except tomllib.TOMLDecodeError:
                parsed[key] = raw
        _apply(parsed, "--set", lambda key: None, root, values, problems)
    config = replace(SiteConfig(root=root), **values)
    problems += _validate(config, _origins(root, toml_path, set(overrides or ())))
    if problems:
        raise ConfigError(problems)
    return config


def _banter_file(root: Path, stem: str) -> Path | None:
    for ext in (".js", ".mjs", ".json"):
        path = root / "config" / f"{stem}{ext}"
        if path.is_file():
            return path
    return None


def _read_banter(root: Path, values: dict[str, Any], problems: list[Diagnostic]) -> bool:
    site_path = _banter_file(root, "site.config")
    if site_path is None:
        return False
    site = _read_js_object(site_path, root, problems)
    if isinstance(site, dict):
        for key, name in _BANTER_KEYS.items():
            if key in site and site[key] not in (None, ""):
                values[name] = site[key]
        meta = site.get("metaData") or {}
        if isinstance(meta, dict):
            for key, name in _BANTER_META.items():
                if meta.get(key):
                    values[name] = meta[key]
    menus_path = _banter_file(root, "menus")
    if menus_path:
        menus = _read_js_object(menus_path, root, problems)
        if isinstance(menus, dict):
            values["main_menu"] = _menu(menus.get("mainMenu"), menus_path, root, problems)
            values["footer_menu"] = _menu(menus.get("footer"), menus_path, root, problems)
    social_path = _banter_file(root, "social")
    if social_path:
        social = _read_js_object(social_path, root, problems)
        values["social"] = _social(social, social_path, root, problems)
    return True


_EXPORT = re.compile(r"^\s*(export\s+default|module\.exports\s*=)\s*", re.M)


def _read_js_object(path: Path, root: Path, problems: list[Diagnostic]) -> Any:
    """Parse ``export default { ... }`` (or JSON) with a JSON5 parser, keeping line numbers."""
    rel = _rel(path, root)
    text = path.read_text(encoding="utf-8")
    offset_line = 0
    if path.suffix != ".json":
        match = _EXPORT.search(text)
        if match is None:
            problems.append(Diagnostic(rel, None, "no 'export default { ... }' found",
                                       "the file must export one object literal"))
            return None
        offset_line = text.count("\n", 0, match.end())
        body = text[match.end():].strip().rstrip(";").strip()
        named = re.fullmatch(r"[A-Za-z_$][\w$]*", body)
        if named:  # const config = {...}; export default config
            decl = re.search(rf"(?:const|let|var)\s+{re.escape(body)}\s*=\s*", text)
            if decl is None:
                problems.append(Diagnostic(rel, offset_line + 1,
                                           f"'{body}' is exported but never defined"))
                return None
            offset_line = text.count("\n", 0, decl.end())
            body = _balanced_object(text[decl.end():])
        text = body
    try:  # most config files are plain JSON, which the json module reads 30x faster
        return json.loads(text)
    except ValueError:
        pass
    import json5  # only for what JSON cannot read (comments, unquoted keys)

    try:
        return json5.loads(text)
    except ValueError as exc:
        line_match = re.search(r"<string>:(\d+)", str(exc))
        line = int(line_match.group(1)) + offset_line if line_match else None
        problems.append(Diagnostic(rel, line, f"cannot read this object literal: {exc}",
                                   "keep it a plain object: quoted or bare keys, no code"))
        return None


def _balanced_object(text: str) -> str:
    depth = 0
    for index, char in enumerate(text):
        if char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
            if depth == 0:
                return text[: index + 1]
    return text


def _menu(raw: Any, path: Path, root: Path, problems: list[Diagnostic]) -> tuple[MenuItem, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.append(Diagnostic(_rel(path, root), None, "a menu must be a list of {name, link}"))
        return ()
    items = []
    for entry in raw:
        if not isinstance(entry, dict) or "name" not in entry:
            problems.append(Diagnostic(_rel(path, root), None,
                                       f"menu entry {entry!r} has no 'name'",
                                       "write each entry as { name: '...', link: '/...' }"))
            continue
        link = str(entry.get("link") or "#")
        if not link_ok(link):
            problems.append(_unsafe_link(_rel(path, root), entry["name"], link))
            link = "#"
        items.append(MenuItem(str(entry["name"]), link,
                              _menu(entry.get("submenu"), path, root, problems)))
    return tuple(items)


def _social(raw: Any, path: Path, root: Path,
            problems: list[Diagnostic]) -> tuple[SocialLink, ...]:
    if raw is None:
        return ()
    if isinstance(raw, dict):  # some Banter forks export { facebook: "...", ... }
        raw = [{"name": k, "href": v} for k, v in raw.items()]
    if not isinstance(raw, list):
        problems.append(Diagnostic(_rel(path, root), None, "social must be a list of {name, href}"))
        return ()
    links = []
    for entry in raw:
        href = entry.get("href") or entry.get("url") if isinstance(entry, dict) else None
        if isinstance(entry, dict) and entry.get("name") and href and not link_ok(str(href)):
            problems.append(_unsafe_link(_rel(path, root), entry["name"], str(href)))
        elif isinstance(entry, dict) and entry.get("name") and href:
            links.append(SocialLink(str(entry["name"]), str(href)))
        else:
            problems.append(Diagnostic(_rel(path, root), None,
                                       f"social entry {entry!r} needs 'name' and 'href'"))
    return tuple(links)


def _unsafe_link(rel: str, name: object, link: str) -> Diagnostic:
    return Diagnostic(rel, None, f"the link of '{name}' ({link[:80]!r}) is not a web address",
                      "links may be https://..., http://..., mailto:, tel: or a path such "
                      "as /about")


def _read_toml(path: Path, values: dict[str, Any], problems: list[Diagnostic]) -> None:
    rel = path.name
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line_match = re.search(r"line (\d+)", str(exc))
        problems.append(Diagnostic(rel, int(line_match.group(1)) if line_match else None,
                                   f"invalid TOML: {exc}"))
        return
    _apply(data, rel, lambda key: _toml_line(text, key), path, values, problems)


def _apply(data: dict[str, Any], rel: str, line_of: Any, path: Path, values: dict[str, Any],
           problems: list[Diagnostic]) -> None:
    """Check each setting's name and type and put the good ones into ``values``."""
    known = {f.name: f for f in fields(SiteConfig) if f.name != "root"}
    for key, value in data.items():
        line = line_of(key)
        if key not in known:
            problems.append(Diagnostic(rel, line, f"unknown setting '{key}'",
                                       did_you_mean(key, known, "settings")))
            continue
        if key in TABLE_KEYS:
            _check_table_keys(key, value, rel, line_of, known, problems)
        if key in ("main_menu", "footer_menu"):
            values[key] = _menu(value, path, path.parent, problems)
        elif key == "social":
            values[key] = _social(value, path, path.parent, problems)
        elif key in ("languages", "feed_formats"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                example = '["rss", "atom"]' if key == "feed_formats" else '["en", "ru"]'
                problems.append(Diagnostic(rel, line, f"'{key}' must be a list of names",
                                           f"write {key} = {example}"))
            elif key == "feed_formats" and set(value) - {"rss", "atom", "json"}:
                problems.append(Diagnostic(rel, line, f"unknown feed format in {value}",
                                           'choose among "rss", "atom" and "json"'))
            elif key == "languages" and [v for v in value if not LANGUAGE_CODE.match(v)]:
                bad = next(v for v in value if not LANGUAGE_CODE.match(v))
                problems.append(Diagnostic(rel, line, f"{bad[:40]!r} is not a language code",
                                           'write language codes such as "en", "ru", "pt-BR"'))
            else:
                values[key] = tuple(value)
        elif key == "image_widths":
            if (not isinstance(value, list) or not value or not all(
                    isinstance(v, int) and not isinstance(v, bool) and 16 <= v <= 8192
                    for v in value)):
                problems.append(Diagnostic(rel, line, "'image_widths' must be a list of widths "
                                           "in pixels (16 to 8192)",
                                           "write image_widths = [320, 640, 960, 1440]"))
            else:
                values[key] = tuple(sorted(set(value)))
        elif key in ("html_allow_tags", "html_allow_attributes"):
            pattern = (r"^[a-z][a-z0-9-]*$" if key == "html_allow_tags"
                       else r"^(\*|[a-z][a-z0-9-]*):[a-z][a-z0-9-]*$")
            if not isinstance(value, list) or not all(
                    isinstance(v, str) and re.match(pattern, v.strip().lower()) for v in value):
                tags = key == "html_allow_tags"
                example = '["form", "button"]' if tags else '["*:style"]'
                what = "tag names" if tags else "tag:attribute names"
                problems.append(Diagnostic(rel, line, f"'{key}' must be a list of {what}",
                                           f"write {key} = {example}"))
            elif {v.strip().lower() for v in value} & {"script", "style"} or any(
                    v.strip().lower().split(":")[-1].startswith("on") for v in value):
                problems.append(Diagnostic(rel, line, f"'{key}' may not allow scripts, "
                                           "styles or event handlers",
                                           "embed scripts from a host with embed_allow"))
            else:
                values[key] = tuple(v.strip().lower() for v in value)
        elif key in ("image_formats", "embed_allow"):
            example = '["avif", "webp"]' if key == "image_formats" else '["www.example.org"]'
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                problems.append(Diagnostic(rel, line, f"'{key}' must be a list of names",
                                           f"write {key} = {example}"))
            elif key == "image_formats" and set(value) - {"avif", "webp"}:
                problems.append(Diagnostic(rel, line, f"unknown image format in {value}",
                                           'choose among "avif" and "webp"'))
            elif key == "embed_allow" and [v for v in value if hostname(v) != v.strip().lower()]:
                bad = next(v for v in value if hostname(v) != v.strip().lower())
                problems.append(Diagnostic(rel, line, f"'{bad}' in embed_allow is not a host name",
                                           'write host names only, e.g. "www.example.org"'))
            else:
                values[key] = tuple(v.strip().lower() for v in value)
        elif key == "collections":
            values[key] = _collections(value, rel, line, problems)
        else:
            expected = type(known[key].default)
            if expected is int and (not isinstance(value, int) or isinstance(value, bool)):
                problems.append(Diagnostic(rel, line, f"'{key}' must be a whole number",
                                           f"write {key} = {known[key].default}"))
            elif expected is bool and not isinstance(value, bool):
                problems.append(Diagnostic(rel, line, f"'{key}' must be true or false",
                                           f"write {key} = true"))
            elif expected is str and not isinstance(value, str):
                problems.append(Diagnostic(rel, line, f"'{key}' must be text",
                                           f'write {key} = "..."'))
            else:
                values[key] = value


# The keys each entry of a list of tables may have (others are mistakes, not extensions).
TABLE_KEYS = {
    "main_menu": ("name", "link", "submenu"),
    "footer_menu": ("name", "link"),
    "social": ("name", "href", "url"),
    "collections": ("name", "folder", "url", "template"),
}


def _check_table_keys(table: str, value: Any, rel: str, line_of: Any, settings: Any,
                      problems: list[Diagnostic]) -> None:
    """An unknown key inside a ``[[table]]``: most often a setting written after the
    table, which TOML then puts into it."""
    allowed = TABLE_KEYS[table]
    entries = value if isinstance(value, list) else [value]
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        for key in entry:
            if key in allowed:
                if key == "submenu":
                    _check_table_keys("footer_menu", entry[key], rel, line_of, settings,
                                      problems)
                continue
            if key in settings:
                hint = (f"'{key}' is a setting, but TOML puts every line after "
                        f"[[{table}]] into that table: move it above the first [[...]] line")
            else:
                hint = did_you_mean(key, allowed, f"keys of [[{table}]]")
            problems.append(Diagnostic(rel, line_of(key),
                                       f"unknown key '{key}' in a [[{table}]] table", hint))


def _collections(raw: Any, rel: str, line: int | None,
                 problems: list[Diagnostic]) -> tuple[CollectionConfig, ...]:
    result = []
    for entry in raw if isinstance(raw, list) else [raw]:
        if not isinstance(entry, dict) or not entry.get("name"):
            problems.append(Diagnostic(rel, line, "each collection needs a 'name'",
                                       '[[collections]]\nname = "docs"'))
            continue
        name = str(entry["name"])
        folder = str(entry.get("folder", name))
        url = str(entry.get("url", f"/{name}")).rstrip("/") or f"/{name}"
        template = str(entry.get("template", "item.html"))
        problem = (_segment_problem("name", name) or _segment_problem("folder", folder)
                   or _url_problem(url) or _segment_problem("template", template, dots=True))
        if problem:
            problems.append(Diagnostic(rel, line, f"collection '{name[:40]}': {problem}",
                                       '[[collections]]\nname = "reports"\nurl = "/reports"'))
            continue
        result.append(CollectionConfig(name=name, folder=folder, url=url, template=template))
    return tuple(result)


LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")
_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_URL_PATH = re.compile(r"^(/[A-Za-z0-9_~-][A-Za-z0-9_.~-]*)+$")


def _segment_problem(what: str, value: str, dots: bool = False) -> str | None:
    """A folder or file name inside the site: letters, digits, '_', '-', '.' and no way
    out of its folder."""
    if _SEGMENT.match(value) and ".." not in value and (dots or "." not in value[:1]):
        return None
    return f"its {what} {value[:40]!r} must be one plain name (letters, digits, - and _)"


def _url_problem(url: str) -> str | None:
    if _URL_PATH.match(url) and "/." not in url:
        return None
    return f"its url {url[:40]!r} must be a path such as /reports (letters, digits, - and _)"


def _toml_line(text: str, key: str) -> int | None:
    match = re.search(rf"^\s*(\[\[?)?\s*{re.escape(key)}\b", text, re.M)
    return text.count("\n", 0, match.start()) + 1 if match else None


Where = Callable[[str], tuple[str, int | None]]  # a setting -> (file, line)


def _origins(root: Path, toml_path: Path, overridden: set[str]) -> Where:
    """Where a setting was written, for its diagnostic: ``--set`` on the command line,
    masthead.toml (with its line), or the Banter config."""
    text = toml_path.read_text(encoding="utf-8") if toml_path.is_file() else ""
    banter = _banter_file(root, "site.config")
    fallback = (toml_path.name if text or banter is None
                else str(banter.relative_to(root)))

    def where(key: str) -> tuple[str, int | None]:
        if key in overridden:
            return "--set", None
        line = _toml_line(text, key) if text else None
        return (toml_path.name, line) if line else (fallback, None)

    return where


def _validate(config: SiteConfig, where: Where) -> list[Diagnostic]:
    problems = []
    if config.posts_per_page < 1:
        problems.append(Diagnostic(*where("posts_per_page"),
                                   "posts_per_page must be at least 1",
                                   "write posts_per_page = 6"))
    for key in ("image_quality", "image_avif_quality"):
        if not 1 <= getattr(config, key) <= 100:
            problems.append(Diagnostic(*where(key), f"{key} must be between 1 and 100",
                                       f"write {key} = {getattr(SiteConfig, key)}"))
    if not _address_ok(config.base_url, paths=False):
        problems.append(Diagnostic(*where("base_url"), f"base_url {config.base_url!r} is not "
                                   "an absolute http(s) address",
                                   "write it as https://example.org/"))
    if config.api_url and not _address_ok(config.api_url, paths=True):
        problems.append(Diagnostic(*where("api_url"), f"api_url {config.api_url!r} is neither "
                                   "a path nor an http(s) address",
                                   'write api_url = "/api" or "https://api.example.org/api"'))
    for key in ("og_image", "logo", "logo_cropped", "favicon"):
        if not source_ok(getattr(config, key)):
            problems.append(Diagnostic(*where(key), f"{key} {getattr(config, key)!r} is neither a "
                                       "path nor an http(s) address",
                                       f'write {key} = "/images/logo.png"'))
    if not LANGUAGE_CODE.match(config.language):
        problems.append(Diagnostic(*where("language"), f"language {config.language[:40]!r} is "
                                   "not a language code",
                                   'write language = "en" (or "ru", "pt-BR")'))
    try:
        ZoneInfo(config.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(Diagnostic(*where("timezone"), f"unknown time zone '{config.timezone}'",
                                   "use an IANA name such as Europe/Moscow or UTC"))
    return problems


PLACEHOLDER_HOSTS = {"example.org", "example.com", "example.net", "www.example.org",
                     "www.example.com", "www.example.net", "localhost", "127.0.0.1", "[::1]"}


def placeholder_base_url(config: SiteConfig) -> Diagnostic | None:
    """A warning for a site built for publishing whose ``base_url`` is still a
    placeholder: its feeds, sitemaps and share links would point there."""
    host = config.base_url.split("//", 1)[-1].split("/", 1)[0].split(":")[0].lower()
    if host.startswith("[::1]"):
        host = "[::1]"
    if host not in PLACEHOLDER_HOSTS:
        return None
    toml_path = config.root / CONFIG_FILE
    line = (_toml_line(toml_path.read_text(encoding="utf-8"), "base_url")
            if toml_path.is_file() else None)
    where = CONFIG_FILE if line is not None or toml_path.is_file() else "config/site.config.js"
    return Diagnostic(where, line,
                      f"base_url is '{config.base_url}', a placeholder: feeds, sitemaps, "
                      "canonical and share links will point there",
                      "set base_url to the site's public address, e.g. base_url = "
                      '"https://www.mymagazine.org/" in masthead.toml, or --set base_url=...',
                      Severity.WARNING)


def _address_ok(value: str, paths: bool) -> bool:
    """An http(s) address (or, with ``paths``, a path on the site) that can stand in a
    header, an attribute and a script as it is."""
    if not header_safe(value) or re.search(r"[\s<>'\"]", value):
        return False
    if paths and value.startswith("/") and not value.startswith("//"):
        return True
    return bool(re.match(r"^https?://", value) and origin_of(value))


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def documented_fields() -> list[tuple[str, str, Any]]:
    """(name, doc, default) of every setting, for the README and `masthead new`."""
    result = []
    for f in fields(SiteConfig):
        if f.name == "root":
            continue
        default = f.default if f.default is not MISSING else []
        result.append((f.name, f.metadata["doc"], default))
    return result
