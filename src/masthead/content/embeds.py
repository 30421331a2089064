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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html import escape, unescape
from typing import TYPE_CHECKING

from masthead.safeurl import host_of

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
    # after the last paragraph (found by position: nodes with the same HTML compare equal)
    last = max((at for at, c in enumerate(children) if c.tag == "p"), default=len(children))
    byline_nodes = children[last + 1:]
    byline = "".join(c.text(deep=True) for c in byline_nodes if c is not status)
    text = "".join(_paragraph(p) for p in paragraphs) or (
        f"<p>{quote.inner_html or ''}</p>" if not paragraphs else "")
    date = status.text(deep=True) if status else None
    return _tweet_figure(text, byline, href, date)


def _tweet_figure(text: str, byline: str, href: str, date: str | None) -> str:
    """The card: the tweet's paragraphs (HTML), its byline and its date (text; ``date``
    None when the tweet has no link to itself), linked to ``href``."""
    byline = byline.strip().lstrip("—–-").strip()
    cite = f' cite="{escape(href)}"' if href.startswith(("http://", "https://")) else ""
    caption = ""
    if byline or date is not None:
        shown = escape(date.strip()) if date else ""
        link = (f'{" · " if byline else ""}<a href="{escape(href)}" rel="noopener">'
                f'{shown or escape(href)}</a>' if date is not None and href else "")
        caption = (f'<figcaption class="embed-byline">{"— " if byline else ""}'
                   f'{escape(byline)}{link}</figcaption>')
    return f'<figure class="embed-tweet"><blockquote{cite}>{text}</blockquote>{caption}</figure>'


# Twitter's embed code as it writes it (attribute values and links without "&", text
# without tags but links and line breaks): made into a card without parsing HTML.
_TWEET_CODE = re.compile(
    r'<blockquote class="twitter-tweet"(?: data-[a-z-]+="[^"&<>]*")*>'
    r'((?:<p(?: (?:lang|dir)="[^"&<>]*")*>(?:[^<]|<br>|<a href="[^"&<>]*">[^<]*</a>)*</p>)+)'
    r'([^<]*)<a href="([^"&<>]*)">([^<]*)</a></blockquote>'
    r'( ?<script async src="https://platform\.twitter\.com/widgets\.js" charset="utf-8">'
    r"</script>)?\n")
_CODE_PARAGRAPH = re.compile(r"<p((?: (?:lang|dir)=\"[^\"]*\")*)>(.*?)</p>", re.S)
_CODE_ATTRIBUTE = re.compile(r' (lang|dir)="([^"]*)"')
_CODE_LINK = re.compile(r'<a href="([^"]*)">')
_CODE_TAG = re.compile(r"<[^>]*>")
_CODE_LINKED = re.compile(r"<a [^>]*>[^<]*</a>")


def tweet_card_from_code(code: str, policy: EmbedPolicy) -> str | None:
    """What the DOM pass makes of a raw HTML block that is exactly Twitter's embed code
    (the blockquote, the script, the line's end): the card, the space before the script,
    the newline. None for anything else, or for a tweet whose text holds a URL not yet
    linked (the DOM pass links it), or when the site allows Twitter's script."""
    found = _TWEET_CODE.fullmatch(code)
    if found is None or policy.allows("https://platform.twitter.com/"):
        return None
    paragraphs, byline, href, date, script = found.groups()
    if "http" in unescape(_CODE_TAG.sub(" ", _CODE_LINKED.sub(" ", paragraphs)) + byline):
        return None
    text = "".join(
        "<p{}>{}</p>".format(
            _paragraph_attributes(_CODE_ATTRIBUTE.findall(attributes)),
            _CODE_LINK.sub(lambda link: f'<a href="{escape(clean_url(link.group(1)))}">',
                           inner))
        for attributes, inner in _CODE_PARAGRAPH.findall(paragraphs))
    card = _tweet_figure(text, unescape(byline), clean_url(href), unescape(date))
    return card + (" " if script and script.startswith(" ") else "") + "\n"


def _paragraph_attributes(attributes: Iterable[tuple[str, str | None]]) -> str:
    """A tweet paragraph's language and direction, as the card keeps them ("und": none)."""
    return "".join(f' {name}="{escape(value)}"' for name, value in attributes
                   if name in ("lang", "dir") and value and value != "und")


def _paragraph(node: LexborNode) -> str:
    attrs = _paragraph_attributes(node.attrs.items())
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

