"""What Jekyll and Hugo sites share: Markdown files with YAML or TOML front matter, dates
written with or without an offset, names given as a list or a string, a settings file,
permalink patterns. The readers (``jekyll.py``, ``hugo.py``) build on these."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from masthead.content.frontmatter import load_yaml
from masthead.importers.records import ImportReport
from masthead.importers.source import SourceFolder

_FENCES = {"---": "yaml", "+++": "toml"}
JEKYLL_NAME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-(.+)$")
MEDIA = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".svg", ".mp3", ".mp4", ".webm",
         ".pdf", ".ico", ".css", ".js", ".woff", ".woff2", ".txt", ".xml", ".json"}


class SourceError(Exception):
    """The folder is not a site of that kind."""


@dataclass
class Source:
    """One content file of the old site, read."""

    rel: str  # its path in the old site, for the report
    kind: str  # post | page
    slug: str
    meta: dict[str, Any]
    body: str
    date: str = ""
    draft: bool = False
    old_urls: list[str] = field(default_factory=list)
    resources: dict[str, Path] = field(default_factory=dict)  # a Hugo bundle's files


def split_front_matter(text: str, rel: str) -> tuple[dict[str, Any], str]:
    """(values, body) of a file with YAML (---) or TOML (+++) front matter; a problem
    raises ValueError naming the line."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    fence = text[:3]
    if fence not in _FENCES or text[3:4] not in ("\n", "\r"):
        return {}, text
    end = text.find(f"\n{fence}", 3)
    if end < 0:
        raise ValueError(f"{rel}:1: the front matter is not closed with a line '{fence}'")
    head, body = text[4:end], text[end + 4:].lstrip("\r\n")
    try:
        values = load_yaml(head) if fence == "---" else tomllib.loads(head)
    except Exception as exc:  # YAML and TOML errors: the message names the place
        mark = getattr(exc, "problem_mark", None)
        line = 2 + mark.line if mark is not None else 1
        hint = " (indent with spaces, not tabs)" if "\t" in head else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ValueError(f"{rel}:{line}: invalid front matter: {problem}{hint}") from None
    if not isinstance(values, dict):
        raise ValueError(f"{rel}:2: the front matter is not a list of keys and values")
    return values, body


def normal_date(value: Any, zone: dt.tzinfo = dt.UTC) -> str:
    """A date as masthead reads it: ISO 8601 with its offset, the old site's time zone
    (``zone``) giving one to a date written without (a build warns about each date that
    has none: 2,000 warnings for a 2,000-post import)."""
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=zone)).isoformat()
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=zone).isoformat()
    text = str(value or "").strip()
    match = re.match(r"^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}(?::\d{2})?)(?:\.\d+)?)?\s*"
                     r"(Z|[+-]\d{2}:?\d{2})?$", text)
    if not match:
        return text
    offset = match.group(3) or ""
    if offset and offset != "Z" and ":" not in offset:
        offset = f"{offset[:3]}:{offset[3:]}"
    clock = match.group(2) or "00:00"
    clock = clock if clock.count(":") == 2 else f"{clock}:00"
    if offset:
        return f"{match.group(1)}T{clock}{'+00:00' if offset == 'Z' else offset}"
    try:
        local = dt.datetime.fromisoformat(f"{match.group(1)}T{clock}")
    except ValueError:
        return text
    return local.replace(tzinfo=zone).isoformat()


def source_zone(config: dict[str, Any], key: str, report: ImportReport) -> dt.tzinfo:
    """The old site's time zone (Jekyll ``timezone``, Hugo ``timeZone``), for dates
    written without an offset; UTC when it names none (said once)."""
    name = str(config.get(key) or config.get("timezone") or "").strip()
    if name:
        try:
            return ZoneInfo(name)
        except (ValueError, ZoneInfoNotFoundError):
            report.warnings.append(f"the time zone {name[:60]!r} of the old site's settings "
                                   "is unknown; dates without an offset are read as UTC")
            return dt.UTC
    report.warnings.append(f"the old site's settings name no time zone ('{key}'); dates "
                           "without an offset are read as UTC")
    return dt.UTC


def names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in re.split(r"[,\n]" if "," in value else r"\s+", value)
                if v.strip()]
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return []


def read_config(folder: SourceFolder, names: tuple[str, ...]) -> dict[str, Any]:
    for name in names:
        path = folder.file(name)
        if path is not None:
            text = path.read_text(encoding="utf-8")
            try:
                values = tomllib.loads(text) if name.endswith(".toml") else load_yaml(text)
            except Exception as exc:
                raise SourceError(f"{path}: cannot be read: {str(exc).splitlines()[0]}"
                                  ) from None
            return values if isinstance(values, dict) else {}
    return {}


def _permalink(pattern: str, values: dict[str, str]) -> str:
    path = re.sub(r":(\w+)", lambda m: values.get(m.group(1), m.group(0)), pattern)
    path = re.sub(r"/{2,}", "/", "/" + path.lstrip("/"))
    return path


def permalink(pattern: str, values: dict[str, str]) -> str:
    path = re.sub(r":(\w+)", lambda m: values.get(m.group(1), m.group(0)), pattern)
    path = re.sub(r"/{2,}", "/", "/" + path.lstrip("/"))
    return path


def read_source(folder: SourceFolder, path: Path, kind: str, report: ImportReport
          ) -> Source | None:
    rel = folder.rel(path)
    try:
        text = path.read_text(encoding="utf-8")
        if not text.strip("\ufeff \t\r\n"):
            report.skipped.append(f"{rel}:1: an empty file")
            return None
        meta, body = split_front_matter(text, rel)
    except UnicodeDecodeError:
        report.skipped.append(f"{rel}: not UTF-8 text")
        return None
    except ValueError as exc:
        report.skipped.append(str(exc))
        return None
    if not meta and kind == "post":
        report.warnings.append(f"{rel}:1: no front matter; its title is made from the file "
                               "name")
    return Source(rel, kind, path.stem, meta, body)


