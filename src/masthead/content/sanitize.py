"""The one place where a body's HTML is made safe to publish: an allowlist sanitizer.

Raw HTML in a story (pasted embed code, years of imported HTML, or a writer's account in the
wrong hands) may carry inline scripts, event handlers, ``javascript:`` links, ``<meta
http-equiv="refresh">``, ``<base>`` or forms posting elsewhere. The Content-Security-Policy
stops most of that where a host sends it, but not every host does (a plain bucket, GitHub
Pages): so a body keeps only what news bodies use (text, links, images and their variants,
figures, tables, audio, video, footnotes, and the facades embeds become), through Ammonia
(``nh3``), a well-kept sanitizer. A site may allow more tags and attributes
(``html_allow_tags``, ``html_allow_attributes``); scripts and iframes from hosts in
``embed_allow`` stay as written, rebuilt from their address alone.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterable

import nh3

from masthead.safeurl import host_of, link_ok, source_ok

TAGS = frozenset({
    "a", "abbr", "audio", "b", "bdi", "bdo", "blockquote", "br", "caption", "cite", "code",
    "col", "colgroup", "dd", "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption",
    "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "input", "ins", "kbd", "li",
    "mark", "ol", "p", "picture", "pre", "q", "rp", "rt", "ruby", "s", "samp", "section",
    "aside", "small", "source", "span", "strong", "sub", "summary", "sup", "table", "tbody",
    "td", "tfoot", "th", "thead", "time", "tr", "track", "u", "ul", "var", "video", "wbr",
})
ATTRIBUTES: dict[str, set[str]] = {
    "*": {"class", "id", "lang", "dir", "title", "role", "tabindex"},
    "a": {"href", "hreflang", "rel"},
    "img": {"src", "alt", "width", "height", "loading", "decoding", "fetchpriority", "srcset",
            "sizes"},
    "source": {"src", "srcset", "sizes", "type", "media", "width", "height"},
    "audio": {"src", "controls", "preload", "loop", "muted"},
    "video": {"src", "controls", "preload", "loop", "muted", "poster", "width", "height",
              "playsinline"},
    "track": {"src", "kind", "srclang", "label", "default"},
    "blockquote": {"cite"}, "q": {"cite"}, "del": {"cite", "datetime"},
    "ins": {"cite", "datetime"}, "time": {"datetime"},
    "ol": {"start", "reversed", "type"}, "li": {"value"},
    "td": {"colspan", "rowspan", "headers"}, "th": {"colspan", "rowspan", "headers", "scope"},
    "col": {"span"}, "colgroup": {"span"}, "details": {"open"},
    "input": {"checked", "disabled"},
    "iframe": {"src", "title", "width", "height", "allow", "allowfullscreen", "loading",
               "referrerpolicy"},
    "script": {"src", "async", "defer", "charset"},
}
# Attributes that load something, and those a reader follows: checked against the schemes
# a page may use (a path, or http(s); links also mailto: and tel:).
_LOADS = {"src", "poster", "cite"}
_SRCSET = {"srcset"}
_ALLOWED_EMBED = re.compile(r"<script\b[^>]*>\s*</script>", re.I)
_SCRIPT_SRC = re.compile(r"""\ssrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)


@functools.lru_cache(maxsize=32)
def _cleaner(extra_tags: tuple[str, ...], extra_attributes: tuple[str, ...],
             frames: bool) -> nh3.Cleaner:
    tags = set(TAGS) | set(extra_tags)
    if frames:
        tags.add("iframe")
    attributes = {tag: set(names) for tag, names in ATTRIBUTES.items() if tag in tags or
                  tag == "*"}
    for item in extra_attributes:
        tag, _, name = item.partition(":")
        attributes.setdefault(tag or "*", set()).add(name)
    return nh3.Cleaner(tags=tags, clean_content_tags={"script", "style"},
                       attributes=attributes, attribute_filter=_attribute,
                       generic_attribute_prefixes={"data-", "aria-"},
                       tag_attribute_values={"input": {"type": {"checkbox"}}},
                       link_rel=None, strip_comments=True,
                       url_schemes={"http", "https", "mailto", "tel"})


def _attribute(tag: str, name: str, value: str) -> str | None:
    """No event handler or style survives by a prefix rule, no URL by its scheme."""
    if name in _LOADS or (name.startswith("data-") and name.endswith(("src", "href", "url"))):
        return value if source_ok(value) else None
    if name in _SRCSET:
        return value if all(source_ok(part.split()[0]) for part in value.split(",")
                            if part.strip()) else None
    if name in ("href", "action", "formaction"):
        return value if link_ok(value) else None
    return value


def sanitize(body: str, embed_allow: Iterable[str] = (), extra_tags: Iterable[str] = (),
             extra_attributes: Iterable[str] = ()) -> str:
    """``body`` with only the allowed tags and attributes, and only the scripts and frames
    of hosts in ``embed_allow``."""
    allow = frozenset(embed_allow)
    kept: list[str] = []

    def keep_script(match: re.Match[str]) -> str:
        """A script from an allowed host, rebuilt from its address: nothing else of it is
        kept, and it is put back after the sanitizer (which removes every script)."""
        found = _SCRIPT_SRC.search(match.group(0))
        src = html.unescape(next((g for g in found.groups() if g), "")) if found else ""
        host = host_of(src)
        if not (src.startswith(("https://", "//")) and host and _allowed(src, allow)
                and _PLAIN_URL.fullmatch(src)):
            return ""
        kept.append(f'<script src="{html.escape(src)}" async></script>')
        return f"{_MARK}{len(kept) - 1}{_MARK}"

    if allow and "<script" in body.lower():
        body = _ALLOWED_EMBED.sub(keep_script, body.replace(_MARK, ""))
    cleaner = _cleaner(tuple(sorted(extra_tags)), tuple(sorted(extra_attributes)), bool(allow))
    clean = cleaner.clean(body)
    if "<input" in clean:  # only a task list's checkbox
        clean = _INPUT.sub(lambda m: m.group(0) if 'type="checkbox"' in m.group(0) else "",
                           clean)
    if "<iframe" in clean:
        clean = _IFRAME.sub(lambda m: m.group(0) if _allowed(m.group(1) or "", allow) else "",
                            clean)
    for number, script in enumerate(kept):
        clean = clean.replace(f"{_MARK}{number}{_MARK}", script)
    return clean


_PLAIN_URL = re.compile(r"[^\s\"'<>\\]+")
_MARK = "\ue000"  # a private-use character: where a kept script goes back
_INPUT = re.compile(r"<input\b[^>]*>", re.I)
_IFRAME = re.compile(r'<iframe\b(?:[^>]*?\ssrc="([^"]*)")?[^>]*>.*?</iframe>', re.S | re.I)


def _allowed(src: str, allow: frozenset[str]) -> bool:
    host = host_of(html.unescape(src))
    return bool(host) and (host in allow or host.removeprefix("www.") in allow)


_PLAIN_TARGETS = ("https://", "http://", "/", "#", "mailto:", "tel:")


def needs_sanitizing(body: str) -> bool:
    """Whether HTML made from Markdown alone (no raw HTML: the text is escaped) has a
    URL that the sanitizer would remove, such as ``[x](javascript:...)``. Such HTML has
    URLs in ``href`` and ``src`` only; found with ``str.find`` (every body is asked, and a
    pattern over the whole body cost a tenth of its rendering)."""
    for attribute in ('href="', 'src="'):
        at = body.find(attribute)
        while at >= 0:
            start = at + len(attribute)
            if not body.startswith(_PLAIN_TARGETS, start):
                end = body.find('"', start)
                if not link_ok(body[start:end if end >= 0 else len(body)]):
                    return True
            at = body.find(attribute, start)
    return False
