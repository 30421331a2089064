"""The build cache in ``<site>/.masthead/``: parsed models and the output manifest.

Two things make a rebuild fast. Parsed models are kept with the size and modification
time of their file, so an unchanged file is not read or parsed again. The manifest
records, for every output file, the fingerprint of what it shows, so only pages whose
fingerprint changed are rendered and written. Both are keyed by masthead's version
and a digest of the settings: a new version or new settings start from scratch.

The cache is only an accelerator: deleting ``.masthead/`` is always safe, and a cache
that cannot be read is ignored (and replaced after the next good build).
"""

from __future__ import annotations

import json
import os
import pickle
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from masthead import __version__
from masthead.content.load import CachedModel

CACHE_DIR = ".masthead"
MODELS = "models.pickle"
MANIFEST = "manifest.json"


@dataclass
class Manifest:
    output: str
    files: dict[str, str] = field(default_factory=dict)


class BuildCache:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    # --- parsed models ----------------------------------------------------------------

    def load_models(self, key: str) -> dict[str, CachedModel]:
        data = self._read_pickle(MODELS)
        if not isinstance(data, dict) or data.get("key") != (__version__, key):
            return {}
        models = data.get("models")
        return models if isinstance(models, dict) else {}

    def save_models(self, key: str, models: dict[str, CachedModel]) -> None:
        self._write(MODELS, pickle.dumps({"key": (__version__, key), "models": models},
                                         protocol=pickle.HIGHEST_PROTOCOL))

    # --- output manifest --------------------------------------------------------------

    def load_manifest(self) -> Manifest | None:
        try:
            data = json.loads((self.folder / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("version") != __version__:
            return None
        files = data.get("files")
        if not isinstance(files, dict) or not isinstance(data.get("output"), str):
            return None
        return Manifest(data["output"], files)

    def save_manifest(self, manifest: Manifest) -> None:
        body = {"version": __version__, "output": manifest.output, "files": manifest.files}
        self._write(MANIFEST, json.dumps(body, separators=(",", ":"), sort_keys=True).encode())

    def forget_manifest(self) -> None:
        (self.folder / MANIFEST).unlink(missing_ok=True)

    # --- files ------------------------------------------------------------------------

    def _read_pickle(self, name: str) -> Any:
        try:
            with open(self.folder / name, "rb") as fh:
                return pickle.load(fh)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError,
                TypeError, ValueError):
            return None

    def _write(self, name: str, data: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        ignore = self.folder / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# masthead's build cache: safe to delete\n*\n")
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=f".{name}.")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, self.folder / name)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
