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
from typing import TYPE_CHECKING

import pyromark

from masthead.content.embeds import EmbedPolicy, make_embeds_safe, tweet_card_from_code
from masthead.content.sanitize import needs_sanitizing, sanitize
from masthead.content.slugs import anchor_slug
from masthead.speedups import enabled as speedups_enabled

_OPTIONS = (
    pyromark.Options.ENABLE_TABLES
    | pyromark.Options.ENABLE_STRIKETHROUGH
    | pyromark.Options.ENABLE_FOOTNOTES
    | pyromark.Options.ENABLE_TASKLISTS
    | pyromark.Options.ENABLE_HEADING_ATTRIBUTES
    | pyromark.Options.ENABLE_SMART_PUNCTUATION
)
_URL = re.compile(r"(h(?<![\w/@]h)ttps?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]}])")
_HEADINGS = "h1, h2, h3, h4, h5, h6"
_TAG_NAME = re.compile(r"<([a-z][a-z0-9-]*)")  # over the HTML in lower case
_IMG_TAGS = {"img", "image"}  # an <image> tag makes an <img>
_REFERENCE = re.compile("&(?:#|colon;|sol;)")  # what could write "http://" unseen
_NO_LINKIFY = {"a", "code", "pre", "script", "style", "kbd", "samp", "textarea"}
_TAG = re.compile(r"<[^>]+>")
_OBSOLETE = {
    "iframe": ("frameborder", "scrolling", "marginwidth", "marginheight", "align"),
    "script": ("charset", "language"),
    "img": ("border", "align", "hspace", "vspace"),
    "table": ("border", "cellpadding", "cellspacing", "align", "width"),
}

ImageSize = Callable[[str], "tuple[int, int] | None"]
Srcsets = Callable[[str], "tuple[tuple[str, str], ...]"]  # src -> ((MIME type, srcset), ...)
BODY_SIZES = "(min-width: 48rem) 44rem, 100vw"  # the width of .prose in the theme


@dataclass(frozen=True)
class BodyMedia:
    """What a body's images and embeds become: sizes, responsive variants, facades."""

    size: ImageSize | None = None
    srcsets: Srcsets | None = None
    sizes: str = BODY_SIZES
    embeds: EmbedPolicy | None = None
    allow_tags: tuple[str, ...] = ()  # beyond the sanitizer's safe set (html_allow_tags)
    allow_attributes: tuple[str, ...] = ()


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
    """Words a reader reads, as runs between spaces (how Hugo counts them; five times
    faster than matching word characters, and a 10,000-post build counts every post).
    Raw HTML tags do not count; a URL or a Markdown mark counts as one word at most."""
    return len((_TAG.sub(" ", markdown) if "<" in markdown else markdown).split())


def render_markdown(markdown: str, media: BodyMedia | ImageSize | None = None
                    ) -> RenderedMarkdown:
    """A body's HTML, safe to publish: raw HTML, and any link whose scheme is not allowed,
    goes through the sanitizer (``content/sanitize.py``)."""
    if not isinstance(media, BodyMedia):
        media = BodyMedia(size=media)
    raw = "<" in markdown and _RAW_HTML.search(markdown) is not None  # "in" scans 20x faster
    done = _render(markdown, media, raw)
    if raw or needs_sanitizing(done.html):
        allow = media.embeds.allow if media.embeds else frozenset()
        return RenderedMarkdown(sanitize(done.html, allow, media.allow_tags,
                                         media.allow_attributes), done.toc, done.images)
    return done


def _render(markdown: str, media: BodyMedia, raw: bool) -> RenderedMarkdown:
    if not speedups_enabled():  # the reference: every body through the DOM pass
        html = pyromark.html(markdown, options=_OPTIONS)
        return _dom_pass(html, media) if html.strip() else RenderedMarkdown("")
    if raw:
        blocks = _standalone_blocks(markdown)
        if blocks:
            split = _split_pass(markdown, blocks, media)
            if split is not None:
                return split
    html = pyromark.html(markdown, options=_OPTIONS)
    if not html.strip():
        return RenderedMarkdown("")
    return _dom_pass(html, media) if raw else _fast_pass(html, media, markdown)


_IMAGE_EXT = r"\.(?i:jpe?g|png|webp|avif|gif|tiff?|bmp|svg)(?![\w.])"
# Two patterns, each starting with a literal ("http", "/") that the regex engine can scan
# for (case-insensitive prefixes defeat that): one alternation with a look-behind first
# tried a match at every character (10x slower).
_REMOTE_IMAGE = re.compile(r"""https?://[^\s"'()<>]+""" + _IMAGE_EXT)
_REMOTE_IMAGE_ANY_CASE = re.compile(r"""(?i:https?)://[^\s"'()<>]+""" + _IMAGE_EXT)
_CAPITAL_HTTP = re.compile("H(?:TTP|ttp)")  # when the slower pattern is needed (a regex
# starting with a letter scans for it at C speed: 2 us, where two ``in`` tests took 8)
_LOCAL_IMAGE = re.compile(r"""/(?<![\w.:/]/)[^\s"'()<>]+""" + _IMAGE_EXT)
_STYLE_ATTR = re.compile(r"<[A-Za-z][^>]*\sstyle=", re.S)
INLINE_STYLE = "inline:style"
_EMBED_REF = re.compile(r"""<(?:iframe|script)\b[^>]*?\ssrc=["']([^"']+)["']""", re.I)
# Sound and video a body plays from another host (an <audio> kept from WordPress): the
# policy's media-src must name that host. Marked in the frames list by this prefix.
MEDIA_PREFIX = "media:"
_MEDIA_REF = re.compile(r"""<(?:audio|video|source)\b[^>]*?\ssrc=["'](https?://[^"']+)["']""",
                        re.I)


def media_refs(markdown: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(image URLs, iframe and script URLs) a body mentions, found when it is loaded so
    that a build knows every image to make variants of and every host an embed would
    load from, without rendering a page. Generous by design: a URL that is not really
    shown costs a few unused variants. Raw HTML with a style attribute adds
    INLINE_STYLE to the second list (the site's policy must then allow it)."""
    images: tuple[str, ...] = ()
    if "." in markdown:
        remote = _REMOTE_IMAGE_ANY_CASE if _CAPITAL_HTTP.search(markdown) else _REMOTE_IMAGE
        found = sorted([*remote.finditer(markdown), *_LOCAL_IMAGE.finditer(markdown)],
                       key=lambda match: match.start())
        images = tuple(dict.fromkeys(match.group(0) for match in found))
    if "<" not in markdown:  # no tag, so no embed and no style attribute (most bodies)
        return images, ()
    frames = tuple(dict.fromkeys(_EMBED_REF.findall(markdown))) if "src=" in markdown else ()
    if "src=" in markdown and ("<audio" in markdown or "<video" in markdown
                               or "<source" in markdown):
        frames += tuple(dict.fromkeys(MEDIA_PREFIX + url
                                      for url in _MEDIA_REF.findall(markdown)))
    if "style=" in markdown and _STYLE_ATTR.search(markdown):
        frames += (INLINE_STYLE,)
    return images, frames


def picture(img_html: str, src: str, media: BodyMedia) -> str:
    """An <img> wrapped in <picture> with a <source> per variant format, when ``src``
    has variants; otherwise the <img> as it is."""
    return picture_with(img_html, src, media.srcsets, media.sizes)


def picture_with(img_html: str, src: str, srcsets: Srcsets | None, sizes: str) -> str:
    """:func:`picture`, given the variants' ``srcsets`` and the ``sizes`` they are for."""
    sets = srcsets(src) if srcsets else ()
    if not sets:
        return img_html
    sources = "".join(f'<source type="{mime}" srcset="{_escape(srcset)}" '
                      f'sizes="{_escape(sizes)}">' for mime, srcset in sets)
    return f"<picture>{sources}{img_html}</picture>"


# --- the fast pass: pyromark's own output has a fixed shape, so regular expressions do -----
# --- what the DOM pass does, five to ten times faster (most posts have no raw HTML) --------

# An element's start or end tag, or a comment: a stray end tag alone (``</div>``) would
# otherwise pass through and close an element of the page around the body.
_RAW_HTML = re.compile(r"</?(?:[A-Za-z][A-Za-z0-9-]*)[\s/>]|<!--")
_HEADING = re.compile(r'<h([1-6])(?: id="([^"]*)")?>(.*?)</h\1>', re.S)
_IMG = re.compile(r'<img src="([^"]*)" alt="([^"]*)"((?: title="[^"]*")?) />')
_SKIP_OR_TAG = re.compile(r"(<pre\b.*?</pre>|<code>.*?</code>|<a\s.*?</a>|<[^>]+>)", re.S)
_TABLE = re.compile(r"<table>.*?</table>", re.S)
_ENTITY = re.compile(r"&(amp|lt|gt|quot|#39);")
_ALIGN_STYLE = re.compile(r' style="text-align: (left|center|right)"')
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "#39": "'"}


def _fast_pass(html: str, media: BodyMedia, markdown: str) -> RenderedMarkdown:
    # Which steps a body needs is asked of its Markdown where it can be: a substring test
    # over HTML stops at every "<" (one character in fifty), over Markdown it seldom stops.
    footnotes = "[^" in markdown and 'class="footnote-' in html
    html, toc = _number_headings(html, footnotes)
    if "http" in html and _has_bare_url(html):
        html = "".join(piece if index % 2 else _linkify(piece)
                       for index, piece in enumerate(_SKIP_OR_TAG.split(html)))
    if footnotes:
        html = html.replace('<sup class="footnote-reference"><a href="#',
                            '<sup class="footnote-reference"><a href="#fn-')
        html = re.sub(r'<a href="#fn-([^"]*)">', r'<a href="#fn-\1" id="fnref-\1">', html)
        html = html.replace('<div class="footnote-definition" id="',
                            '<div class="footnote-definition" id="fn-')
    images: list[str] = []
    if "![" in markdown:  # every Markdown image is written so
        def image(match: re.Match[str]) -> str:
            src = _unescape(match.group(1))
            images.append(src)
            size = media.size(src) if media.size else None
            dims = f' width="{size[0]}" height="{size[1]}"' if size else ""
            return picture(f'<img src="{match.group(1)}" alt="{match.group(2)}"'
                           f'{match.group(3)}{dims} loading="lazy" decoding="async">', src, media)

        html = _IMG.sub(image, html)
    if "|" in markdown and "<table>" in html:  # a table, and column alignment, need pipes
        if ' style="text-align: ' in html:
            html = _ALIGN_STYLE.sub(r' class="align-\1"', html)
        html = _TABLE.sub(lambda m: '<div class="table-wrap" tabindex="0" role="region" '
                          f'aria-label="Table">{m.group(0)}</div>', html)
    return RenderedMarkdown(html, tuple(toc), tuple(images))


def _has_bare_url(html: str, raw: bool = False) -> bool:
    """Whether an http(s) URL may start in text rather than in a longer word or in an
    attribute value: ``h(?<![\\w/@"]h)ttps?://``, by ``str.find``, which does not stop
    at every "h" of the text as that pattern does. In pyromark's own HTML a quote in text
    is written &quot;, so a quote before the URL means an attribute; in ``raw`` HTML it
    does only inside a tag, and a character reference may write a URL the source hides."""
    if raw and _REFERENCE.search(html):
        return True
    at = html.find("http")
    while at >= 0:
        if html.startswith(("://", "s://"), at + 4):
            before = html[at - 1] if at else ">"
            if before == '"' or (raw and before == "'"):
                if raw and html.rfind("<", 0, at) <= html.rfind(">", 0, at):
                    return True  # a quote in text
            elif not (before.isalnum() or before in "_/@"):
                return True
        at = html.find("http", at + 4)
    return False


def _number_headings(html: str, footnotes: bool) -> tuple[str, list[TocEntry]]:
    """Headings from h2 down (the page title is the h1), each with an id, and the table
    of contents; found in one scan whose pieces are rewritten in place (split gives the
    groups without a match object per heading)."""
    parts = _HEADING.split(html)  # text, level, id, inner, text, level, id, inner, ..., text
    toc: list[TocEntry] = []
    if len(parts) == 1:
        return html, toc
    shift = 2 - int(min(parts[1::4]))
    seen = {ident for ident in parts[2::4] if ident}
    if footnotes:  # pyromark writes ids on headings and footnotes only: keep clear of both
        seen |= set(re.findall(r' id="([^"]*)"', "".join(parts[0::4])))
    for at in range(1, len(parts), 4):
        level = min(6, max(2, int(parts[at]) + shift))
        inner = parts[at + 2]
        text = _unescape(_TAG.sub("", inner)).strip() if "<" in inner or "&" in inner \
            else inner.strip()
        ident = parts[at + 1] or _unique_id(text, seen)
        toc.append(TocEntry(level, ident, text))
        parts[at] = f'<h{level} id="{_escape(ident)}">{inner}</h{level}>'
        parts[at + 1] = parts[at + 2] = ""
    return "".join(parts), toc


def _unique_id(text: str, seen: set[str]) -> str:
    """A heading id from its text, numbered when the page already has it."""
    base = anchor_slug(text)
    ident, number = base, 1
    while ident in seen:
        number += 1
        ident = f"{base}-{number}"
    seen.add(ident)
    return ident


def _linkify(text: str) -> str:
    if "http" not in text:
        return text
    return _URL.sub(lambda m: f'<a href="{m.group(1)}">{m.group(1)}</a>', text)


def _unescape(text: str) -> str:
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], text)


# --- the DOM pass, for bodies with raw HTML (embeds, iframes, hand-written markup) ---------

# The body is parsed as a fragment, as ``innerHTML`` would be: one document, so that a
# stray closing tag in hand-written HTML cannot end the body early, and every replacement
# is parsed into that same document (a new parser and its selector engine cost 40 us).
# (selectolax is imported by the first body that needs it: most never do.)
if TYPE_CHECKING:
    from selectolax.lexbor import LexborHTMLParser, LexborNode

    from masthead.content.embeds import Tree


def _dom_pass(html: str, media: BodyMedia) -> RenderedMarkdown:
    from selectolax.lexbor import LexborHTMLParser

    root = LexborHTMLParser(html, is_fragment=True)
    # A step for elements the body does not have is not run: each is a selector query
    # over the whole body (5-15 us), and most raw HTML is an embed or two. One scan finds
    # the tags (a substring test costs as much as a query: it stops at every "<").
    tags = set(_TAG_NAME.findall(html.lower()))  # tag names may be written in capitals
    headings = _normalize_headings(root)
    toc = _heading_ids(root, headings)
    if _has_bare_url(html, raw=True):
        _autolink(root)
    if "sup" in tags or "div" in tags:
        _footnotes(root)
    images = _images(root, media) if tags & _IMG_TAGS else []
    _drop_obsolete(root, tags)
    if "th" in tags or "td" in tags:
        _alignment_classes(root)
    _repair_blocks_in_inline(root)
    policy = media.embeds or EmbedPolicy()
    make_embeds_safe(root, policy, _replace_with_html, tags)
    if "script" in tags:
        _drop_remote_scripts(root, policy)
    if "table" in tags:
        _wrap_tables(root)
    return RenderedMarkdown(root.html or "", tuple(toc), tuple(images))


def _level(node: LexborNode) -> int:
    return int((node.tag or "h2")[1])


def _normalize_headings(root: Tree) -> list[LexborNode]:
    """Make the body's top heading level h2: the page's title is its only h1, and a
    body that starts at ### would skip a level (screen readers navigate by them).
    Returns the headings, as they are now."""
    headings = root.css(_HEADINGS)
    if not headings:
        return headings
    shift = 2 - min(_level(node) for node in headings)
    if shift == 0:
        return headings
    for node in headings:
        level = min(6, max(2, _level(node) + shift))
        _replace_with_html(node, f"<h{level}{_attributes(node)}>{node.inner_html or ''}"
                                 f"</h{level}>")
    return root.css(_HEADINGS)


def _heading_ids(root: Tree, headings: list[LexborNode]) -> list[TocEntry]:
    seen: set[str] = set()
    for node in root.css("[id]"):
        seen.add(node.attrs.get("id") or "")
    toc = []
    for node in headings:
        text = node.text(deep=True).strip()
        ident = node.attrs.get("id")
        if not ident:
            ident = _unique_id(text, seen)
            node.attrs["id"] = ident
        toc.append(TocEntry(_level(node), ident, text))
    return toc


def _autolink(root: LexborHTMLParser) -> None:
    targets = []
    # From the fragment's first node, a traversal covers the whole fragment.
    first = root.root
    for node in first.traverse(include_text=True, skip_empty=True) if first else ():
        if node.tag != "-text":
            continue
        text = node.text_content or ""
        if "http" not in text or not _URL.search(text):
            continue
        parent, skip = node.parent, False
        while parent is not None:
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
        _replace_with_html(node, "".join(pieces))


def _footnotes(root: Tree) -> None:
    for ref in root.css("sup.footnote-reference a"):
        href = ref.attrs.get("href") or ""
        if href.startswith("#"):
            ref.attrs["href"] = f"#fn-{href[1:]}"
            ref.attrs["id"] = f"fnref-{href[1:]}"
    for definition in root.css("div.footnote-definition"):
        ident = definition.attrs.get("id")
        if ident:
            definition.attrs["id"] = f"fn-{ident}"


def _images(root: Tree, media: BodyMedia) -> list[str]:
    used = []
    for img in root.css("img"):
        src = img.attrs.get("src") or ""
        used.append(src)
        if "alt" not in img.attrs:
            img.attrs["alt"] = ""
        if media.size and "width" not in img.attrs:
            size = media.size(src)
            if size:
                img.attrs["width"] = str(size[0])
                img.attrs["height"] = str(size[1])
        img.attrs["loading"] = "lazy"
        img.attrs["decoding"] = "async"
        parent = img.parent
        if parent is None or parent.tag != "picture":
            wrapped = picture(img.html or "", src, media)
            if wrapped != img.html:
                _replace_with_html(img, wrapped)
    return used


def _drop_obsolete(root: Tree, tags: set[str]) -> None:
    """Obsolete presentational attributes dropped, from the elements among ``tags``."""
    for tag, names in _OBSOLETE.items():
        if tag not in tags and not (tag == "img" and "image" in tags):
            continue
        for node in root.css(tag):
            for name in names:
                if name in node.attrs:
                    del node.attrs[name]
            if tag == "iframe":
                node.attrs["loading"] = "lazy"
                if not node.attrs.get("title"):
                    node.attrs["title"] = "Embedded content"


def _alignment_classes(root: Tree) -> None:
    """Table column alignment as a class, not a style attribute: the site's
    Content-Security-Policy allows no inline styles."""
    for node in root.css("th[style], td[style]"):
        match = re.fullmatch(r"text-align: (left|center|right)", node.attrs.get("style") or "")
        if match and "class" not in node.attrs:
            del node.attrs["style"]
            node.attrs["class"] = f"align-{match.group(1)}"


_INLINE = "strong, em, b, i, u, s, del, small, mark, span, sup, sub, code"
_BLOCKS = {"div", "p", "ul", "ol", "table", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6",
           "figure", "section", "pre", "hr", "dl", "address", "article", "aside"}


def _repair_blocks_in_inline(root: Tree) -> None:
    """``**<div>text</div>**`` puts a block inside <strong>, which browsers render but the
    HTML standard forbids: push the inline element inside each block instead."""
    for inline in root.css(_INLINE):
        children = list(inline.iter(include_text=True))
        if not any(child.tag in _BLOCKS for child in children):
            continue
        tag = inline.tag or "span"
        attrs = _attributes(inline)
        pieces = []
        for child in children:
            if child.tag in _BLOCKS:
                inner = child.inner_html or ""
                pieces.append(f"<{child.tag}{_attributes(child)}><{tag}{attrs}>{inner}"
                              f"</{tag}></{child.tag}>")
            elif (child.html or "").strip():
                pieces.append(f"<{tag}{attrs}>{child.html}</{tag}>")
        _replace_with_html(inline, "".join(pieces))


def _drop_remote_scripts(root: Tree, policy: EmbedPolicy) -> None:
    """Third-party scripts in a body (Twitter's widgets.js, say) would tell another company
    who reads what, and fail where it is blocked; the quoted text stays readable. A site
    may allow hosts it trusts (``embed_allow``)."""
    for script in root.css("script[src]"):
        src = script.attrs.get("src") or ""
        if src.startswith(("http:", "https:", "//")) and not policy.allows(src):
            script.decompose()


def _wrap_tables(root: Tree) -> None:
    """Wide tables scroll inside their own box instead of widening the page on phones."""
    for table in root.css("table"):
        _replace_with_html(table, '<div class="table-wrap" tabindex="0" role="region" '
                                  f'aria-label="Table">{table.html}</div>')


def _replace_with_html(node: LexborNode, html: str) -> None:
    """Put the nodes that ``html`` parses into (as the content of a <div>) where ``node``
    is, and drop ``node``: parsed inside a <div> put in its place, which is then
    unwrapped, in the node's own document."""
    holder = node.parser.create_node("div")
    node.insert_before(holder, move=True)
    holder.inner_html = html
    holder.unwrap(delete_empty=True)
    node.decompose()


def _attributes(node: LexborNode) -> str:
    """A node's attributes written out again, for rebuilding it as another element."""
    return "".join(f' {k}="{_escape(v or "")}"' for k, v in node.attrs.items())


def _escape(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


# --- the split pass: raw HTML that stands alone between Markdown blocks (an embed's code -----
# --- pasted between paragraphs) goes through the DOM pass on its own, the rest the fast one -

_SPLIT_MARK = "MASTHEADRAWBLOCK"
# An HTML block of CommonMark's sixth kind: a line that starts with one of these block
# elements' tags starts it, and it runs to the next blank line, whatever it holds. Only
# blocks written at the margin after a blank line (or first) are taken, so that no list,
# quote, table or paragraph around them is in question.
_BLOCK_TAG = re.compile(r"<(?i:blockquote|div|figure|section|aside|p)(?=[ \t>\n]|/>|\Z)")
_BLANK_LINE = re.compile(r"\n[ \t]*(?:\n|\Z)")
_SPLIT_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)(?=[\s/>])[^>]*>")
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                   "source", "track", "wbr"})
# What a block must not hold to be rendered apart (over its text in lower case): headings
# and ids (numbered across the body), images (listed in order), footnotes, comments, and
# elements whose text is not HTML (a "<" there is not a tag).
_NOT_APART = re.compile(r"<(?:h[1-6]|img|image|pre|textarea|style|title|xmp|plaintext|noscript"
                        r"|template|svg|math|!)")
_ID_ATTRIBUTE = re.compile(r"\sid\s*=")


def _standalone_blocks(markdown: str) -> list[tuple[int, int]] | None:
    """Where the body's raw HTML is, as (start, end) spans of whole HTML blocks that can be
    rendered apart from the Markdown around them: each an element tree that closes every
    element it opens and nothing else. None when any raw HTML is elsewhere.

    Scans go from "<" to "<" (``str.find`` of one character runs at memory speed; a
    pattern or a longer string searched over the whole body costs 3-8 us each)."""
    if _has_fence(markdown, "`") or _has_fence(markdown, "~") or "\r" in markdown:
        return None  # (raw HTML may be shown as code)
    spans: list[tuple[int, int]] = []
    stop = 0
    at = markdown.find("<")
    while at >= 0:
        if at >= stop and _RAW_HTML.match(markdown, at):
            if not ((at == 0 or markdown[at - 1] == "\n") and _BLOCK_TAG.match(markdown, at)
                    and _after_blank_line(markdown, at)):
                return None  # raw HTML that is not a block standing alone
            end = _BLANK_LINE.search(markdown, at)
            stop = end.start() if end else len(markdown)
            block = markdown[at:stop]
            lower = block.lower()
            if (_NOT_APART.search(lower) or "footnote" in lower
                    or ("id" in lower and _ID_ATTRIBUTE.search(lower))
                    or not _closes_what_it_opens(block)):
                return None
            spans.append((at, stop))
            at = stop
        at = markdown.find("<", at + 1)
    return spans or None


def _has_fence(text: str, mark: str) -> bool:
    """Whether three ``mark`` characters in a row (a code fence) are in ``text``."""
    at = text.find(mark)
    while at >= 0:
        if text.startswith(mark * 3, at):
            return True
        at = text.find(mark, at + 1)
    return False


def _after_blank_line(text: str, at: int) -> bool:
    """Whether the line that starts at ``at`` is the first, or follows a blank line."""
    if at <= 1:
        return True
    return not text[text.rfind("\n", 0, at - 1) + 1:at - 1].strip(" \t")


def _closes_what_it_opens(block: str) -> bool:
    """Whether every "<" in ``block`` starts a tag, and its tags nest: each element opened is
    closed, in order, and nothing opened before it is (void elements aside)."""
    open_tags: list[str] = []
    tags = 0
    for tag in _SPLIT_TAG.finditer(block):
        tags += 1
        name = tag.group(2).lower()
        if name in _VOID:
            if tag.group(1):
                return False
            continue
        if tag.group(1):
            if not open_tags or open_tags.pop() != name:
                return False
        elif tag.group(0).endswith("/>"):
            return False  # "<div/>" opens a div in HTML
        else:
            open_tags.append(name)
    return not open_tags and tags == block.count("<")


def _split_pass(markdown: str, spans: list[tuple[int, int]],
                media: BodyMedia) -> RenderedMarkdown | None:
    """The Markdown with each raw block replaced by a mark, through the fast pass; each
    block alone through the DOM pass, put where its mark is. A tweet's embed code made the
    whole body take the DOM pass (about 4x the time); this renders the same document
    (the property tests compare them). None if a mark did not come out as written."""
    pieces: list[str] = []
    last = 0
    for number, (start, stop) in enumerate(spans):
        pieces.append(markdown[last:start])
        pieces.append(f"{_SPLIT_MARK}{number}X")
        last = stop
    pieces.append(markdown[last:])
    rest = "".join(pieces)
    done = _fast_pass(pyromark.html(rest, options=_OPTIONS), media, rest)
    html = done.html
    for number, (start, stop) in enumerate(spans):
        mark = f"<p>{_SPLIT_MARK}{number}X</p>\n"
        if html.count(mark) != 1:
            return None
        code = markdown[start:stop] + "\n"
        html = html.replace(mark, tweet_card_from_code(code, media.embeds or EmbedPolicy())
                            or _dom_pass(code, media).html)
    return RenderedMarkdown(html, done.toc, done.images)
