"""What a target must receive: the output's manifest against the target's, in safe order."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from masthead.output import write_atomic

MANIFEST = ".masthead-deploy.json"
UNFINISHED = ".masthead-deploy.unfinished"  # there while a deploy writes to the target
SKIPPED = {".masthead-output"}  # the build's own mark, not part of the site
# Files that link to pages: uploaded with the pages, after the files pages link to.
_LINKING = (".html", ".xml", "feed.json")


def manifest_of(folder: Path, known: Path | None = None) -> dict[str, str]:
    """Every file under ``folder`` (relative path with '/'), with its SHA-256.

    With ``known`` (a file of digests from the last time), a file whose size, time and
    inode are those it had then keeps its digest without being read again: the build
    replaces a file it changes by a new one, so only the files it wrote are hashed
    (10,000 stories, 33,000 files, 900 MB: 2.8 s -> 0.6 s). Not the change time: the
    deploy's own snapshot links each file, which changes it."""
    before = _known(known)
    after: dict[str, list[Any]] = {}
    found: dict[str, str] = {}
    root = str(folder)
    for rel, path, info in _files(root):
        if rel in SKIPPED or rel in (MANIFEST, UNFINISHED):
            continue
        stamp = [info.st_size, info.st_mtime_ns, info.st_ino]
        kept = before.get(rel)
        if kept is not None and kept[:3] == stamp:
            found[rel] = str(kept[3])
        else:
            digest = hashlib.sha256()
            with open(path, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    digest.update(chunk)
            found[rel] = digest.hexdigest()
        after[rel] = [*stamp, found[rel]]
    if known is not None:
        with contextlib.suppress(OSError):  # a cache: the next deploy hashes again
            known.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(known, json.dumps({"folder": root, "files": after},
                                           separators=(",", ":")).encode())
    return found


def _files(directory: str) -> list[tuple[str, str, os.stat_result]]:
    """(relative path with '/', path, stat) of every file under ``directory``, by
    ``scandir`` (33,000 files: a third of the time of ``os.walk`` with a ``stat`` and a
    ``relpath`` each). A link to a folder is not followed, as ``os.walk`` does not."""
    found: list[tuple[str, str, os.stat_result]] = []
    folders = [(directory, "")]
    while folders:
        folder, prefix = folders.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    folders.append((entry.path, f"{prefix}{entry.name}/"))
                elif not entry.is_dir():
                    found.append((prefix + entry.name, entry.path, entry.stat()))
    return found


def _known(known: Path | None) -> dict[str, list[Any]]:
    try:
        data = json.loads(known.read_bytes()) if known is not None else {}
    except (OSError, ValueError):
        return {}
    files = data.get("files") if isinstance(data, dict) else None
    return {k: v for k, v in files.items() if isinstance(v, list) and len(v) == 4} \
        if isinstance(files, dict) else {}


def encode(files: dict[str, str]) -> bytes:
    return json.dumps({"version": 1, "files": dict(sorted(files.items()))},
                      separators=(",", ":")).encode()


def decode(data: bytes | None) -> dict[str, str]:
    """A target's manifest; an empty one for a target that has none (or a broken one, so
    that everything is uploaded again)."""
    if not data:
        return {}
    try:
        parsed = json.loads(data)
    except ValueError:
        return {}
    files = parsed.get("files") if isinstance(parsed, dict) else None
    if not isinstance(files, dict):
        return {}
    return {str(k): str(v) for k, v in files.items()}


@dataclass
class Plan:
    """Uploads in two waves (files first, then what links to them) and deletions."""

    first: list[str] = field(default_factory=list)
    then: list[str] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)
    bytes: int = 0

    @property
    def uploads(self) -> list[str]:
        return [*self.first, *self.then]

    @property
    def empty(self) -> bool:
        return not (self.first or self.then or self.delete)


def plan(local: dict[str, str], remote: dict[str, str], folder: Path) -> Plan:
    result = Plan()
    for rel in sorted(local):
        if remote.get(rel) == local[rel]:
            continue
        (result.then if rel.endswith(_LINKING) else result.first).append(rel)
        result.bytes += (folder / rel).stat().st_size
    result.delete = sorted(rel for rel in remote if rel not in local)
    return result
