"""Checks of the settings as a whole, each diagnostic placed where the setting was written
(--set, masthead.toml with its line, or the Banter config)."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from masthead.config.banter import banter_file
from masthead.config.entries import LANGUAGE_CODE
from masthead.config.settings import CONFIG_FILE, IMAGE_ENCODINGS, SiteConfig
from masthead.config.values import toml_line
from masthead.errors import Diagnostic, Severity
from masthead.safeurl import header_safe, origin_of, source_ok

Where = Callable[[str], tuple[str, int | None]]  # a setting -> (file, line)


def origins(root: Path, toml_path: Path, overridden: set[str]) -> Where:
    """Where a setting was written, for its diagnostic: ``--set`` on the command line,
    masthead.toml (with its line), or the Banter config."""
    text = toml_path.read_text(encoding="utf-8") if toml_path.is_file() else ""
    banter = banter_file(root, "site.config")
    fallback = (toml_path.name if text or banter is None
                else str(banter.relative_to(root)))

    def where(key: str) -> tuple[str, int | None]:
        if key in overridden:
            return "--set", None
        line = toml_line(text, key) if text else None
        return (toml_path.name, line) if line else (fallback, None)

    return where


def validate(config: SiteConfig, where: Where) -> list[Diagnostic]:
    problems = []
    if config.posts_per_page < 1:
        problems.append(Diagnostic(*where("posts_per_page"),
                                   "posts_per_page must be at least 1",
                                   "write posts_per_page = 6"))
    for key in ("image_quality", "image_avif_quality"):
        if not 1 <= getattr(config, key) <= 100:
            problems.append(Diagnostic(*where(key), f"{key} must be between 1 and 100",
                                       f"write {key} = {getattr(SiteConfig, key)}"))
    if config.image_encoding not in IMAGE_ENCODINGS:
        problems.append(Diagnostic(*where("image_encoding"), "image_encoding must be one of "
                                   f"{', '.join(IMAGE_ENCODINGS)}",
                                   'write image_encoding = "small" (or "fast" for previews)'))
    if not address_ok(config.base_url, paths=False):
        problems.append(Diagnostic(*where("base_url"), *address_problem("base_url",
                                                                        config.base_url)))
    if config.api_public_url and not address_ok(config.api_public_url, paths=False):
        problems.append(Diagnostic(*where("api_public_url"), *address_problem(
            "api_public_url", config.api_public_url)))
    if config.api_url and not address_ok(config.api_url, paths=True):
        problems.append(Diagnostic(*where("api_url"), f"api_url {config.api_url!r} is neither "
                                   "a path nor an http(s) address",
                                   'write api_url = "/api" or "https://api.example.org/api"'))
    for key in ("og_image", "logo", "logo_cropped", "favicon"):
        if not source_ok(getattr(config, key)):
            problems.append(Diagnostic(*where(key), f"{key} {getattr(config, key)!r} is neither a "
                                       "path nor an http(s) address",
                                       f'write {key} = "/images/logo.png"'))
    if config.onion and not ONION.match(config.onion):
        problems.append(Diagnostic(*where("onion"), f"onion {config.onion[:80]!r} is not an "
                                   "onion address", 'write onion = "http://<the 56 letters of '
                                   'the v3 address>.onion/"'))
    if config.mirror_key and not public_key_ok(config.mirror_key):
        problems.append(Diagnostic(*where("mirror_key"), "mirror_key is not an Ed25519 public "
                                   "key (44 characters of base64)",
                                   "run `masthead mirror-key` and copy the line it prints"))
    if not LANGUAGE_CODE.match(config.language):
        problems.append(Diagnostic(*where("language"), f"language {config.language[:40]!r} is "
                                   "not a language code",
                                   'write language = "en" (or "ru", "pt-BR")'))
    languages = config.languages  # else the content's folders: checked when posting
    for channel in config.channels:
        if languages and channel.language not in languages:
            problems.append(Diagnostic(*where("channels"), f"channel '{channel.name}': its "
                                       f"language {channel.language!r} is not one of the "
                                       f"site's ({', '.join(languages)})",
                                       "write one of them, or add the language to the site"))
        if channel.kind == "fediverse" and not config.api_url:
            problems.append(Diagnostic(*where("channels"), f"channel '{channel.name}': a "
                                       "fediverse account needs the API (its inbox is "
                                       "there), and api_url is not set",
                                       'set api_url = "/api" and run `masthead api`'))
    try:
        ZoneInfo(config.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(Diagnostic(*where("timezone"), f"unknown time zone '{config.timezone}'",
                                   "use an IANA name such as Europe/Moscow or UTC"))
    return problems


def public_key_ok(value: str) -> bool:
    """32 bytes in standard base64: an Ed25519 public key as `masthead mirror-key` prints it."""
    try:
        return len(base64.b64decode(value, validate=True)) == 32
    except ValueError:
        return False


ONION = re.compile(r"^http://[a-z2-7]{56}\.onion/?$")
PLACEHOLDER_HOSTS = {"example.org", "example.com", "example.net", "www.example.org",
                     "www.example.com", "www.example.net", "localhost", "127.0.0.1", "[::1]"}


def placeholder_base_url(config: SiteConfig) -> Diagnostic | None:
    """A warning for a site built for publishing whose ``base_url`` is still a
    placeholder: its feeds, sitemaps and share links would point there."""
    host = config.base_url.split("//", 1)[-1].split("/", 1)[0].split(":")[0].lower()
    if host.startswith("[::1]"):
        host = "[::1]"
    if host not in PLACEHOLDER_HOSTS:
        return None
    toml_path = config.root / CONFIG_FILE
    line = (toml_line(toml_path.read_text(encoding="utf-8"), "base_url")
            if toml_path.is_file() else None)
    where = CONFIG_FILE if line is not None or toml_path.is_file() else "config/site.config.js"
    return Diagnostic(where, line,
                      f"base_url is '{config.base_url}', a placeholder: feeds, sitemaps, "
                      "canonical and share links will point there",
                      "set base_url to the site's public address, e.g. base_url = "
                      '"https://www.mymagazine.org/" in masthead.toml, or --set base_url=...',
                      Severity.WARNING)


def address_problem(key: str, value: str) -> tuple[str, str]:
    """(message, hint) saying what is wrong with an address that is not ``address_ok``."""
    try:
        parts = urlsplit(value.strip())
        host = parts.hostname or ""
        parts.port  # noqa: B018 (a port that is not a number raises here)
    except ValueError:
        return (f"{key} {value[:80]!r} has a port that is not a number",
                "write it as https://example.org/ or https://example.org:8443/")
    if parts.scheme.lower() not in ("http", "https"):
        return (f"{key} {value[:80]!r} does not start with https:// or http://",
                f"write it as https://{value.strip().split('://')[-1][:60] or 'example.org/'}")
    if "_" in host:
        return (f"{key} {value[:80]!r} has '_' in its host name {host!r}: host names "
                "cannot have it, and no certificate authority issues one for it",
                f"use the host with '-' instead, e.g. {host.replace('_', '-')}")
    if not host:
        return f"{key} {value[:80]!r} names no host", "write it as https://example.org/"
    return (f"{key} {value[:80]!r} is not an absolute http(s) address that can stand in a "
            "header (no spaces, quotes or control characters)",
            "write it as https://example.org/")


def address_ok(value: str, paths: bool) -> bool:
    """An http(s) address (or, with ``paths``, a path on the site) that can stand in a
    header, an attribute and a script as it is."""
    if not header_safe(value) or re.search(r"[\s<>'\"]", value):
        return False
    if paths and value.startswith("/") and not value.startswith("//"):
        return True
    return bool(re.match(r"^https?://", value) and origin_of(value))
