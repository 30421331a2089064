"""The API as an attacked outlet runs it: behind nginx, in several processes on one
database, against hostile clients. On SQLite and PostgreSQL; through real nginx where
the proxy matters."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import (
    ADMIN_TOKEN,
    PATHS,
    Mailbox,
    RunningApi,
    api_site,
    site_config,
    start_api,
)
from tests.nginx import nginx_serving

LIMIT = 5
ID = "page-load-"


@contextmanager
def _api_ctx(tmp_path: Path, database: str, mailbox_port: int, rate_limit: int = LIMIT,
             trusted: tuple[str, ...] = ()) -> Iterator[RunningApi]:
    """An API on the test's site and database (a second one shares both)."""
    root = tmp_path / "site"
    if not (root / "content").exists():
        api_site(root)
    running = start_api(site_config(root, mailbox_port), database, rate_limit, trusted)
    api = next(running)
    try:
        yield api
    finally:
        next(running, None)


def _from(address: str, base: str) -> httpx.Client:
    """A client whose connections come from ``address`` (127.0.0.x: loopback has many)."""
    return httpx.Client(base_url=base, timeout=10,
                        transport=httpx.HTTPTransport(local_address=address))


def _view(client: httpx.Client, n: int, **headers: str) -> int:
    return client.post("/api/views", json={"path": PATHS[1], "id": f"{ID}{n:04d}"},
                       headers=headers).status_code


def test_behind_nginx_each_reader_has_a_budget_and_headers_cannot_fake_one(
        tmp_path: Path, database: str, mailbox: Mailbox) -> None:
    with ExitStack() as stack:
        api = stack.enter_context(_api_ctx(tmp_path, database, mailbox.port,
                                           trusted=("127.0.0.1",)))
        site = tmp_path / "site" / "dist"
        (site / "nginx-headers.conf").parent.mkdir(parents=True, exist_ok=True)
        (site / "nginx-headers.conf").write_text("")
        proxy = stack.enter_context(nginx_serving(site, int(api.url.rsplit(":", 1)[1])))
        first = stack.enter_context(_from("127.0.0.2", proxy))
        second = stack.enter_context(_from("127.0.0.3", proxy))
        codes = [_view(first, n, **{"X-Forwarded-For": f"10.9.8.{n}"}) for n in range(8)]
        assert codes == [200] * LIMIT + [429] * 3  # a rotating header buys nothing
        assert _view(second, 100) == 200  # another reader is not blocked by the first
        # Straight to the API, not through the trusted proxy: the header is not believed.
        direct = stack.enter_context(_from("127.0.0.4", api.url))
        codes = [_view(direct, 200 + n, **{"X-Forwarded-For": f"10.0.0.{n}"})
                 for n in range(7)]
        assert codes == [200] * LIMIT + [429] * 2




def test_two_processes_share_one_budget_and_one_mail_a_day(
        tmp_path: Path, database: str, mailbox: Mailbox) -> None:
    with ExitStack() as stack:
        one = stack.enter_context(_api_ctx(tmp_path, database, mailbox.port))
        two = stack.enter_context(_api_ctx(tmp_path, database, mailbox.port))
        a = stack.enter_context(_from("127.0.0.5", one.url))
        b = stack.enter_context(_from("127.0.0.5", two.url))
        codes = [_view(a if n % 2 else b, n) for n in range(8)]
        assert codes.count(200) == LIMIT and codes[-1] == 429
        spellings = ["Reader@Example.org", "reader@example.org", "READER@EXAMPLE.ORG",
                     "reader@Example.Org"]
        for n, spelling in enumerate(spellings):
            client = stack.enter_context(_from(f"127.0.1.{n + 1}", (one if n % 2 else two).url))
            assert client.post("/api/subscribe", json={"email": spelling}).status_code == 202
        mailbox.wait(1)
        time.sleep(1.0)  # what a second mail would need
        assert len(mailbox.messages) == 1


def test_views_count_only_from_the_site(tmp_path: Path, database: str,
                                        mailbox: Mailbox) -> None:
    with _api_ctx(tmp_path, database, mailbox.port, rate_limit=0) as api, \
            httpx.Client(base_url=api.url, timeout=10) as client:
        evil = {"Origin": "https://evil.example"}
        assert _view(client, 1, **evil) == 403
        assert _view(client, 2, **{"Sec-Fetch-Site": "cross-site"}) == 403
        form = client.post("/api/views", content=f"path={PATHS[1]}&id={ID}0003",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert form.status_code == 415
        newline = client.post("/api/views", json={"path": PATHS[1], "id": ID + "\n"})
        assert newline.status_code == 400
        assert _view(client, 4, Origin="https://news.example.org") == 200
        assert client.get("/api/views", params={"path": PATHS[1]}).json() == {PATHS[1]: 1}


def test_hostile_bodies_get_answers_not_tracebacks(
        tmp_path: Path, database: str, mailbox: Mailbox,
        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO), _api_ctx(tmp_path, database, mailbox.port,
                                                   rate_limit=0) as api, \
            httpx.Client(base_url=api.url, timeout=10) as client:
        deep = "[" * 1000 + "]" * 1000
        answer = client.post("/api/views", content=deep,
                             headers={"Content-Type": "application/json"})
        assert answer.status_code == 400 and "nested too deep" in answer.text
        for name in ("Ann\nBcc: x@evil.example", "Ann\u2028Lee"):
            answer = client.post("/api/contact", json={"name": name, "email": "a@example.org",
                                                       "message": "hello"})
            assert answer.status_code == 400 and "one line" in answer.text
        russian = "Ж" * 5000  # 45 KB as the site's form without JavaScript sends it
        answer = client.post("/api/contact", data={"name": "Анна", "email": "a@example.org",
                                                   "message": russian})
        assert answer.status_code == 303, answer.text
        assert api.call(api.messages.messages())[-1][3] == russian
    assert "Traceback" not in caplog.text


def test_one_answer_whatever_the_state_and_a_safe_export(
        tmp_path: Path, database: str, mailbox: Mailbox,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MASTHEAD_API_TOKEN", ADMIN_TOKEN)
    with _api_ctx(tmp_path, database, mailbox.port, rate_limit=0) as api, \
            httpx.Client(base_url=api.url, timeout=10) as client:

        def add(cur: object) -> None:
            for email in ("known@example.org", "=cmd|' /C calc'!A0@example.org"):
                cur.execute(api.store.sql(  # type: ignore[attr-defined]
                    "INSERT INTO subscribers (email, status, nonce, created, confirmed, lang)"
                    " VALUES (?, 'confirmed', '', '2026-01-01', '2026-01-02', 'en')"),
                    (email,))

        api.call(api.store.run(add))
        known = client.post("/api/subscribe", json={"email": "known@example.org"})
        new = client.post("/api/subscribe", json={"email": "new@example.org"})
        assert (known.status_code, known.json()) == (new.status_code, new.json()) == (
            202, {"status": "accepted"})
        bare = client.get("/api/subscribers.csv", headers={"Authorization": ADMIN_TOKEN})
        assert bare.status_code == 401
        export = client.get("/api/subscribers.csv",
                            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert export.status_code == 200
        assert "'=cmd|" in export.text and "\n=cmd" not in export.text


def test_postgresql_connections_lost_under_the_api(tmp_path: Path, database: str,
                                                   mailbox: Mailbox) -> None:
    """Every connection the API holds is cut (as a restart of PostgreSQL does): the next
    requests are answered, and every view is counted."""
    if not database.startswith("postgresql"):
        pytest.skip("a PostgreSQL case")
    import psycopg

    with _api_ctx(tmp_path, database, mailbox.port, rate_limit=0) as api, \
            httpx.Client(base_url=api.url, timeout=10) as client:
        assert all(_view(client, n) == 200 for n in range(10))
        with psycopg.connect(database, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        codes = [_view(client, 10 + n) for n in range(20)]
        assert codes == [200] * 20
        assert client.get("/api/views", params={"path": PATHS[1]}).json() == {PATHS[1]: 30}


def test_a_message_stored_while_mail_fails_is_forwarded_later(
        tmp_path: Path, database: str) -> None:
    """SMTP down when a reader writes: the message is kept and forwarded once the server
    is back (by the next housekeeping round, here called directly), exactly once."""
    from aiosmtpd.controller import Controller

    from tests.api.conftest import free_port

    port = free_port()  # nothing listens yet
    with _api_ctx(tmp_path, database, port, rate_limit=0) as api, \
            httpx.Client(base_url=api.url, timeout=10) as client:
        answer = client.post("/api/contact", json={"name": "Анна", "email": "a@example.org",
                                                   "message": "Важное сообщение"})
        assert answer.status_code == 202
        assert api.call(api.api.contact.forward_messages()) == 0  # still down
        got: list[bytes] = []

        class Handler:
            async def handle_DATA(self, _server: object, _session: object,
                                  envelope: object) -> str:
                got.append(envelope.original_content)  # type: ignore[attr-defined]
                return "250 OK"

        controller = Controller(Handler(), hostname="127.0.0.1", port=port)
        controller.start()
        try:
            assert api.call(api.api.contact.forward_messages()) == 1
            assert api.call(api.api.contact.forward_messages()) == 0  # not twice
        finally:
            controller.stop()
        from email import message_from_bytes, policy

        assert len(got) == 1
        mail = message_from_bytes(got[0], policy=policy.default)
        assert "Важное сообщение" in mail.get_body(("plain",)).get_content()
