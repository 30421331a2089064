"""WordPress bodies into masthead's: Gutenberg block comments, shortcodes and WordPress's
automatic paragraphs made into plain HTML, then Markdown where an element converts
cleanly (paragraphs, headings, lists, quotes, code) and raw HTML where it does not
(tables, figures, galleries, media), which masthead sanitizes like any other."""

from __future__ import annotations

import bisect
import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from markdownify import MarkdownConverter
from selectolax.lexbor import LexborHTMLParser, LexborNode

from masthead.importers.scan import delimited

Report = Callable[[str], None]
# Each is matched only against the text of one comment (between <!-- and -->), so none
# of them can scan past it.
_BLOCK_COMMENT = re.compile(r"\s*(/?)wp:([a-z0-9/-]+)(?:\s+\{.*\})?\s*/?\s*", re.S)
_EMBED_OPEN = re.compile(r"\s*wp:(?:core-)?embed[a-z/-]*\s+(\{.*\})\s*", re.S)
_EMBED_CLOSE = re.compile(r"\s*/wp:(?:core-)?embed[a-z/-]*\s*")
_MORE = re.compile(r"\s*(?:more|nextpage|noteaser)\b[^>]*", re.I)
_DYNAMIC = {"latest-posts", "archives", "tag-cloud", "search", "rss", "latest-comments",
            "calendar", "categories", "page-list", "loginout", "query"}
_SHORTCODE_OPEN = re.compile(r"\[(\[?)([a-zA-Z][\w-]*)")
_SHORTCODE_CLOSE = re.compile(r"\[/([a-zA-Z][\w-]*)\]")
_SHORTCODE_PASSES = 4  # shortcodes inside shortcodes, this deep (a caption in a gallery)
_ATTRIBUTE = re.compile(r'([\w-]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\'|([^\s"\']+))|("[^"]*"|\S+)')
_YOUTUBE = re.compile(r"(?:youtube\.com/(?:watch\?(?:.*&)?v=|embed/|shorts/)|youtu\.be/)"
                      r"([\w-]{11})")
_VIMEO = re.compile(r"vimeo\.com/(?:video/)?(\d+)")
_URL_LINE = re.compile(r"^[ \t]*(https?://[^\s<>\"]+)[ \t]*$", re.M)
_BLOCK_TAGS = ("address|article|aside|blockquote|dd|div|dl|dt|figcaption|figure|footer|"
               "form|h[1-6]|header|hr|iframe|audio|video|li|nav|ol|p|pre|section|table|"
               "tbody|td|tfoot|th|thead|tr|ul|details|summary|math|svg|center")
_OPEN, _CLOSE = "\ue000", "\ue001"  # brackets of text already looked at
_MARKDOWN_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "blockquote", "pre"}
_RAW_INSIDE = ", ".join(("table", "figure", "iframe", "audio", "video", "div", "img[class]",
                         "dl", "details", "form", "span[style]"))


@dataclass
class Attachments:
    """The export's attachments: URL by id, and each post's own images (for a gallery
    that names none)."""

    urls: dict[str, str] = field(default_factory=dict)
    of_post: dict[str, list[str]] = field(default_factory=dict)


def attributes(text: str) -> dict[str, str]:
    """A shortcode's attributes; a bare value (``[youtube URL]``) is ``"0"``, ``"1"``..."""
    found: dict[str, str] = {}
    bare = 0
    for match in _ATTRIBUTE.finditer(text):
        if match.group(1):
            found[match.group(1).lower()] = html.unescape(
                next(v for v in match.group(2, 3, 4) if v is not None))
        else:
            found[str(bare)] = html.unescape(match.group(5).strip("\"'"))
            bare += 1
    return found


def _esc(value: str) -> str:
    return html.escape(value, quote=True)


def embed_html(url: str) -> str:
    """A URL WordPress would have embedded: a player masthead turns into a click-to-load
    facade (YouTube, Vimeo), or a link."""
    youtube = _YOUTUBE.search(url)
    if youtube:
        return (f'<iframe src="https://www.youtube.com/embed/{youtube.group(1)}" '
                'title="YouTube video" allowfullscreen></iframe>')
    vimeo = _VIMEO.search(url)
    if vimeo:
        return (f'<iframe src="https://player.vimeo.com/video/{vimeo.group(1)}" '
                'title="Vimeo video" allowfullscreen></iframe>')
    return f'<p><a href="{_esc(url)}">{_esc(url)}</a></p>'


class BodyConverter:
    def __init__(self, attachments: Attachments, report: Report) -> None:
        self.attachments = attachments
        self.report = report

    def convert(self, body: str, post_id: str = "") -> str:
        text = body.replace("\r\n", "\n")
        text = self._comments(text)
        text = self._shortcodes(text, post_id)
        text = _URL_LINE.sub(lambda m: "\n" + embed_html(m.group(1)) + "\n", text)
        return to_markdown(autop(text))

    def _comments(self, text: str) -> str:
        """Gutenberg's block comments gone (an embed block becomes ``[embed]URL``), the
        ``more`` and ``nextpage`` marks gone, other comments kept."""
        spans = list(delimited(text, "<!--", "-->"))
        inner = [text[span.inner_start:span.inner_end] for span in spans]
        closes = [i for i, body in enumerate(inner) if _EMBED_CLOSE.fullmatch(body)]
        out: list[str] = []
        position = index = 0
        while index < len(spans):
            span, body = spans[index], inner[index]
            out.append(text[position:span.start])
            position = span.end
            embed = _EMBED_OPEN.fullmatch(body)
            close = closes[bisect.bisect_right(closes, index)] \
                if embed and bisect.bisect_right(closes, index) < len(closes) else None
            if embed and close is not None:
                between = text[span.end:spans[close].start]
                out.append(f"\n\n[embed]{_json_url(embed.group(1), between)}[/embed]\n\n")
                position, index = spans[close].end, close + 1
                continue
            block = _BLOCK_COMMENT.fullmatch(body)
            if block:
                name = block.group(2).removeprefix("core/")
                if name in _DYNAMIC and not block.group(1):
                    self.report(f"the block wp:{name} lists the old site's content; it was "
                                "left out")
            elif not _MORE.fullmatch(body):
                out.append(text[span.start:span.end])
            index += 1
        out.append(text[position:])
        return "".join(out)

    def _shortcodes(self, text: str, post_id: str) -> str:
        reported: set[str] = set()
        for _ in range(_SHORTCODE_PASSES):  # a caption inside a gallery's text, and so on
            previous, text = text, self._shortcode_pass(text, post_id, reported)
            if text == previous:
                break
        return text.replace(_OPEN, "[").replace(_CLOSE, "]")

    def _shortcode_pass(self, text: str, post_id: str, reported: set[str]) -> str:
        """Each ``[name attrs]``, ``[name attrs]inner[/name]`` and ``[[escaped]]``, as
        WordPress reads them (the first ``[/name]`` after the tag closes it), in one pass
        that looks each closing tag up instead of scanning for it."""
        closes: dict[str, list[int]] = {}
        for match in _SHORTCODE_CLOSE.finditer(text):
            closes.setdefault(match.group(1), []).append(match.start())
        out: list[str] = []
        position = search = 0
        while (tag := _SHORTCODE_OPEN.search(text, search)) is not None:
            bracket = text.find("]", tag.end())
            if bracket < 0:
                break  # no "]" after this tag: no later tag can be complete either
            name, attrs = tag.group(2), text[tag.end():bracket]
            end, inner = bracket + 1, None
            ends = closes.get(name, [])
            at = bisect.bisect_left(ends, end)
            if at < len(ends):
                inner = text[end:ends[at]]
                end = ends[at] + len(name) + 3
            escaped = tag.group(1) == "[" and text.startswith("]", end)
            if escaped or text.startswith("]", end):
                end += 1
            whole = text[tag.start():end]
            out.append(text[position:tag.start()])
            out.append(self._shortcode(whole, name.lower(), attrs.removesuffix("/"), inner,
                                       escaped, post_id, reported))
            position = search = end
        out.append(text[position:])
        return "".join(out)

    def _shortcode(self, whole: str, name: str, attrs: str, inner: str | None, escaped: bool,
                   post_id: str, reported: set[str]) -> str:
        if escaped:  # [[name]]: shown as written
            return _OPEN + whole[2:-2] + _CLOSE
        handler = getattr(self, f"_sc_{name.replace('-', '_')}", None)
        if handler is None:
            # Reported only when it looks like one ([poll id="7"], [x]...[/x]): words in
            # brackets ([simple boat]) are text.
            if ("=" in attrs or inner is not None) and name not in reported:
                reported.add(name)
                self.report(f"unknown shortcode [{name}] kept as text")
            return _OPEN + whole[1:-1] + _CLOSE
        return str(handler(attributes(attrs), inner or "", post_id))

    # --- the shortcodes WordPress and its common plugins define ----------------------------

    def _sc_caption(self, attrs: dict[str, str], inner: str, _post: str) -> str:
        match = re.match(r"\s*((?:<a\b[^>]*>\s*)?<img\b[^>]*>(?:\s*</a>)?)(.*)", inner, re.S)
        image, caption = (match.group(1), match.group(2)) if match else ("", inner)
        caption = attrs.get("caption") or caption.strip()
        return (f"\n\n<figure>{image}<figcaption>{caption}</figcaption></figure>\n\n"
                if image else f"\n\n<p>{caption}</p>\n\n")

    _sc_wp_caption = _sc_caption

    def _sc_gallery(self, attrs: dict[str, str], _inner: str, post: str) -> str:
        ids = [i.strip() for i in attrs.get("ids", attrs.get("include", "")).split(",")
               if i.strip()]
        urls = ([self.attachments.urls[i] for i in ids if i in self.attachments.urls]
                if ids else self.attachments.of_post.get(post, []))
        missing = [i for i in ids if i not in self.attachments.urls]
        if missing:
            self.report(f"[gallery] names attachments not in the export: {', '.join(missing)}")
        if not urls:
            return ""
        images = "".join(f'<img src="{_esc(url)}" alt="">' for url in urls)
        return f'\n\n<figure class="gallery">{images}</figure>\n\n'

    def _sc_embed(self, attrs: dict[str, str], inner: str, _post: str) -> str:
        url = (inner or attrs.get("url") or attrs.get("0", "")).strip()
        return f"\n\n{embed_html(url)}\n\n" if url else ""

    def _media(self, tag: str, attrs: dict[str, str], kinds: tuple[str, ...]) -> str:
        src = attrs.get("src") or next((attrs[k] for k in kinds if k in attrs), "") or \
            attrs.get("0", "")
        if not src:
            self.report(f"[{tag}] without a file was left out")
            return ""
        return f'\n\n<{tag} controls src="{_esc(src)}"></{tag}>\n\n'

    def _sc_audio(self, attrs: dict[str, str], _inner: str, _post: str) -> str:
        return self._media("audio", attrs, ("mp3", "ogg", "m4a", "wav"))

    def _sc_video(self, attrs: dict[str, str], _inner: str, _post: str) -> str:
        return self._media("video", attrs, ("mp4", "webm", "ogv", "m4v"))

    def _sc_youtube(self, attrs: dict[str, str], inner: str, _post: str) -> str:
        value = (inner or attrs.get("id") or attrs.get("url") or attrs.get("0", "")).strip()
        url = value if "/" in value else f"https://www.youtube.com/watch?v={value}"
        return f"\n\n{embed_html(url)}\n\n"

    def _sc_vimeo(self, attrs: dict[str, str], inner: str, _post: str) -> str:
        value = (inner or attrs.get("id") or attrs.get("0", "")).strip()
        url = value if "/" in value else f"https://vimeo.com/{value}"
        return f"\n\n{embed_html(url)}\n\n"

    def _sc_tweet(self, attrs: dict[str, str], inner: str, _post: str) -> str:
        value = (inner or attrs.get("url") or attrs.get("0") or attrs.get("id", "")).strip()
        url = value if "/" in value else f"https://twitter.com/i/status/{value}"
        return f'\n\n<blockquote><p><a href="{_esc(url)}">{_esc(url)}</a></p></blockquote>\n\n'


def _json_url(attributes_json: str, inner: str) -> str:
    match = re.search(r'"url"\s*:\s*"([^"]+)"', attributes_json)
    if match:
        return match.group(1).replace("\\/", "/")
    found = re.search(r"https?://[^\s<\"]+", inner)
    return found.group(0) if found else ""


# A block tag (no "<" inside it: a tag never closed would otherwise be looked for to the
# end of the text from every "<"), or a blank line.
_AUTOP_MARK = re.compile(r"<(/?)(" + _BLOCK_TAGS + r")\b[^<>]*?(/?)>|\n[ \t]*\n", re.I)


def autop(text: str) -> str:
    """WordPress's automatic paragraphs: text between blank lines outside any block
    element becomes a <p>, a single newline in it a <br>."""
    chunks: list[str] = []
    depth = 0
    start = 0
    for match in _AUTOP_MARK.finditer(text):
        if match.group(0).startswith("\n"):
            if depth == 0:
                chunks.append(text[start:match.start()])
                start = match.end()
            continue
        closing, name, self_closing = match.group(1), match.group(2).lower(), match.group(3)
        if name in ("hr",) or self_closing:
            continue
        depth = max(0, depth - 1) if closing else depth + 1
    chunks.append(text[start:])
    out = []
    for chunk in (c.strip() for c in chunks):
        if not chunk:
            continue
        if re.match(r"<(" + _BLOCK_TAGS + r")\b", chunk, re.I):
            out.append(chunk)
        else:
            out.append("<p>" + re.sub(r"\s*\n\s*", "<br>\n", chunk) + "</p>")
    return "\n\n".join(out)


def to_markdown(body: str) -> str:
    """Markdown for the elements that convert cleanly, raw HTML (on lines of its own, no
    blank line inside) for the rest."""
    tree = LexborHTMLParser(f"<body>{body}</body>")
    root = tree.body
    if root is None:
        return ""
    blocks: list[str] = []
    simple: list[str] = []  # blocks waiting to be made Markdown in one go
    inline: list[str] = []

    def flush() -> None:
        if inline:
            text = "".join(inline).strip()
            if text:
                simple.append(f"<p>{text}</p>")
            inline.clear()

    def convert() -> None:
        flush()
        if simple:
            blocks.append(_markdown("".join(simple)))
            simple.clear()

    node: LexborNode | None = root.child
    while node is not None:
        tag = node.tag or ""
        outer = node.html or ""
        if tag in ("-text", "a", "em", "strong", "b", "i", "span", "code", "img", "br", "sup",
                   "sub", "small", "abbr", "del", "ins", "mark", "q", "cite", "u", "s"):
            inline.append(outer if tag != "-text" else html.escape(node.text() or "",
                                                                   quote=False))
        elif tag != "-comment":
            flush()
            if tag == "pre":  # code keeps its blank lines: converted on its own
                convert()
                blocks.append(str(_CONVERTER.convert(outer)).strip())
            elif tag in _MARKDOWN_TAGS and node.css_first(_RAW_INSIDE) is None:
                simple.append(outer)
            else:
                convert()
                blocks.append(_raw(outer))
        node = node.next
    convert()
    return "\n\n".join(b for b in blocks if b.strip()) + "\n"


# One converter for every body: making one per call costs more than converting a
# paragraph, and a long import converts tens of thousands.
_CONVERTER = MarkdownConverter(heading_style="ATX", bullets="-", code_language="",
                               strip=["script", "style"])


_BLANKISH = re.compile(r"\n(?:[ \t]*\n)+")  # a list's edge leaves a line of blanks


def _markdown(fragment: str) -> str:
    """Consecutive simple blocks (no code) in one call: markdownify separates blocks with
    blank lines, made one here, as when they were joined one by one."""
    text = _BLANKISH.sub("\n\n", str(_CONVERTER.convert(fragment)))
    return text.strip()


def _raw(fragment: str) -> str:
    """A raw HTML block CommonMark keeps whole: no blank line inside it."""
    return re.sub(r"\n[ \t]*(?=\n)", "", fragment).strip()
