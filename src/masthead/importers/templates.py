"""Template code in the bodies of another generator's stories: Jekyll's Liquid tags and
Hugo's shortcodes become HTML or Markdown where masthead has the same thing; an unknown
one stays visibly in the text and is reported with its file."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

from masthead.importers.convert import attributes, embed_html
from masthead.importers.markdown_source import JEKYLL_NAME
from masthead.importers.scan import Marks, Span, paired, substitute

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
            JEKYLL_NAME.sub(r"\4", stem))
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
