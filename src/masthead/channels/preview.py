"""A page that shows channel posts as a Telegram app shows them: the picture above, the
text below with its bold title and links, in a bubble, so that an editor sees the post
before it goes out (``masthead channels preview --html FILE``). The picture is the site's
own file when it has it (the page works offline), else its address."""

from __future__ import annotations

import html
from pathlib import Path

from masthead.channels.fediverse import Card
from masthead.channels.telegram import Post, units

_STYLE = """
body { background: #8fb08a; font: 15px/1.4 system-ui, sans-serif; margin: 0; padding: 24px; }
h1 { font-size: 14px; color: #fff; margin: 8px 0; }
.bubble { background: #fff; border-radius: 12px; max-width: 420px; margin: 0 0 24px;
          overflow: hidden; box-shadow: 0 1px 2px rgba(0, 0, 0, .2); }
.bubble img { display: block; width: 100%; }
.text { padding: 8px 12px 4px; white-space: pre-wrap; word-wrap: break-word; }
.text a { color: #168acd; text-decoration: none; }
.meta { color: #8c9aa5; font-size: 12px; text-align: right; padding: 0 12px 8px; }
.status { background: #282c37; color: #d9e1e8; border-radius: 8px; max-width: 560px;
          margin: 0 0 24px; padding: 16px; font: 15px/1.45 system-ui, sans-serif; }
.status .who { font-weight: 600; color: #fff; margin-bottom: 8px; }
.status .who span { color: #9baec8; font-weight: 400; }
.status p { margin: 0 0 12px; }
.status a { color: #8c8dff; text-decoration: none; }
.status img { display: block; width: 100%; border-radius: 6px; margin-top: 8px; }
"""


def preview_page(posts: list[tuple[str, Post | Card]], root: Path) -> str:
    """One bubble per (heading, post) as Telegram shows it, one status per (heading,
    card) as Mastodon does; ``root``: the site, whose public/ may hold the picture."""
    parts = ["<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
             "<title>Channel posts</title>", f"<style>{_STYLE}</style></head><body>"]
    for heading, post in posts:
        if isinstance(post, Card):
            parts.append(f"<h1>{html.escape(heading)}</h1><div class=\"status\">"
                         f"<div class=\"who\">{html.escape(post.account)} "
                         f"<span>{html.escape(post.handle)}</span></div>{post.html}")
            if post.image:
                parts.append(f"<img alt=\"\" src=\"{html.escape(_picture(post.image, root))}"
                             "\">")
            parts.append("</div>")
            continue
        parts.append(f"<h1>{html.escape(heading)}</h1><div class=\"bubble\">")
        if post.photo:
            parts.append(f"<img alt=\"\" src=\"{html.escape(_picture(post.photo, root))}\">")
        # Telegram HTML is HTML: its tags (b, a with an escaped href) show as they are
        parts.append(f"<div class=\"text\">{post.html}</div>")
        parts.append(f"<div class=\"meta\">{units(post.text)} / {post.limit}</div></div>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _picture(url: str, root: Path) -> str:
    """The picture's file under the site's public/ when it is there, else ``url``."""
    path = url.split("://", 1)[-1].split("/", 1)[-1] if "://" in url else url.lstrip("/")
    public = (root / "public").resolve()
    local = (public / path).resolve()
    if local.is_file() and local.is_relative_to(public):
        return local.as_uri()
    return url
