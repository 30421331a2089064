"""Small pictures for the editor's media library.

Decap's library asks for every picture of the uploads folder with its bytes (its proxy
protocol has no thumbnails), and a year of a newsroom's photos is hundreds of megabytes
over a writer's phone link. The desk sends each picture's smallest variant instead: the
build's own on-request variants (``ResponsiveImages.variant_on_request``), kept in the
build's image cache, so a picture a published story uses costs nothing more, and the
others are encoded once. A story still names the picture itself; only the library shows
the small one."""

from __future__ import annotations

import threading
from pathlib import Path

from masthead.config import SiteConfig
from masthead.pipeline import images_on_request


class Previews:
    """The smallest variant of each picture in the uploads folder, made on request."""

    def __init__(self, config: SiteConfig) -> None:
        self.config = config
        self.lock = threading.Lock()  # the image index is written when pictures are planned

    def of(self, rels: list[str]) -> dict[str, bytes]:
        """For each ``public/...`` path of a raster picture, the bytes of its smallest
        variant (a WebP where the site makes them) when it is the smaller; pictures
        without one (small already, not raster, broken, or images turned off) are left
        out."""
        images = images_on_request(self.config)  # reads the cache's index anew: uploads
        if images is None:
            return {}
        urls = {rel: "/" + rel.split("/", 1)[1] for rel in rels if rel.startswith("public/")}
        with self.lock:
            images.plan(list(urls.values()))
        found: dict[str, bytes] = {}
        for rel, url in urls.items():
            image = images.get(url)
            if image is None or not image.variants:
                continue
            small = min(image.variants, key=lambda v: (v.width, v.fmt != "webp"))
            made, _problem = images.variant_on_request(small.rel)
            if isinstance(made, Path) and made.is_file() \
                    and made.stat().st_size < image.source.stat().st_size:
                found[rel] = made.read_bytes()
        return found
