"""Finding the template code of an old site (Gutenberg comments, shortcodes, Liquid tags,
Hugo shortcodes) in time linear in the body.

A regular expression such as ``\\{%.*?%\\}`` is quadratic on text where the closing mark
never comes: every opening mark scans to the end before it gives up, so a few hundred KB
of unclosed tags take minutes. These helpers find each closing mark once (with
``str.find`` from a position that only moves forward, or a sorted list of where the
closing marks are) and remember when there is none left, so each character is looked at
a bounded number of times whatever the input."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    """``text[start:end]`` is one piece of template code; ``inner`` what it encloses."""

    start: int
    end: int
    inner_start: int
    inner_end: int


class Marks:
    """Where a closing mark stands in a text, found once: the first one at or after a
    position is a binary search, not a scan."""

    def __init__(self, text: str, pattern: re.Pattern[str]) -> None:
        self._matches = list(pattern.finditer(text))
        self._starts = [m.start() for m in self._matches]

    def first_from(self, position: int) -> re.Match[str] | None:
        index = bisect.bisect_left(self._starts, position)
        return self._matches[index] if index < len(self._matches) else None


def paired(text: str, opening: re.Pattern[str], closing: re.Pattern[str],
           replace: Callable[[re.Match[str], str], str]) -> str:
    """Each ``opening`` up to the first ``closing`` after it, given to ``replace`` with
    what stands between them; an opening with no closing after it stays as it is. The
    same as ``re.sub(opening + "(.*?)" + closing, ...)`` with ``re.S``, in linear time
    (``opening`` itself must not scan far: no ``.*``)."""
    closes = Marks(text, closing)
    out: list[str] = []
    position = 0
    while True:
        start = opening.search(text, position)
        if start is None:
            break
        close = closes.first_from(start.end())
        if close is None:
            break  # no closing mark after this one, so none after any later opening
        out.append(text[position:start.start()])
        out.append(replace(start, text[start.end():close.start()]))
        position = close.end()
    out.append(text[position:])
    return "".join(out)


def delimited(text: str, opening: str, closing: str) -> Iterator[Span]:
    """Each ``opening ... closing`` (the first closing after the opening), left to right,
    not overlapping. Stops at the first opening that is never closed."""
    position = 0
    while True:
        start = text.find(opening, position)
        if start < 0:
            return
        end = text.find(closing, start + len(opening))
        if end < 0:
            return
        yield Span(start, end + len(closing), start + len(opening), end)
        position = end + len(closing)


def substitute(text: str, spans: Iterator[Span], replace: Callable[[Span], str | None]
               ) -> str:
    """``text`` with each span replaced by what ``replace`` returns (``None``: kept)."""
    out: list[str] = []
    position = 0
    for span in spans:
        new = replace(span)
        if new is None:
            continue
        out.append(text[position:span.start])
        out.append(new)
        position = span.end
    out.append(text[position:])
    return "".join(out)
