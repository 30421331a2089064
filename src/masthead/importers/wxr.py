"""Reading a WordPress export (WXR 1.1/1.2): the site, its authors, categories, tags and
items, with the line of each item in the file for the report.

The file is hostile input like any other: it is parsed with defusedxml (no entity
expansion, no DTD, no network), and nothing in it is trusted to be well-formed beyond
the XML itself: a missing field is empty, a broken date is reported by the importer."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import Element

from defusedxml.ElementTree import parse

NAMESPACES = ("http://wordpress.org/export/1.2/", "https://wordpress.org/export/1.2/",
              "http://wordpress.org/export/1.1/", "https://wordpress.org/export/1.1/")
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
DC = "{http://purl.org/dc/elements/1.1/}creator"
EXCERPTS = ("{http://wordpress.org/export/1.2/excerpt/}encoded",
            "{https://wordpress.org/export/1.2/excerpt/}encoded",
            "{http://wordpress.org/export/1.1/excerpt/}encoded",
            "{https://wordpress.org/export/1.1/excerpt/}encoded")


class ExportError(Exception):
    """The file is not a WordPress export that can be read."""


@dataclass
class Author:
    login: str
    name: str


@dataclass
class Term:
    slug: str
    name: str
    parent: str = ""
    description: str = ""


@dataclass
class Item:
    id: str
    type: str  # post, page, attachment, nav_menu_item, ...
    status: str  # publish, draft, future, private, pending, inherit
    title: str
    slug: str
    link: str
    creator: str
    date: str  # wp:post_date (the site's local time)
    date_gmt: str
    content: str
    excerpt: str
    parent: str
    password: str
    attachment_url: str
    categories: list[Term] = field(default_factory=list)
    tags: list[Term] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    comments: int = 0  # approved readers' comments (masthead has none: counted, said)


@dataclass
class Export:
    title: str
    link: str
    description: str
    language: str
    authors: list[Author]
    categories: list[Term]
    tags: list[Term]
    items: list[Item]


def read_export(path: Path) -> Export:
    try:
        root = parse(str(path)).getroot()
    except OSError as exc:
        raise ExportError(f"cannot read {path}: {exc.strerror or exc}") from None
    except Exception as exc:  # a malformed file or a forbidden construct (DTD, entities)
        raise ExportError(f"{path} is not a WordPress export that can be read: {exc}"
                          ) from None
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise ExportError(f"{path} is not a WordPress export (WXR): no <rss><channel>")
    wp = _namespace(channel)
    if wp is None:
        raise ExportError(f"{path} has no WordPress data (wp: elements); export it from "
                          "WordPress with Tools > Export")

    def text(element: Element, name: str) -> str:
        """An RSS element's text (``title``), or a WordPress one's (``wp:post_id``)."""
        found = element.find(wp + name[3:] if name.startswith("wp:") else name)
        return (found.text or "").strip() if found is not None else ""

    def raw(element: Element, name: str) -> str:
        found = element.find(name)
        return found.text or "" if found is not None else ""

    authors = [Author(text(a, "wp:author_login"), text(a, "wp:author_display_name")
                      or text(a, "wp:author_login")) for a in channel.findall(wp + "author")]
    categories = [Term(text(c, "wp:category_nicename"), text(c, "wp:cat_name"),
                       text(c, "wp:category_parent"), text(c, "wp:category_description"))
                  for c in channel.findall(wp + "category")]
    tags = [Term(text(t, "wp:tag_slug"), text(t, "wp:tag_name"))
            for t in channel.findall(wp + "tag")]
    items = []
    for element in channel.findall("item"):
        item = Item(
            id=text(element, "wp:post_id"), type=text(element, "wp:post_type"),
            status=text(element, "wp:status"), title=text(element, "title"),
            slug=text(element, "wp:post_name"), link=text(element, "link"),
            creator=text(element, DC), date=text(element, "wp:post_date"),
            date_gmt=text(element, "wp:post_date_gmt"), content=raw(element, CONTENT),
            excerpt=next((raw(element, e) for e in EXCERPTS if element.find(e) is not None),
                         ""),
            parent=text(element, "wp:post_parent"), password=text(element, "wp:post_password"),
            attachment_url=text(element, "wp:attachment_url"))
        for term in element.findall("category"):
            entry = Term(term.get("nicename") or "", (term.text or "").strip())
            if term.get("domain") == "category":
                item.categories.append(entry)
            elif term.get("domain") == "post_tag":
                item.tags.append(entry)
        item.comments = sum(1 for c in element.findall(wp + "comment")
                            if text(c, "wp:comment_approved") == "1")
        for meta in element.findall(wp + "postmeta"):
            item.meta[text(meta, "wp:meta_key")] = text(meta, "wp:meta_value")
        items.append(item)
    return Export(text(channel, "title"), text(channel, "link"),
                  text(channel, "description"), text(channel, "language"),
                  authors, categories, tags, items)


def _namespace(channel: Element) -> str | None:
    for namespace in NAMESPACES:
        prefix = "{" + namespace + "}"
        if channel.find(prefix + "wxr_version") is not None or channel.find(
                prefix + "base_site_url") is not None:
            return prefix
    return None
