"""Live reload in a real browser: edit a post on disk, see it change in the same tab."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import wait_for
from tests.conftest import DEMO

pytestmark = pytest.mark.browser
POST = "content/posts/en/night-herders.md"


@pytest.fixture
def dev_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    site = tmp_path / "demo"
    shutil.copytree(DEMO, site, ignore=shutil.ignore_patterns("dist", ".masthead"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "masthead.cli", "serve", str(site),
                                "--port", str(port)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(base + "/", timeout=2).close()
            break
        except OSError:
            time.sleep(0.1)
    yield base, site
    process.terminate()
    process.wait(timeout=10)


def test_edit_reloads_the_open_tab_and_errors_show_over_it(
        browser: Any, dev_server: tuple[str, Path]) -> None:
    base, site = dev_server
    page = browser.new_page()
    page.goto(base + "/posts/night-herders/")
    wait_for(page,
        "document.querySelector('h1').textContent.includes('night herders')")
    time.sleep(0.5)  # let the event stream connect

    source = site / POST
    original = source.read_text(encoding="utf-8")
    saved = time.perf_counter()
    source.write_text(original.replace("The night herders: a photo essay",
                                       "Night herders under a new title"), encoding="utf-8")
    wait_for(page,
        "document.querySelector('h1').textContent.includes('under a new title')", 2000)
    save_to_reload = time.perf_counter() - saved
    assert save_to_reload < 2.0

    source.write_text(original.replace('title: "The night herders: a photo essay"',
                                       'title: "Broken: "quotes"'), encoding="utf-8")
    overlay = page.locator("#masthead-errors")
    overlay.wait_for(timeout=5000)
    text = overlay.inner_text()
    assert f"{POST}:2:" in text and "invalid YAML" in text and "hint:" in text

    source.write_text(original, encoding="utf-8")
    wait_for(page,
        "!document.getElementById('masthead-errors') && "
        "document.querySelector('h1').textContent.includes('a photo essay')", 5000)
    page.close()
