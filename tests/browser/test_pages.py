"""Real pages in a real browser: no console errors, no other hosts, no sideways scrolling."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import wait_for

pytestmark = pytest.mark.browser

PAGES = ["/", "/posts/river-delta-drying/", "/categories/environment/",
         "/authors/aylana-badmaeva/", "/ru/posts/night-herders/"]


@pytest.mark.parametrize("width", [375, 1280])
@pytest.mark.parametrize("path", PAGES)
def test_page_is_clean(browser: Any, demo_url: str, path: str, width: int,
                       tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors: list[str] = []
    hosts: set[str] = set()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: hosts.add(urlsplit(r.url).netloc))
    response = page.goto(demo_url + path, wait_until="networkidle")
    assert response is not None and response.status == 200
    for image in page.locator("img").all():  # bring every lazy image into view
        image.scroll_into_view_if_needed()
    wait_for(page,
        "[...document.images].every(i => i.complete)", 10_000)
    page.screenshot(path=str(tmp_path / f"{width}.png"), full_page=True)
    assert errors == []
    assert hosts == {urlsplit(demo_url).netloc}
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width}px"
    broken = page.evaluate("[...document.images].filter(i => !i.naturalWidth)"
                           ".map(i => i.src)")
    assert broken == []
    assert page.locator("h1").count() == 1
    page.close()


def test_skip_link_and_keyboard_focus(browser: Any, demo_url: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(demo_url + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    page.close()


def test_unknown_url_gets_the_404_page(browser: Any, demo_url: str) -> None:
    page = browser.new_page()
    response = page.goto(demo_url + "/ru/no-such-page/")
    assert response is not None and response.status == 404
    assert page.locator("h1").inner_text() == "Страница не найдена"
    page.close()


def test_pager_and_language_switch_work(browser: Any, demo_url: str) -> None:
    page = browser.new_page(viewport={"width": 375, "height": 800})
    page.goto(demo_url + "/")
    page.locator(".pager a[rel=next]").first.click()
    assert page.url.endswith("/page/2/")
    page.goto(demo_url + "/posts/river-delta-drying/")
    page.locator('.languages a[hreflang="ru"]').click()
    assert page.url.endswith("/ru/posts/river-delta-drying/")
    assert "Дельта пересыхает" in page.locator("h1").inner_text()
    page.close()
