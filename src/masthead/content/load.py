"""From files to typed content, per language, with every problem reported.

Each file is read and parsed once. A file with errors is skipped (its diagnostics
kept) so that one bad post does not hide the problems of the others. A language
that lacks a file gets the default language's file of the same slug, as our first
user's Next.js site did.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from sys import intern
from typing import Any

from masthead.config import SiteConfig
from masthead.content.dates import EXAMPLE, ZERO_DATE, DateProblem, parse_date
from masthead.content.discover import Layout, SourceFile, source_of
from masthead.content.frontmatter import Document, parse_document
from masthead.content.markdown import count_words, media_refs
from masthead.content.models import (
    Author,
    Body,
    Category,
    Entry,
    Newsletter,
    Page,
    Reference,
    SocialProfile,
)
from masthead.content.slugs import banter_slug
from masthead.content.text import read_text
from masthead.errors import Diagnostic, Reporter, Severity, closest
from masthead.media import PublicFiles
from masthead.options import BuildOptions
from masthead.parallel import default_jobs, fork_map
from masthead.safeurl import link_ok, source_ok

_ENTRY_KEYS = {
    "title", "description", "image", "date", "modified", "author", "time_to_read_in_minutes",
    "views", "category", "tags", "group", "draft", "youtubeId", "slug", "lang",
}
_AUTHOR_KEYS = {"name", "image", "role", "title", "order", "social_links", "externalAuthorLink",
                "draft", "description"}


@dataclass
class LanguageContent:
    """Everything one language's site is made of."""

    lang: str
    posts: list[Entry] = field(default_factory=list)
    items: dict[str, list[Entry]] = field(default_factory=dict)
    authors: list[Author] = field(default_factory=list)
    categories: list[Category] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)
    newsletter: Newsletter = field(default_factory=Newsletter)


@dataclass
class Content:
    languages: dict[str, LanguageContent]
    skipped: list[Entry]  # drafts and scheduled entries left out of this build
    cache: dict[str, CachedModel] = field(default_factory=dict)  # to keep for the next build


def load_content(config: SiteConfig, layout: Layout, files: list[SourceFile],
                 public: PublicFiles, options: BuildOptions, reporter: Reporter,
                 cache: dict[str, CachedModel] | None = None,
                 meanwhile: Callable[[], None] | None = None,
                 digests: bool = True,
                 progress: Callable[[int, int], None] | None = None) -> Content:
    """Parse every file into its model (in ``options.jobs`` workers), then put each
    language's content together. ``meanwhile`` is work for this process while workers
    read (see ``fork_map``); ``digests``: whether the cache entries need the digests of
    the files' text."""
    models, kept = read_models(config, layout, files, public, reporter,
                               options.jobs or default_jobs(), cache, meanwhile, digests,
                               progress)
    by_lang: dict[str, dict[tuple[str, str], Any]] = {code: {} for code in layout.languages}
    shared: dict[tuple[str, str], Any] = {}
    for source, model in zip(files, models, strict=True):
        if model is None:
            continue
        key = (source.kind, source.slug)
        target = by_lang[source.lang] if source.lang else shared
        if key in target:
            first = target[key]
            reporter.error(source.rel, 1, f"duplicate slug '{source.slug}': "
                           f"{getattr(first, 'source', '?')} already uses it",
                           "rename one of the two files")
            continue
        target[key] = model
    _stories_written_twice(shared, by_lang, layout, reporter)

    default = layout.default_language
    languages: dict[str, LanguageContent] = {}
    skipped: list[Entry] = []
    for code in layout.languages:
        merged: dict[tuple[str, str], Any] = {}
        for key, model in shared.items():
            merged[key] = _relang(model, code)
        if code != default:
            for key, model in by_lang[default].items():
                merged[key] = _relang(model, code)
        merged.update(by_lang[code])
        languages[code] = _assemble(code, merged, layout, options, skipped)
    return Content(languages, skipped, kept)


def _stories_written_twice(shared: dict[tuple[str, str], Any],
                           by_lang: dict[str, dict[tuple[str, str], Any]], layout: Layout,
                           reporter: Reporter) -> None:
    """A story outside the language folders and one inside one at the same address: an
    error naming both (the second once replaced the first without a word). Authors,
    categories and pages keep the shared file as the default of a translated one."""
    stories = {"posts", *(c.name for c in layout.collections)}
    for code, models in by_lang.items():
        for key in [k for k in models if k in shared and k[0] in stories]:
            first, second = shared.pop(key), models[key]
            reporter.error(getattr(second, "source", "?"), 1,
                           f"two files for one story '{key[1]}' ({code}): "
                           f"{getattr(first, 'source', '?')} and "
                           f"{getattr(second, 'source', '?')}",
                           "rename one of them, or move it into its language's folder")


@dataclass
class CachedModel:
    """A file's model (None if the file had errors) and its diagnostics, with the size and
    modification time of the file they were made from."""

    mtime_ns: int
    size: int
    model: Any
    diagnostics: list[Diagnostic]
    digest: str = ""  # of the file's text: what changed pages are recognised by


def read_models(config: SiteConfig, layout: Layout, files: list[SourceFile],
                public: PublicFiles, reporter: Reporter, jobs: int = 1,
                cache: dict[str, CachedModel] | None = None,
                meanwhile: Callable[[], None] | None = None,
                digests: bool = True,
                progress: Callable[[int, int], None] | None = None
                ) -> tuple[list[Any], dict[str, CachedModel]]:
    """The model of each file (None where the file has errors), in the order given, and
    the cache entries to keep for the next build (with the digest of each file's text
    unless ``digests`` is false: a build that keeps no cache has no use for them).

    A file whose size and modification time match its cache entry is not read again.
    Reading and YAML parsing are most of the load stage; with many files to parse they
    run in forked workers, which return the models and their diagnostics.
    """
    cache = cache or {}
    entries: list[CachedModel | None] = [None] * len(files)
    todo: list[int] = []
    for index, source in enumerate(files):
        hit = cache.get(source.rel)
        if hit and hit.mtime_ns == source.mtime_ns and hit.size == source.size:
            entries[index] = hit
        else:
            todo.append(index)

    def work(part: range) -> list[tuple[int, Any, list[Diagnostic], str]]:
        results = []
        for position in part:
            index = todo[position]
            local = Reporter()
            model, text_digest = _Reader(config, public, local).load(
                files[index], layout.default_language, digests)
            results.append((index, model, local.diagnostics, text_digest))
        return results

    if progress:
        progress(0, len(todo))
    read = 0
    for results in fork_map(work, len(todo), jobs, 500, 2000, meanwhile):
        read += len(results)
        if progress:
            progress(read, len(todo))
        for index, model, diagnostics, text_digest in results:
            source = files[index]
            entries[index] = CachedModel(source.mtime_ns, source.size, model, diagnostics,
                                         text_digest)
    models = []
    kept = {}
    for source, entry in zip(files, entries, strict=True):
        assert entry is not None
        for diagnostic in entry.diagnostics:
            reporter.add(diagnostic)
        models.append(entry.model)
        kept[source.rel] = entry
    return models, kept


def check_file(config: SiteConfig, layout: Layout, rel: str, text: str) -> list[Diagnostic]:
    """What the build would say of the content file ``rel`` if it held ``text``: its own
    errors and warnings, with the line in ``text``. The desk asks before it writes a story
    into the site, so that a story that cannot build never reaches the site's folder."""
    source = source_of(config, layout, rel)
    if source is None:
        return [Diagnostic(rel, None, "not a content file", "stories go in content/posts/")]
    parsed = parse_document(source, text)
    if isinstance(parsed, Diagnostic):
        return [parsed]
    reporter = Reporter()
    _Reader(config, PublicFiles(config.root / "public"), reporter).model(
        parsed, source.lang or layout.default_language)
    return reporter.diagnostics


def _read_text(source: SourceFile, reporter: Reporter) -> str | None:
    removed: list[int] = []
    try:
        text = read_text(source.file, removed)
        if removed:
            reporter.warning(source.rel, removed[0], "control characters (such as NUL) that "
                             "pages and feeds cannot carry were left out",
                             "delete them: they are invisible, and often come from a copy")
        return text
    except UnicodeDecodeError as exc:
        reporter.error(source.rel, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})",
                       "save the file as UTF-8")
    except OSError as exc:
        reporter.error(source.rel, None, f"cannot read: {exc.strerror}")
    return None


def _relang(model: Any, code: str) -> Any:
    if isinstance(model, Newsletter) or model.lang == code:
        return model
    return replace(model, lang=code)


def _assemble(code: str, merged: dict[tuple[str, str], Any], layout: Layout,
              options: BuildOptions, skipped: list[Entry]) -> LanguageContent:
    result = LanguageContent(code, items={c.name: [] for c in layout.collections})
    for (kind, _slug), model in sorted(merged.items()):
        if isinstance(model, Entry):
            if model.draft and not options.drafts:
                skipped.append(model)
                continue
            if model.date > options.now and not options.future:
                skipped.append(model)
                continue
            if kind == "posts":
                result.posts.append(model)
            else:
                result.items.setdefault(kind, []).append(model)
        elif isinstance(model, Author):
            result.authors.append(model)
        elif isinstance(model, Category):
            result.categories.append(model)
        elif isinstance(model, Page):
            result.pages.append(model)
        elif isinstance(model, Newsletter):
            result.newsletter = model
    return result


class _DraftReporter(Reporter):
    """A draft's diagnostics: its errors become warnings (it is not published), and
    whether it had any is kept."""

    def __init__(self, real: Reporter) -> None:
        super().__init__()
        self.real = real
        self.failed = False

    def add(self, diagnostic: Diagnostic) -> None:
        if diagnostic.severity is Severity.ERROR:
            self.failed = True
            diagnostic = replace(
                diagnostic, severity=Severity.WARNING,
                message=f"{diagnostic.message} (a draft: left out until this is mended)")
        self.real.add(diagnostic)


class _Reader:
    """Turns one parsed Document into a model, reporting each bad field."""

    def __init__(self, config: SiteConfig, public: PublicFiles, reporter: Reporter) -> None:
        self.config = config
        self.public = public
        self.reporter = reporter

    def load(self, source: SourceFile, default_language: str,
             digest: bool = True) -> tuple[Any, str]:
        """Read, parse and validate one file: (model or None if it has errors, digest of
        its text, or "" when not ``digest``)."""
        text = _read_text(source, self.reporter)
        if text is None:
            return None, ""
        text_digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"),
                                      digest_size=16).hexdigest() if digest else ""
        parsed = parse_document(source, text)
        if isinstance(parsed, Diagnostic):
            self.reporter.add(parsed)
            return None, text_digest
        return self.model(parsed, source.lang or default_language), text_digest

    def model(self, doc: Document, lang: str) -> Any:
        """The model, or None when the file has errors. A draft never stops a build (an
        archive's drafts hold zero dates and half-written fields): its errors are said
        as warnings and the draft is left out."""
        if doc.meta.get("draft") is not True:
            return self._model(doc, lang)
        real = self.reporter
        self.reporter = lenient = _DraftReporter(real)
        try:
            model = self._model(doc, lang)
        finally:
            self.reporter = real
        return None if lenient.failed else model

    def _model(self, doc: Document, lang: str) -> Any:
        kind = doc.source.kind
        before = len(self.reporter.errors)
        if kind == "authors":
            model: Any = self.author(doc, lang)
        elif kind == "categories":
            model = self.category(doc, lang)
        elif kind == "pages":
            model = self.page(doc, lang)
        elif kind == "shared":
            model = self.newsletter(doc) if doc.source.slug == "newsletter" else None
        else:
            model = self.entry(doc, lang)
        return model if len(self.reporter.errors) == before else None

    # --- fields -------------------------------------------------------------------------

    def error(self, doc: Document, key: str, message: str, hint: str | None = None) -> None:
        self.reporter.error(doc.source.rel, doc.line_of(key) or 1, message, hint)

    def warn(self, doc: Document, key: str, message: str, hint: str | None = None) -> None:
        self.reporter.warning(doc.source.rel, doc.line_of(key) or 1, message, hint)

    def text(self, doc: Document, key: str, required: bool = False) -> str:
        value = doc.meta.get(key)
        if value is None:
            if required:
                self.reporter.error(doc.source.rel, 1, f"'{key}' is missing",
                                    f"add a line '{key}: ...' to the front matter")
            return ""
        if isinstance(value, (dict, list)):
            self.error(doc, key, f"'{key}' must be text, not a "
                       f"{'list' if isinstance(value, list) else 'mapping'}",
                       f"write {key}: \"...\"")
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value).strip()

    def number(self, doc: Document, key: str, default: int, minimum: int = 0) -> int:
        value = doc.meta.get(key)
        if value is None or value == "":
            return default
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            self.error(doc, key, f"'{key}' must be a whole number of at least {minimum} "
                       f"({value!r})", f"write {key}: {max(default, minimum)}")
            return default
        return value

    def flag(self, doc: Document, key: str) -> bool:
        value = doc.meta.get(key, False)
        if value is None:
            return False
        if not isinstance(value, bool):
            self.error(doc, key, f"'{key}' must be true or false ({value!r})",
                       f"write {key}: true")
            return False
        return value

    def link(self, doc: Document, key: str) -> str:
        """A link a reader follows: a web address, mailto:, tel: or a path."""
        url = self.text(doc, key)
        if url and not link_ok(url):
            self.error(doc, key, f"'{key}' ({url[:80]!r}) is not a web address",
                       "links may be https://..., http://..., mailto:, tel: or a path such "
                       "as /about")
            return ""
        return url

    def youtube(self, doc: Document) -> str:
        video = self.text(doc, "youtubeId")
        if video and not YOUTUBE_ID.match(video):
            self.error(doc, "youtubeId", f"'youtubeId' ({video[:40]!r}) is not a YouTube "
                       "video id", "write the 11 characters after watch?v= in the video's "
                       'address, e.g. youtubeId: "dQw4w9WgXcQ"')
            return ""
        return video

    def image(self, doc: Document, key: str = "image") -> str:
        url = self.text(doc, key)
        if url[:5].lower() == "data:":  # an archive's inline picture: no file to show
            self.warn(doc, key, f"image {url[:40]!r}... is written into the file (a data: "
                      "address); left out", f'put the picture under public/ and write {key}: '
                      '"/images/photo.jpg"')
            return ""
        if url and not source_ok(url):
            self.error(doc, key, f"image {url[:80]!r} is neither a path nor an http(s) URL",
                       f'write {key}: "/images/photo.jpg"')
            return ""
        if url and not url.startswith(("/", "http://", "https://")) and "://" not in url:
            mended = "/" + re.sub(r"^(?:\.{1,2}/)+", "", url)  # ../wp-content/x.jpg
            self.warn(doc, key, f"image '{url[:80]}' is written relative to the file; read as "
                      f"'{mended[:80]}'", f'write {key}: "{mended[:80]}"')
            url = mended
        if url and self.public.is_local(url) and not self.public.exists(url):
            self.warn(doc, key, f"image '{url}' does not exist; the page is shown without it",
                      f"put the file at public{url}, or correct the path")
            return ""
        return url

    def date(self, doc: Document, key: str, required: bool) -> dt.datetime | None:
        value = doc.meta.get(key)
        if value is None or value == "":
            if required:
                self.reporter.error(doc.source.rel, 1, f"'{key}' is missing",
                                    f"add a line '{key}: \"{EXAMPLE}\"'")
            return None
        if ZERO_DATE.match(str(value)):
            if required:
                self.error(doc, key, f"'{key}' is a zero date ({value}), what WordPress "
                           "writes for 'no date'", f"give the story its date, e.g. {EXAMPLE}")
            else:
                self.warn(doc, key, f"'{key}' is a zero date ({value}); read as no date")
            return None
        try:
            parsed, naive = parse_date(value, self.config.zone)
        except DateProblem as exc:
            self.error(doc, key, f"'{key}' {exc}", f"use an ISO date such as {EXAMPLE}")
            return None
        if naive:
            self.warn(doc, key, f"'{key}' has no time zone offset; read in "
                      f"{self.config.timezone}", f"write it with an offset, e.g. {EXAMPLE}")
        return parsed

    def body(self, doc: Document) -> Body:
        images, frames = media_refs(doc.body)
        return Body(doc.body, doc.body_line, doc.source.rel, doc.source.file,
                    doc.body_offset, images, frames)

    def unknown_keys(self, doc: Document, known: set[str]) -> None:
        for key in doc.meta:
            if key in known:
                continue
            near = closest(key, known)
            if near and near != key:
                self.warn(doc, key, f"unknown key '{key}'", f"did you mean '{near}'?")

    # --- models -------------------------------------------------------------------------

    def entry(self, doc: Document, lang: str) -> Entry | None:
        meta = doc.meta
        self.unknown_keys(doc, _ENTRY_KEYS)
        title = self.text(doc, "title", required=True)
        date = self.date(doc, "date", required=True)
        modified = self.date(doc, "modified", required=False)
        tags = self.tags(doc)
        minutes = self.number(doc, "time_to_read_in_minutes", 0, minimum=1)
        if not minutes:  # computed only when not written: counting words is not free
            words = count_words(doc.body)
            minutes = max(1, math.ceil(words / max(1, self.config.words_per_minute)))
        author = self.text(doc, "author")
        category = self.text(doc, "category")
        if date is None:
            return None
        known = _ENTRY_KEYS
        # Names that recur across files (tags, authors, categories, groups) as one string
        # object each: models cross from the readers to the builder pickled in batches,
        # where an object met before is a reference (half the time to write and load).
        return Entry(
            collection=doc.source.kind, slug=doc.source.slug, lang=lang, source=doc.source.rel,
            title=title, description=self.text(doc, "description"), image=self.image(doc),
            date=date, modified=modified, instant=date.timestamp(),
            author=Reference(intern(author), doc.line_of("author")) if author else None,
            category=Reference(intern(category), doc.line_of("category")) if category else None,
            tags=tags, group=intern(self.text(doc, "group")), draft=self.flag(doc, "draft"),
            views=self.number(doc, "views", 0), reading_minutes=minutes,
            youtube_id=self.youtube(doc), body=self.body(doc),
            extra={k: v for k, v in meta.items() if k not in known},
        )

    def tags(self, doc: Document) -> tuple[str, ...]:
        value = doc.meta.get("tags")
        if value is None:
            return ()
        if isinstance(value, str):
            value = [part for part in value.split(",")]
        if not isinstance(value, list):
            self.error(doc, "tags", "'tags' must be a list", "write tags: [Culture, History]")
            return ()
        if len(value) > MAX_TAGS:
            # every tag has its pages and feeds, each listing the story with all its tags:
            # the first ones are kept (a real archive's monthly round-up has over a hundred)
            self.warn(doc, "tags", f"a story may have at most {MAX_TAGS} tags; this one has "
                      f"{len(value)}: the first {MAX_TAGS} are kept",
                      "keep the tags that readers would follow")
            value = value[:MAX_TAGS]
        result: list[str] = []
        for tag in value:
            if isinstance(tag, (dict, list)) or tag is None:
                self.error(doc, "tags", f"tag {tag!r} is not a name",
                           "write tags: [Culture, History]")
                continue
            name = str(tag).strip()
            if name and not banter_slug(name).strip("."):  # it could take a page's address
                self.warn(doc, "tags", f"tag {name[:40]!r} has no letter or digit to make its "
                          "address from; left out", "name the tag with a word, e.g. tags: "
                          "[Culture]")
                continue
            if name and name not in result:
                result.append(intern(name))
        return tuple(result)

    def author(self, doc: Document, lang: str) -> Author:
        self.unknown_keys(doc, _AUTHOR_KEYS)
        links_raw = doc.meta.get("social_links") or []
        links = []
        if not isinstance(links_raw, list):
            self.error(doc, "social_links", "'social_links' must be a list of {name, url}")
            links_raw = []
        for link in links_raw:
            if isinstance(link, dict) and link.get("url") and not link_ok(str(link["url"])):
                self.error(doc, "social_links", f"social link {str(link['url'])[:80]!r} is not "
                           "a web address", "write its https:// address")
            elif isinstance(link, dict) and link.get("url"):
                links.append(SocialProfile(str(link.get("name") or link["url"]), str(link["url"])))
            else:
                self.error(doc, "social_links", f"social link {link!r} needs a 'url'",
                           "write - name: \"twitter\"\n      url: \"https://...\"")
        return Author(
            slug=doc.source.slug, lang=lang, source=doc.source.rel,
            name=self.text(doc, "name", required=True), image=self.image(doc),
            role=self.text(doc, "role"), title=self.text(doc, "title"),
            order=self.number(doc, "order", 1000), social_links=tuple(links),
            external_link=self.link(doc, "externalAuthorLink"), body=self.body(doc))

    def category(self, doc: Document, lang: str) -> Category:
        return Category(
            slug=doc.source.slug, lang=lang, source=doc.source.rel,
            name=self.text(doc, "name", required=True), image=self.image(doc),
            description=self.text(doc, "description") or doc.body.strip())

    def page(self, doc: Document, lang: str) -> Page:
        sections = {k: v for k, v in doc.meta.items() if isinstance(v, (dict, list))}
        header = sections.get("header") if isinstance(sections.get("header"), dict) else {}
        assert isinstance(header, dict)
        title = self.text(doc, "title") or str(header.get("heading") or "") \
            or doc.source.slug.replace("-", " ").title()
        for section in sections.values():
            self._check_section_images(doc, section)
        return Page(slug=doc.source.slug, lang=lang, source=doc.source.rel, title=title,
                    description=self.text(doc, "description"), sections=sections,
                    body=self.body(doc))

    def _check_section_images(self, doc: Document, value: Any) -> None:
        """Images of a page's sections exist; their links and images are web addresses
        (a section may hold any keys: those that name a link or an image are checked)."""
        if isinstance(value, dict):
            for key, inner in value.items():
                name = str(key).lower()
                if isinstance(inner, str) and inner and not (
                        source_ok(inner) if name in _IMAGE_KEYS else
                        link_ok(inner) if name.endswith(_LINK_KEYS) else True):
                    self.reporter.error(doc.source.rel, _find_line(doc, inner),
                                        f"'{key}' ({inner[:80]!r}) is not a web address",
                                        "write an https:// address or a path such as /about")
                    value[key] = ""
                elif name in _IMAGE_KEYS and isinstance(inner, str) and inner \
                        and self.public.is_local(inner) and not self.public.exists(inner):
                    self.reporter.warning(doc.source.rel, _find_line(doc, inner),
                                          f"image '{inner}' does not exist; the page is "
                                          "shown without it",
                                          f"put the file at public{inner}, or correct the "
                                          "path")
                    value[key] = ""
                else:
                    self._check_section_images(doc, inner)
        elif isinstance(value, list):
            for inner in value:
                self._check_section_images(doc, inner)

    def newsletter(self, doc: Document) -> Newsletter:
        defaults = Newsletter()
        return Newsletter(
            title=self.text(doc, "title"), subtext=self.text(doc, "subtext"),
            placeholder=self.text(doc, "formPlaceholder") or defaults.placeholder,
            button=self.text(doc, "formButtonText") or defaults.button,
            action=self.link(doc, "formAction") or defaults.action,
            footer=self.text(doc, "formFooterText"))


MAX_TAGS = 100
_IMAGE_KEYS = {"image", "logo", "icon", "src", "avatar", "photo"}
_LINK_KEYS = ("link", "href", "url", "action")
YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{6,20}$")


def _find_line(doc: Document, needle: str) -> int | None:
    index = doc.text.find(needle)
    return doc.text.count("\n", 0, index) + 1 if index >= 0 else None
