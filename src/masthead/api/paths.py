"""Which paths may be counted: the article pages of the built site, in every language.

Worked out from the site's content (not from an output folder, which may be on
another machine): every story and collection item that a build publishes. The list
is refreshed when the content changes, checked at most once a minute.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from masthead.config import SiteConfig
from masthead.content.discover import Layout, SourceFile, detect_layout, discover
from masthead.content.load import load_content
from masthead.errors import Reporter
from masthead.media import PublicFiles
from masthead.options import BuildOptions
from masthead.site.index import index_site
from masthead.site.urls import Urls

CHECK_EVERY = 60.0


def article_paths(config: SiteConfig, layout: Layout, files: list[SourceFile]) -> set[str]:
    """Paths (no trailing slash) of every published story and collection item."""
    content = load_content(config, layout, files, PublicFiles(config.root / "public"),
                           BuildOptions(jobs=1), Reporter())
    site = index_site(config, layout, content, Reporter())
    paths = set()
    for lang_site in site.languages.values():
        urls = Urls(lang_site.prefix, layout)
        for entries in (lang_site.posts, *lang_site.items.values()):
            for entry in entries:
                paths.add(urls.entry(entry).rstrip("/"))
    return paths


@dataclass
class SitePaths:
    config: SiteConfig
    _paths: set[str] = field(default_factory=set)
    _stamp: tuple[int, int] = (0, 0)
    _checked: float = 0.0
    languages: tuple[str, ...] = ()

    def __contains__(self, path: object) -> bool:
        return path in self._paths  # refreshed by the app, on a worker thread

    def refresh(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._checked < CHECK_EVERY:
            return
        self._checked = now
        layout = detect_layout(self.config)
        self.languages = layout.languages
        files = discover(self.config, layout)
        stamp = (len(files), hash(tuple((f.rel, f.mtime_ns, f.size) for f in files)))
        if stamp != self._stamp:
            self._paths = article_paths(self.config, layout, files)
            self._stamp = stamp

    @property
    def paths(self) -> set[str]:
        return set(self._paths)
