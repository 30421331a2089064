"""The site's public/ folder: which files exist and how large images are.

Width and height go on every <img> so that pages do not shift while images load;
reading them costs one header read per image per build, cached here.
"""

from __future__ import annotations

import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit


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
        if self.is_local(url):
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
            from PIL import Image, UnidentifiedImageError  # only when an image is measured

            try:
                with Image.open(path) as image:
                    size = image.size
            except (OSError, UnidentifiedImageError):
                size = None
        with self._lock:
            self._sizes[url] = size
        return size
