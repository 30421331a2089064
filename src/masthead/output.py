"""Where a build's files go: a folder on disk swapped in whole, or memory for tests.

DiskSink writes into a fresh temporary folder beside the output and swaps it in
only when the whole build succeeded, so a failed build leaves the last good site
in place and a deleted post's page disappears with the old folder. It refuses to
replace a folder that masthead did not make (or the site itself), so that nothing
a user wrote is ever deleted.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Protocol

MARKER = ".masthead-output"
_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0) \
    | getattr(os, "O_BINARY", 0)


def link_or_copy(source: str, target: str) -> None:
    """A hard link of ``source`` at ``target``, or a copy where the file system cannot
    link (a folder on another disk): the same bytes, cheaply where it can be."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def write_atomic(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write a file so that a reader (a web server, another build) sees the old or the new
    one, never half of it; nothing is left behind if writing fails."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class OutputRefused(Exception):
    """The output folder cannot be used; the message says why and what to do."""


class Sink(Protocol):
    def write(self, rel_path: str, data: bytes) -> None: ...
    def copy(self, rel_path: str, source: Path) -> None: ...
    def commit(self) -> None: ...
    def abort(self) -> None: ...


def inside(rel_path: str) -> str:
    """``rel_path`` if it stays inside the output folder; ValueError otherwise. What a
    build writes is checked where it is made (URLs, languages, collections): this is the
    last guard, so that no path from content ever leaves the output."""
    if (not rel_path or rel_path.startswith(("/", "\\")) or "\x00" in rel_path
            or ".." in rel_path.replace("\\", "/").split("/")):
        raise ValueError(f"output path {rel_path!r} leaves the output folder")
    return rel_path


class MemorySink:
    """Keeps every output file in a dict: fast, and what tests look at."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def write(self, rel_path: str, data: bytes) -> None:
        self.files[inside(rel_path)] = data

    def copy(self, rel_path: str, source: Path) -> None:
        self.files[inside(rel_path)] = source.read_bytes()

    def commit(self) -> None:
        pass

    def abort(self) -> None:
        self.files.clear()

    def text(self, rel_path: str) -> str:
        return self.files[rel_path].decode("utf-8")


class DiskSink:
    """Builds into ``<out>.tmp-XXXX`` and swaps it for ``<out>`` on commit."""

    parallel_safe = True  # forked workers may write their pages themselves

    def __init__(self, out_dir: Path, site_root: Path) -> None:
        self.out_dir = out_dir.resolve()
        check_output_dir(self.out_dir, site_root.resolve())
        self.out_dir.parent.mkdir(parents=True, exist_ok=True)
        remove_stale(self.out_dir)
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.out_dir.name}.tmp-{os.getpid()}-",
                                         dir=self.out_dir.parent))
        self._root = str(self.tmp)
        self._dirs: set[str] = set()

    def _target(self, rel_path: str) -> str:
        path = os.path.join(self._root, inside(rel_path))
        parent = os.path.dirname(path)
        if parent not in self._dirs:
            try:  # a page's folder is new and its parent made: one call, where makedirs
                os.mkdir(parent)  # would look first
            except FileNotFoundError:
                os.makedirs(parent, exist_ok=True)
            except FileExistsError:
                pass
            self._dirs.add(parent)
        return path

    def write(self, rel_path: str, data: bytes) -> None:
        # os.open/os.write: three system calls a page, where a Python file object adds a
        # stat, a terminal check and a seek (and their cost x 20,000 pages).
        fd = os.open(self._target(rel_path), _WRITE_FLAGS, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)

    def copy(self, rel_path: str, source: Path) -> None:
        shutil.copyfile(source, self._target(rel_path))

    def commit(self) -> None:
        (self.tmp / MARKER).write_text("This folder is rebuilt by masthead; edits here are lost.\n")
        os.chmod(self.tmp, 0o755)
        old = None
        if self.out_dir.exists():
            old = self.out_dir.with_name(f".{self.out_dir.name}.old-{os.getpid()}")
            os.replace(self.out_dir, old)
        os.replace(self.tmp, self.out_dir)
        if old is not None:
            _delete_later(old)

    def abort(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


# Folders a build reads: an output inside one would be published (or read) by the next build.
SOURCE_FOLDERS = ("content", "public", "templates", "static", "i18n", "config")
SYSTEM_FOLDERS = ("/proc", "/sys", "/dev", "/run", "/boot", "/etc", "/bin", "/sbin", "/lib",
                  "/usr")
MEMORY_FOLDERS = ("/dev/shm", "/run/user")  # tmpfs where an output may go


def check_output_dir(out_dir: Path, site_root: Path) -> None:
    """Raise OutputRefused if writing ``out_dir`` could destroy something a user wrote, or
    could not work at all."""
    if out_dir == site_root or out_dir in site_root.parents:
        raise OutputRefused(f"the output folder {out_dir} would replace the site itself; "
                            "choose another with -o, such as dist")
    for precious in SOURCE_FOLDERS:
        folder = site_root / precious
        if out_dir == folder or folder in out_dir.parents:
            raise OutputRefused(f"the output folder {out_dir} is inside the site's {precious}/ "
                                "folder, which the next build would read; choose another with "
                                "-o, such as dist")
    text = str(out_dir)
    def under(folders: tuple[str, ...]) -> bool:
        return any(text == s or text.startswith(s + "/") for s in folders)

    if out_dir == Path(out_dir.anchor) or (under(SYSTEM_FOLDERS) and not (
            under(MEMORY_FOLDERS) and text not in MEMORY_FOLDERS)):
        raise OutputRefused(f"the output folder {out_dir} is a system folder; choose another "
                            "with -o, such as dist")
    for parent in out_dir.parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputRefused(f"the output folder {out_dir} is under {parent}, which is "
                                    "a file; choose another with -o")
            break
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputRefused(f"the output path {out_dir} is a file; choose a folder with -o")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / MARKER).exists():
        raise OutputRefused(f"{out_dir} holds files that masthead did not write; it will not "
                            "replace them. Remove the folder or choose another with -o")


def remove_stale(out_dir: Path) -> None:
    """Delete what builds of ``out_dir`` killed before they finished left beside it: their
    unfinished folders and replaced outputs, named with the id of a process that is gone."""
    prefixes = (f".{out_dir.name}.tmp-", f".{out_dir.name}.old-")
    try:
        siblings = list(out_dir.parent.iterdir())
    except OSError:
        return
    for path in siblings:
        prefix = next((p for p in prefixes if path.name.startswith(p)), None)
        if prefix is None or not path.is_dir():
            continue
        pid = path.name[len(prefix):].split("-")[0]
        if pid.isdigit() and _alive(int(pid)):
            continue
        shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _delete_later(folder: Path) -> None:
    """Delete the replaced output without making the user wait: removing 20,000 files
    takes seconds, and the new site is already in place."""
    shell = shutil.which("sh")
    if shell and os.name == "posix":
        # sh starts rm in the background and exits at once: nothing is left to wait for
        subprocess.run([shell, "-c", 'rm -rf -- "$1" >/dev/null 2>&1 &', "sh", str(folder)],
                       stdin=subprocess.DEVNULL, check=False, start_new_session=True)
    else:
        shutil.rmtree(folder, ignore_errors=True)
