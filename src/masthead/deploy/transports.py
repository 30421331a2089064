"""How files reach a target, by the kind of its destination. A folder on this machine is
copied to directly; rclone reaches every remote it knows (S3, SFTP, WebDAV and the rest);
another kind of destination is a class with the ``Transport`` methods and a line in
``KINDS``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from masthead.deploy.folder import Folder
from masthead.deploy.rclone import Rclone


class Transport(Protocol):
    """What a deploy asks of a destination."""

    def read(self, rel: str) -> bytes | None: ...
    def prepare(self) -> None: ...
    def upload(self, source: Path, files: list[str],
               progress: Callable[[str], None] | None = None) -> None: ...
    def write(self, rel: str, data: bytes) -> None: ...
    def delete_partials(self) -> None: ...
    def delete(self, files: list[str]) -> None: ...


# (prefix of the destination, what reaches it), first match wins; rclone takes the rest.
# A folder here is an absolute path (``destination`` makes a relative one absolute).
KINDS: list[tuple[str, Callable[[str], Transport]]] = [("/", Folder)]


def transport_for(destination: str) -> Transport:
    for prefix, make in KINDS:
        if destination.startswith(prefix):
            return make(destination)
    return Rclone(destination)
