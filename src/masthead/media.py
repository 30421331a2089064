"""The site's public/ folder: which files exist and how large images are.

Width and height go on every <img> so that pages do not shift while images load;
reading them costs one header read per image per build, cached here.
"""

from __future__ import annotations

import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

# The most pixels masthead decodes in one picture: 150 megapixels (a 16,000 x 9,400
# panorama; cameras make at most about 100). A file over it, such as a 50,000 x 50,000
# PNG of a few hundred KB that would need 10 GB to decode, is published as it is, without
# smaller versions, and said; its header is read, its pixels never.
PIXEL_LIMIT = 150_000_000


def tolerant() -> None:
    """Pillow as forgiving as browsers where that is safe: a bad checksum in a chunk a
    PNG does not need (text, colour profile) or a file cut short no longer makes a real
    archive's picture unreadable (browsers show both). Its pixel limit is replaced by
    PIXEL_LIMIT, checked from the header before anything is decoded."""
    from PIL import Image, ImageFile

    Image.MAX_IMAGE_PIXELS = None
    ImageFile.LOAD_TRUNCATED_IMAGES = True


def header_size(path: Path) -> tuple[int, int, int] | None:
    """(width, height, EXIF orientation) from an image's header, without decoding it;
    ``None`` for a file Pillow cannot read as an image."""
    from PIL import Image, UnidentifiedImageError

    tolerant()
    try:
        with Image.open(path) as image:
            width, height = image.size
            if width * height > PIXEL_LIMIT:  # a PNG's EXIF may be read by decoding it
                return width, height, 1
            try:
                orientation = image.getexif().get(0x0112, 1)
            except (OSError, ValueError, SyntaxError):  # the pixels are what is broken
                orientation = 1
            return width, height, orientation
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError):
        return None


class PublicFiles:
    """Answers questions about files under ``public/`` by their site URL."""

    def __init__(self, public_dir: Path) -> None:
        self.public_dir = public_dir
        self._sizes: dict[str, tuple[int, int] | None] = {}
        self._paths: dict[str, Path | None] = {}
        self._root = public_dir.resolve()
        self._lock = threading.Lock()

    @staticmethod
    def is_local(url: str) -> bool:
        parts = urlsplit(url)
        return not parts.scheme and not parts.netloc and url.startswith("/")

    def path_of(self, url: str) -> Path | None:
        """The file behind a local URL such as ``/images/a.jpg``, or None (cached: the
        same hero image is asked about by every page that shows its card)."""
        try:
            return self._paths[url]
        except KeyError:
            pass
        found = None
        if self.is_local(url) and "\x00" not in url:
            relative = unquote(urlsplit(url).path).lstrip("/")
            candidate = (self._root / relative).resolve()
            if self._root in candidate.parents and candidate.is_file():
                found = candidate
        self._paths[url] = found
        return found

    def add(self, url: str, path: Path) -> None:
        """A file the build made (a video's poster) served at ``url``."""
        self._paths[url] = path

    def exists(self, url: str) -> bool:
        return self.path_of(url) is not None

    def size(self, url: str) -> tuple[int, int] | None:
        """(width, height) of a local raster image; None for SVG, remote or unreadable."""
        with self._lock:
            if url in self._sizes:
                return self._sizes[url]
        path = self.path_of(url)
        size = None
        if path is not None and path.suffix.lower() != ".svg":
            found = header_size(path)
            size = found[:2] if found else None
        with self._lock:
            self._sizes[url] = size
        return size
