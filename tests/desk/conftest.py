"""The desk served by uvicorn on loopback, a client that keeps its cookie, and people
made straight in its database."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from masthead.api.db import open_database
from masthead.config import load_config
from masthead.desk.accounts import Accounts
from masthead.desk.app import create_desk_app
from masthead.desk.roles import Role
from masthead.desk.web import COOKIE
from masthead.newsletter.editions import run_async
from tests.api.conftest import (
    free_port,
    mailbox,  # noqa: F401 (a fixture for the desk tests)
)

PASSWORD = "a long pass phrase here"


class Browser:
    """An HTTP client that keeps the desk's cookie as a browser would on the desk's own
    address (the cookie is Secure; on loopback the test carries it itself)."""

    def __init__(self, url: str, database: Path) -> None:
        self.url, self.database = url, database
        self.site = database.parent
        self.http = httpx.Client(base_url=url, timeout=10)
        self.token = ""
        self.own = {"Origin": url, "Sec-Fetch-Site": "same-origin"}

    def request(self, method: str, path: str, headers: dict[str, str] | None = None,
                **kwargs: Any) -> httpx.Response:
        sent = dict(headers if headers is not None else self.own)
        if self.token:
            sent["Cookie"] = f"{COOKIE}={self.token}"
        answer = self.http.request(method, path, headers=sent, **kwargs)
        cookie = answer.headers.get("set-cookie", "")
        if cookie.startswith(f"{COOKIE}="):
            value = cookie.split(";")[0].split("=", 1)[1].strip('"')
            self.token = value if "max-age=0" not in cookie.lower() else ""
        return answer

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def get(self, path: str) -> httpx.Response:
        return self.request("GET", path)

    def delete(self, path: str) -> httpx.Response:
        return self.request("DELETE", path)

    def run(self, work: Any) -> Any:
        """Run ``work(accounts)`` on the desk's database from the test."""

        async def main() -> Any:
            db = open_database(str(self.database), self.database.parent)
            try:
                return await work(Accounts(db))
            finally:
                await db.close()

        return run_async(main())


SETTINGS = 'title = "The Steppe Ledger"\nlanguages = ["en", "ru"]\n'


@contextmanager
def serving(tmp_path: Path, settings: str = SETTINGS) -> Iterator[Browser]:
    """A desk on a site with ``settings`` (its masthead.toml), served on loopback."""
    database = tmp_path / "desk.sqlite"
    port = free_port()
    site = tmp_path / "site"
    (site / "content/posts").mkdir(parents=True)
    (site / "masthead.toml").write_text(settings)
    app = create_desk_app(open_database(str(database), tmp_path), load_config(site),
                          verify=False)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the desk did not start"
        time.sleep(0.02)
    browser = Browser(f"http://127.0.0.1:{port}", database)
    browser.site = site
    try:
        yield browser
    finally:
        browser.http.close()
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Browser]:
    with serving(tmp_path) as browser:
        yield browser


def person(desk: Browser, email: str, role: Role) -> None:
    async def make(accounts: Accounts) -> None:
        _, token = await accounts.invite(None, email, email.split("@")[0], role)
        await accounts.accept(token, PASSWORD)

    desk.run(make)


def sign_in(desk: Browser, email: str, password: str = PASSWORD) -> int:
    return desk.post("/admin/session", json={"email": email, "password": password}
                     ).status_code
