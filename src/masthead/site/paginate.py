"""Pagination that stays put: ``/page/N/`` holds the same stories whatever is published
after them.

A listing's first page (its base URL) shows the newest stories. The archive pages behind
it are counted from the oldest story: page 1 holds the oldest ``per_page``, page 2 the
next ones, and so on; the newest, partly filled group is shown by the first page alone.
A new story therefore changes the first page and, once every ``per_page`` stories, adds
an archive page; it does not shift every archive page by one, as counting from the
newest would (10,000 stories: 1,700 pages written and sent to every mirror for each
story, against a handful). A page keeps its address and its stories, so readers' links,
search engines and caches keep them too."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
FRONT = 0  # the number of a listing's first page


def page_url(base: str, number: int) -> str:
    """The URL of page ``number`` of a listing whose first page is ``base``."""
    return base if number == FRONT else f"{base}page/{number}/"


@dataclass(frozen=True, slots=True)
class Pager(Generic[T]):
    """One page of a listing, with what a pager widget needs: ``number`` is FRONT for
    the listing's first page, else the archive page's number counted from the oldest;
    ``newest`` is the highest archive page's number (0: the listing has none)."""

    base: str
    number: int
    newest: int
    items: tuple[T, ...]
    total: int

    @property
    def front(self) -> bool:
        return self.number == FRONT

    @property
    def count(self) -> int:
        """How many pages the listing has."""
        return self.newest + 1

    @property
    def url(self) -> str:
        return page_url(self.base, self.number)

    @property
    def prev_url(self) -> str | None:
        """Newer stories."""
        if self.front:
            return None
        return page_url(self.base, FRONT if self.number == self.newest else self.number + 1)

    @property
    def next_url(self) -> str | None:
        """Older stories."""
        if self.front:
            return page_url(self.base, self.newest) if self.newest else None
        return page_url(self.base, self.number - 1) if self.number > 1 else None

    def links(self, around: int = 2) -> list[tuple[int, str] | None]:
        """Links from the newest page to the oldest: the first page, the pages near this
        one and page 1; None marks a gap (an ellipsis). An archive page far from the
        newest ones shows the same links however many stories come after it."""
        if self.front:
            high, low = self.newest, max(1, self.newest - around)
        else:
            high = min(self.newest, self.number + around)
            low = max(1, self.number - around)
        shown = [FRONT, *range(high, low - 1, -1), *((1,) if low > 1 else ())]
        result: list[tuple[int, str] | None] = []
        previous: int | None = None
        for number in shown:
            after_front = previous == FRONT and number < self.newest
            if after_front or (previous is not None and previous - number > 1):
                result.append(None)
            result.append((number, page_url(self.base, number)))
            previous = number
        return result

    def shown(self) -> str:
        """What the page shows besides its stories, for the incremental build: the
        first page shows the count of stories and the newest archive pages; an archive
        page shows its links, which change only near the newest."""
        if self.front:
            return f"front {self.total} {self.newest}"
        return repr(self.links())


def paginate(items: Sequence[T], per_page: int, base: str) -> list[Pager[T]]:
    """Split ``items`` (newest first) into the first page and the archive pages, newest
    first; an empty listing still has its first page."""
    total = len(items)
    newest = max(0, -(-total // per_page) - 1)  # the newest group is the first page's
    pages = [Pager(base, FRONT, newest, tuple(items[:per_page]), total)]
    for number in range(newest, 0, -1):
        pages.append(Pager(base, number, newest,
                           tuple(items[total - number * per_page: total - (number - 1) * per_page]),
                           total))
    return pages
