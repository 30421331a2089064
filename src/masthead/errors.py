"""Diagnostics: every problem in a user's file, with its place and a hint to fix it.

A build never stops at the first mistake: each stage reports what it finds to a
``Reporter`` and skips the bad file, so that ``masthead check`` lists every problem
at once. ``BuildFailed`` is raised once, at the end, when errors were reported.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem in one file: where it is, what is wrong and how to fix it."""

    path: str
    line: int | None
    message: str
    hint: str | None = None
    severity: Severity = Severity.ERROR
    col: int | None = None

    def location(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.col is not None:
                where += f":{self.col}"
        return where

    def format(self, source_root: Path | None = None) -> str:
        """The terminal form: ``file:line:col: error: message``, context lines, hint."""
        text = f"{self.location()}: {self.severity.value}: {self.message}"
        context = self._context(source_root) if source_root else ""
        if context:
            text += "\n" + context
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def _context(self, root: Path) -> str:
        if self.line is None:
            return ""
        try:
            lines = (root / self.path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            return ""
        shown = []
        for number in range(max(1, self.line - 1), min(len(lines), self.line + 1) + 1):
            marker = ">" if number == self.line else " "
            shown.append(f"  {marker}{number:>4} | {lines[number - 1][:160]}")
        return "\n".join(shown)


@dataclass
class Reporter:
    """Collects diagnostics from every stage of one build."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    _seen: set[Diagnostic] = field(default_factory=set, repr=False)

    def error(self, path: str, line: int | None, message: str, hint: str | None = None) -> None:
        self.add(Diagnostic(path, line, message, hint, Severity.ERROR))

    def warning(self, path: str, line: int | None, message: str, hint: str | None = None) -> None:
        self.add(Diagnostic(path, line, message, hint, Severity.WARNING))

    def add(self, diagnostic: Diagnostic) -> None:
        """Keep one copy: a file shared by two languages reports its problem once."""
        if diagnostic not in self._seen:
            self._seen.add(diagnostic)
            self.diagnostics.append(diagnostic)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.WARNING]

    def sorted(self) -> list[Diagnostic]:
        return sorted(self.diagnostics, key=lambda d: (d.path, d.line or 0, d.message))

    def summary(self) -> str:
        errors, warnings = self.errors, self.warnings
        files = len({d.path for d in errors})
        parts = []
        if errors:
            parts.append(f"{plural(len(errors), 'error')} in {plural(files, 'file')}")
        if warnings:
            parts.append(plural(len(warnings), "warning"))
        return ", ".join(parts) or "no problems"


class BuildFailed(Exception):
    """Raised once at the end of a build whose content had errors."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__(f"{len(diagnostics)} problems")
        self.diagnostics = diagnostics


class ConfigError(Exception):
    """A configuration problem that makes building impossible (reported like content)."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__("; ".join(d.message for d in diagnostics))
        self.diagnostics = diagnostics


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate nearest to ``word``, for 'did you mean' hints."""
    options = list(candidates)
    lowered = {c.lower(): c for c in options}
    match = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.5)
    return lowered[match[0]] if match else None


def did_you_mean(word: str, candidates: Iterable[str], what: str) -> str:
    """A hint naming the closest candidate, or listing the known ones."""
    options = sorted(set(candidates))
    best = closest(word, options)
    if best:
        return f"did you mean '{best}'?"
    if not options:
        return f"there are no {what} yet"
    listed = ", ".join(f"'{o}'" for o in options[:8])
    more = "" if len(options) <= 8 else f" and {len(options) - 8} more"
    return f"known {what}: {listed}{more}"


def plural(count: int, word: str) -> str:
    """'1 warning', '2 warnings'."""
    return f"{count} {word}{'' if count == 1 else 's'}"
