"""The signed mirror list: ``mirrors.json``, published on every target.

A reader's browser learns the site's other addresses from it when the main one is blocked.
Any host may be compromised or impersonated, so the list is signed with an Ed25519 key
whose public half is built into the site's service worker (``mirror_key`` in
masthead.toml); a list that does not verify is ignored there. The private key never
enters the site folder: it comes from ``MASTHEAD_MIRROR_KEY`` (the key file's text, for
a CI secret), ``MASTHEAD_MIRROR_KEY_FILE`` (the PEM file), or the file `masthead mirror-key`
wrote in the user's config folder.

The file holds the signed text as a string (``payload``) beside its ``signature``, so
that the signature covers exact bytes and no canonical JSON is needed to check it::

    {"payload": "{\\"version\\":1,\\"site\\":...,\\"mirrors\\":[...],\\"issued\\":...}",
     "signature": "<base64>"}
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from masthead.config import CONFIG_FILE, SiteConfig

MIRROR_LIST = "mirrors.json"
KEY_ENV = "MASTHEAD_MIRROR_KEY"
KEY_FILE_ENV = "MASTHEAD_MIRROR_KEY_FILE"


class MirrorKeyError(Exception):
    """The private key is missing, unreadable or not the one masthead.toml names."""


def _key_folder() -> Path:
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "masthead"


def key_file_for(public: str) -> Path:
    """Where `masthead mirror-key` keeps a private key unless told otherwise: in the
    user's config folder, named after its public half (``mirror_key`` in masthead.toml),
    so that a site copied or renamed still finds it."""
    name = hashlib.sha256(public.strip().encode()).hexdigest()[:16]
    return _key_folder() / f"mirror-key-{name}.pem"


def legacy_key_file(config: SiteConfig) -> Path:
    """Where earlier versions kept it: named after the site's folder."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", config.root.resolve().name) or "site"
    return _key_folder() / f"{name}.mirror-key.pem"


def public_text(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def make_key_pair(config: SiteConfig, path: Path | None) -> tuple[str, Path]:
    """Write a new private key to ``path`` (owner-only, never inside the site, never over
    an existing key; None: ``key_file_for`` its public half) and return the public key's
    text and where the private key is."""
    key = Ed25519PrivateKey.generate()
    path = (path or key_file_for(public_text(key))).expanduser().resolve()
    if path.is_relative_to(config.root.resolve()):
        raise MirrorKeyError(f"{path} is inside the site folder, which is published and "
                             "usually in version control; choose a path outside it")
    if path.exists():
        raise MirrorKeyError(f"{path} exists; a new key would make readers' browsers "
                             "ignore every list signed with the old one. Remove it first "
                             "if that is what you want")
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as fh:
        fh.write(pem)
    return public_text(key), path


def record_public_key(config: SiteConfig, public: str) -> int | None:
    """Write ``mirror_key`` into masthead.toml among the top-level settings (before the
    first ``[table]``, where TOML wants it); the line number, or None when the site has
    no masthead.toml or already names a key there."""
    path = config.root / CONFIG_FILE
    if not path.is_file():
        return None
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    if any(re.match(r"\s*mirror_key\s*=", line) for line in lines):
        return None
    at = next((i for i, line in enumerate(lines) if line.lstrip().startswith("[")), len(lines))
    while at > 0 and not lines[at - 1].strip():
        at -= 1  # keep the blank line before the table
    if at and not lines[at - 1].endswith("\n"):
        lines[at - 1] += "\n"
    lines.insert(at, f'mirror_key = "{public}"\n')
    fresh = path.with_name(f".{CONFIG_FILE}.tmp")
    fresh.write_text("".join(lines), encoding="utf-8")
    os.replace(fresh, path)
    return at + 1


def signing_key(config: SiteConfig) -> Ed25519PrivateKey | None:
    """The private key that signs this site's list, checked against ``mirror_key``; None
    when the site has no ``mirror_key``."""
    if not config.mirror_key:
        return None
    key = _read_key(config)
    if public_text(key) != config.mirror_key:
        raise MirrorKeyError("the private key is not the pair of mirror_key in masthead.toml; "
                             "readers' browsers would ignore the list it signs")
    return key


def _read_key(config: SiteConfig) -> Ed25519PrivateKey:
    given = os.environ.get(KEY_ENV, "").strip()
    if given and not given.startswith("-----BEGIN"):
        try:
            return Ed25519PrivateKey.from_private_bytes(base64.b64decode(given, validate=True))
        except (ValueError, binascii.Error):
            raise MirrorKeyError(f"{KEY_ENV} is neither the key file's text nor a base64 "
                                 "Ed25519 seed (32 bytes)") from None
    if given:
        return _pem_key(given.encode(), KEY_ENV)
    named = os.environ.get(KEY_FILE_ENV, "").strip()
    path = Path(named).expanduser() if named else key_file_for(config.mirror_key)
    if not named and not path.exists() and legacy_key_file(config).exists():
        path = legacy_key_file(config)
    try:
        data = path.read_bytes()
    except OSError as exc:
        how = (f"{KEY_FILE_ENV} names {path}" if named else
               f"no {KEY_ENV} or {KEY_FILE_ENV} is set, and {path} is not there")
        raise MirrorKeyError(f"cannot read the mirror list's private key: {how} "
                             f"({exc.strerror or exc})") from None
    return _pem_key(data, str(path))


def _pem_key(data: bytes, where: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise MirrorKeyError(f"{where} is not an unencrypted PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise MirrorKeyError(f"{where} holds a key that is not Ed25519")
    return key


def payload(config: SiteConfig, site: str, now: datetime | None = None) -> dict[str, object]:
    """What the list says: the main address, every address in the order a browser tries
    them, the onion address, and when it was signed (a browser keeps the newest list)."""
    mirrors = [site, *(a for a in config.web_addresses if a != site)]
    issued = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"version": 1, "site": site, "mirrors": list(dict.fromkeys(mirrors)),
            "onion": config.onion.rstrip("/") + "/" if config.onion else "",
            "issued": issued}


def signed_list(key: Ed25519PrivateKey, content: dict[str, object]) -> bytes:
    text = json.dumps(content, ensure_ascii=True, separators=(",", ":"))
    signature = base64.b64encode(key.sign(text.encode())).decode()
    return json.dumps({"payload": text, "signature": signature}, indent=1).encode() + b"\n"


def verified(data: bytes, public: str) -> dict[str, object] | None:
    """The list's content when its signature is good for ``public``; None otherwise. The
    service worker checks the same way in the browser (WebCrypto's Ed25519)."""
    try:
        outer = json.loads(data)
        text, signature = outer["payload"], base64.b64decode(outer["signature"])
        Ed25519PublicKey.from_public_bytes(base64.b64decode(public)).verify(
            signature, text.encode())
        content = json.loads(text)
    except (ValueError, KeyError, TypeError, InvalidSignature):
        return None
    return content if isinstance(content, dict) else None


def write_mirror_list(config: SiteConfig, out_dir: Path, key: Ed25519PrivateKey,
                      site: str) -> None:
    """Put the signed list into the output folder, so that it goes to every target."""
    fresh = out_dir / f".{MIRROR_LIST}.tmp"
    fresh.write_bytes(signed_list(key, payload(config, site)))
    os.replace(fresh, out_dir / MIRROR_LIST)
