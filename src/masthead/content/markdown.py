"""Markdown to HTML: pyromark (pulldown-cmark) for speed, then one HTML pass.

pyromark gives CommonMark with GFM tables, strikethrough, footnotes and raw HTML
kept. What it lacks is done in a single selectolax pass over the result: heading
ids and the table of contents, bare-URL autolinks, footnote ids that cannot clash
with heading ids, width/height and lazy loading on images, and removal of markup
that the HTML standard made obsolete (``frameborder``, ``charset`` on scripts).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pyromark
from selectolax.lexbor import LexborHTMLParser, LexborNode

from masthead.content.slugs import anchor_slug

_OPTIONS = (
    pyromark.Options.ENABLE_TABLES
    | pyromark.Options.ENABLE_STRIKETHROUGH
    | pyromark.Options.ENABLE_FOOTNOTES
    | pyromark.Options.ENABLE_TASKLISTS
    | pyromark.Options.ENABLE_HEADING_ATTRIBUTES
    | pyromark.Options.ENABLE_SMART_PUNCTUATION
)
_URL = re.compile(r"(?<![\w/@])(https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]}])")
_NO_LINKIFY = {"a", "code", "pre", "script", "style", "kbd", "samp", "textarea"}
_WORD = re.compile(r"\w+")
_TAG = re.compile(r"<[^>]+>")
_OBSOLETE = {
    "iframe": ("frameborder", "scrolling", "marginwidth", "marginheight", "align"),
    "script": ("charset", "language"),
    "img": ("border", "align", "hspace", "vspace"),
    "table": ("border", "cellpadding", "cellspacing", "align", "width"),
}

ImageSize = Callable[[str], "tuple[int, int] | None"]


@dataclass(frozen=True, slots=True)
class TocEntry:
    level: int
    id: str
    text: str


@dataclass(frozen=True, slots=True)
class RenderedMarkdown:
    html: str
    toc: tuple[TocEntry, ...] = ()
    images: tuple[str, ...] = field(default=())


def count_words(markdown: str) -> int:
    """Words a reader reads: tags and URLs do not count."""
    return len(_WORD.findall(_TAG.sub(" ", markdown)))


def render_markdown(markdown: str, image_size: ImageSize | None = None) -> RenderedMarkdown:
    html = pyromark.html(markdown, options=_OPTIONS)
    if not html.strip():
        return RenderedMarkdown("")
    tree = LexborHTMLParser(f"<div id=masthead-root>{html}</div>")
    root = tree.css_first("#masthead-root")
    assert root is not None
    _normalize_headings(root)
    toc = _heading_ids(root)
    _autolink(root)
    _footnotes(root)
    images = _images(root, image_size)
    _drop_obsolete(root)
    _drop_remote_scripts(root)
    _wrap_tables(root)
    return RenderedMarkdown(root.inner_html or "", tuple(toc), tuple(images))


def _level(node: LexborNode) -> int:
    return int((node.tag or "h2")[1])


def _normalize_headings(root: LexborNode) -> None:
    """Make the body's top heading level h2: the page's title is its only h1, and a
    body that starts at ### would skip a level (screen readers navigate by them)."""
    headings = root.css("h1, h2, h3, h4, h5, h6")
    if not headings:
        return
    shift = 2 - min(_level(node) for node in headings)
    if shift == 0:
        return
    for node in headings:
        level = min(6, max(2, _level(node) + shift))
        attrs = "".join(f' {k}="{_escape(v or "")}"' for k, v in node.attrs.items())
        replacement = LexborHTMLParser(
            f"<h{level}{attrs}>{node.inner_html or ''}</h{level}>").css_first(f"h{level}")
        assert replacement is not None
        node.insert_before(replacement)
        node.decompose()


def _heading_ids(root: LexborNode) -> list[TocEntry]:
    seen: set[str] = set()
    for node in root.css("[id]"):
        seen.add(node.attrs.get("id") or "")
    toc = []
    for node in root.css("h1, h2, h3, h4, h5, h6"):
        text = node.text(deep=True).strip()
        ident = node.attrs.get("id")
        if not ident:
            base = anchor_slug(text)
            ident, number = base, 1
            while ident in seen:
                number += 1
                ident = f"{base}-{number}"
            seen.add(ident)
            node.attrs["id"] = ident
        toc.append(TocEntry(_level(node), ident, text))
    return toc


def _autolink(root: LexborNode) -> None:
    targets = []
    for node in root.traverse(include_text=True):
        if node.tag != "-text":
            continue
        text = node.text_content or ""
        if "http" not in text or not _URL.search(text):
            continue
        parent, skip = node.parent, False
        while parent is not None and parent is not root:
            if parent.tag in _NO_LINKIFY:
                skip = True
                break
            parent = parent.parent
        if not skip:
            targets.append(node)
    for node in targets:
        text = node.text_content or ""
        pieces, last = [], 0
        for match in _URL.finditer(text):
            pieces.append(_escape(text[last:match.start()]))
            url = _escape(match.group(1))
            pieces.append(f'<a href="{url}">{url}</a>')
            last = match.end()
        pieces.append(_escape(text[last:]))
        fragment = LexborHTMLParser(f"<div>{''.join(pieces)}</div>").css_first("div")
        assert fragment is not None
        for child in list(fragment.iter(include_text=True)):
            node.insert_before(child)
        node.decompose()


def _footnotes(root: LexborNode) -> None:
    for ref in root.css("sup.footnote-reference a"):
        href = ref.attrs.get("href") or ""
        if href.startswith("#"):
            ref.attrs["href"] = f"#fn-{href[1:]}"
            ref.attrs["id"] = f"fnref-{href[1:]}"
    for definition in root.css("div.footnote-definition"):
        ident = definition.attrs.get("id")
        if ident:
            definition.attrs["id"] = f"fn-{ident}"


def _images(root: LexborNode, image_size: ImageSize | None) -> list[str]:
    used = []
    for img in root.css("img"):
        src = img.attrs.get("src") or ""
        used.append(src)
        if "alt" not in img.attrs:
            img.attrs["alt"] = ""
        img.attrs["loading"] = "lazy"
        img.attrs["decoding"] = "async"
        if image_size and "width" not in img.attrs:
            size = image_size(src)
            if size:
                img.attrs["width"] = str(size[0])
                img.attrs["height"] = str(size[1])
    return used


def _drop_obsolete(root: LexborNode) -> None:
    for tag, names in _OBSOLETE.items():
        for node in root.css(tag):
            for name in names:
                if name in node.attrs:
                    del node.attrs[name]
            if tag == "iframe":
                node.attrs["loading"] = "lazy"
                if not node.attrs.get("title"):
                    node.attrs["title"] = "Embedded content"


def _drop_remote_scripts(root: LexborNode) -> None:
    """Third-party scripts in a body (Twitter's widgets.js, say) would tell another company
    who reads what, and fail where it is blocked; the quoted text stays readable."""
    for script in root.css("script[src]"):
        src = script.attrs.get("src") or ""
        if src.startswith(("http:", "https:", "//")):
            script.decompose()


def _wrap_tables(root: LexborNode) -> None:
    """Wide tables scroll inside their own box instead of widening the page on phones."""
    for table in root.css("table"):
        wrapper = LexborHTMLParser(
            '<div class="table-wrap" tabindex="0" role="region" aria-label="Table">'
            f"{table.html}</div>"
        ).css_first("div.table-wrap")
        assert wrapper is not None
        table.insert_before(wrapper)
        table.decompose()


def _escape(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))
