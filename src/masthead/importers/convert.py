"""WordPress bodies into masthead's: Gutenberg block comments, shortcodes and WordPress's
automatic paragraphs made into plain HTML, then Markdown where an element converts
cleanly (paragraphs, headings, lists, quotes, code) and raw HTML where it does not
(tables, figures, galleries, media), which masthead sanitizes like any other."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from markdownify import markdownify
from selectolax.lexbor import LexborHTMLParser, LexborNode

Report = Callable[[str], None]
_BLOCK_COMMENT = re.compile(r"<!--\s*(/?)wp:([a-z0-9/-]+)(\s+\{.*?\})?\s*(/?)-->", re.S)
_EMBED_BLOCK = re.compile(r'<!--\s*wp:(?:core-)?embed[a-z/-]*\s+(\{.*?\})\s*-->(.*?)'
                          r"<!--\s*/wp:(?:core-)?embed[a-z/-]*\s*-->", re.S)
_DYNAMIC = {"latest-posts", "archives", "tag-cloud", "search", "rss", "latest-comments",
            "calendar", "categories", "page-list", "loginout", "query"}
_MORE = re.compile(r"<!--\s*(more|nextpage|noteaser)\b[^>]*-->", re.I)
_SHORTCODE = re.compile(r"\[(\[?)([a-zA-Z][\w-]*)([^\]]*?)(/?)\](?:(.*?)\[/\2\])?(\]?)", re.S)
_ATTRIBUTE = re.compile(r'([\w-]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\'|([^\s"\']+))|("[^"]*"|\S+)')
_YOUTUBE = re.compile(r"(?:youtube\.com/(?:watch\?(?:.*&)?v=|embed/|shorts/)|youtu\.be/)"
                      r"([\w-]{11})")
_VIMEO = re.compile(r"vimeo\.com/(?:video/)?(\d+)")
_URL_LINE = re.compile(r"^\s*(https?://[^\s<>\"]+)\s*$", re.M)
_BLOCK_TAGS = ("address|article|aside|blockquote|dd|div|dl|dt|figcaption|figure|footer|"
               "form|h[1-6]|header|hr|iframe|audio|video|li|nav|ol|p|pre|section|table|"
               "tbody|td|tfoot|th|thead|tr|ul|details|summary|math|svg|center")
_TAG = re.compile(r"<(/?)(" + _BLOCK_TAGS + r")\b[^>]*?(/?)>", re.I)
_OPEN, _CLOSE = "\ue000", "\ue001"  # brackets of text already looked at
_MARKDOWN_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "blockquote", "pre"}
_RAW_INSIDE = ("table", "figure", "iframe", "audio", "video", "div", "img[class]", "dl",
               "details", "form", "span[style]")


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
        text = _EMBED_BLOCK.sub(lambda m: f"\n\n[embed]{_json_url(m.group(1), m.group(2))}"
                                          "[/embed]\n\n", text)
        text = _BLOCK_COMMENT.sub(self._block_comment, text)
        text = _MORE.sub("", text)
        text = self._shortcodes(text, post_id)
        text = _URL_LINE.sub(lambda m: "\n" + embed_html(m.group(1)) + "\n", text)
        return to_markdown(autop(text))

    def _block_comment(self, match: re.Match[str]) -> str:
        name = match.group(2).removeprefix("core/")
        if name in _DYNAMIC and not match.group(1):
            self.report(f"the block wp:{name} lists the old site's content; it was left out")
        return ""

    def _shortcodes(self, text: str, post_id: str) -> str:
        reported: set[str] = set()

        def replace(match: re.Match[str]) -> str:
            if match.group(1) == "[" and match.group(6) == "]":  # [[escaped]]: as written
                return _OPEN + match.group(0)[2:-2] + _CLOSE
            name = match.group(2).lower()
            handler = getattr(self, f"_sc_{name.replace('-', '_')}", None)
            if handler is None:
                if (match.group(3).strip() or match.group(5) is not None) and \
                        name not in reported:
                    reported.add(name)
                    self.report(f"unknown shortcode [{name}] kept as text")
                return _OPEN + match.group(0)[1:-1] + _CLOSE
            inner = match.group(5) or ""
            return str(handler(attributes(match.group(3)), inner, post_id))

        previous = None
        while previous != text:  # a caption inside a gallery's text, and so on
            previous, text = text, _SHORTCODE.sub(replace, text)
        return text.replace(_OPEN, "[").replace(_CLOSE, "]")

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


def autop(text: str) -> str:
    """WordPress's automatic paragraphs: text between blank lines outside any block
    element becomes a <p>, a single newline in it a <br>."""
    chunks: list[str] = []
    depth = 0
    start = 0
    for match in re.finditer(r"<(/?)(" + _BLOCK_TAGS + r")\b[^>]*?(/?)>|\n[ \t]*\n", text,
                             re.I):
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
    inline: list[str] = []

    def flush() -> None:
        if inline:
            text = "".join(inline).strip()
            if text:
                blocks.append(_markdown(f"<p>{text}</p>"))
            inline.clear()

    node: LexborNode | None = root.child
    while node is not None:
        tag = node.tag or ""
        outer = node.html or ""
        if tag in ("-text", "a", "em", "strong", "b", "i", "span", "code", "img", "br", "sup",
                   "sub", "small", "abbr", "del", "ins", "mark", "q", "cite", "u", "s"):
            inline.append(outer if tag != "-text" else html.escape(node.text() or "",
                                                                   quote=False))
        elif tag == "-comment":
            pass
        else:
            flush()
            simple = tag in _MARKDOWN_TAGS and not any(
                node.css_first(selector) for selector in _RAW_INSIDE)
            blocks.append(_markdown(outer) if simple else _raw(outer))
        node = node.next
    flush()
    return "\n\n".join(b for b in blocks if b.strip()) + "\n"


def _markdown(fragment: str) -> str:
    return str(markdownify(fragment, heading_style="ATX", bullets="-",
                           code_language="", strip=["script", "style"])).strip()


def _raw(fragment: str) -> str:
    """A raw HTML block CommonMark keeps whole: no blank line inside it."""
    return re.sub(r"\n[ \t]*(?=\n)", "", fragment).strip()
