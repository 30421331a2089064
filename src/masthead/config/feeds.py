"""The feed formats a site can publish, declared once: the setting ``feed_formats`` is
checked against these names, routes take their file names, pages link them with their
media types, and ``emit/feeds.py`` writes each (a new format is a line here and its
writer there)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FeedFormat:
    name: str  # as written in ``feed_formats``
    file: str  # the file name under each listing's address
    media_type: str
    label: str  # how pages name it in their <link rel="alternate"> title


FEED_FORMATS = (
    FeedFormat("rss", "feed.xml", "application/rss+xml", "RSS"),
    FeedFormat("atom", "atom.xml", "application/atom+xml", "Atom"),
    FeedFormat("json", "feed.json", "application/feed+json", "JSON Feed"),
)
FEED_FILES = {f.name: f.file for f in FEED_FORMATS}
MEDIA_TYPES = {f.name: f.media_type for f in FEED_FORMATS}
