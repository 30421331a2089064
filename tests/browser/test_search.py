"""Search in a real browser: the Pagefind index built with the demo, served by the site."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import wait_for

pytestmark = pytest.mark.browser
RESULT_LINKS = ".pagefind-ui__result-link"


def _results(page: Any) -> list[str]:
    page.wait_for_selector(RESULT_LINKS, timeout=10_000)
    return [urlsplit(href).path for href in
            page.eval_on_selector_all(RESULT_LINKS, "links => links.map(a => a.href)")]


def test_english_name_from_the_header_form(browser: Any, demo_url: str) -> None:
    page = browser.new_page()
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    page.goto(demo_url + "/posts/night-herders/")
    page.fill("#site-search", "Nikolai")
    page.press("#site-search", "Enter")
    page.wait_for_url("**/search/?q=Nikolai")
    assert _results(page)[0] == "/posts/river-delta-drying/"
    assert page.locator(".search-date").first.inner_text() == "September 14, 2024"
    page.click(RESULT_LINKS)
    page.wait_for_url("**/posts/river-delta-drying/")
    assert "fishing villages" in page.locator("h1").inner_text()
    assert hosts == {urlsplit(demo_url).netloc}
    page.close()


def test_russian_word_finds_the_russian_story(browser: Any, demo_url: str) -> None:
    page = browser.new_page()
    page.goto(demo_url + "/ru/search/")
    page.fill(".pagefind-ui__search-input", "протоки")
    results = _results(page)
    assert "/ru/posts/river-delta-drying/" in results
    assert all(path.startswith("/ru/") for path in results)
    page.close()


def test_filter_by_category(browser: Any, demo_url: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(demo_url + "/search/?q=steppe")
    everything = _results(page)
    culture = {"/posts/night-herders/", "/posts/market-day-elista/",
               "/posts/epic-singers-recordings/", "/posts/photo-contest-winners/"}
    assert not set(everything) <= culture, everything  # the word is in other sections too
    # The filter groups arrive after the results, and Pagefind opens a group by itself when
    # it is the only one with few values: a click on the group's name could close it.
    category = ("[...document.querySelectorAll('details.pagefind-ui__filter-block')].find("
                "d => d.querySelector('summary').textContent.trim().toLowerCase() === 'category')")
    wait_for(page, f"() => !!{category}", 30_000)
    page.evaluate(f"() => {{ {category}.open = true; }}")
    page.locator(".pagefind-ui__filter-label", has_text="Culture").click()
    wait_for(page,
        "[...document.querySelectorAll('.pagefind-ui__result-link')].every("
        "a => !a.href.includes('river-delta') && !a.href.includes('school-closures'))")
    filtered = _results(page)
    assert filtered and set(filtered) <= culture, filtered
    page.close()
