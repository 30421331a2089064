"""A real browser (Debian chromium via Playwright) against the demo served on loopback."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from masthead.config import load_config
from masthead.dev.server import serving
from masthead.options import BuildOptions
from masthead.pipeline import build_site
from tests.conftest import DEMO, NOW

POLL = 0.1  # seconds between two looks at the page


def wait_for(page: Page, expression: str, timeout: float = 30_000) -> None:
    """Wait until a JavaScript expression is true in the page. Not ``wait_for_function``:
    that evaluates its predicate with eval() inside the page, which the site's
    Content-Security-Policy forbids; ``evaluate`` runs it from outside. It looks on a timer
    (requestAnimationFrame can be starved when the machine is busy)."""
    deadline = time.monotonic() + timeout / 1000
    while not _true(page, expression):
        if time.monotonic() > deadline:
            raise TimeoutError(f"still false after {timeout / 1000:.0f} s: {expression}")
        time.sleep(POLL)


def _true(page: Page, expression: str) -> bool:
    try:
        return bool(page.evaluate(expression))
    except PlaywrightError:  # the page is navigating (a reload): look again
        return False


@pytest.fixture(scope="session")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    out = tmp_path_factory.mktemp("demo") / "dist"
    build_site(load_config(DEMO), out, BuildOptions(now=NOW))  # with its search index
    with serving(out, ["/ru/"]) as url:
        yield url


