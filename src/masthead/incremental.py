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

import hashlib
import json
import pickle
import zlib
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any

from masthead import __version__
from masthead.content import models as _models
from masthead.content.load import CachedModel
from masthead.errors import Diagnostic
from masthead.output import write_atomic

CACHE_DIR = ".masthead"
MODELS = "models.pickle"
SHARDS = 32
MANIFEST = "manifest.json"
UPDATING = "updating"


def _shape(*classes: type) -> str:
    """A digest of the fields of each dataclass and their declared types: what a pickled
    model or a manifest needs to be read back."""
    text = repr([(cls.__qualname__, [(f.name, str(f.type)) for f in fields(cls)])
                 for cls in classes])
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


@dataclass
class Manifest:
    """What the output folder holds: each file's fingerprint, and a digest of every input
    (so that a build with nothing changed can stop right after looking at the files)."""

    output: str
    files: dict[str, str] = field(default_factory=dict)
    inputs: str = ""
    pages: int = 0
    next_due: str = ""  # the earliest scheduled post left out, as ISO 8601
    warnings: list[list[Any]] = field(default_factory=list)
    environment: str = ""  # digest of all inputs but the content files


# Of what is stored: worked out from the shape of the stored classes, so a new field on a
# model starts a fresh cache instead of unpickling an old one without it.
FORMAT = _shape(Manifest, CachedModel, Diagnostic, *(
    cls for cls in vars(_models).values()
    if isinstance(cls, type) and is_dataclass(cls) and cls.__module__ == _models.__name__))


class BuildCache:
    """The cache on disk, also kept in memory so that a long-running ``serve`` does not
    read it back after every save."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._models: tuple[str, dict[str, CachedModel]] | None = None
        self._manifest: Manifest | None = None

    # --- parsed models ----------------------------------------------------------------
    # Kept in 32 shards by file name, so that after an edit only one shard is rewritten.

    def load_models(self, key: str) -> dict[str, CachedModel]:
        if self._models is not None and self._models[0] == key:
            return dict(self._models[1])
        models: dict[str, CachedModel] = {}
        for shard in range(SHARDS):
            part = self._model_shard(key, shard)
            if part is None:
                return {}
            models.update(part)
        self._models = (key, models)
        return dict(models)

    def save_models(self, key: str, models: dict[str, CachedModel],
                    previous: dict[str, CachedModel] | None = None) -> None:
        """Write the shards whose models differ from ``previous`` (all without it)."""
        shards: list[dict[str, CachedModel]] = [{} for _ in range(SHARDS)]
        dirty = set(range(SHARDS)) if previous is None else set()
        for rel, model in models.items():
            shard = _shard(rel)
            shards[shard][rel] = model
            if previous is not None and previous.get(rel) is not model:
                dirty.add(shard)
        if previous is not None:
            dirty |= {_shard(rel) for rel in previous if rel not in models}
        self._models = (key, dict(models))
        for shard in sorted(dirty):
            self._write_model_shard(key, shard, shards[shard])

    # --- output manifest --------------------------------------------------------------

    def load_manifest(self) -> Manifest | None:
        if self._manifest is not None:
            return _copy(self._manifest)
        data = self._read_json(MANIFEST)
        files = data.get("files") if data else None
        if data is None or not isinstance(files, dict) or not isinstance(data.get("output"),
                                                                           str):
            return None
        self._manifest = Manifest(data["output"], files, str(data.get("inputs", "")),
                                  int(data.get("pages", 0)), str(data.get("next_due", "")),
                                  list(data.get("warnings", [])),
                                  str(data.get("environment", "")))
        return _copy(self._manifest)

    def save_manifest(self, manifest: Manifest) -> None:
        self._manifest = _copy(manifest)
        body = {"version": [__version__, FORMAT], "output": manifest.output,
                "files": manifest.files, "inputs": manifest.inputs, "pages": manifest.pages,
                "next_due": manifest.next_due, "warnings": manifest.warnings,
                "environment": manifest.environment}
        self._write(MANIFEST, json.dumps(body, separators=(",", ":")).encode())

    # --- a journal of updates in place ------------------------------------------------
    # An incremental build rewrites output files one by one; killed half-way, the output
    # is part old, part new. The mark is made before the first write and removed once the
    # new manifest is saved: a build that finds it does not trust the manifest.

    def begin_update(self) -> None:
        self._write(UPDATING, b"an update of the output was started and not finished\n")

    def end_update(self) -> None:
        (self.folder / UPDATING).unlink(missing_ok=True)

    def interrupted(self) -> bool:
        return (self.folder / UPDATING).exists()

    def forget_manifest(self) -> None:
        self._manifest = None
        (self.folder / MANIFEST).unlink(missing_ok=True)

    def _read_json(self, name: str) -> dict[str, Any] | None:
        try:
            data = json.loads((self.folder / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("version") != [__version__, FORMAT]:
            return None
        return data

    def _model_shard(self, key: str, shard: int) -> dict[str, CachedModel] | None:
        """One shard's models, or None when it is missing or from other settings."""
        data = self._read_pickle(f"{MODELS}.{shard}")
        if not isinstance(data, dict) or data.get("key") != (__version__, FORMAT, key):
            return None
        part = data.get("models")
        return part if isinstance(part, dict) else None

    def _write_model_shard(self, key: str, shard: int, models: dict[str, CachedModel]) -> None:
        self._write(f"{MODELS}.{shard}", pickle.dumps(
            {"key": (__version__, FORMAT, key), "models": models},
            protocol=pickle.HIGHEST_PROTOCOL))

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
        write_atomic(self.folder / name, data)


def _shard(rel: str) -> int:
    return zlib.crc32(rel.encode("utf-8", "surrogatepass")) % SHARDS


def _copy(manifest: Manifest) -> Manifest:
    return Manifest(manifest.output, dict(manifest.files), manifest.inputs, manifest.pages,
                    manifest.next_due, [list(w) for w in manifest.warnings],
                    manifest.environment)
