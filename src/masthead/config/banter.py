"""A Banter project's own config files (config/site.config.js, menus.js, social.js, or .json),
read as they are and mapped to masthead's settings."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import json5

from masthead.config.entries import read_menu, read_social, rel_path
from masthead.errors import Diagnostic

# Banter's camelCase keys -> SiteConfig fields.
_BANTER_KEYS = {
    "baseURL": "base_url",
    "logo": "logo",
    "logoFull": "logo",
    "logoCropped": "logo_cropped",
    "logoText": "logo_text",
    "favicon": "favicon",
    "postPerPage": "posts_per_page",
    "copyright": "copyright",
}
_BANTER_META = {
    "title": "title",
    "description": "description",
    "author": "author",
    "keyword": "keywords",
    "ogImage": "og_image",
}


def banter_file(root: Path, stem: str) -> Path | None:
    for ext in (".js", ".mjs", ".json"):
        path = root / "config" / f"{stem}{ext}"
        if path.is_file():
            return path
    return None


def read_banter(root: Path, values: dict[str, Any], problems: list[Diagnostic]) -> bool:
    site_path = banter_file(root, "site.config")
    if site_path is None:
        return False
    site = read_js_object(site_path, root, problems)
    if isinstance(site, dict):
        for key, name in _BANTER_KEYS.items():
            if key in site and site[key] not in (None, ""):
                values[name] = site[key]
        meta = site.get("metaData") or {}
        if isinstance(meta, dict):
            for key, name in _BANTER_META.items():
                if meta.get(key):
                    values[name] = meta[key]
    menus_path = banter_file(root, "menus")
    if menus_path:
        menus = read_js_object(menus_path, root, problems)
        if isinstance(menus, dict):
            values["main_menu"] = read_menu(menus.get("mainMenu"), menus_path, root, problems)
            values["footer_menu"] = read_menu(menus.get("footer"), menus_path, root, problems)
    social_path = banter_file(root, "social")
    if social_path:
        profiles = read_js_object(social_path, root, problems)
        values["social"] = read_social(profiles, social_path, root, problems)
    return True


_EXPORT = re.compile(r"^\s*(export\s+default|module\.exports\s*=)\s*", re.M)


def read_js_object(path: Path, root: Path, problems: list[Diagnostic]) -> Any:
    """Parse ``export default { ... }`` (or JSON) with a JSON5 parser, keeping line numbers."""
    rel = rel_path(path, root)
    text = path.read_text(encoding="utf-8")
    offset_line = 0
    if path.suffix != ".json":
        match = _EXPORT.search(text)
        if match is None:
            problems.append(Diagnostic(rel, None, "no 'export default { ... }' found",
                                       "the file must export one object literal"))
            return None
        offset_line = text.count("\n", 0, match.end())
        body = text[match.end():].strip().rstrip(";").strip()
        named = re.fullmatch(r"[A-Za-z_$][\w$]*", body)
        if named:  # const config = {...}; export default config
            decl = re.search(rf"(?:const|let|var)\s+{re.escape(body)}\s*=\s*", text)
            if decl is None:
                problems.append(Diagnostic(rel, offset_line + 1,
                                           f"'{body}' is exported but never defined"))
                return None
            offset_line = text.count("\n", 0, decl.end())
            body = _balanced_object(text[decl.end():])
        text = body
    try:  # most config files are plain JSON, which the json module reads 30x faster
        return json.loads(text)
    except ValueError:
        pass

    try:
        return json5.loads(text)
    except ValueError as exc:
        line_match = re.search(r"<string>:(\d+)", str(exc))
        line = int(line_match.group(1)) + offset_line if line_match else None
        problems.append(Diagnostic(rel, line, f"cannot read this object literal: {exc}",
                                   "keep it a plain object: quoted or bare keys, no code"))
        return None


def _balanced_object(text: str) -> str:
    depth = 0
    for index, char in enumerate(text):
        if char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
            if depth == 0:
                return text[: index + 1]
    return text
