"""The files of the site the desk may read and write, and nothing else.

Every path from the editor is a request from a writer, who is untrusted: it must be a
relative path made of plain names, inside one of the folders of the content model
(stories, authors, categories, pages; the uploads folder for media), with the extension
that folder holds, and it must not lead out through a link. Files are written whole and
atomically (a reader of the folder never meets half a story)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from masthead.content.discover import Layout
from masthead.desk.accounts import DeskError
from masthead.output import write_atomic

ENTRY_FOLDERS = ("content/posts", "content/authors", "content/categories", "content/pages")
COLLECTION_NAMES = ("posts", "authors", "categories", "pages")
MEDIA_FOLDER = "public/images/uploads"
MEDIA_TYPES = (".jpg", ".jpeg", ".png", ".webp", ".avif", ".gif", ".svg", ".pdf", ".mp3")
_NAME = re.compile(r"^[^\x00-\x1f\x7f/\\]+$")


@dataclass(frozen=True)
class DeskPath:
    rel: str  # relative to the site, with '/'
    path: Path


class SiteFiles:
    """The files of one site the desk may read and write: its content folders (those of
    its content model: ``people`` for authors, ``docs`` and ``videos`` where it has them)
    and its uploads."""

    def __init__(self, root: Path, collections: dict[str, str] | None = None) -> None:
        self.root = root.resolve()
        # each content folder with the name of the editor's collection for it
        self.collections = collections or dict(zip(ENTRY_FOLDERS, COLLECTION_NAMES,
                                                   strict=True))
        self.folders = tuple(self.collections)

    @classmethod
    def of(cls, root: Path, layout: Layout) -> SiteFiles:
        """The folders of ``layout``, the site's content model."""
        return cls(root, {"content/posts": "posts",
                          f"content/{layout.authors_folder}": "authors",
                          "content/categories": "categories", "content/pages": "pages",
                          **{f"content/{c.folder}": c.name for c in layout.collections}})

    def collection_of(self, rel: str) -> str | None:
        """The editor's collection of the file ``rel``, if it is in one."""
        return next((name for folder, name in self.collections.items()
                     if rel.startswith(folder + "/")), None)

    def confine(self, rel: object, media: bool = False) -> DeskPath:
        """The file ``rel`` names, when the desk may touch it; DeskError 403 otherwise."""
        if not isinstance(rel, str) or not rel or len(rel) > 400:
            raise DeskError("a file's path is missing", 400)
        parts = rel.split("/")
        if rel.startswith("/") or any(p in ("", ".", "..") or not _NAME.match(p)
                                      for p in parts):
            raise DeskError(f"{rel[:80]!r} is not a path inside the site", 403)
        folders = (MEDIA_FOLDER,) if media else self.folders
        folder = next((f for f in folders if rel.startswith(f + "/")), None)
        extension = Path(rel).suffix.lower()
        if folder is None or (extension not in MEDIA_TYPES if media else extension != ".md"):
            raise DeskError(f"the desk does not write {rel[:80]!r}", 403)
        if rel.count("/") - folder.count("/") > 2:  # posts/<language>/<slug>.md at most
            raise DeskError(f"{rel[:80]!r} is nested too deep", 403)
        path = self.root / rel
        if not path.parent.resolve().is_relative_to((self.root / folder).resolve()):
            raise DeskError(f"{rel[:80]!r} leads out of the site", 403)
        if path.is_symlink():
            raise DeskError(f"{rel[:80]!r} is a link", 403)
        return DeskPath(rel, path)

    def read(self, file: DeskPath) -> bytes | None:
        try:
            return file.path.read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            return None

    def write(self, file: DeskPath, data: bytes) -> None:
        file.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(file.path, data, 0o644)

    def delete(self, file: DeskPath) -> None:
        file.path.unlink(missing_ok=True)

    def listing(self, folder: str, extension: str, depth: int) -> list[str]:
        """The files of ``folder`` (one the desk may touch) with ``extension``, to
        ``depth`` levels, sorted: what the editor lists."""
        base = self.confine_folder(folder)
        found = []
        for path in sorted(base.rglob(f"*.{extension.lstrip('.')}")):
            rel = path.relative_to(self.root).as_posix()
            if path.is_file() and not path.is_symlink() and \
                    len(path.relative_to(base).parts) <= max(1, depth):
                found.append(rel)
        return found

    def confine_folder(self, folder: object) -> Path:
        """A folder the desk lists: one of the content model's, or a language folder in
        one (``content/posts/ru``)."""
        name = folder.strip("/") if isinstance(folder, str) else ""
        top, _, rest = name.rpartition("/") if name.count("/") > 1 else (name, "", "")
        allowed = (name in (*self.folders, MEDIA_FOLDER)
                   or (top in self.folders and bool(_NAME.match(rest)) and rest != ".."))
        path = self.root / name
        if not allowed or not path.resolve().is_relative_to(self.root):
            raise DeskError(f"the desk does not list {str(folder)[:80]!r}", 403)
        return path
