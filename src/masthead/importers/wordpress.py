"""``masthead import wordpress``: a WXR export into a site folder in masthead's layout."""

from __future__ import annotations

import datetime as dt
import html
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml

from masthead.content.slugs import banter_slug
from masthead.importers.convert import Attachments, BodyConverter
from masthead.importers.files import SiteWriter, inside, readable_slug
from masthead.importers.redirects import live_pages, safe_path, write_redirects
from masthead.importers.settings import settings_file
from masthead.importers.wxr import Export, Item, read_export

Say = Callable[[str], None]
PROGRESS_EVERY = 2.0  # seconds between two progress lines
_TAGS = re.compile(r"<[^>]+>")
_UPLOADS = re.compile(r"https?://[^\s\"'<>()]+?/wp-content/uploads/([^\s\"'<>()?#]+)")
_WPCOM_FILES = re.compile(r"https?://[\w-]+\.files\.wordpress\.com/([^\s\"'<>()?#]+)")
_URL_RUN = re.compile(r"https?://[^\s\"'<>()]+")
_SCHEME = re.compile(r"https?://")
_UPLOADS_MARK = "/wp-content/uploads/"
_UPLOADS_PATH = re.compile(r"[^\s\"'<>()?#]+")
_NO_DATE = "0000-00-00 00:00:00"
PUBLISHED = {"publish", "future"}
DRAFTS = {"draft", "pending", "private"}


@dataclass
class ImportReport:
    counts: Counter[str] = field(default_factory=Counter)
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    missing_media: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    written: int = 0
    unchanged: int = 0

    def lines(self) -> list[str]:
        found = ", ".join(f"{n} {what}" for what, n in sorted(self.counts.items()))
        result = [f"Imported {found}; {self.written} files written, {self.unchanged} "
                  "unchanged."]
        result += [f"skipped: {line}" for line in self.skipped]
        result += [f"warning: {line}" for line in self.warnings]
        if self.missing_media:
            result.append(f"{len(self.missing_media)} media files were not in the uploads "
                          "folder; their addresses were kept:")
            result += [f"  {url}" for url in self.missing_media]
        if self.kept:
            result.append(f"{len(self.kept)} files edited since the last import were kept "
                          "as they are (--force replaces them):")
            result += [f"  {rel}" for rel in self.kept]
        return result


def _decoded(path: str) -> str:
    """A path with its percent-encoding undone, also when it was encoded twice."""
    for _ in range(3):
        decoded = unquote(path)
        if decoded == path:
            break
        path = decoded
    return path


def upload_links(text: str) -> list[tuple[int, int]]:
    """Where ``_UPLOADS`` matches in a text, found in linear time: the pattern's lazy
    host part scans to the end of a long address from every ``https://`` in it, so
    ``https://https://...`` took minutes. Here each address is looked at once, and each
    ``/wp-content/uploads/`` in it pairs with the first ``https://`` before it."""
    found: list[tuple[int, int]] = []
    for run in _URL_RUN.finditer(text):
        url, base = run.group(0), run.start()
        position, scheme = 0, None
        mark = url.find(_UPLOADS_MARK)
        while mark >= 0:
            if scheme is None:
                scheme = _SCHEME.search(url, position, mark + 1)
                if scheme is None:
                    position = max(position, mark - 8)
            path = _UPLOADS_PATH.match(url, mark + len(_UPLOADS_MARK))
            if scheme is not None and scheme.end() < mark and path:
                found.append((base + scheme.start(), base + path.end()))
                position, scheme = path.end(), None
                mark = url.find(_UPLOADS_MARK, position)
                continue
            mark = url.find(_UPLOADS_MARK, mark + 1)
    return found


def _plain(text: str) -> str:
    return " ".join(html.unescape(_TAGS.sub("", text)).split())


def _date(item: Item, report: ImportReport, where: str) -> str:
    """The date with its offset: the GMT one WordPress keeps, else the local one read as
    UTC (said), else now (said)."""
    for value, offset in ((item.date_gmt, True), (item.date, False)):
        if value and value != _NO_DATE:
            try:
                moment = dt.datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
            except ValueError:
                continue
            if not offset:
                report.warnings.append(f"{where}: no GMT date; its local time {value} was "
                                       "taken as UTC")
            return moment.replace(tzinfo=dt.UTC).isoformat()
    report.warnings.append(f"{where}: no date (0000-00-00); dated now")
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def _front_matter(fields: dict[str, object], body: str) -> bytes:
    head = yaml.safe_dump({k: v for k, v in fields.items() if v not in (None, "", [])},
                          allow_unicode=True, sort_keys=False, width=1000)
    return f"---\n{head}---\n{body}".encode()


class WordPressImport:
    def __init__(self, export: Export, site: Path, uploads: Path | None, force: bool,
                 say: Say) -> None:
        self.export = export
        self.site = site
        self.uploads = uploads
        self.say = say
        self.writer = SiteWriter(site, force)
        self.report = ImportReport()
        self.origin = f"{urlsplit(export.link).scheme}://{urlsplit(export.link).netloc}"
        self.redirects: dict[str, str] = {}
        self.media: dict[str, str] = {}  # old URL -> new path, for files found
        self.authors = {a.login: a.name for a in export.authors}
        self._moved: tuple[dict[str, str], re.Pattern[str] | None] = ({}, None)

    # --- the whole import ---------------------------------------------------------------

    def run(self) -> ImportReport:
        self._settings()
        attachments = self._attachments()
        self._terms()
        items = [i for i in self.export.items if i.type in ("post", "page")]
        menu = [item for item in self.export.items if item.type == "nav_menu_item"]
        if menu:
            self.report.skipped.append(f"{len(menu)} menu items: menus are not imported (write "
                                       "main_menu and footer_menu in masthead.toml)")
        comments = sum(item.comments for item in items)
        if comments:
            self.report.skipped.append(f"{comments} approved comments on "
                                       f"{sum(1 for i in items if i.comments)} posts: masthead "
                                       "sites have no comments; keep the export to keep them")
        for item in self.export.items:
            if item.type not in ("post", "page", "attachment", "nav_menu_item"):
                self.report.skipped.append(f"item {item.id} ({item.type}): not a post or page")
        new_urls = self._plan(items)
        # Old path -> new URL, and what finds links to the old site: made once, not per body.
        self._moved = ({_decoded(urlsplit(i.link).path): new_urls[i.id]
                        for i in self.export.items if i.id in new_urls and i.link},
                       re.compile(re.escape(self.origin) + r"(/[^\s\"'<>()#?]*)")
                       if self.origin != "://" else None)
        started = last = time.monotonic()
        for done, item in enumerate(items, 1):
            self._item(item, new_urls, attachments)
            if time.monotonic() - last > PROGRESS_EVERY:
                last = time.monotonic()
                self.say(f"import: {done} of {len(items)} posts and pages "
                         f"({last - started:.0f} s)")
        self._redirect_files(new_urls)
        self.writer.save()
        self.report.written = len(self.writer.written)
        self.report.unchanged = len(self.writer.unchanged)
        self.report.kept = self.writer.kept
        return self.report

    def _settings(self) -> None:
        if (self.site / "masthead.toml").exists():
            return  # a second import: the settings are the user's now
        self.writer.write("masthead.toml", settings_file(
            "WordPress", self.export.title, self.export.link, self.export.language or "en",
            self.report.warnings.append))

    def _attachments(self) -> Attachments:
        found = Attachments()
        for item in self.export.items:
            if item.type == "attachment" and item.attachment_url:
                url = self._local(item.attachment_url)
                found.urls[item.id] = url
                found.of_post.setdefault(item.parent, []).append(url)
        return found

    def _local(self, url: str) -> str:
        """The site's own copy of an uploaded file (copied now), or the old address
        when the uploads folder does not have it."""
        if url in self.media:
            return self.media[url]
        match = _UPLOADS.match(url) or _WPCOM_FILES.match(url)
        rel = unquote(match.group(1)) if match else ""
        source = inside(self.uploads, rel) if self.uploads and rel else None
        if source is None:
            if url not in self.report.missing_media:
                self.report.missing_media.append(url)
            self.media[url] = url
            return url
        assert self.uploads is not None
        rel = source.relative_to(self.uploads.resolve()).as_posix()  # no ../ left in it
        self.writer.copy(f"public/uploads/{rel}", source)
        self.report.counts["media files"] += 1
        self.media[url] = f"/uploads/{rel}"
        return self.media[url]

    def _terms(self) -> None:
        parents = {c.slug: c for c in self.export.categories}
        for category in self.export.categories:
            slug = readable_slug(category.slug, banter_slug(category.name) or "category")
            name = _plain(category.name) or slug
            self.writer.write(f"content/categories/{slug}.md", _front_matter(
                {"name": name, "description": _plain(category.description)}, ""))
            self.report.counts["categories"] += 1
            chain, seen = [category.slug], {category.slug}
            while parents.get(chain[0]) and parents[chain[0]].parent and \
                    parents[chain[0]].parent not in seen:
                seen.add(parents[chain[0]].parent)
                chain.insert(0, parents[chain[0]].parent)
            self._redirect("/category/" + "/".join(unquote(c) for c in chain) + "/",
                           f"/categories/{slug}/")
        used = {t.slug for i in self.export.items if i.type == "post"
                and i.status in PUBLISHED and not i.password for t in i.tags}
        for tag in self.export.tags:  # a tag no published story has: the list of tags
            self._redirect(f"/tag/{unquote(tag.slug)}/",
                           f"/tags/{banter_slug(_plain(tag.name) or tag.slug)}/"
                           if tag.slug in used else "/tags/")
        for login, name in self.authors.items():
            slug = readable_slug(login, "author")
            self.writer.write(f"content/authors/{slug}.md",
                              _front_matter({"name": name, "role": "member"}, ""))
            self.report.counts["authors"] += 1
            self._redirect(f"/author/{login}/", f"/authors/{slug}/")

    def _plan(self, items: list[Item]) -> dict[str, str]:
        """Each item's slug and new URL, settled before any body is written, so that
        links between stories can be pointed at their new addresses."""
        taken: set[tuple[str, str]] = set()
        urls: dict[str, str] = {}
        for item in items:
            base = readable_slug(item.slug, "") or readable_slug(
                banter_slug(_plain(item.title)), f"{item.type}-{item.id}")
            kind = "posts" if item.type == "post" else "pages"
            slug, n = base, 2
            while (kind, slug) in taken:
                slug, n = f"{base}-{n}", n + 1
            if slug != base:
                self.report.warnings.append(f"item {item.id}: the slug '{base}' is taken; "
                                            f"written as '{slug}'")
            taken.add((kind, slug))
            urls[item.id] = f"/posts/{slug}/" if kind == "posts" else f"/{slug}/"
        return urls

    def _item(self, item: Item, new_urls: dict[str, str], attachments: Attachments) -> None:
        where = f"item {item.id} '{_plain(item.title)[:60]}'"
        if item.status not in PUBLISHED | DRAFTS:
            self.report.skipped.append(f"{where}: status '{item.status}'")
            return
        draft = item.status in DRAFTS
        if item.password:
            draft = True
            self.report.warnings.append(f"{where}: password-protected on WordPress; "
                                        "imported as a draft so that it is not published")
        notes: list[str] = []
        converter = BodyConverter(attachments, lambda text: notes.append(f"{where}: {text}"))
        body = converter.convert(item.content, item.id)
        self.report.warnings += list(dict.fromkeys(notes))
        body = self._rewrite_links(body, new_urls)
        title = _plain(item.title)
        if not title:
            title = new_urls[item.id].strip("/").rsplit("/", 1)[-1].replace("-", " ").title()
            self.report.warnings.append(f"{where}: no title; called '{title}'")
        url = new_urls[item.id]
        slug = url.strip("/").rsplit("/", 1)[-1]
        if item.type == "post":
            categories = [_plain(c.name) for c in item.categories if c.name]
            image = attachments.urls.get(item.meta.get("_thumbnail_id", ""), "")
            fields: dict[str, object] = {
                "title": title, "date": _date(item, self.report, where),
                "author": self.authors.get(item.creator, item.creator) or None,
                "category": categories[0] if categories else None,
                "tags": list({name.lower(): name for name in reversed(
                    [_plain(t.name) for t in item.tags if t.name] + categories[1:])
                }.values())[::-1],
                "description": _plain(item.excerpt)[:300], "image": image,
                "draft": True if draft else None}
            rel = f"content/posts/{slug}.md"
            self.report.counts["drafts" if draft else (
                "scheduled posts" if item.status == "future" else "posts")] += 1
        else:
            fields = {"title": title, "draft": True if draft else None}
            rel = f"content/pages/{slug}.md"
            self.report.counts["pages"] += 1
        self.writer.write(rel, _front_matter(fields, body))
        if item.link and not draft:
            self._redirect(_decoded(urlsplit(item.link).path) or "/", url)

    def _rewrite_links(self, body: str, new_urls: dict[str, str]) -> str:
        """Uploaded files to the site's copies; links to old posts to their new URLs."""
        pieces, position = [], 0
        for start, end in upload_links(body):
            pieces += [body[position:start], self._local(body[start:end])]
            position = end
        body = "".join(pieces) + body[position:]
        body = _WPCOM_FILES.sub(lambda m: self._local(m.group(0)), body)
        old, pattern = self._moved
        if pattern is None:
            return body

        def point(match: re.Match[str]) -> str:
            path = _decoded(match.group(1))
            return old.get(path) or old.get(path + "/") or match.group(0)

        return pattern.sub(point, body)

    def _redirect(self, old: str, new: str) -> None:
        if old.rstrip("/") == new.rstrip("/"):
            return
        if not safe_path(old):
            self.report.warnings.append(f"the old address {old[:80]!r} cannot be redirected "
                                        "safely; left out")
            return
        self.redirects[old] = new

    def _redirect_files(self, new_urls: dict[str, str]) -> None:
        pages = live_pages([*new_urls.values(), *self.redirects.values()])
        self.report.counts["redirects"] = write_redirects(
            self.writer, self.redirects, self.export.link, pages, self.report.warnings.append)


def import_wordpress(export: Path, site: Path, uploads: Path | None = None,
                     force: bool = False, say: Say = print) -> ImportReport:
    return WordPressImport(read_export(export), site, uploads, force, say).run()
