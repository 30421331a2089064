"""Poster images for video facades, fetched once while building and served by the site.

The reader's browser never asks YouTube for a thumbnail: the build does, once per video,
and keeps the picture in the image cache. Where YouTube cannot be reached (blocked, or
no network), the facade shows a styled placeholder instead, and the build asks again a
day later rather than on every build.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from masthead.output import write_atomic

POSTER_URL = "https://i.ytimg.com/vi/{id}/hqdefault.jpg"
RETRY_AFTER = 24 * 3600  # seconds before a failed fetch is tried again
TIMEOUT = 4.0
MAX_BYTES = 2_000_000


def poster_url(video_id: str) -> str:
    """Where a video's poster is published on the site."""
    return f"/_embeds/youtube-{video_id}.jpg"


def fetch_posters(video_ids: Iterable[str], folder: Path) -> dict[str, Path]:
    """Video id -> poster file, for every video whose poster is (or now gets) cached."""
    folder.mkdir(parents=True, exist_ok=True)
    found: dict[str, Path] = {}
    todo = []
    now = time.time()
    for video_id in sorted(set(video_ids)):
        path = folder / f"youtube-{video_id}.jpg"
        failed = folder / f"youtube-{video_id}.failed"
        if path.is_file():
            found[video_id] = path
        elif not (failed.is_file() and now - failed.stat().st_mtime < RETRY_AFTER):
            todo.append(video_id)
    if todo:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(8, len(todo))) as pool:
            for video_id, fetched in zip(todo, pool.map(lambda v: _fetch(v, folder), todo),
                                         strict=True):
                if fetched is not None:
                    found[video_id] = fetched
    return found


def _fetch(video_id: str, folder: Path) -> Path | None:
    import urllib.error  # only when a poster is missing: urllib is slow to import
    import urllib.request

    target = folder / f"youtube-{video_id}.jpg"
    failed = folder / f"youtube-{video_id}.failed"
    request = urllib.request.Request(POSTER_URL.format(id=video_id),
                                     headers={"User-Agent": "masthead"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            data = response.read(MAX_BYTES + 1)
    except (OSError, urllib.error.URLError, ValueError):
        failed.touch()
        return None
    if len(data) > MAX_BYTES or not data.startswith(b"\xff\xd8"):
        failed.touch()
        return None
    write_atomic(target, data)
    failed.unlink(missing_ok=True)
    return target
