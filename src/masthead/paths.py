"""Where the default theme's files are (a module of its own, so that finding them does
not import the template engine)."""

from __future__ import annotations

from pathlib import Path

THEME = Path(__file__).parent / "themes" / "default"
THEME_TEMPLATES = THEME / "templates"


def has_site_templates(site_root: Path) -> bool:
    """Whether the site overrides or adds templates: what they show is not known in advance,
    so incremental builds treat every page as showing all of the site's content."""
    folder = site_root / "templates"
    return folder.is_dir() and any(path.is_file() and path.relative_to(folder).parts[0] != "email"
                                   for path in folder.rglob("*"))  # email/: the newsletter's


def utf8_name(name: str) -> bool:
    """Whether a name read from the disk was valid UTF-8 (Python keeps the bytes that were
    not as lone surrogates, which no page, URL or upload list can carry)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
