"""Reading another generator's site folder (Jekyll, Hugo) as outside input: one reader
that every part of an import goes through, so that no file outside the folder is ever
read or published, whatever links the folder holds.

A link that leads out of the folder (``_posts/x.md -> /etc/passwd``, ``static -> /``)
is skipped with a warning that names it; a link to a file inside the folder is read
like the file; linked folders are not entered (they could loop, or lead out). A name
that is not UTF-8 cannot become an address: such a file is skipped, said with its
name as the file system has it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

from masthead.paths import utf8_name

Warn = Callable[[str], None]


def printable(rel: str) -> str:
    """A path for a message, also when its name is not UTF-8 (shown escaped)."""
    return rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


class SourceFolder:
    """The old site's folder; every path handed out is inside it."""

    def __init__(self, root: Path, warn: Warn) -> None:
        self.root = root.resolve()
        self.warn = warn

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def inside(self, path: Path) -> bool:
        """``path`` (after following its links) is a file in the folder, or says why
        not."""
        rel = printable(self.rel(path))
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):
            self.warn(f"{rel}: a link that leads nowhere; left out")
            return False
        if not target.is_relative_to(self.root):
            self.warn(f"{rel}: a link to a place outside the site's folder; left out")
            return False
        return True

    def folder(self, *parts: str) -> Path | None:
        """A folder of the site (``_posts``, ``static``) when it is one and does not
        lead out of the site."""
        path = self.root.joinpath(*parts)
        if path.is_symlink() and not self.inside(path):
            return None
        return path if path.is_dir() else None

    def file(self, *parts: str) -> Path | None:
        """A file of the site (``_config.yml``), or ``None`` (a link out of the site
        is said)."""
        path = self.root.joinpath(*parts)
        if not path.is_file() and not path.is_symlink():
            return None
        if path.is_symlink() and not self.inside(path):
            return None
        return path if path.is_file() else None

    def files(self, folder: Path, recursive: bool = True) -> Iterator[Path]:
        """The files under ``folder``, sorted, without entering linked folders; a
        linked file is given only when it stays in the site, a file whose name is not
        UTF-8 not at all (each said)."""
        for current, folders, names in os.walk(folder):
            here = Path(current)
            for name in sorted(folders):
                if (here / name).is_symlink():
                    self.warn(f"{printable(self.rel(here / name))}: a linked folder; not "
                              "followed")
            folders[:] = sorted(n for n in folders if not (here / n).is_symlink())
            for name in sorted(names):
                path = here / name
                if not utf8_name(name):
                    self.warn(f"{printable(self.rel(path))}: the file name is not UTF-8; "
                              "left out (rename it)")
                    continue
                if path.is_symlink() and not self.inside(path):
                    continue
                if path.is_file():
                    yield path
            if not recursive:
                return

