"""Real pagination: ``/page/2/``, ``/categories/news/page/2/`` (Banter's links were '#')."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


def page_url(base: str, number: int) -> str:
    """The URL of page ``number`` of a listing whose first page is ``base``."""
    return base if number == 1 else f"{base}page/{number}/"


@dataclass(frozen=True, slots=True)
class Pager(Generic[T]):
    """One page of a listing, with what a pager widget needs."""

    base: str
    number: int
    count: int
    items: tuple[T, ...]
    total: int

    @property
    def url(self) -> str:
        return page_url(self.base, self.number)

    @property
    def prev_url(self) -> str | None:
        return page_url(self.base, self.number - 1) if self.number > 1 else None

    @property
    def next_url(self) -> str | None:
        return page_url(self.base, self.number + 1) if self.number < self.count else None

    def links(self, around: int = 2) -> list[tuple[int, str] | None]:
        """Numbered links near the current page; None marks a gap (an ellipsis)."""
        count, base = self.count, self.base
        low, high = max(1, self.number - around), min(count, self.number + around)
        shown = [*range(low, high + 1), *((count,) if high < count else ())]
        if low > 1:
            shown.insert(0, 1)
        result: list[tuple[int, str] | None] = []
        previous = 0
        for number in shown:
            if number - previous > 1:
                result.append(None)
            result.append((number, page_url(base, number)))
            previous = number
        return result


def paginate(items: Sequence[T], per_page: int, base: str) -> list[Pager[T]]:
    """Split ``items`` into pages; an empty listing still has one (empty) page."""
    count = max(1, -(-len(items) // per_page))
    return [
        Pager(base, number, count, tuple(items[(number - 1) * per_page: number * per_page]),
              len(items))
        for number in range(1, count + 1)
    ]
