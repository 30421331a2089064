"""Zero third-party requests: pages with embeds, served by nginx with the site's own
Content-Security-Policy, ask nothing of any other host until a reader clicks a video."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from masthead.config import load_config
from masthead.options import BuildOptions
from masthead.pipeline import build_site
from tests.conftest import CORPUS, DEMO, NOW, SHARED
from tests.nginx import nginx_serving

pytestmark = pytest.mark.browser

SEED = SHARED / "examples" / "seed-post.md"
PAGES = ["/", "/posts/river-delta-drying/", "/videos/delta-in-four-minutes/",
         "/ru/posts/river-delta-drying/", "/search/?q=delta", "/posts/seed-post/"]
RECORD_CSP = """window.__csp = [];
document.addEventListener("securitypolicyviolation",
  e => window.__csp.push(e.violatedDirective + " " + e.blockedURI));"""


def _with_seed_post(site: Path) -> None:
    """The first user's post, as written, with its image, under the demo's names."""
    text = SEED.read_text(encoding="utf-8")
    text = re.sub(r'^author: .*$', 'author: "Aylana Badmaeva"', text, count=1, flags=re.M)
    (site / "content" / "posts" / "en" / "seed-post.md").write_text(text, encoding="utf-8")
    image = CORPUS / "public" / "images" / "posts" / "omon.jpg"
    target = site / "public" / "images" / "posts" / "omon.jpg"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(image, target)


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not SEED.is_file() or not CORPUS.is_dir():
        pytest.skip(f"needs the seed post and corpus under {SHARED} (absent in a plain clone)")
    site = tmp_path_factory.mktemp("privacy") / "site"
    shutil.copytree(DEMO, site, ignore=shutil.ignore_patterns(".masthead", "dist"))
    _with_seed_post(site)
    out = site.parent / "dist"
    build_site(load_config(site), out, BuildOptions(now=NOW))
    with nginx_serving(out) as url:
        yield url


def _open(browser: Any, url: str, width: int = 375) -> tuple[Any, Any, list[str], list[str]]:
    context = browser.new_context(viewport={"width": width, "height": 800},
                                  device_scale_factor=2)
    context.add_init_script(RECORD_CSP)
    page = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    response = page.goto(url, wait_until="networkidle")
    assert response is not None and response.status == 200
    return context, page, requests, errors


def _scroll_through(page: Any) -> None:
    for image in page.locator("img").all():
        image.scroll_into_view_if_needed()
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("path", PAGES)
def test_a_page_asks_nothing_of_other_hosts(browser: Any, site_url: str, path: str) -> None:
    context, page, requests, errors = _open(browser, site_url + path)
    _scroll_through(page)
    if path.startswith("/search/"):
        page.wait_for_selector(".pagefind-ui__result", timeout=10_000)
    own = urlsplit(site_url).netloc
    assert {urlsplit(u).netloc for u in requests} == {own}, [
        u for u in requests if urlsplit(u).netloc != own]
    assert page.evaluate("window.__csp") == []  # the site's policy allows all it uses
    assert errors == []
    context.close()


def test_embeds_are_static_cards_and_facades(browser: Any, site_url: str) -> None:
    context, page, _requests, _errors = _open(browser, site_url + "/posts/river-delta-drying/")
    assert page.locator("figure.embed-tweet blockquote").inner_text().startswith("Water levels")
    assert page.locator("a.embed-telegram").get_attribute("href") == \
        "https://t.me/steppeledger/2041"
    assert page.locator("a.embed-facade.embed-frame").inner_text().startswith(
        "Load content from www.openstreetmap.org")
    assert page.locator("iframe").count() == 0 and page.locator("script[src*='//']").count() == 0
    context.close()


def test_only_a_click_on_the_video_contacts_youtube(browser: Any, site_url: str) -> None:
    context, page, requests, errors = _open(browser, site_url + "/posts/river-delta-drying/")
    # The machine has no route to YouTube: answer for it, so the click can be followed.
    page.route("https://www.youtube-nocookie.com/**",
               lambda route: route.fulfill(status=200, content_type="text/html",
                                           body="<!doctype html><title>player</title>"))
    _scroll_through(page)
    own = urlsplit(site_url).netloc
    assert {urlsplit(u).netloc for u in requests} == {own}
    facade = page.locator("a.embed-facade.embed-video").first
    with page.expect_request(lambda r: "youtube-nocookie.com" in r.url, timeout=10_000):
        facade.click()
    frame = page.locator("iframe.embed-frame")
    frame.wait_for(timeout=5_000)
    assert frame.get_attribute("src") == \
        "https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ?autoplay=1"
    assert {urlsplit(u).netloc for u in requests} == {own, "www.youtube-nocookie.com"}
    assert page.evaluate("window.__csp") == []
    assert errors == []
    context.close()


def test_a_phone_downloads_small_variants_not_the_originals(browser: Any,
                                                            site_url: str) -> None:
    context, page, requests, _errors = _open(browser, site_url + "/posts/seed-post/")
    _scroll_through(page)
    images = [urlsplit(u).path for u in requests if re.search(r"\.(jpe?g|png|webp|avif)$", u)]
    hero = [p for p in images if "omon" in p]
    assert hero and all(p.startswith("/_img/omon-") and p.endswith(".avif") for p in hero)
    assert all(int(p.rsplit("-", 1)[1].split(".")[0]) <= 960 for p in hero)  # 375 px x 2
    assert not any(p.startswith("/images/") and not p.endswith(".png") for p in images)
    context.close()
