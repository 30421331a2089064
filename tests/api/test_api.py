"""The API against real SQLite and PostgreSQL servers and a real SMTP server."""

from __future__ import annotations

import base64
import logging
import re
import time
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.api.conftest import ADMIN_TOKEN, PATHS, Mailbox, RunningApi

ID = "0123456789abcdef"


def snapshot(api: RunningApi) -> tuple[Any, ...]:
    """Everything the API stores, to show that a refused request changed nothing."""
    return (api.call(api.views.view_counts()),
            api.call(api.subscribers.confirmed_subscribers()), api.call(api.messages.messages()),
            api.call(api.subscribers.subscriber("ann@example.org")))


def link_in(message: Message, kind: str) -> str:
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    found = re.search(rf"https?://\S+/api/{kind}\?token=\S+", body.decode())
    assert found, body
    return found.group(0)


def local(api: RunningApi, link: str) -> str:
    """An emailed link (to the public site) pointed at the test server."""
    parts = urlsplit(link)
    return f"{api.url}{parts.path}?{parts.query}"


# --- views -------------------------------------------------------------------------------

def test_a_view_is_counted_once_per_page_load(running_api: RunningApi) -> None:
    with running_api.client() as client:
        first = client.post("/api/views", json={"path": "/posts/story-01/", "id": ID})
        assert first.status_code == 200
        assert first.json() == {"path": "/posts/story-01", "views": 1, "counted": True}
        retry = client.post("/api/views", json={"path": "/posts/story-01", "id": ID})
        assert retry.json() == {"path": "/posts/story-01", "views": 1, "counted": False}
        other = client.post("/api/views", json={"path": "/posts/story-01", "id": ID + "x"})
        assert other.json()["views"] == 2
        russian = client.post("/api/views", json={"path": "/ru/posts/story-00", "id": "ru" + ID})
        assert russian.json()["views"] == 1
        counts = client.get("/api/views", params=[("path", "/posts/story-01"),
                                                  ("path", "/posts/story-02"),
                                                  ("path", "/ru/posts/story-00")])
        assert counts.json() == {"/posts/story-01": 2, "/posts/story-02": 0,
                                 "/ru/posts/story-00": 1}
        assert client.get("/api/views/all").json() == {"/posts/story-01": 2,
                                                       "/ru/posts/story-00": 1}


def test_nothing_identifying_is_stored(running_api: RunningApi) -> None:
    with running_api.client() as client:
        client.post("/api/views", json={"path": PATHS[3], "id": ID},
                    headers={"User-Agent": "Reader-Agent/1.0", "Cookie": "a=b"})
    if running_api.store.dialect == "sqlite":
        import sqlite3

        store_path = running_api.store.path  # type: ignore[attr-defined]
        dump = "\n".join(sqlite3.connect(store_path).iterdump())
        assert "127.0.0.1" not in dump and "Reader-Agent" not in dump and "a=b" not in dump
        tables = set(re.findall(r'CREATE TABLE "?(\w+)', dump)) - {"sqlite_sequence"}
        assert tables == {"schema_migrations", "view_counts", "view_ids", "subscribers",
                          "settings", "messages", "newsletters", "deliveries", "limits",
                          "links", "outbox", "channel_posts", "fediverse_followers",
                          "fediverse_keys", "fediverse_reactions", "fediverse_activities",
                          "fediverse_deliveries"}  # no reader in it


# --- newsletter --------------------------------------------------------------------------

def test_subscribe_confirm_export_unsubscribe(running_api: RunningApi, mailbox: Mailbox) -> None:
    with running_api.client() as client:
        answer = client.post("/api/subscribe", json={"email": "Ann@Example.org"})
        assert answer.status_code == 202
        [mail] = mailbox.wait(1)
        assert mail["To"] == "ann@example.org"
        assert "Confirm your subscription" in mail["Subject"]
        assert mail["List-Unsubscribe"].startswith("<https://news.example.org/api/unsubscribe")
        confirm = link_in(mail, "confirm")
        assert confirm.startswith("https://news.example.org/api/confirm?token=")
        export = client.get("/api/subscribers.csv",
                            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert export.text.splitlines() == ["email,confirmed"]  # pending is not subscribed
        page = client.get(local(running_api, confirm))
        assert page.status_code == 200 and "confirmed" in page.text
        export = client.get("/api/subscribers.csv",
                            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert export.headers["content-type"].startswith("text/csv")
        assert [row.split(",")[0] for row in export.text.splitlines()] == [
            "email", "ann@example.org"]
        # Signing up again: no duplicate, no new email, the same answer.
        assert client.post("/api/subscribe", json={"email": "ann@example.org"}).status_code \
            == 202
        assert len(mailbox.messages) == 1
        leave = client.get(local(running_api, link_in(mail, "unsubscribe")))
        assert leave.status_code == 200
        export = client.get("/api/subscribers.csv",
                            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert export.text.splitlines() == ["email,confirmed"]


def test_a_plain_form_gets_pages_not_json(running_api: RunningApi, mailbox: Mailbox) -> None:
    with running_api.client() as client:
        answer = client.post("/api/subscribe", data={"email": "ann@example.org", "lang": "ru"})
        assert answer.status_code == 303
        assert answer.headers["location"] == "/api/done/subscribe?lang=ru"
        page = client.get(answer.headers["location"])
        assert page.status_code == 200 and '<html lang="ru">' in page.text
        assert "мы отправили вам письмо" in page.text
        mailbox.wait(1)
        assert "ru" in parse_qs(urlsplit(link_in(mailbox.messages[0], "confirm")).query)["lang"]
        bad = client.post("/api/subscribe", data={"email": "not an email"})
        assert bad.status_code == 400 and "<h1>" in bad.text
        assert "Check the email address" in bad.text
        # A Russian form gets its refusal in Russian.
        russian = client.post("/api/subscribe", data={"email": "не адрес", "lang": "ru"})
        assert russian.status_code == 400 and '<html lang="ru">' in russian.text
        assert "Проверьте адрес электронной почты" in russian.text
        contact = client.post("/api/contact", data={"name": "Аня", "email": "a@example.org",
                                                    "message": "", "lang": "ru"})
        assert contact.status_code == 400 and "Проверьте форму" in contact.text


def test_sign_ups_come_from_the_site_s_own_pages_only(running_api: RunningApi,
                                                      mailbox: Mailbox) -> None:
    """As contact messages and views: a page on another site, or a sandboxed one
    (``Origin: null``), cannot sign its visitors up."""
    with running_api.client() as client:
        for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"},
                        {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
                        {"Origin": "null", "Sec-Fetch-Site": "cross-site"}):
            refused = client.post("/api/subscribe", json={"email": "victim@example.org"},
                                  headers=headers)
            assert refused.status_code == 403, headers
        page = client.post("/api/subscribe", data={"email": "victim@example.org",
                                                   "lang": "ru"},
                           headers={"Origin": "null", "Sec-Fetch-Site": "cross-site"})
        assert page.status_code == 403 and "только со страниц самого сайта" in page.text
        allowed = client.post("/api/subscribe", json={"email": "reader@example.org"},
                              headers={"Origin": "https://news.example.org",
                                       "Sec-Fetch-Site": "same-site"})
        assert allowed.status_code == 202
    mailbox.wait(1)
    assert [m["To"] for m in mailbox.messages] == ["reader@example.org"]


def test_replayed_and_forged_confirmation_links_change_nothing(
        running_api: RunningApi, mailbox: Mailbox) -> None:
    with running_api.client() as client:
        client.post("/api/subscribe", json={"email": "ann@example.org"})
        confirm = local(running_api, link_in(mailbox.wait(1)[0], "confirm"))
        token = parse_qs(urlsplit(confirm).query)["token"][0]
        tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
        forged = confirm.replace(token, tampered)
        before = snapshot(running_api)
        assert client.get(forged).status_code == 400
        assert snapshot(running_api) == before
        assert client.get(confirm).status_code == 200
        after_confirm = snapshot(running_api)
        replay = client.get(confirm)
        assert replay.status_code == 410 and "already been used" in replay.text
        assert snapshot(running_api) == after_confirm
        # A link made for one address does not confirm another.
        assert client.get(f"{running_api.url}/api/confirm?token=x.y.z").status_code == 400


def _token(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def test_links_are_random_kept_as_digests_and_each_email_has_its_own(
        running_api: RunningApi, mailbox: Mailbox) -> None:
    with running_api.client() as client:
        client.post("/api/subscribe", json={"email": "ann@example.org"})
        [mail] = mailbox.wait(1)
        confirm, leave = link_in(mail, "confirm"), link_in(mail, "unsubscribe")
        for token in (_token(confirm), _token(leave)):
            assert re.fullmatch(r"[A-Za-z0-9_-]{32}", token)
            decoded = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            assert b"ann" not in decoded and b"example" not in decoded
        # A second sign-up the same day: no second email, and the first link still works.
        client.post("/api/subscribe", json={"email": "ANN@example.org"})
        time.sleep(0.5)
        assert len(mailbox.messages) == 1
        assert client.get(local(running_api, confirm)).status_code == 200
        # The database keeps digests only: a copy of it is no key to anyone's links.
        if running_api.store.dialect == "sqlite":
            import sqlite3

            dump = "\n".join(sqlite3.connect(running_api.store.path).iterdump())  # type: ignore[attr-defined]
            assert _token(confirm) not in dump and _token(leave) not in dump
        assert client.get(local(running_api, leave)).status_code == 200
        assert running_api.call(running_api.subscribers.confirmed_subscribers()) == []
        # Leaving twice answers the same; a made-up token of the right shape does nothing.
        assert client.get(local(running_api, leave)).status_code == 200
        made_up = leave.replace(_token(leave), "A" * 32)
        assert client.get(local(running_api, made_up)).status_code == 400


def test_unsubscribe_links_of_emails_sent_before_work_with_a_key_kept_apart(
        tmp_path: Path, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """Links of emails sent before links were random name the address, signed: they keep
    working while MASTHEAD_API_SECRET keeps the key out of the database. Signed with the
    key the database holds (what a copy of it gives away) they change nothing."""
    from itsdangerous import URLSafeSerializer

    from tests.api.conftest import api_site, site_config, start_api

    def add(cur: Any) -> None:
        cur.execute(api.store.sql(
            "INSERT INTO subscribers (email, status, nonce, created, confirmed, lang) "
            "VALUES ('old@example.org', 'confirmed', '', '2026-01-01', '2026-01-01', 'en')"))

    config = site_config(api_site(tmp_path / "site"), mailbox.port)
    database = str(tmp_path / "api.sqlite")
    started = start_api(config, database, rate_limit=0)
    api = next(started)
    api.call(api.store.run(add))
    from_database = URLSafeSerializer(api.call(api.store.secret()),
                                      salt="masthead-unsubscribe").dumps("old@example.org")
    with api.client() as client:
        assert client.get(f"/api/unsubscribe?token={from_database}").status_code == 400
    assert api.call(api.subscribers.confirmed_subscribers())
    next(started, None)
    monkeypatch.setenv("MASTHEAD_API_SECRET", "kept in the environment")
    started = start_api(config, database, rate_limit=0)
    api = next(started)
    old = URLSafeSerializer("kept in the environment", salt="masthead-unsubscribe").dumps(
        "old@example.org")
    forged = URLSafeSerializer("not the secret", salt="masthead-unsubscribe").dumps(
        "old@example.org")
    with api.client() as client:
        assert client.get(f"/api/unsubscribe?token={from_database}").status_code == 400
        assert client.get(f"/api/unsubscribe?token={forged}").status_code == 400
        assert api.call(api.subscribers.confirmed_subscribers())
        assert client.get(f"/api/unsubscribe?token={old}").status_code == 200
        assert api.call(api.subscribers.confirmed_subscribers()) == []
    next(started, None)


def test_export_needs_the_token(running_api: RunningApi) -> None:
    with running_api.client() as client:
        assert client.get("/api/subscribers.csv").status_code == 401
        assert client.get("/api/subscribers.csv",
                          headers={"Authorization": "Bearer wrong"}).status_code == 401


# --- contact -----------------------------------------------------------------------------

def test_contact_messages_are_stored_and_forwarded(running_api: RunningApi,
                                                   mailbox: Mailbox) -> None:
    with running_api.client() as client:
        answer = client.post("/api/contact", json={
            "name": "Ann", "email": "ann@example.org", "message": "A tip about the dam."})
        assert answer.status_code == 202
        [forwarded] = mailbox.wait(1)
        assert forwarded["X-Envelope-To"] == "editors@example.org"
        assert forwarded["Reply-To"] == "ann@example.org"
        stored = running_api.call(running_api.messages.messages())
        assert [(m[1], m[2], m[3]) for m in stored] == [
            ("Ann", "ann@example.org", "A tip about the dam.")]
        spam = client.post("/api/contact", json={"name": "Bot", "email": "b@example.org",
                                                 "message": "buy", "website": "x"})
        assert spam.status_code == 202  # the honeypot: answered, not kept
        assert len(running_api.call(running_api.messages.messages())) == 1


# --- bad input ---------------------------------------------------------------------------

BAD_REQUESTS: list[tuple[str, str, dict[str, Any], int, str]] = [
    ("malformed JSON", "/api/views",
     {"content": b'{"path": "/posts/story-01",', "headers": {"content-type":
                                                            "application/json"}}, 400, "JSON"),
    ("not an object", "/api/views", {"json": ["/posts/story-01"]}, 400, "object"),
    ("huge body", "/api/contact", {"json": {"name": "A", "email": "a@example.org",
                                            "message": "x" * 70_000}}, 413, "larger"),
    ("huge chunked body", "/api/views",  # no Content-Length: counted while read
     {"content": "CHUNKED", "headers": {"content-type": "application/json"}}, 413, "larger"),
    ("wrong type", "/api/views", {"content": b"path=/posts/a",
                                  "headers": {"content-type": "text/plain"}}, 415, "JSON"),
    ("invalid email", "/api/subscribe", {"json": {"email": "ann@@example"}}, 400, "email"),
    ("unknown slug", "/api/views", {"json": {"path": "/posts/no-such-story", "id": ID}},
     404, "no such article"),
    ("SQL in the path", "/api/views",
     {"json": {"path": "/posts/story-01'; DROP TABLE view_counts;--", "id": ID}}, 400,
     "not a path of this site"),
    ("SQL in a path-like string", "/api/views",
     {"json": {"path": "/posts/x';DELETE/**/FROM/**/view_counts;--", "id": ID}}, 404,
     "no such article"),
    ("SQL in the id", "/api/views",
     {"json": {"path": "/posts/story-01", "id": "x' OR '1'='1"}}, 400, "'id'"),
    ("SQL in the email", "/api/subscribe",
     {"json": {"email": "a@example.org'; DELETE FROM subscribers;--"}}, 400, "email"),
    ("path outside the site", "/api/views", {"json": {"path": "/../etc/passwd", "id": ID}},
     400, "path"),
    ("message too long", "/api/contact", {"json": {"name": "A", "email": "a@example.org",
                                                   "message": "y" * 5001}}, 400, "longer"),
    ("missing name", "/api/contact", {"json": {"email": "a@example.org", "message": "hi"}},
     400, "'name'"),
]


@pytest.mark.parametrize("label, url, request_args, status, words", BAD_REQUESTS,
                         ids=[b[0] for b in BAD_REQUESTS])
def test_bad_input_gets_a_clear_4xx_and_changes_nothing(
        running_api: RunningApi, mailbox: Mailbox, label: str, url: str,
        request_args: dict[str, Any], status: int, words: str) -> None:
    with running_api.client() as client:
        client.post("/api/views", json={"path": PATHS[0], "id": "seed" + ID})
        before = snapshot(running_api)
        if request_args.get("content") == "CHUNKED":  # a fresh generator for each run
            request_args = {**request_args,
                            "content": iter([b'{"path": "', b"a" * 70_000, b'"}'])}
        answer = client.post(url, **request_args)
        assert answer.status_code == status, answer.text
        assert words in answer.json()["error"]
        assert snapshot(running_api) == before
        assert mailbox.messages == []


def test_unknown_endpoints_and_methods(running_api: RunningApi) -> None:
    with running_api.client() as client:
        assert client.get("/api/nothing").status_code == 404
        assert client.delete("/api/views").json() == {"error": "method not allowed here"}


# --- protection --------------------------------------------------------------------------

@pytest.fixture
def limited_api(tmp_path: Any, mailbox: Mailbox) -> Any:
    from tests.api.conftest import api_site, site_config, start_api

    root = api_site(tmp_path / "site")
    yield from start_api(site_config(root, mailbox.port), str(tmp_path / "db.sqlite"),
                         rate_limit=5)


def test_rate_limit_per_client(limited_api: RunningApi) -> None:
    with limited_api.client() as client:
        codes = [client.post("/api/views", json={"path": PATHS[1], "id": f"{ID}{n}"})
                 .status_code for n in range(7)]
    assert codes == [200] * 5 + [429] * 2
    assert limited_api.call(limited_api.views.view_counts([PATHS[1]])) == {PATHS[1]: 5}


def test_cors_allows_only_the_site(running_api: RunningApi) -> None:
    with running_api.client() as client:
        preflight = {"Access-Control-Request-Method": "POST",
                     "Access-Control-Request-Headers": "content-type"}
        own = client.options("/api/views", headers={"Origin": "https://news.example.org",
                                                    **preflight})
        assert own.headers["access-control-allow-origin"] == "https://news.example.org"
        other = client.options("/api/views", headers={"Origin": "https://evil.example",
                                                      **preflight})
        assert other.status_code == 400
        assert "access-control-allow-origin" not in other.headers


def test_logs_hold_no_personal_data(running_api: RunningApi, mailbox: Mailbox,
                                    caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO), running_api.client() as client:
        client.post("/api/subscribe", json={"email": "secret.reader@example.org"})
        client.post("/api/contact", json={"name": "Secret Name", "email":
                                          "secret.reader@example.org", "message": "hello"})
        client.post("/api/views", json={"path": PATHS[2], "id": ID})
        mailbox.wait(2)  # the confirmation and the forwarded message: sent after answering

        def api_lines() -> str:
            # The API's own records and its server's (the SMTP server and the client are
            # the test's, and log what they like).
            return "\n".join(r.getMessage() for r in caplog.records
                             if r.name.startswith(("masthead", "uvicorn")))

        deadline = time.monotonic() + 5
        while "newsletter sign-up requested" not in api_lines() and \
                time.monotonic() < deadline:
            time.sleep(0.02)
    text = api_lines()
    assert "newsletter sign-up requested" in text and "contact message stored" in text
    assert "secret.reader" not in text and "Secret Name" not in text
    assert "127.0.0.1" not in text


def test_the_schema_migrates_once(running_api: RunningApi) -> None:
    from masthead.api.db import prepare_database

    running_api.call(prepare_database(running_api.store))  # a second start: nothing to do

    def versions(cur: Any) -> list[int]:
        cur.execute("SELECT version FROM schema_migrations")
        return [row[0] for row in cur.fetchall()]

    assert running_api.call(running_api.store.run(versions)) == [1, 2, 3, 4, 5, 6, 7, 8]


def test_health(running_api: RunningApi) -> None:
    health = httpx.get(f"{running_api.url}/api/health").json()
    assert health == {"ok": True, "articles": 100}  # 50 stories, in en and (fallback) ru


def test_a_burst_of_sign_ups_for_one_address_sends_one_mail_whose_link_works(
        running_api: RunningApi, mailbox: Mailbox) -> None:
    """50 sign-ups for one address within a moment (a double click, a script), on both
    databases: one confirmation mail, and its link confirms."""
    import concurrent.futures
    import time

    def sign_up(_: int) -> int:
        with running_api.client() as client:
            return client.post("/api/subscribe", json={"email": "burst@example.org"}).status_code

    with concurrent.futures.ThreadPoolExecutor(25) as pool:
        answers = list(pool.map(sign_up, range(50)))
    assert answers == [202] * 50
    mailbox.wait(1)
    time.sleep(1.5)  # any second mail would have come by now
    assert len(mailbox.messages) == 1, [m["To"] for m in mailbox.messages]
    with running_api.client() as client:
        followed = client.get(local(running_api, link_in(mailbox.messages[0], "confirm")))
    assert followed.status_code == 200, followed.text
