"""A story's body as pages and feeds show it: Markdown made into HTML with the site's
images, variants, embeds and strings."""

from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import escape

from masthead.assets.posters import poster_url
from masthead.config import SiteConfig
from masthead.content.embeds import EmbedPolicy
from masthead.content.markdown import (
    BODY_SIZES,
    BodyMedia,
    RenderedMarkdown,
    Srcsets,
    picture_with,
    render_markdown,
)
from masthead.i18n import Strings
from masthead.images import ResponsiveImages
from masthead.media import PublicFiles


def picture_html(src: str, alt: str, cls: str, eager: bool, size: tuple[int, int] | None,
                 srcsets: Srcsets, sizes: str | None = None, low: bool = False) -> str:
    """An <img> with its width and height (no layout shift), in a <picture> offering its
    AVIF/WebP variants for ``sizes``; lazy unless ``eager`` (the hero, which should load
    first). ``low``: also fetched after the rest, where another picture is the one the
    reader waits for (a card on screen would otherwise share a slow line with it)."""
    parts = [f'<img src="{escape(src)}" alt="{escape(alt)}"']
    if size:
        parts.append(f' width="{size[0]}" height="{size[1]}"')
    parts.append(' fetchpriority="high"' if eager else ' loading="lazy" decoding="async"')
    if low and not eager:
        parts.append(' fetchpriority="low"')
    if cls:
        parts.append(f' class="{escape(cls)}"')
    return picture_with("".join(parts) + ">", src, srcsets, sizes or BODY_SIZES)


@dataclass
class BodyRenderer:
    """Markdown bodies with the site's images, embeds and interface strings."""

    config: SiteConfig
    strings: dict[str, Strings]
    public: PublicFiles
    images: ResponsiveImages | None = None
    posters: frozenset[str] = frozenset()
    _media: dict[tuple[str, bool], BodyMedia] = field(default_factory=dict)

    def image_size(self, src: str) -> tuple[int, int] | None:
        """Width and height as displayed (after the EXIF orientation, when known)."""
        found = self.images.get(src) if self.images else None
        return (found.width, found.height) if found else self.public.size(src)

    def srcsets(self, src: str) -> tuple[tuple[str, str], ...]:
        found = self.images.get(src) if self.images else None
        return found.srcsets() if found else ()

    def img(self, src: str, alt: str = "", cls: str = "", eager: bool = False,
            sizes: str | None = None) -> str:
        return picture_html(src, alt, cls, eager, self.image_size(src), self.srcsets, sizes)

    def media(self, lang: str, feed: bool = False) -> BodyMedia:
        """How bodies in ``lang`` show images and embeds (feeds: plain <img>)."""
        found = self._media.get((lang, feed))
        if found is None:
            strings = self.strings[lang]
            policy = EmbedPolicy(
                allow=frozenset(self.config.embed_allow),
                poster=lambda video: poster_url(video) if video in self.posters else None,
                picture=lambda src, alt: self.img(src, alt, "embed-poster-image"),
                label=lambda key, host: strings(key, host=host))
            found = BodyMedia(size=self.image_size, srcsets=None if feed else self.srcsets,
                              embeds=policy, allow_tags=self.config.html_allow_tags,
                              allow_attributes=self.config.html_allow_attributes)
            self._media[(lang, feed)] = found
        return found

    def render(self, markdown: str, lang: str, feed: bool = False) -> RenderedMarkdown:
        return render_markdown(markdown, self.media(lang, feed))
