"""A folder on this machine as a target (the web server's own folder, a mounted disk):
files copied by the operating system, without starting rclone eight times a deploy.

The same promises as rclone's: each file is written under a temporary ``*.partial`` name
beside its place and renamed, so that a reader (or the web server) never gets half of
one; a deploy killed half-way leaves only ``*.partial`` files, which the next one
removes. Files are created as any other the user makes (the umask decides who may read
them), not with a temporary file's private mode."""

from __future__ import annotations

import os
import secrets
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from masthead.deploy.rclone import STATS_EVERY, TransportError

PARTIAL = ".partial"


class Folder:
    """A destination that is an absolute path on this machine."""

    def __init__(self, destination: str) -> None:
        self.root = Path(destination)

    def _at(self, rel: str) -> Path:
        """Where ``rel`` goes; never outside the folder (the manifest of a target is
        read back from the target, so its names are not trusted)."""
        parts = rel.split("/")
        if not rel or rel.startswith("/") or any(p in ("", ".", "..") for p in parts):
            raise TransportError(f"{rel[:80]!r} is not a file name inside the site")
        return self.root.joinpath(*parts)

    def read(self, rel: str) -> bytes | None:
        try:
            return self._at(rel).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None

    def prepare(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TransportError(f"{self.root} cannot be made: {exc.strerror}") from None

    def upload(self, source: Path, files: list[str],
               progress: Callable[[str], None] | None = None) -> None:
        """Copy ``files`` (relative to ``source``), a line of progress every few seconds
        (also when nothing is a terminal)."""
        sizes = [(source / rel).stat().st_size for rel in files]
        total, sent = sum(sizes), 0
        last = time.monotonic()
        for done, (rel, size) in enumerate(zip(files, sizes, strict=True), 1):
            self._put(self._at(rel), source=source / rel)
            sent += size
            if progress is not None and time.monotonic() - last >= STATS_EVERY:
                last = time.monotonic()
                share = 100 * sent // total if total else 100
                progress(f"{sent / 1e6:.1f} MB / {total / 1e6:.1f} MB, {share}%, "
                         f"{done} of {len(files)} files")

    def write(self, rel: str, data: bytes) -> None:
        self._put(self._at(rel), data=data)

    @staticmethod
    def _put(path: Path, *, source: Path | None = None, data: bytes = b"") -> None:
        """Write ``source``'s bytes (or ``data``) under a temporary name beside ``path``,
        then rename it."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f"{path.name}.{secrets.token_hex(4)}{PARTIAL}")
            handle = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            try:
                with os.fdopen(handle, "wb") as out:
                    if source is None:
                        out.write(data)
                    else:
                        with open(source, "rb") as given:
                            shutil.copyfileobj(given, out)
                os.replace(partial, path)
            except BaseException:
                partial.unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise TransportError(f"{path} cannot be written: {exc.strerror or exc}") from None

    def delete_partials(self) -> None:
        """Remove what an interrupted upload left."""
        for directory, _dirs, names in os.walk(self.root):
            for name in names:
                if name.endswith(PARTIAL):
                    os.unlink(os.path.join(directory, name))

    def delete(self, files: list[str]) -> None:
        for rel in files:
            try:
                self._at(rel).unlink(missing_ok=True)
            except OSError as exc:
                raise TransportError(f"{rel} cannot be deleted: {exc.strerror}") from None
