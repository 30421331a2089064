"""Writing an imported site without ever losing an edit: each file the import writes is
recorded with its hash (``.masthead/import-state.json``); a later import replaces a file
only while it is still what the import wrote, unless forced."""

from __future__ import annotations

import json
import os
import re
import unicodedata
from pathlib import Path
from urllib.parse import unquote

from masthead.digests import sha256_hex

STATE = Path(".masthead") / "import-state.json"
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ufffd/\\?%*:|\"<>#\[\]{}$;`'&]+")
NAME_BYTES = 200  # a slug's file name, its folder and index.html stay under 255 bytes


def readable_slug(raw: str, fallback: str) -> str:
    """A file name a person can read: percent-encoding undone (twice-encoded too),
    Unicode kept (``привет-мир``), separators and anything unsafe in a path or URL gone."""
    text = raw
    for _ in range(3):
        decoded = unquote(text)
        if decoded == text:
            break
        text = decoded
    text = unicodedata.normalize("NFC", text).strip().lower()
    text = _UNSAFE.sub("-", text.replace(" ", "-"))
    text = re.sub(r"-{2,}", "-", text).strip("-.")
    text = text.encode()[:NAME_BYTES].decode("utf-8", "ignore").strip("-.")
    return text or fallback


class SiteWriter:
    """Files of one site, written atomically, edits since the last import kept."""

    def __init__(self, root: Path, force: bool) -> None:
        self.root = root
        self.force = force
        self.state_path = root / STATE
        try:
            self.state: dict[str, str] = json.loads(self.state_path.read_text("utf-8"))
        except (OSError, ValueError):
            self.state = {}
        self.written: list[str] = []
        self.unchanged: list[str] = []
        self.kept: list[str] = []  # edited since the last import: left alone

    def write(self, rel: str, data: bytes) -> bool:
        path = self.root / rel
        if not path.resolve().is_relative_to(self.root.resolve()):
            raise ValueError(f"{rel} is outside the site")
        new = sha256_hex(data)
        if path.exists():
            current = sha256_hex(path.read_bytes())
            if current == new:
                self.state[rel] = new
                self.unchanged.append(rel)
                return False
            if self.state.get(rel) != current and not self.force:
                self.kept.append(rel)
                return False
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = path.with_name(f".{path.name}.import")
        fresh.write_bytes(data)
        os.replace(fresh, path)
        self.state[rel] = new
        self.written.append(rel)
        return True

    def copy(self, rel: str, source: Path) -> bool:
        return self.write(rel, source.read_bytes())

    def save(self) -> None:
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        fresh = self.state_path.with_name(f".{self.state_path.name}.tmp")
        fresh.write_text(json.dumps(dict(sorted(self.state.items())), indent=1), "utf-8")
        os.replace(fresh, self.state_path)


def inside(folder: Path, rel: str) -> Path | None:
    """``folder / rel`` when it stays inside ``folder`` (no ``..``, no absolute path)."""
    if not rel or rel.startswith("/") or "\\" in rel or "\x00" in rel:
        return None
    path = (folder / rel).resolve()
    return path if path.is_relative_to(folder.resolve()) and path.is_file() else None
