"""Reading a Hugo site: ``content/`` with its sections and page bundles, its permalinks
and aliases, and ``static/``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from masthead.content.slugs import banter_slug
from masthead.importers.files import readable_slug
from masthead.importers.markdown_source import (
    MEDIA,
    Source,
    SourceError,
    names,
    normal_date,
    permalink,
    read_config,
    read_source,
    source_zone,
)
from masthead.importers.records import ImportReport
from masthead.importers.source import SourceFolder
from masthead.importers.templates import TemplateConverter

NAME = "Hugo"


def convert(converter: TemplateConverter, body: str) -> str:
    return converter.hugo(body)


def static_roots(folder: SourceFolder) -> list[tuple[str, Path | None]]:
    """(prefix under public/, folder) of the site's static files."""
    return [("", folder.folder("static"))]


def read(folder: SourceFolder, report: ImportReport
              ) -> tuple[dict[str, Any], list[Source]]:
    config = read_config(folder, ("hugo.toml", "config.toml", "hugo.yaml", "config.yaml",
                              "hugo.yml", "config.yml"))
    content = folder.folder("content")
    if content is None:
        raise SourceError(f"{folder.root} is not a Hugo site (no content/ folder)")
    zone = source_zone(config, "timeZone", report)
    permalinks = config.get("permalinks") or {}
    sources: list[Source] = []
    for path in folder.files(content):
        if path.suffix.lower() not in (".md", ".markdown") or path.name.startswith("_index"):
            continue
        rel = path.relative_to(content)
        if len(rel.parts) == 1 and path.stem == "index":
            report.skipped.append(f"content/{rel.as_posix()}: the home page's text (masthead "
                                  "makes the home page from the stories)")
            continue
        bundle = path.stem == "index"
        section = rel.parts[0] if len(rel.parts) > (2 if bundle else 1) else ""
        source = read_source(folder, path, "post" if section else "page", report)
        if source is None:
            continue
        name = rel.parts[-2] if bundle else path.stem
        source.slug = readable_slug(str(source.meta.get("slug") or name), "post")
        source.date = normal_date(source.meta.get("date", ""), zone)
        source.draft = bool(source.meta.get("draft"))
        if bundle:
            source.resources = {p.name: p for p in folder.files(path.parent, recursive=False)
                                if p.suffix.lower() in MEDIA}
        values = {"year": source.date[:4], "month": source.date[5:7],
                  "day": source.date[8:10], "section": section, "filename": name,
                  "slug": str(source.meta.get("slug") or name),
                  "title": banter_slug(str(source.meta.get("title", name)))}
        pattern = permalinks.get(section) if isinstance(permalinks, dict) else None
        old = str(source.meta.get("url") or (permalink(str(pattern), values) if pattern
                                              else f"/{section}/{values['slug']}/" if section
                                              else f"/{values['slug']}/"))
        source.old_urls = [old, *names(source.meta.get("aliases"))]
        sources.append(source)
    return config, sources
