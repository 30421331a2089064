"""What a site's pages show from elsewhere: its images, embeds and outside hosts.

Found from the models alone (front matter, and the references each body's text was
scanned for when it was loaded), so a build knows which images need variants, which
videos need posters and what the Content-Security-Policy must allow before it renders
a single page.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from masthead.content.embeds import YOUTUBE
from masthead.content.markdown import MEDIA_PREFIX
from masthead.content.models import Author, Body, Category, Entry, Page
from masthead.safeurl import host_of
from masthead.site.index import Site

_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".avif", ".gif", ".tif", ".tiff", ".bmp",
                   ".svg")


# Device pixels the default theme ever shows a picture of an author or a category at: a
# photo of 12rem at most (three device pixels per CSS pixel on the densest phones), a
# category's picture 50vw of a phone below 36rem. Wider variants of them would never be
# downloaded, so they are not made. Stories and bodies use every width.
AUTHOR_PIXELS = 192 * 3
CATEGORY_PIXELS = 288 * 3


@dataclass
class MediaUsage:
    images: dict[str, str] = field(default_factory=dict)  # local URL -> a file that uses it
    # local URL -> device pixels its widest use needs (0: as wide as the widths go)
    pixels: dict[str, int] = field(default_factory=dict)
    image_hosts: set[str] = field(default_factory=set)  # hosts of remote images
    frames: dict[str, str] = field(default_factory=dict)  # iframe/script URL -> a file
    youtube: dict[str, str] = field(default_factory=dict)  # video id -> a file
    media_hosts: set[str] = field(default_factory=set)  # hosts of remote sound and video


def media_usage(site: Site) -> MediaUsage:
    models: list[Any] = []
    for lang_site in site.languages.values():
        models += [*lang_site.posts, *lang_site.all_authors, *lang_site.categories.values(),
                   *lang_site.pages.values()]
        for entries in lang_site.items.values():
            models.extend(entries)
    return usage_of(models)


def usage_of(models: list[Any]) -> MediaUsage:
    """What these models show from elsewhere."""
    usage = MediaUsage()
    for model in models:
        _add_model(usage, model)
    return usage


def _add_model(usage: MediaUsage, model: Entry | Author | Category | Page) -> None:
    source = model.source
    pixels = (AUTHOR_PIXELS if isinstance(model, Author)
              else CATEGORY_PIXELS if isinstance(model, Category) else 0)
    for value in _strings(model):
        _add_image(usage, value, source, pixels)
    if isinstance(model, Entry) and model.youtube_id:
        usage.youtube.setdefault(model.youtube_id, source)
    body = getattr(model, "body", None)
    if isinstance(body, Body):
        for url in body.images:
            _add_image(usage, url, source, 0)
        for url in body.frames:
            if url.startswith(MEDIA_PREFIX):
                host = host_of(url[len(MEDIA_PREFIX):])
                if host:
                    usage.media_hosts.add(host)
                continue
            usage.frames.setdefault(url, source)
            video = YOUTUBE.match(url)
            if video:
                usage.youtube.setdefault(video.group(1), source)


def _add_image(usage: MediaUsage, value: str, source: str, pixels: int) -> None:
    if not value.lower().endswith(_IMAGE_SUFFIXES):
        return
    if value.startswith("/") and not value.startswith("//"):
        usage.images.setdefault(value, source)
        before = usage.pixels.get(value)
        usage.pixels[value] = pixels if before is None else (
            0 if 0 in (before, pixels) else max(before, pixels))
    elif value.startswith(("http://", "https://", "//")):
        host = host_of(value)
        if host:
            usage.image_hosts.add(host)


def _strings(model: Any) -> Iterator[str]:
    """Every text value in a model's front matter (images hide in about-page sections)."""
    if isinstance(model, Entry):
        yield model.image
        yield from _walk(model.extra)
    elif isinstance(model, (Author, Category)):
        yield model.image
    elif isinstance(model, Page):
        yield from _walk(model.sections)


def _walk(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _walk(item)
