"""Static files: public/ copied as is, and the theme's files under content-hashed names.

A hashed name (``style.3f2a9c1e.css``) lets hosts cache the file forever: a reader on
a slow connection downloads the stylesheet once, and a new build changes the name.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

from masthead.paths import utf8_name

THEME_STATIC = Path(__file__).parent.parent / "themes" / "default" / "static"


def public_files(public_dir: Path, outside: list[str] | None = None,
                 clashes: list[tuple[str, str]] | None = None) -> dict[str, Path]:
    """Output path -> source file for everything under public/ (dot-files left out). A
    link that leads out of public/ (to /etc/passwd, say) is never published: its path
    goes to ``outside``, as does a name no address can carry (a line break, not UTF-8).
    Two paths that are one on a host that ignores case or Unicode normalization
    (``Images/a.jpg`` and ``images/a.jpg``) go to ``clashes``; the first is kept."""
    if not public_dir.is_dir():
        return {}
    root = public_dir.resolve()
    found = {}
    folded: dict[str, str] = {}
    for path in sorted(public_dir.rglob("*")):
        rel = path.relative_to(public_dir)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file():
            continue
        if not path.resolve().is_relative_to(root):
            if outside is not None:
                outside.append(rel.as_posix())
            continue
        name = rel.as_posix()
        if _UNUSABLE.search(name) or not utf8_name(name):
            if outside is not None:  # no address, no upload list can carry it
                outside.append(name)
            continue
        key = unicodedata.normalize("NFC", name).casefold()
        if key in folded:
            if clashes is not None:
                clashes.append((folded[key], name))
            continue
        folded[key] = name
        found[name] = path
    return found


_UNUSABLE = re.compile(r"[\x00-\x1f\x7f]")



def theme_assets(site_root: Path) -> tuple[dict[str, bytes], dict[str, str]]:
    """(output path -> bytes, name -> URL) of the theme's static files; a site's own
    ``static/`` replaces a theme file of the same name."""
    sources: dict[str, Path] = {}
    for folder in (THEME_STATIC, site_root / "static"):
        if folder.is_dir():
            root = folder.resolve()
            for path in folder.rglob("*"):
                if path.is_file() and path.resolve().is_relative_to(root):
                    sources[path.relative_to(folder).as_posix()] = path
    files: dict[str, bytes] = {}
    urls: dict[str, str] = {}
    for rel, path in sorted(sources.items()):
        data = _minified(rel, path.read_bytes())
        digest = hashlib.sha256(data).hexdigest()[:10]
        stem, dot, suffix = rel.rpartition(".")
        hashed = f"assets/{stem}.{digest}.{suffix}" if dot else f"assets/{rel}.{digest}"
        files[hashed] = data
        key = Path(rel).stem if Path(rel).suffix in (".css", ".js") else rel
        urls[key] = "/" + hashed
    urls.setdefault("css", urls.get("style", ""))
    return files, urls


def _minified(rel: str, data: bytes) -> bytes:
    """CSS and JavaScript without comments and needless blanks: the stylesheet blocks the
    first paint, so each byte of it is waited for. Anything that is not UTF-8 is kept."""
    suffix = rel.rpartition(".")[2].lower()
    if suffix not in ("css", "js"):
        return data
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data
    if suffix == "css":
        import rcssmin

        return str(rcssmin.cssmin(text)).encode("utf-8")
    import rjsmin

    return str(rjsmin.jsmin(text)).encode("utf-8")
