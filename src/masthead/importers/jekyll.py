"""Reading a Jekyll site: ``_posts/`` and ``_drafts/``, the pages at its top, its
permalink style, and the folders of static files beside them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from masthead.content.slugs import banter_slug
from masthead.importers.files import readable_slug
from masthead.importers.markdown_source import (
    JEKYLL_NAME,
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

NAME = "Jekyll"


def convert(converter: TemplateConverter, body: str) -> str:
    return converter.jekyll(body)


def static_roots(folder: SourceFolder) -> list[tuple[str, Path | None]]:
    """(prefix under public/, folder) of the site's static files: every folder at its
    top that Jekyll does not keep for itself."""
    return [(f"{p.name}/", folder.folder(p.name)) for p in sorted(folder.root.iterdir())
            if p.is_dir() and not p.name.startswith(("_", "."))
            and p.name not in ("node_modules", "vendor")]


def read(folder: SourceFolder, report: ImportReport
                ) -> tuple[dict[str, Any], list[Source]]:
    if not (folder.root / "_config.yml").is_file() and not (folder.root / "_posts").is_dir():
        raise SourceError(f"{folder.root} is not a Jekyll site (no _config.yml, no _posts/)")
    config = read_config(folder, ("_config.yml", "_config.yaml"))
    zone = source_zone(config, "timezone", report)
    style = str(config.get("permalink") or "date")
    pattern = {"date": "/:categories/:year/:month/:day/:title.html",
               "pretty": "/:categories/:year/:month/:day/:title/",
               "ordinal": "/:categories/:year/:y_day/:title.html",
               "none": "/:categories/:title.html"}.get(style, style)
    sources: list[Source] = []
    for place, draft in (("_posts", False), ("_drafts", True)):
        posts = folder.folder(place)
        for path in folder.files(posts) if posts else ():
            if path.suffix.lower() not in (".md", ".markdown", ".html"):
                continue
            source = read_source(folder, path, "post", report)
            if source is None:
                continue
            named = JEKYLL_NAME.match(path.stem)
            stem = named.group(4) if named else path.stem
            source.slug = readable_slug(str(source.meta.get("slug") or stem), "post")
            date = source.meta.get("date") or (
                f"{named.group(1)}-{named.group(2)}-{named.group(3)}" if named else "")
            source.date = normal_date(date, zone)
            source.draft = draft or source.meta.get("published") is False
            values = {"year": source.date[:4], "month": source.date[5:7],
                      "day": source.date[8:10], "title": stem, "slug": stem,
                      "categories": "/".join(banter_slug(c) for c in names(
                          source.meta.get("categories") or source.meta.get("category")))}
            old = str(source.meta.get("permalink") or permalink(pattern, values))
            source.old_urls = [old, *names(source.meta.get("redirect_from"))]
            sources.append(source)
    for path in folder.files(folder.root, recursive=False):
        if path.suffix.lower() in (".md", ".markdown") and path.stem not in ("README", "404"):
            source = read_source(folder, path, "page", report)
            if source is None or not source.meta:
                continue
            source.slug = readable_slug(path.stem, "page")
            if path.stem == "index":
                continue
            source.old_urls = [str(source.meta.get("permalink") or f"/{path.stem}.html"),
                               f"/{path.stem}/"]
            sources.append(source)
    return config, sources
