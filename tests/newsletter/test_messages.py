"""What a subscriber gets: valid MIME with a text and an HTML part in their language,
the list headers, a one-click unsubscribe that works against the running API, no image
or request from another host, a readable column at 375 and 800 px; and the commands
around sending (preview, test, digest, status, unsubscribed mid-send, DKIM, once)."""

from __future__ import annotations

import base64
import subprocess
import sys
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dkim
import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from masthead.config import load_config
from masthead.newsletter import ledger
from masthead.newsletter.editions import Choice, Newsletters, database
from tests.api.conftest import start_api
from tests.newsletter.conftest import STORY, Server, close, newsletter_site, subscribe

PEOPLE = [("ann@mail.example", "en"), ("boris@mail.example", "ru"),
          ("chen@mail.example", "en"), ("dasha@mail.example", "ru")]


def _masthead(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run([sys.executable, "-m", "masthead", *args], capture_output=True,
                          text=True, timeout=120, env={**os.environ, **(env or {})})


def test_each_message_is_whole_and_unsubscribes_in_one_click(
        tmp_path: Path, smtp_server: Server, browser: Any) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = tmp_path / "dkim.pem"
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    site = newsletter_site(tmp_path / "site", smtp_server.port, 'dkim_selector = "mh"\n')
    db = str(tmp_path / "api.sqlite")
    close(subscribe(db, site, PEOPLE))
    sent = _masthead("newsletter", "send", str(site), "--story", STORY, "--database", db,
                     env={"MASTHEAD_DKIM_KEY_FILE": str(key_file)})
    assert sent.returncode == 0, sent.stderr
    assert set(smtp_server.received) == {email for email, _ in PEOPLE}
    public = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)
    ids = set()
    for email, lang in PEOPLE:
        raw = smtp_server.raw[email]
        assert dkim.verify(raw, dnsfunc=lambda name, timeout=5: record)
        message = message_from_bytes(raw, policy=policy.default)
        assert message.get_content_type() == "multipart/alternative"
        parts = {part.get_content_type(): part for part in message.iter_parts()}
        assert set(parts) == {"text/plain", "text/html"}
        assert message["Content-Language"] == lang
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message["List-Id"] == "The Steppe Ledger <newsletter.news.example.org>"
        ids.add(message["Message-ID"])
        html = parts["text/html"].get_content()
        text = parts["text/plain"].get_content()
        title = "Дельта пересыхает" if lang == "ru" else "The delta is drying"
        assert title in message["Subject"] and title in html and title in text
        assert "<script" not in html and 'src="https://tracker.example.net' not in html
        assert 'src="https://news.example.org/images/delta.png"' in html
        unsubscribe = message["List-Unsubscribe"].strip("<>")
        assert unsubscribe in text
        assert "mirrors" not in html  # the site has no mirror list
    assert len(ids) == len(PEOPLE)

    # One-click unsubscribe (RFC 8058) against the running API, on the same database.
    config = load_config(site)
    running = start_api(config, db, rate_limit=0)
    api = next(running)
    try:
        message = message_from_bytes(smtp_server.raw["ann@mail.example"], policy=policy.default)
        link = urlsplit(message["List-Unsubscribe"].strip("<>"))
        answer = httpx.post(f"{api.url}{link.path}?{link.query}",
                            content="List-Unsubscribe=One-Click", timeout=10,
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert answer.status_code == 200, answer.text
        forged = httpx.post(f"{api.url}{link.path}?token=x{link.query[7:]}", timeout=10)
        assert forged.status_code == 400
    finally:
        next(running, None)
    with database(config, db) as store:
        assert not ledger.still_subscribed(store, "ann@mail.example")
        assert ledger.still_subscribed(store, "boris@mail.example")

    # In a real browser: one column, no horizontal scroll, nothing from another host.
    for email, _lang in PEOPLE[:2]:
        html = message_from_bytes(smtp_server.raw[email], policy=policy.default
                                  ).get_body(("html",)).get_content()
        for width in (375, 800):
            context = browser.new_context(viewport={"width": width, "height": 900})
            page = context.new_page()
            hosts: set[str] = set()
            page.on("request", lambda r, seen=hosts: seen.add(urlsplit(r.url).netloc))
            page.route("**/*", lambda route: route.abort())
            page.set_content(html)
            assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), width
            assert hosts <= {"news.example.org"}, hosts
            context.close()


def test_preview_test_digest_status_and_a_reader_who_left(tmp_path: Path,
                                                          smtp_server: Server) -> None:
    site = newsletter_site(tmp_path / "site", smtp_server.port)
    db = str(tmp_path / "api.sqlite")
    close(subscribe(db, site, PEOPLE))
    shown = _masthead("newsletter", "preview", str(site), "--digest", "--since", "2026-11-01",
                      "-o", str(tmp_path / "preview"))
    assert shown.returncode == 0, shown.stderr
    assert "An older story" in (tmp_path / "preview" / "en.html").read_text()
    assert "Дельта пересыхает" in (tmp_path / "preview" / "ru.html").read_text()
    tried = _masthead("newsletter", "test", str(site), "--story", STORY, "--to",
                      "editor@mail.example")
    assert tried.returncode == 0 and smtp_server.received["editor@mail.example"] == 2
    # A reader who leaves after the digest was made is skipped.
    config = load_config(site)
    with database(config, db) as store:
        letters = Newsletters(config, store, print)
        edition = letters.choose(Choice(digest=True))
        assert edition is not None and edition.stories == ("older", STORY)

        def leave(cur: Any) -> None:
            cur.execute("UPDATE subscribers SET status = 'unsubscribed' "
                        "WHERE email = 'chen@mail.example'")

        store.transact(leave)
        tally = letters.send(edition)
        assert (tally.accepted, tally.skipped) == (3, 1)
        assert ledger.counts(store, edition.id)[ledger.SKIPPED] == 1
        # The next digest: nothing new since this one.
        assert letters.choose(Choice(digest=True)) is None
    assert "chen@mail.example" not in smtp_server.received
    status = _masthead("newsletter", "status", str(site), "--database", db)
    assert "3 accepted, 0 uncertain, 0 pending, 0 deferred, 0 bounced, 1 skipped" in status.stdout


def test_build_sends_each_new_story_once(tmp_path: Path, smtp_server: Server) -> None:
    site = newsletter_site(tmp_path / "site", smtp_server.port)
    db = str(tmp_path / "api.sqlite")
    close(subscribe(db, site, PEOPLE))
    first = _masthead("build", str(site), "--send-newsletter", "--database", db)
    assert first.returncode == 0, first.stderr
    assert smtp_server.total == len(PEOPLE)  # the story of the last day; not the archive
    again = _masthead("build", str(site), "--send-newsletter", "--database", db)
    assert again.returncode == 0 and smtp_server.total == len(PEOPLE)


def test_a_server_that_refuses_the_sender_marks_no_one(tmp_path: Path) -> None:
    from tests.api.conftest import free_port

    site = newsletter_site(tmp_path / "site", free_port())  # nothing listens there
    db = str(tmp_path / "api.sqlite")
    close(subscribe(db, site, PEOPLE))
    result = _masthead("newsletter", "send", str(site), "--story", STORY, "--database", db)
    assert result.returncode == 1 and "stopped" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    config = load_config(site)
    with database(config, db) as store:
        counts = ledger.counts(store, f"story:{STORY}")
        assert counts[ledger.PENDING] == len(PEOPLE) and counts[ledger.BOUNCED] == 0


def test_serve_shows_the_newsletter_at_a_url(tmp_path: Path) -> None:
    """What `masthead serve` shows at /_newsletter/: the newest story's email in each
    language, made from the site as it is now."""
    from masthead.dev.server import serving
    from masthead.newsletter.editions import preview_pages

    site = newsletter_site(tmp_path / "site", 25)
    config = load_config(site)
    out = tmp_path / "out"
    out.mkdir()
    with serving(out, ["/ru/"], previews=lambda: preview_pages(config)) as url, \
            httpx.Client(base_url=url, timeout=30) as client:
        index = client.get("/_newsletter/")
        assert index.status_code == 200 and 'href="/_newsletter/ru.html"' in index.text
        russian = client.get("/_newsletter/ru.html")
        assert russian.status_code == 200 and "Дельта пересыхает" in russian.text
        assert 'style="' in russian.text  # the CSS is inlined
        assert client.get("/_newsletter/xx.html").status_code == 404
