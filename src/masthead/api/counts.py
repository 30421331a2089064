"""Read the counted views for ``masthead build --views``: from a running API over HTTP,
or straight from its database."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from pathlib import Path

from masthead.api.db import open_database, prepare_database
from masthead.api.features.views import ViewCounts


class CountsUnavailable(Exception):
    """The views could not be read; the message says from where and why."""


def read_counts(source: str, site_root: Path) -> dict[str, int]:
    """``https://example.org/api`` (the API), ``postgresql://...`` or a SQLite file."""
    if source.startswith(("http://", "https://")):
        return _from_api(source.rstrip("/"))
    path = Path(source)
    if "://" not in source and not path.is_file():
        raise CountsUnavailable(f"{source}: no such database file (or give the API's URL, "
                                "e.g. https://example.org/api)")
    try:
        return asyncio.run(_from_database(source, site_root))
    except Exception as exc:  # the driver's own errors differ by database
        raise CountsUnavailable(f"{source}: {exc}") from exc


def _from_api(url: str) -> dict[str, int]:
    try:
        with urllib.request.urlopen(f"{url}/views/all", timeout=30) as response:
            data = json.loads(response.read())
    except (OSError, urllib.error.URLError, ValueError) as exc:
        raise CountsUnavailable(f"{url}/views/all: {exc}") from exc
    if not isinstance(data, dict) or not all(
            isinstance(k, str) and isinstance(v, int) for k, v in data.items()):
        raise CountsUnavailable(f"{url}/views/all did not answer path -> count")
    return data


async def _from_database(source: str, site_root: Path) -> dict[str, int]:
    store = open_database(source, site_root)
    try:
        await prepare_database(store)
        return await ViewCounts(store).view_counts()
    finally:
        await store.close()
