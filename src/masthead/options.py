"""What a build is asked to do, apart from the site's own settings: which stories to take,
how strict to be, whether it is a preview, how many workers to use.

One frozen value passed from the command line (or a test) down to every stage, so that a
stage that needs one of them reads it here instead of taking it as a parameter."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class BuildOptions:
    """Drafts and scheduled posts are left out unless asked for; warnings fail the build
    only when ``strict``; ``preview`` is the dev server's build (variants made on request,
    its reload script, no placeholder-address warning); ``jobs`` 0 means one worker per
    core; ``index_search`` False leaves the search index as it was (the output keeps the
    previous one) for a caller that indexes afterwards
    (:func:`masthead.emit.search.build_search_index`): the desk puts a story live first and brings
    search up to date in the background (Pagefind re-reads every page: 35 s at 10,000)."""

    drafts: bool = False
    future: bool = False
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    # Views counted by `masthead api`, by page path without its final "/": added to
    # each story's front-matter `views` (so "Most read" reflects what is read).
    views: dict[str, int] | None = field(default=None, compare=False)
    strict: bool = False
    preview: bool = False
    jobs: int = field(default=0, compare=False)
    index_search: bool = field(default=True, compare=False)
