"""load_config: the Banter config first, then masthead.toml, then --set; every problem at once."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

from masthead.config.banter import read_banter
from masthead.config.checks import origins, validate
from masthead.config.settings import CONFIG_FILE, SiteConfig
from masthead.config.values import apply, read_toml
from masthead.errors import ConfigError, Diagnostic


def load_config(root: Path, overrides: dict[str, str] | None = None) -> SiteConfig:
    """Read a site's settings; raise ConfigError listing every problem. ``overrides``
    (from ``--set key=value``) come last; values are TOML (``20``, ``false``,
    ``["rss"]``), or plain text."""
    root = root.resolve()
    if root.is_file() and root.name in (CONFIG_FILE, "site.config.js"):
        root = root.parent.parent if root.parent.name == "config" else root.parent
    elif root.is_file():
        raise ConfigError([Diagnostic(str(root), None, "is a file, not a site folder",
                                      f"give the folder that holds {CONFIG_FILE}")])
    problems: list[Diagnostic] = []
    values: dict[str, Any] = {}
    toml_path = root / CONFIG_FILE
    found_banter = read_banter(root, values, problems)
    if toml_path.is_file():
        read_toml(toml_path, values, problems)
    elif not found_banter:
        empty = not root.is_dir() or not any(root.iterdir())
        raise ConfigError([Diagnostic(
            str(root), None, f"no {CONFIG_FILE} or config/site.config.js in this folder",
            f"run 'masthead new {root.name}' to start a site there, or point to a site "
            "folder" if empty else f"point to the site's folder (the one that holds "
            f"{CONFIG_FILE}), or run 'masthead new NEWFOLDER' to start a site")])
    if overrides:
        parsed: dict[str, Any] = {}
        for key, raw in overrides.items():
            try:
                parsed[key] = tomllib.loads(f"value = {raw}")["value"]
            except tomllib.TOMLDecodeError:
                parsed[key] = raw
        apply(parsed, "--set", lambda key: None, root, values, problems)
    config = replace(SiteConfig(root=root), **values)
    problems += validate(config, origins(root, toml_path, set(overrides or ())))
    if problems:
        raise ConfigError(problems)
    return config
