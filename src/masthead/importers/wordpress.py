"""``masthead import wordpress``: a WXR export read as import records (``records.py``),
which the one import writer turns into a site folder in masthead's layout."""

from __future__ import annotations

import datetime as dt
import html
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

from masthead.content.slugs import banter_slug
from masthead.importers.convert import Attachments, BodyConverter
from masthead.importers.files import inside, readable_slug
from masthead.importers.records import (
    PROGRESS_EVERY,
    Author,
    Category,
    Imported,
    ImportReport,
    Media,
    Page,
    Redirect,
    SiteInfo,
    Story,
)
from masthead.importers.writer import ImportWriter
from masthead.importers.wxr import Export, Item, read_export

Say = Callable[[str], None]
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


class WordPressReader:
    """A WXR export as records; ``planned`` is every address it gives a page."""

    def __init__(self, export: Export, uploads: Path | None, report: ImportReport,
                 say: Say) -> None:
        self.export = export
        self.uploads = uploads
        self.say = say
        self.report = report
        self.origin = f"{urlsplit(export.link).scheme}://{urlsplit(export.link).netloc}"
        self.media: dict[str, str] = {}  # old URL -> new path, for files found
        self.copies: list[Imported] = []  # media found since the last record was given
        self.authors = {a.login: a.name for a in export.authors}
        self.planned: list[str] = []
        self._moved: tuple[dict[str, str], re.Pattern[str] | None] = ({}, None)

    def records(self) -> Iterator[Imported]:
        export = self.export
        yield SiteInfo("WordPress", export.title, export.link, export.language or "en")
        attachments = self._attachments()
        yield from self._taken()
        yield from self._terms()
        items = [i for i in export.items if i.type in ("post", "page")]
        self._say_what_is_left(items)
        new_urls = self._plan(items)
        self.planned = list(new_urls.values())
        # Old path -> new URL, and what finds links to the old site: made once, not per body.
        self._moved = ({_decoded(urlsplit(i.link).path): new_urls[i.id]
                        for i in export.items if i.id in new_urls and i.link},
                       re.compile(re.escape(self.origin) + r"(/[^\s\"'<>()#?]*)")
                       if self.origin != "://" else None)
        started = last = time.monotonic()
        for done, item in enumerate(items, 1):
            yield from self._item(item, new_urls, attachments)
            yield from self._taken()
            if time.monotonic() - last > PROGRESS_EVERY:
                last = time.monotonic()
                self.say(f"import: {done} of {len(items)} posts and pages "
                         f"({last - started:.0f} s)")

    def _taken(self) -> Iterator[Imported]:
        """The media files found since the last call."""
        yield from self.copies
        self.copies.clear()

    def _say_what_is_left(self, items: list[Item]) -> None:
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

    def _attachments(self) -> Attachments:
        found = Attachments()
        for item in self.export.items:
            if item.type == "attachment" and item.attachment_url:
                url = self._local(item.attachment_url)
                found.urls[item.id] = url
                found.of_post.setdefault(item.parent, []).append(url)
        return found

    def _local(self, url: str) -> str:
        """The site's own copy of an uploaded file (to be copied), or the old address
        when the uploads folder does not have it."""
        if url in self.media:
            return self.media[url]
        match = _UPLOADS.match(url) or _WPCOM_FILES.match(url)
        rel = unquote(match.group(1)) if match else ""
        source = inside(self.uploads, rel) if self.uploads and rel else None
        if source is None or self.uploads is None:
            if url not in self.report.missing_media:
                self.report.missing_media.append(url)
            self.media[url] = url
            return url
        rel = source.relative_to(self.uploads.resolve()).as_posix()  # no ../ left in it
        self.copies.append(Media(f"uploads/{rel}", source))
        self.media[url] = f"/uploads/{rel}"
        return self.media[url]

    def _terms(self) -> Iterator[Imported]:
        parents = {c.slug: c for c in self.export.categories}
        for category in self.export.categories:
            slug = readable_slug(category.slug, banter_slug(category.name) or "category")
            yield Category(slug, _plain(category.name) or slug, _plain(category.description))
            chain, seen = [category.slug], {category.slug}
            while parents.get(chain[0]) and parents[chain[0]].parent and \
                    parents[chain[0]].parent not in seen:
                seen.add(parents[chain[0]].parent)
                chain.insert(0, parents[chain[0]].parent)
            yield Redirect("/category/" + "/".join(unquote(c) for c in chain) + "/",
                           f"/categories/{slug}/")
        used = {t.slug for i in self.export.items if i.type == "post"
                and i.status in PUBLISHED and not i.password for t in i.tags}
        for tag in self.export.tags:  # a tag no published story has: the list of tags
            yield Redirect(f"/tag/{unquote(tag.slug)}/",
                           f"/tags/{banter_slug(_plain(tag.name) or tag.slug)}/"
                           if tag.slug in used else "/tags/")
        for login, name in self.authors.items():
            slug = readable_slug(login, "author")
            yield Author(slug, name)
            yield Redirect(f"/author/{login}/", f"/authors/{slug}/")

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

    def _item(self, item: Item, new_urls: dict[str, str], attachments: Attachments
              ) -> Iterator[Imported]:
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
            yield Story(slug, fields, body, "drafts" if draft else (
                "scheduled posts" if item.status == "future" else "posts"))
        else:
            yield Page(slug, {"title": title, "draft": True if draft else None}, body)
        if item.link and not draft:
            yield Redirect(_decoded(urlsplit(item.link).path) or "/", url)

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


def import_wordpress(export: Path, site: Path, uploads: Path | None = None,
                     force: bool = False, say: Say = print) -> ImportReport:
    report = ImportReport()
    reader = WordPressReader(read_export(export), uploads, report, say)
    writer = ImportWriter(site, force, report)
    for record in reader.records():
        writer.write(record)
    return writer.finish(reader.planned)
