"""Copying public/ as is, and the theme's static files under content-hashed names.

A hashed name (``style.3f2a9c1e.css``) lets hosts cache the file forever: a reader
on a slow connection downloads the stylesheet once, and a new build changes the name.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from masthead.output import Sink

THEME_STATIC = Path(__file__).parent.parent / "themes" / "default" / "static"


def copy_public(public_dir: Path, sink: Sink) -> int:
    if not public_dir.is_dir():
        return 0
    count = 0
    for path in sorted(public_dir.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            sink.copy(path.relative_to(public_dir).as_posix(), path)
            count += 1
    return count


def theme_assets(site_root: Path, sink: Sink) -> dict[str, str]:
    """Write theme static files (a site's static/ overrides by name); return their URLs."""
    urls: dict[str, str] = {}
    sources: dict[str, Path] = {}
    for folder in (THEME_STATIC, site_root / "static"):
        if folder.is_dir():
            for path in folder.rglob("*"):
                if path.is_file():
                    sources[path.relative_to(folder).as_posix()] = path
    for rel, path in sorted(sources.items()):
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()[:10]
        stem, dot, suffix = rel.rpartition(".")
        hashed = f"assets/{stem}.{digest}.{suffix}" if dot else f"assets/{rel}.{digest}"
        sink.write(hashed, data)
        key = Path(rel).stem if Path(rel).suffix in (".css", ".js") else rel
        urls[key] = "/" + hashed
    urls.setdefault("css", urls.get("style", ""))
    return urls
