"""A real browser (Debian chromium via Playwright) against the demo served on loopback."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from masthead.build import build_site
from masthead.config import load_config
from masthead.content.load import BuildOptions
from masthead.dev.server import serving
from tests.conftest import DEMO, NOW

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Every wait_for_function polls on a timer: its default, requestAnimationFrame, can be
# starved when the machine is busy, and a wait for a page that is ready then times out.
POLL = 100  # ms
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


@pytest.fixture(scope="session")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    out = tmp_path_factory.mktemp("demo") / "dist"
    build_site(load_config(DEMO), out, BuildOptions(now=NOW))  # with its search index
    with serving(out, ["/ru/"]) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Debian chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    with playwright_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()
