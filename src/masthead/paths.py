"""Where the default theme's files are (a module of its own, so that finding them does
not import the template engine)."""

from __future__ import annotations

from pathlib import Path

THEME = Path(__file__).parent / "themes" / "default"
THEME_TEMPLATES = THEME / "templates"
