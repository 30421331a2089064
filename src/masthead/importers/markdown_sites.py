"""``masthead import jekyll`` and ``masthead import hugo``: a Markdown site of another
generator into masthead's layout, with its static files and its old URLs.

Both keep Markdown bodies as they are, apart from their template code: Jekyll's Liquid
tags and Hugo's shortcodes become HTML or Markdown where masthead has the same thing, and
an unknown one stays visibly in the text and is reported with its file."""

from __future__ import annotations

import datetime as dt
import re
import time
import tomllib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from masthead.content.frontmatter import load_yaml
from masthead.content.slugs import banter_slug
from masthead.importers.convert import attributes, embed_html
from masthead.importers.files import SiteWriter, readable_slug
from masthead.importers.redirects import live_pages, safe_path, write_redirects
from masthead.importers.scan import Marks, Span, paired, substitute
from masthead.importers.settings import settings_file
from masthead.importers.source import SourceFolder
from masthead.importers.wordpress import PROGRESS_EVERY, ImportReport, _front_matter

Say = Callable[[str], None]
_FENCES = {"---": "yaml", "+++": "toml"}
_JEKYLL_NAME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-(.+)$")
_MEDIA = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".svg", ".mp3", ".mp4", ".webm",
          ".pdf", ".ico", ".css", ".js", ".woff", ".woff2", ".txt", ".xml", ".json"}


class SourceError(Exception):
    """The folder is not a site of that kind."""


@dataclass
class Source:
    """One content file of the old site, read."""

    rel: str  # its path in the old site, for the report
    kind: str  # post | page
    slug: str
    meta: dict[str, Any]
    body: str
    date: str = ""
    draft: bool = False
    old_urls: list[str] = field(default_factory=list)
    resources: dict[str, Path] = field(default_factory=dict)  # a Hugo bundle's files


def split_front_matter(text: str, rel: str) -> tuple[dict[str, Any], str]:
    """(values, body) of a file with YAML (---) or TOML (+++) front matter; a problem
    raises ValueError naming the line."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    fence = text[:3]
    if fence not in _FENCES or text[3:4] not in ("\n", "\r"):
        return {}, text
    end = text.find(f"\n{fence}", 3)
    if end < 0:
        raise ValueError(f"{rel}:1: the front matter is not closed with a line '{fence}'")
    head, body = text[4:end], text[end + 4:].lstrip("\r\n")
    try:
        values = load_yaml(head) if fence == "---" else tomllib.loads(head)
    except Exception as exc:  # YAML and TOML errors: the message names the place
        mark = getattr(exc, "problem_mark", None)
        line = 2 + mark.line if mark is not None else 1
        hint = " (indent with spaces, not tabs)" if "\t" in head else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ValueError(f"{rel}:{line}: invalid front matter: {problem}{hint}") from None
    if not isinstance(values, dict):
        raise ValueError(f"{rel}:2: the front matter is not a list of keys and values")
    return values, body


def normal_date(value: Any, zone: dt.tzinfo = dt.UTC) -> str:
    """A date as masthead reads it: ISO 8601 with its offset, the old site's time zone
    (``zone``) giving one to a date written without (a build warns about each date that
    has none: 2,000 warnings for a 2,000-post import)."""
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=zone)).isoformat()
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=zone).isoformat()
    text = str(value or "").strip()
    match = re.match(r"^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}(?::\d{2})?)(?:\.\d+)?)?\s*"
                     r"(Z|[+-]\d{2}:?\d{2})?$", text)
    if not match:
        return text
    offset = match.group(3) or ""
    if offset and offset != "Z" and ":" not in offset:
        offset = f"{offset[:3]}:{offset[3:]}"
    clock = match.group(2) or "00:00"
    clock = clock if clock.count(":") == 2 else f"{clock}:00"
    if offset:
        return f"{match.group(1)}T{clock}{'+00:00' if offset == 'Z' else offset}"
    try:
        local = dt.datetime.fromisoformat(f"{match.group(1)}T{clock}")
    except ValueError:
        return text
    return local.replace(tzinfo=zone).isoformat()


def source_zone(config: dict[str, Any], key: str, report: ImportReport) -> dt.tzinfo:
    """The old site's time zone (Jekyll ``timezone``, Hugo ``timeZone``), for dates
    written without an offset; UTC when it names none (said once)."""
    name = str(config.get(key) or config.get("timezone") or "").strip()
    if name:
        try:
            return ZoneInfo(name)
        except (ValueError, ZoneInfoNotFoundError):
            report.warnings.append(f"the time zone {name[:60]!r} of the old site's settings "
                                   "is unknown; dates without an offset are read as UTC")
            return dt.UTC
    report.warnings.append(f"the old site's settings name no time zone ('{key}'); dates "
                           "without an offset are read as UTC")
    return dt.UTC


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in re.split(r"[,\n]" if "," in value else r"\s+", value)
                if v.strip()]
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return []


# --- template code ----------------------------------------------------------------------
# Each opening pattern stops within a line's reach (no ".*"): what it encloses is found by
# masthead.importers.scan, which never scans for a closing mark twice.
_HIDDEN = "\ue000"  # a "{" already looked at
_RAW_OPEN = re.compile(r"\{%-?\s*raw\s*-?%\}")
_RAW_CLOSE = re.compile(r"\{%-?\s*endraw\s*-?%\}")
_LIQUID_HIGHLIGHT = re.compile(r"\{%-?\s*highlight\s+([\w+-]+)[^%]*%\}\n?")
_LIQUID_HIGHLIGHT_END = re.compile(r"\{%-?\s*endhighlight\s*-?%\}")
_POST_URL = re.compile(r"\{%-?\s*post_url\s+(\S+)\s*-?%\}")
_LIQUID_LINK = re.compile(r"\{%-?\s*link\s+(\S+)\s*-?%\}")
_SITE_URL = re.compile(r"\{\{-?\s*site\.(?:baseurl|url)\s*-?\}\}")
_LIQUID_YOUTUBE = re.compile(
    r"\{%-?\s*include\s+youtube\.html\s+id=[\"']?([\w-]{11})[\"']?\s*-?%\}")
_LIQUID_OPEN = re.compile(r"\{[%{]")
_HUGO_HIGHLIGHT = re.compile(r"\{\{[<%]\s*highlight\s+([\w+-]+)[^>%]*[>%]\}\}\n?")
_HUGO_HIGHLIGHT_END = re.compile(r"\{\{[<%]\s*/highlight\s*[>%]\}\}")
_HUGO_OPEN = re.compile(r"\{\{[<%]\s*([\w-]+)")
_HUGO_CLOSE = re.compile(r"\s*[>%]\}\}")


def _liquid_tags(body: str) -> Iterator[Span]:
    """Each ``{% ... %}`` and ``{{ ... }}`` left in a body, left to right; once one kind
    has no closing mark after a place, no later one of that kind is looked for."""
    closing = {"{%": "%}", "{{": "}}"}
    done: set[str] = set()
    position = 0
    while len(done) < 2 and (opening := _LIQUID_OPEN.search(body, position)) is not None:
        kind = opening.group(0)
        end = -1 if kind in done else body.find(closing[kind], opening.end())
        if end < 0:
            done.add(kind)
            position = opening.start() + 1
            continue
        yield Span(opening.start(), end + 2, opening.end(), end)
        position = end + 2


class TemplateConverter:
    """Jekyll's Liquid and Hugo's shortcodes in a body, made into what masthead shows."""

    def __init__(self, report: Callable[[str], None], links: dict[str, str]) -> None:
        self.report = report
        self.links = links  # what a {% post_url %} or {{< ref >}} names -> new URL

    def jekyll(self, body: str) -> str:
        body = paired(body, _RAW_OPEN, _RAW_CLOSE, lambda _, inner: inner.replace("{", _HIDDEN))
        body = paired(body, _LIQUID_HIGHLIGHT, _LIQUID_HIGHLIGHT_END,
                      lambda m, inner: f"```{m.group(1)}\n{inner.strip(chr(10))}\n```")
        body = _POST_URL.sub(lambda m: self._link(m.group(1)), body)
        body = _LIQUID_LINK.sub(lambda m: self._link(m.group(1)), body)
        body = _SITE_URL.sub("", body)
        body = _LIQUID_YOUTUBE.sub(lambda m: embed_html(f"https://youtu.be/{m.group(1)}"), body)

        def unknown(span: Span) -> str:
            code = body[span.start:span.end]
            self.report(f"Liquid {code[:60]} kept as text")
            return code.replace("{", _HIDDEN)

        body = substitute(body, _liquid_tags(body), unknown)
        return body.replace(_HIDDEN, "{")

    def hugo(self, body: str) -> str:
        body = paired(body, _HUGO_HIGHLIGHT, _HUGO_HIGHLIGHT_END,
                      lambda m, inner: f"```{m.group(1)}\n{inner.strip(chr(10))}\n```")
        closes = Marks(body, _HUGO_CLOSE)
        out: list[str] = []
        position = 0
        while (opening := _HUGO_OPEN.search(body, position)) is not None:
            close = closes.first_from(opening.end())
            if close is None:
                break  # nothing after this one is closed either
            args = body[opening.end():close.start()].removesuffix("/").rstrip()
            out.append(body[position:opening.start()])
            out.append(self._shortcode(body[opening.start():close.end()],
                                       opening.group(1).lower(), args))
            position = close.end()
        out.append(body[position:])
        return "".join(out).replace(_HIDDEN, "{")

    def _shortcode(self, code: str, name: str, args: str) -> str:
        handler = getattr(self, f"_hugo_{name}", None)
        if handler is None:
            self.report(f"shortcode {code[:60]} kept as text")
            return code.replace("{", _HIDDEN)
        return str(handler(attributes(args)))

    def _link(self, name: str) -> str:
        key = name.strip("\"'")
        stem = Path(key).stem
        found = self.links.get(key) or self.links.get(stem) or self.links.get(
            _JEKYLL_NAME.sub(r"\4", stem))
        if found is None:
            self.report(f"a link to '{key}' names nothing imported; kept as it was")
            return key
        return found

    def _hugo_figure(self, args: dict[str, str]) -> str:
        src, alt = args.get("src", ""), args.get("alt", "")
        caption = args.get("caption") or args.get("title", "")
        figcaption = f"<figcaption>{caption}</figcaption>" if caption else ""
        return (f'\n\n<figure><img src="{_attr(src)}" alt="{_attr(alt)}">{figcaption}'
                "</figure>\n\n")

    def _hugo_youtube(self, args: dict[str, str]) -> str:
        video = args.get("id") or args.get("0", "")
        return f"\n\n{embed_html(f'https://youtu.be/{video}')}\n\n"

    def _hugo_vimeo(self, args: dict[str, str]) -> str:
        video = args.get("id") or args.get("0", "")
        return f"\n\n{embed_html(f'https://vimeo.com/{video}')}\n\n"

    def _hugo_tweet(self, args: dict[str, str]) -> str:
        user, status = args.get("user", "i"), args.get("id") or args.get("0", "")
        url = f"https://twitter.com/{user}/status/{status}"
        return f'\n\n<blockquote><p><a href="{url}">{url}</a></p></blockquote>\n\n'

    def _hugo_gist(self, args: dict[str, str]) -> str:
        user, gist = args.get("0", ""), args.get("1", "")
        url = f"https://gist.github.com/{user}/{gist}"
        return f'\n\n<p><a href="{_attr(url)}">{_attr(url)}</a></p>\n\n'

    def _hugo_ref(self, args: dict[str, str]) -> str:
        return self._link(args.get("0", ""))

    _hugo_relref = _hugo_ref


def _attr(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


# --- reading each kind of site ----------------------------------------------------------

def _config(folder: SourceFolder, names: tuple[str, ...]) -> dict[str, Any]:
    for name in names:
        path = folder.file(name)
        if path is not None:
            text = path.read_text(encoding="utf-8")
            try:
                values = tomllib.loads(text) if name.endswith(".toml") else load_yaml(text)
            except Exception as exc:
                raise SourceError(f"{path}: cannot be read: {str(exc).splitlines()[0]}"
                                  ) from None
            return values if isinstance(values, dict) else {}
    return {}


def _permalink(pattern: str, values: dict[str, str]) -> str:
    path = re.sub(r":(\w+)", lambda m: values.get(m.group(1), m.group(0)), pattern)
    path = re.sub(r"/{2,}", "/", "/" + path.lstrip("/"))
    return path


def read_jekyll(folder: SourceFolder, report: ImportReport
                ) -> tuple[dict[str, Any], list[Source]]:
    if not (folder.root / "_config.yml").is_file() and not (folder.root / "_posts").is_dir():
        raise SourceError(f"{folder.root} is not a Jekyll site (no _config.yml, no _posts/)")
    config = _config(folder, ("_config.yml", "_config.yaml"))
    zone = source_zone(config, "timezone", report)
    style = str(config.get("permalink") or "date")
    pattern = {"date": "/:categories/:year/:month/:day/:title.html",
               "pretty": "/:categories/:year/:month/:day/:title/",
               "ordinal": "/:categories/:year/:y_day/:title.html",
               "none": "/:categories/:title.html"}.get(style, style)
    sources: list[Source] = []
    for place, draft in (("_posts", False), ("_drafts", True)):
        posts = folder.folder(place)
        for path in folder.files(posts) if posts else ():
            if path.suffix.lower() not in (".md", ".markdown", ".html"):
                continue
            source = _read(folder, path, "post", report)
            if source is None:
                continue
            named = _JEKYLL_NAME.match(path.stem)
            stem = named.group(4) if named else path.stem
            source.slug = readable_slug(str(source.meta.get("slug") or stem), "post")
            date = source.meta.get("date") or (
                f"{named.group(1)}-{named.group(2)}-{named.group(3)}" if named else "")
            source.date = normal_date(date, zone)
            source.draft = draft or source.meta.get("published") is False
            values = {"year": source.date[:4], "month": source.date[5:7],
                      "day": source.date[8:10], "title": stem, "slug": stem,
                      "categories": "/".join(banter_slug(c) for c in _names(
                          source.meta.get("categories") or source.meta.get("category")))}
            old = str(source.meta.get("permalink") or _permalink(pattern, values))
            source.old_urls = [old, *_names(source.meta.get("redirect_from"))]
            sources.append(source)
    for path in folder.files(folder.root, recursive=False):
        if path.suffix.lower() in (".md", ".markdown") and path.stem not in ("README", "404"):
            source = _read(folder, path, "page", report)
            if source is None or not source.meta:
                continue
            source.slug = readable_slug(path.stem, "page")
            if path.stem == "index":
                continue
            source.old_urls = [str(source.meta.get("permalink") or f"/{path.stem}.html"),
                               f"/{path.stem}/"]
            sources.append(source)
    return config, sources


def read_hugo(folder: SourceFolder, report: ImportReport
              ) -> tuple[dict[str, Any], list[Source]]:
    config = _config(folder, ("hugo.toml", "config.toml", "hugo.yaml", "config.yaml",
                              "hugo.yml", "config.yml"))
    content = folder.folder("content")
    if content is None:
        raise SourceError(f"{folder.root} is not a Hugo site (no content/ folder)")
    zone = source_zone(config, "timeZone", report)
    permalinks = config.get("permalinks") or {}
    sources: list[Source] = []
    for path in folder.files(content):
        if path.suffix.lower() not in (".md", ".markdown") or path.name.startswith("_index"):
            continue
        rel = path.relative_to(content)
        if len(rel.parts) == 1 and path.stem == "index":
            report.skipped.append(f"content/{rel.as_posix()}: the home page's text (masthead "
                                  "makes the home page from the stories)")
            continue
        bundle = path.stem == "index"
        section = rel.parts[0] if len(rel.parts) > (2 if bundle else 1) else ""
        source = _read(folder, path, "post" if section else "page", report)
        if source is None:
            continue
        name = rel.parts[-2] if bundle else path.stem
        source.slug = readable_slug(str(source.meta.get("slug") or name), "post")
        source.date = normal_date(source.meta.get("date", ""), zone)
        source.draft = bool(source.meta.get("draft"))
        if bundle:
            source.resources = {p.name: p for p in folder.files(path.parent, recursive=False)
                                if p.suffix.lower() in _MEDIA}
        values = {"year": source.date[:4], "month": source.date[5:7],
                  "day": source.date[8:10], "section": section, "filename": name,
                  "slug": str(source.meta.get("slug") or name),
                  "title": banter_slug(str(source.meta.get("title", name)))}
        pattern = permalinks.get(section) if isinstance(permalinks, dict) else None
        old = str(source.meta.get("url") or (_permalink(str(pattern), values) if pattern
                                              else f"/{section}/{values['slug']}/" if section
                                              else f"/{values['slug']}/"))
        source.old_urls = [old, *_names(source.meta.get("aliases"))]
        sources.append(source)
    return config, sources


def _read(folder: SourceFolder, path: Path, kind: str, report: ImportReport
          ) -> Source | None:
    rel = folder.rel(path)
    try:
        text = path.read_text(encoding="utf-8")
        if not text.strip("\ufeff \t\r\n"):
            report.skipped.append(f"{rel}:1: an empty file")
            return None
        meta, body = split_front_matter(text, rel)
    except UnicodeDecodeError:
        report.skipped.append(f"{rel}: not UTF-8 text")
        return None
    except ValueError as exc:
        report.skipped.append(str(exc))
        return None
    if not meta and kind == "post":
        report.warnings.append(f"{rel}:1: no front matter; its title is made from the file "
                               "name")
    return Source(rel, kind, path.stem, meta, body)


# --- writing ----------------------------------------------------------------------------

class MarkdownSiteImport:
    def __init__(self, system: str, folder: Path, site: Path, force: bool, say: Say) -> None:
        self.system = system
        self.folder = folder
        self.source = SourceFolder(folder, self._warn)
        self.site = site
        self.say = say
        self.writer = SiteWriter(site, force)
        self.report = ImportReport(counts=Counter())

    def run(self) -> ImportReport:
        read = read_jekyll if self.system == "jekyll" else read_hugo
        config, sources = read(self.source, self.report)
        self._settings(config)
        new_urls = self._plan(sources)
        links = {}
        for source in sources:
            url = new_urls[id(source)]
            links[Path(source.rel).stem] = url
            links[source.rel] = url
            links[source.rel.split("/", 1)[-1]] = url
            links[source.slug] = url
        redirects: dict[str, str] = {}
        started = last = time.monotonic()
        for done, source in enumerate(sources, 1):
            if time.monotonic() - last > PROGRESS_EVERY:  # a large site: a line now and then
                last = time.monotonic()
                self.say(f"import: {done} of {len(sources)} posts and pages "
                         f"({last - started:.0f} s)")
            notes: list[str] = []
            convert = TemplateConverter(notes.append, links)
            body = convert.jekyll(source.body) if self.system == "jekyll" else \
                convert.hugo(source.body)
            self.report.warnings += [f"{source.rel}: {note}" for note in dict.fromkeys(notes)]
            url = new_urls[id(source)]
            body = self._resources(source, body)
            self._write(source, body)
            if not source.draft:
                for old in source.old_urls:
                    old = old if old.startswith("/") else "/" + old
                    if old.rstrip("/") != url.rstrip("/") and safe_path(old):
                        redirects[old] = url
        self._people_and_sections(sources)
        self._static()
        pages = live_pages([*new_urls.values(), *redirects.values()])
        self.report.counts["redirects"] = write_redirects(
            self.writer, redirects, str(config.get("url") or config.get("baseURL") or ""),
            pages, self._warn)
        self.writer.save()
        self.report.written = len(self.writer.written)
        self.report.unchanged = len(self.writer.unchanged)
        self.report.kept = self.writer.kept
        return self.report

    def _people_and_sections(self, sources: list[Source]) -> None:
        """A file for each author and category the posts name (these systems keep them
        as plain names), so that each has its page without a warning."""
        authors: dict[str, str] = {}
        categories: dict[str, str] = {}
        for source in sources:
            if source.kind != "post":
                continue
            for name in _names(source.meta.get("author") or source.meta.get("authors"))[:1]:
                authors.setdefault(banter_slug(name), name)
            for name in _names(source.meta.get("categories") or source.meta.get("category"))[:1]:
                categories.setdefault(banter_slug(name), name)
        for slug, name in authors.items():
            if slug:
                self.writer.write(f"content/authors/{readable_slug(slug, 'author')}.md",
                                  _front_matter({"name": name, "role": "member"}, ""))
                self.report.counts["authors"] += 1
        for slug, name in categories.items():
            if slug:
                self.writer.write(f"content/categories/{readable_slug(slug, 'category')}.md",
                                  _front_matter({"name": name}, ""))
                self.report.counts["categories"] += 1

    def _settings(self, config: dict[str, Any]) -> None:
        if (self.site / "masthead.toml").exists():
            return
        self.writer.write("masthead.toml", settings_file(
            self.system.title(), str(config.get("title") or self.folder.name),
            str(config.get("url") or config.get("baseURL") or ""),
            str(config.get("lang") or config.get("languageCode") or "en")[:2].lower(),
            self.report.warnings.append))

    def _plan(self, sources: list[Source]) -> dict[int, str]:
        taken: set[tuple[str, str]] = set()
        urls = {}
        for source in sources:
            base, n = source.slug, 2
            while (source.kind, source.slug) in taken:
                source.slug, n = f"{base}-{n}", n + 1
            if source.slug != base:
                self.report.warnings.append(f"{source.rel}: the slug '{base}' is taken; "
                                            f"written as '{source.slug}'")
            taken.add((source.kind, source.slug))
            urls[id(source)] = (f"/posts/{source.slug}/" if source.kind == "post"
                                else f"/{source.slug}/")
        return urls

    def _resources(self, source: Source, body: str) -> str:
        """A Hugo bundle's files go to public/images/<slug>/, and references follow."""
        for name, path in source.resources.items():
            target = f"/images/{source.slug}/{name}"
            self.writer.copy(f"public{target}", path)
            self.report.counts["media files"] += 1
            body = re.sub(rf'(\]\(|src="|src=)(?:\./)?{re.escape(name)}', rf"\g<1>{target}",
                          body)
        return body

    def _write(self, source: Source, body: str) -> None:
        meta = source.meta
        title = str(meta.get("title") or source.slug.replace("-", " ").title())
        if not meta.get("title"):
            self.report.warnings.append(f"{source.rel}: no title; called '{title}'")
        if source.kind == "page":
            fields: dict[str, object] = {"title": title, "draft": True if source.draft else None}
            self.writer.write(f"content/pages/{source.slug}.md", _front_matter(fields, body))
            self.report.counts["pages"] += 1
            return
        if not source.date:  # the file's time: the same on every import
            modified = (self.source.root / source.rel).stat().st_mtime
            source.date = dt.datetime.fromtimestamp(int(modified), dt.UTC).isoformat()
            self.report.warnings.append(f"{source.rel}: no date; dated by the file's time")
        categories = _names(meta.get("categories") or meta.get("category"))
        authors = _names(meta.get("author") or meta.get("authors"))
        fields = {"title": title, "date": source.date,
                  "author": authors[0] if authors else None,
                  "category": categories[0] if categories else None,
                  "tags": _names(meta.get("tags")) + categories[1:],
                  "description": str(meta.get("description") or meta.get("summary")
                                     or meta.get("excerpt") or "")[:300],
                  "image": str(meta.get("image") or meta.get("cover") or "") or None,
                  "draft": True if source.draft else None}
        self.writer.write(f"content/posts/{source.slug}.md", _front_matter(fields, body))
        self.report.counts["drafts" if source.draft else "posts"] += 1

    def _static(self) -> None:
        """The old site's static files, under public/ at the same paths."""
        if self.system == "hugo":
            roots = [("static", self.source.folder("static"))]
        else:
            roots = [(p.name, self.source.folder(p.name)) for p in sorted(
                self.source.root.iterdir()) if p.is_dir() and not p.name.startswith(("_", "."))
                and p.name not in ("node_modules", "vendor")]
        for name, root in roots:
            if root is None:
                continue
            for path in self.source.files(root):
                if path.suffix.lower() in _MEDIA:
                    rel = path.relative_to(root).as_posix()
                    target = rel if self.system == "hugo" else f"{name}/{rel}"
                    self.writer.copy(f"public/{target}", path)
                    self.report.counts["media files"] += 1

    def _warn(self, text: str) -> None:
        self.report.warnings.append(text)


def import_markdown_site(system: str, folder: Path, site: Path, force: bool = False,
                         say: Say = print) -> ImportReport:
    if not folder.is_dir():
        raise SourceError(f"{folder} is not a folder")
    return MarkdownSiteImport(system, folder, site, force, say).run()
