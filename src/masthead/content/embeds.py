"""Privacy-safe embeds: what a post embeds from other services, made to load nothing.

A tweet's script, a YouTube iframe or a Telegram widget tells those companies who reads
what the moment a page opens, and fails where they are blocked. By default they become:

- a tweet (``blockquote.twitter-tweet``): a static card made of the blockquote's own
  text, author, date and link, without widgets.js;
- a YouTube iframe (or a video's ``youtubeId``): a click-to-load facade showing a poster
  stored with the site; only a click loads the player, from youtube-nocookie.com;
- a Telegram post widget (``script[data-telegram-post]``): a static card linking to it;
- any other iframe: a click-to-load facade that names the host.

Without JavaScript a facade is a plain link to the video or page. Hosts a site lists in
``embed_allow`` keep their scripts and iframes as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from selectolax.lexbor import LexborHTMLParser, LexborNode

    Tree = LexborHTMLParser | LexborNode  # what is searched: a whole fragment, or a part

YOUTUBE = re.compile(
    r"^(?:https?:)?//(?:www\.|m\.)?(?:youtube(?:-nocookie)?\.com/(?:embed|shorts|live)/|"
    r"youtu\.be/)([\w-]{11})")
TELEGRAM_POST = re.compile(r"^[\w]{3,64}/\d{1,12}$")
_TRACKING = re.compile(r"([?&])(?:ref_src|ref_url)=[^&#]*&?")

Labels = Callable[[str, str], str]  # (key, host) -> text in the page's language

_ENGLISH = {
    "embed_play": "Play video",
    "embed_load": "Load content from {host}",
    "embed_notice": "Loads from {host} when you click",
    "embed_telegram": "Telegram post",
}


@dataclass(frozen=True)
class EmbedPolicy:
    """What a body may load, and the words and pictures its facades use."""

    allow: frozenset[str] = frozenset()  # hosts whose scripts and iframes stay as written
    poster: Callable[[str], str | None] = field(default=lambda video_id: None)
    picture: Callable[[str, str], str] = field(default=lambda src, alt: "")
    label: Labels = field(default=lambda key, host: _ENGLISH[key].format(host=host))

    def allows(self, url: str) -> bool:
        host = host_of(url)
        return bool(host) and (host in self.allow or host.removeprefix("www.") in self.allow)




def host_of(url: str) -> str:
    try:
        return (urlsplit(url if "//" in url else f"//{url}").hostname or "").lower()
    except ValueError:
        return ""


def clean_url(url: str) -> str:
    """A link without the tracking parameters that embed code adds (``ref_src=twsrc``)."""
    cleaned = _TRACKING.sub(lambda m: m.group(1), url)
    return cleaned.rstrip("?&")


def youtube_facade(video_id: str, title: str, policy: EmbedPolicy) -> str:
    """The click-to-load stand-in for a YouTube video (phrasing content: it may sit in a
    paragraph, where Markdown puts an inline iframe)."""
    poster_url = policy.poster(video_id)
    poster = (policy.picture(poster_url, "") if poster_url
              else '<span class="embed-poster" aria-hidden="true"></span>')
    notice = escape(policy.label("embed_notice", "youtube.com"))
    return (f'<a class="embed-facade embed-video" href="https://www.youtube.com/watch?v='
            f'{video_id}" data-embed-src="https://www.youtube-nocookie.com/embed/{video_id}'
            f'?autoplay=1" data-embed-title="{escape(title)}">{poster}'
            f'<span class="embed-play"><span class="embed-button">'
            f'{escape(policy.label("embed_play", "youtube.com"))}</span>'
            f'<span class="embed-host">{notice}</span></span></a>')


def frame_facade(src: str, title: str, policy: EmbedPolicy) -> str:
    host = host_of(src)
    return (f'<a class="embed-facade embed-frame" href="{escape(src)}" '
            f'data-embed-src="{escape(src)}" data-embed-title="{escape(title)}">'
            f'<span class="embed-play"><span class="embed-button">'
            f'{escape(policy.label("embed_load", host))}</span>'
            f'<span class="embed-host">{escape(policy.label("embed_notice", host))}</span>'
            "</span></a>")


def make_embeds_safe(root: Tree, policy: EmbedPolicy,
                     replace: Callable[[LexborNode, str], None],
                     tags: set[str] | None = None) -> None:
    """Turn the embeds under ``root`` into their static or click-to-load forms. ``tags``,
    the names of the elements under ``root`` when known, spares looking for embeds made
    of others."""
    if tags is None or "blockquote" in tags:
        _tweets(root, policy, replace)
    if tags is None or "script" in tags:
        _telegram(root, policy, replace)
    if tags is None or "iframe" in tags:
        _iframes(root, policy, replace)


def _tweets(root: Tree, policy: EmbedPolicy,
            replace: Callable[[LexborNode, str], None]) -> None:
    if policy.allows("https://platform.twitter.com/"):
        return
    for quote in root.css("blockquote.twitter-tweet, blockquote.twitter-video"):
        replace(quote, tweet_card(quote, policy))


def tweet_card(quote: LexborNode, policy: EmbedPolicy) -> str:
    """A tweet as the blockquote Twitter's embed code writes it: paragraphs of text, then
    '— Name (@handle)' and a link to the tweet whose text is its date."""
    children = list(quote.iter(include_text=True))
    paragraphs = [c for c in children if c.tag == "p"]
    links = [c for c in children if c.tag == "a"]
    status = links[-1] if links else None
    href = clean_url(status.attrs.get("href") or "") if status else ""
    byline_nodes = children[children.index(paragraphs[-1]) + 1:] if paragraphs else []
    byline = "".join(c.text(deep=True) for c in byline_nodes if c is not status)
    byline = byline.strip().lstrip("—–-").strip()
    text = "".join(_paragraph(p) for p in paragraphs) or (
        f"<p>{quote.inner_html or ''}</p>" if not paragraphs else "")
    cite = f' cite="{escape(href)}"' if href.startswith(("http://", "https://")) else ""
    caption = ""
    if byline or status:
        date = escape(status.text(deep=True).strip()) if status else ""
        link = (f'{" · " if byline else ""}<a href="{escape(href)}" rel="noopener">'
                f'{date or escape(href)}</a>' if status and href else "")
        caption = (f'<figcaption class="embed-byline">{"— " if byline else ""}'
                   f'{escape(byline)}{link}</figcaption>')
    return f'<figure class="embed-tweet"><blockquote{cite}>{text}</blockquote>{caption}</figure>'


def _paragraph(node: LexborNode) -> str:
    attrs = "".join(f' {name}="{escape(value or "")}"' for name, value in node.attrs.items()
                    if name in ("lang", "dir") and value and value != "und")
    for link in node.css("a"):
        link.attrs["href"] = clean_url(link.attrs.get("href") or "")
    return f"<p{attrs}>{node.inner_html or ''}</p>"


def _telegram(root: Tree, policy: EmbedPolicy,
              replace: Callable[[LexborNode, str], None]) -> None:
    for script in root.css("script[data-telegram-post]"):
        if policy.allows(script.attrs.get("src") or ""):
            continue
        post = (script.attrs.get("data-telegram-post") or "").strip()
        if not TELEGRAM_POST.match(post):
            script.decompose()
            continue
        label = escape(policy.label("embed_telegram", "t.me"))
        replace(script, f'<a class="embed-telegram" href="https://t.me/{escape(post)}" '
                        f'rel="noopener"><span class="embed-button">{label}</span>'
                        f'<span class="embed-host">t.me/{escape(post)}</span></a>')


def _iframes(root: Tree, policy: EmbedPolicy,
             replace: Callable[[LexborNode, str], None]) -> None:
    for frame in root.css("iframe"):
        src = (frame.attrs.get("src") or "").strip()
        if not src or policy.allows(src):
            continue
        title = frame.attrs.get("title") or ""
        video = YOUTUBE.match(src)
        if video:
            replace(frame, youtube_facade(video.group(1), title or "YouTube", policy))
        elif src.startswith(("http://", "https://", "//")):
            replace(frame, frame_facade(src if not src.startswith("//") else f"https:{src}",
                                        title or host_of(src), policy))

