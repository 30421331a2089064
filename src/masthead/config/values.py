"""masthead.toml and --set values: each setting's name and type checked, with its line."""

from __future__ import annotations

import re
import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any

from masthead.config.entries import (
    LANGUAGE_CODE,
    TABLE_KEYS,
    check_table_keys,
    read_channels,
    read_collections,
    read_deploy,
    read_menu,
    read_social,
)
from masthead.config.feeds import FEED_FILES
from masthead.config.settings import SiteConfig
from masthead.errors import Diagnostic, did_you_mean
from masthead.safeurl import hostname


def read_toml(path: Path, values: dict[str, Any], problems: list[Diagnostic]) -> None:
    rel = path.name
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line_match = re.search(r"line (\d+)", str(exc))
        problems.append(Diagnostic(rel, int(line_match.group(1)) if line_match else None,
                                   f"invalid TOML: {exc}"))
        return
    apply(data, rel, lambda key: toml_line(text, key), path, values, problems)


def apply(data: dict[str, Any], rel: str, line_of: Any, path: Path, values: dict[str, Any],
           problems: list[Diagnostic]) -> None:
    """Check each setting's name and type and put the good ones into ``values``."""
    known = {f.name: f for f in fields(SiteConfig) if f.name != "root"}
    for key, value in data.items():
        line = line_of(key)
        if key not in known:
            problems.append(Diagnostic(rel, line, f"unknown setting '{key}'",
                                       did_you_mean(key, known, "settings")))
            continue
        if key in TABLE_KEYS:
            check_table_keys(key, value, rel, line_of, known, problems)
        if key in ("main_menu", "footer_menu"):
            values[key] = read_menu(value, path, path.parent, problems)
        elif key == "social":
            values[key] = read_social(value, path, path.parent, problems)
        elif key in ("languages", "feed_formats"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                example = '["rss", "atom"]' if key == "feed_formats" else '["en", "ru"]'
                problems.append(Diagnostic(rel, line, f"'{key}' must be a list of names",
                                           f"write {key} = {example}"))
            elif key == "feed_formats" and set(value) - set(FEED_FILES):
                names = [f'"{name}"' for name in FEED_FILES]
                problems.append(Diagnostic(rel, line, f"unknown feed format in {value}",
                                           f"choose among {', '.join(names[:-1])} and "
                                           f"{names[-1]}"))
            elif key == "languages" and [v for v in value if not LANGUAGE_CODE.match(v)]:
                bad = next(v for v in value if not LANGUAGE_CODE.match(v))
                problems.append(Diagnostic(rel, line, f"{bad[:40]!r} is not a language code",
                                           'write language codes such as "en", "ru", "pt-BR"'))
            else:
                values[key] = tuple(value)
        elif key == "image_widths":
            if (not isinstance(value, list) or not value or not all(
                    isinstance(v, int) and not isinstance(v, bool) and 16 <= v <= 8192
                    for v in value)):
                problems.append(Diagnostic(rel, line, "'image_widths' must be a list of widths "
                                           "in pixels (16 to 8192)",
                                           "write image_widths = [320, 640, 960, 1440]"))
            else:
                values[key] = tuple(sorted(set(value)))
        elif key in ("html_allow_tags", "html_allow_attributes"):
            pattern = (r"^[a-z][a-z0-9-]*$" if key == "html_allow_tags"
                       else r"^(\*|[a-z][a-z0-9-]*):[a-z][a-z0-9-]*$")
            if not isinstance(value, list) or not all(
                    isinstance(v, str) and re.match(pattern, v.strip().lower()) for v in value):
                tags = key == "html_allow_tags"
                example = '["form", "button"]' if tags else '["*:style"]'
                what = "tag names" if tags else "tag:attribute names"
                problems.append(Diagnostic(rel, line, f"'{key}' must be a list of {what}",
                                           f"write {key} = {example}"))
            elif {v.strip().lower() for v in value} & {"script", "style"} or any(
                    v.strip().lower().split(":")[-1].startswith("on") for v in value):
                problems.append(Diagnostic(rel, line, f"'{key}' may not allow scripts, "
                                           "styles or event handlers",
                                           "embed scripts from a host with embed_allow"))
            else:
                values[key] = tuple(v.strip().lower() for v in value)
        elif key in ("image_formats", "embed_allow"):
            example = '["avif", "webp"]' if key == "image_formats" else '["www.example.org"]'
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                problems.append(Diagnostic(rel, line, f"'{key}' must be a list of names",
                                           f"write {key} = {example}"))
            elif key == "image_formats" and set(value) - {"avif", "webp"}:
                problems.append(Diagnostic(rel, line, f"unknown image format in {value}",
                                           'choose among "avif" and "webp"'))
            elif key == "embed_allow" and [v for v in value if hostname(v) != v.strip().lower()]:
                bad = next(v for v in value if hostname(v) != v.strip().lower())
                problems.append(Diagnostic(rel, line, f"'{bad}' in embed_allow is not a host name",
                                           'write host names only, e.g. "www.example.org"'))
            else:
                values[key] = tuple(v.strip().lower() for v in value)
        elif key == "deploy":
            values[key] = read_deploy(value, rel, line, problems)
        elif key == "channels":
            values[key] = read_channels(value, rel, line, problems)
        elif key == "collections":
            values[key] = read_collections(value, rel, line, problems)
        else:
            expected = type(known[key].default)
            if expected is int and (not isinstance(value, int) or isinstance(value, bool)):
                problems.append(Diagnostic(rel, line, f"'{key}' must be a whole number",
                                           f"write {key} = {known[key].default}"))
            elif expected is bool and not isinstance(value, bool):
                problems.append(Diagnostic(rel, line, f"'{key}' must be true or false",
                                           f"write {key} = true"))
            elif expected is str and not isinstance(value, str):
                problems.append(Diagnostic(rel, line, f"'{key}' must be text",
                                           f'write {key} = "..."'))
            else:
                values[key] = value


# The keys each entry of a list of tables may have (others are mistakes, not extensions).


def toml_line(text: str, key: str) -> int | None:
    match = re.search(rf"^\s*(\[\[?)?\s*{re.escape(key)}\b", text, re.M)
    return text.count("\n", 0, match.start()) + 1 if match else None
