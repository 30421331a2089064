"""The pages and the API together, behind nginx as a site would run them: live view
counts, Do Not Track / Global Privacy Control, forms that work without JavaScript."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from masthead.config import load_config
from masthead.options import BuildOptions
from masthead.pipeline import build_site
from tests.api.conftest import Mailbox, RunningApi, api_site, mailbox, site_config, start_api
from tests.browser.conftest import wait_for
from tests.conftest import NOW
from tests.nginx import nginx_serving

pytestmark = pytest.mark.browser
__all__ = ["mailbox"]  # the SMTP fixture, shared with the API tests

CONTACT = '---\ntitle: "Contact"\n---\nWrite to us.\n'


@pytest.fixture
def live_site(tmp_path: Path, mailbox: Mailbox) -> Iterator[tuple[str, RunningApi]]:
    root = api_site(tmp_path / "site")
    (root / "content" / "pages").mkdir(parents=True, exist_ok=True)
    (root / "content" / "pages" / "contact.md").write_text(CONTACT)
    config = site_config(root, mailbox.port)
    out = tmp_path / "dist"
    build_site(config, out, BuildOptions(now=NOW))
    for api in start_api(config, str(tmp_path / "api.sqlite"), rate_limit=0):
        with nginx_serving(out, int(urlsplit(api.url).port or 0)) as url:
            yield url, api


def _page(browser: Any, **options: Any) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport={"width": 375, "height": 800}, **options)
    context.add_init_script("window.__csp = []; document.addEventListener("
                            "'securitypolicyviolation', e => window.__csp.push(e.blockedURI));")
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(f"{r.method} {r.url}"))
    return context, page, requests


def test_an_article_counts_its_view_and_shows_the_live_count(
        browser: Any, live_site: tuple[str, RunningApi]) -> None:
    url, api = live_site
    context, page, requests = _page(browser)
    with page.expect_response(lambda r: r.url.endswith("/api/views")):
        page.goto(f"{url}/posts/story-03/")
    wait_for(page,
        "document.querySelector('.views').textContent === '4 views'")
    with page.expect_response(lambda r: r.url.endswith("/api/views")):
        page.reload()
    wait_for(page,
        "document.querySelector('.views').textContent === '5 views'")
    assert api.call(api.views.view_counts(["/posts/story-03"])) == {"/posts/story-03": 2}
    assert {urlsplit(r.split()[1]).netloc for r in requests} == {urlsplit(url).netloc}
    assert page.evaluate("window.__csp") == []
    assert page.evaluate("document.cookie") == ""
    context.close()


def test_global_privacy_control_reads_but_never_counts(
        browser: Any, live_site: tuple[str, RunningApi]) -> None:
    url, api = live_site
    context, page, requests = _page(browser)
    context.add_init_script("Object.defineProperty(Navigator.prototype, "
                            "'globalPrivacyControl', {get: () => true});")
    with page.expect_response(lambda r: "/api/views?path=" in r.url):
        page.goto(f"{url}/posts/story-07/")
    wait_for(page,
        "document.querySelector('.views').textContent === '7 views'")
    assert not any(r.startswith("POST") for r in requests)
    assert api.call(api.views.view_counts(["/posts/story-07"])) == {"/posts/story-07": 0}
    context.close()


def _post_form(browser: Any, url: str, fields: dict[str, str], form: str, done: str) -> str:
    """Fill and send a form with JavaScript off; the text of the page it lands on."""
    context, page, _requests = _page(browser, java_script_enabled=False)
    page.goto(url)
    for selector, value in fields.items():
        page.fill(selector, value)
    page.click(f"{form} button[type=submit]")
    page.wait_for_url(f"**/api/done/{done}?lang=en")
    text = str(page.inner_text("main"))
    context.close()
    return text


def test_the_newsletter_form_works_without_javascript(
        browser: Any, live_site: tuple[str, RunningApi], mailbox: Mailbox) -> None:
    url, _api = live_site
    text = _post_form(browser, f"{url}/", {"#newsletter-email": "reader@example.org"},
                      ".newsletter-form", "subscribe")
    assert "sent you an email" in text
    assert mailbox.wait(1)[0]["To"] == "reader@example.org"


def test_the_contact_form_works_without_javascript(
        browser: Any, live_site: tuple[str, RunningApi], mailbox: Mailbox) -> None:
    url, api = live_site
    text = _post_form(browser, f"{url}/contact/", {
        "#contact-name": "Ann", "#contact-email": "ann@example.org",
        "#contact-message": "The ferry stopped running on Monday."}, ".contact-form", "contact")
    assert "reached the editors" in text
    assert [m[3] for m in api.call(api.messages.messages())] == [
        "The ferry stopped running on Monday."]
    assert mailbox.wait(1)[0]["X-Envelope-To"] == "editors@example.org"


def test_a_story_shows_its_replies_likes_and_boosts_from_the_fediverse(
        browser: Any, tmp_path: Path) -> None:
    """Counted by the site's own API (the inbox keeps them): the page asks it, and
    nothing from the servers they came from."""
    root = api_site(tmp_path / "site")
    config = load_config(root, {
        "api_url": '"/api"', "base_url": '"https://news.example.org/"',
        "channels": '[{name = "fediverse-en", kind = "fediverse", language = "en", '
                    'account = "news"}]'})
    out = tmp_path / "dist"
    build_site(config, out, BuildOptions(now=NOW))
    for api in start_api(config, str(tmp_path / "api.sqlite"), rate_limit=0):
        _react(api.store)
        with nginx_serving(out, int(urlsplit(api.url).port or 0)) as url:
            context, page, requests = _page(browser)
            page.goto(f"{url}/posts/story-03/")
            wait_for(page, "document.querySelector('.reactions').textContent === "
                           "'On the fediverse: replies 1, likes 2, boosts 1'")
            assert page.evaluate("document.querySelector('.reactions').hidden") is False
            assert {urlsplit(r.split()[1]).netloc for r in requests} == {urlsplit(url).netloc}
            assert page.evaluate("window.__csp") == []
            page.goto(f"{url}/posts/story-05/")  # none yet: nothing shown
            with page.expect_response(lambda r: "/api/fediverse/reactions" in r.url):
                page.reload()
            assert page.evaluate("document.querySelector('.reactions').hidden") is True
            context.close()


def _react(store: Any) -> None:
    """Likes, a reply and a boost, as the inbox keeps them."""
    def work(cur: Any) -> None:
        for n, kind in enumerate(["likes", "likes", "replies", "boosts", "likes"]):
            cur.execute(store.sql("INSERT INTO fediverse_reactions (id, kind, path, actor, "
                                  "created) VALUES (?, ?, ?, 'x', 'now')"),
                        (f"r{n}", kind, "/posts/story-03" if n < 4 else "/posts/story-04"))

    store.transact(work)
