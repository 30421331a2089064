"""Short digests of values and of folders: what fingerprints, cache keys and the
manifest compare. At the bottom of the layers, as every stage compares something."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path


def digest(*parts: object) -> str:
    """A 128-bit digest of the parts (strings as they are, anything else by its repr)."""
    text = "\x1f".join(part if isinstance(part, str) else repr(part) for part in parts)
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def sha256_hex(data: bytes) -> str:
    """SHA-256 of ``data`` in hex: what tells a file's versions apart where another
    program compares them too (an import's record of what it wrote, the editor's ids)."""
    return hashlib.sha256(data).hexdigest()


def files_digest(folders: Iterable[Path]) -> str:
    """Names, sizes and modification times of every file under ``folders``."""
    rows = []
    for folder in folders:
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    stat = path.stat()
                    rows.append((str(path), stat.st_size, stat.st_mtime_ns))
    return digest(rows)
