"""The desk in real Chromium, run by the real commands: an invitation printed by
`masthead desk invite`, a password chosen on its page, sign-in, and Decap CMS (served
from the desk itself, in Russian for a Russian browser) listing the site's stories through
the desk's protocol; the contributor's own direct call to publish gets 403."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import free_port, wait_for_port
from tests.browser.conftest import wait_for

PASSWORD = "steppe wind over the river"


def command(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "masthead.cli", *args], capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def desk_site(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    site = tmp_path / "site"
    for folder in ("content/posts/en", "content/posts/ru", "content/authors",
                   "content/categories"):
        (site / folder).mkdir(parents=True)
    (site / "masthead.toml").write_text('title = "The Steppe Ledger"\nlanguages = ["en", "ru"]'
                                        '\nbase_url = "https://news.example.org/"\n')
    story = '---\ntitle: "{}"\ndate: "2026-12-01T10:00:00+00:00"\nauthor: "Ann Lee"\n---\nx\n'
    (site / "content/posts/en/river-delta.md").write_text(story.format("River delta"))
    (site / "content/posts/ru/river-delta.md").write_text(story.format("Дельта реки"))
    (site / "content/authors/ann-lee.md").write_text('---\nname: "Ann Lee"\n---\n')
    port = free_port()
    invited = command("desk", "invite", "ann@example.org", str(site), "--name", "Ann Lee",
                      "--role", "contributor", "--address", f"http://127.0.0.1:{port}")
    assert invited.returncode == 0, invited.stderr
    link = invited.stdout.strip().splitlines()[-1].strip()
    server = subprocess.Popen([sys.executable, "-m", "masthead.cli", "desk", "serve",
                               str(site), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, server)
        yield f"http://127.0.0.1:{port}", link, site
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_contributor_takes_the_invitation_and_sees_the_stories(
        browser: Any, desk_site: tuple[str, str, Path]) -> None:
    url, link, _site = desk_site
    assert link.startswith(f"{url}/admin/#invitation=")
    context = browser.new_context(locale="ru-RU")
    page = context.new_page()
    calls: list[str] = []
    page.on("request", lambda r: calls.append(r.url))
    page.goto(link)
    page.fill("#new-password", PASSWORD)
    page.click("#welcome button")
    wait_for(page, "document.getElementById('said').textContent.length > 0")
    page.fill("#email", "ann@example.org")
    page.fill("#password", PASSWORD)
    page.click("#sign-in button")
    page.click("#later")  # a second factor is offered to a contributor, not required
    wait_for(page, "document.getElementById('door') === null")  # the editor is loading
    page.get_by_role("button", name="Войти").click()  # Decap's own door, in Russian
    page.wait_for_selector("text=River delta", timeout=30_000)
    assert all(c.startswith(url) for c in calls)  # nothing from a CDN
    cookies = {c["name"]: c for c in context.cookies()}
    session = cookies["__Host-masthead-desk"]
    assert session["httpOnly"] and session["secure"] and session["sameSite"] == "Strict"
    refused = page.evaluate("""() => fetch('/admin/api/v1', {method: 'POST',
        headers: {'Content-Type': 'application/json'},
        body: JSON.stringify({action: 'publishUnpublishedEntry',
                              params: {collection: 'posts', slug: 'river-delta'}})})
        .then(r => r.status)""")
    assert refused in (403, 404)  # no such draft of hers, and never hers to publish
    context.close()
