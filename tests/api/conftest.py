"""Real servers for the API tests: PostgreSQL (a private cluster), SMTP (aiosmtpd), and the
API itself on loopback, in a thread (functional tests) or as `masthead api` (load test)."""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from masthead.api.app import ApiSettings, create_app
from masthead.api.clients import networks
from masthead.api.db import Database, open_database
from masthead.api.features.contact import Messages
from masthead.api.features.signups import Subscribers
from masthead.api.features.views import ViewCounts
from masthead.config import SiteConfig, load_config
from tests.conftest import post, write_site

PG_BINS = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
ADMIN_TOKEN = "test-admin-token-0123456789"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[Any] | None = None,
                  timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if (process is not None and process.poll() is not None) or \
                    time.monotonic() > deadline:
                raise RuntimeError(f"nothing listens on {port}") from None
            time.sleep(0.05)


@contextmanager
def listening(process: subprocess.Popen[Any], port: int, timeout: float = 20,
              stop_timeout: float = 30) -> Iterator[None]:
    """The block runs once ``process`` listens on ``port``; the process is stopped after."""
    try:
        wait_for_port(port, process, timeout)
        yield
    finally:
        process.terminate()
        process.wait(timeout=stop_timeout)


# --- PostgreSQL --------------------------------------------------------------------------

def _as_postgres(command: list[str]) -> list[str]:
    """Run as the postgres user when we are root (PostgreSQL refuses to run as root)."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class PostgresCluster:
    """A private PostgreSQL cluster on a free port, which a test can restart."""

    def __init__(self) -> None:
        self.bin = PG_BINS[-1]
        self.folder = Path(tempfile.mkdtemp(prefix="masthead-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self.data = self.folder / "data"
        subprocess.run(_as_postgres([str(self.bin / "initdb"), "-D", str(self.data), "-A",
                                     "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"]),
                       check=True, capture_output=True)
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}"
        self.server: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.server = subprocess.Popen(_as_postgres([
            str(self.bin / "postgres"), "-D", str(self.data), "-k", str(self.folder),
            "-p", str(self.port), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
            "-c", "max_connections=200"]),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, self.server)
        self._wait_until_ready()

    def _wait_until_ready(self, seconds: float = 60) -> None:
        """The port opens while the server still recovers ("the database system is
        starting up"): wait until it takes a session."""
        import psycopg

        deadline = time.monotonic() + seconds
        while True:
            try:
                psycopg.connect(f"{self.url}/postgres", connect_timeout=5).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        """A fast shutdown, as `systemctl restart postgresql` does: every session is cut."""
        if self.server is not None:
            subprocess.run(_as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data),
                                         "stop", "-m", "fast", "-w"]),
                           check=True, capture_output=True, timeout=60)
            self.server.wait(timeout=30)
            self.server = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def postgres_cluster() -> Iterator[PostgresCluster]:
    if not PG_BINS:
        pytest.skip("PostgreSQL is not installed (scripts/test installs it with apt-get)")
    cluster = PostgresCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A private PostgreSQL cluster on a free port; yields its base URL."""
    with postgres_cluster() as cluster:
        yield cluster.url


_numbers = itertools.count()


def fresh_postgres_database(base: str) -> str:
    import psycopg

    name = f"masthead_{os.getpid()}_{next(_numbers)}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return f"{base}/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database of each kind."""
    if request.param == "sqlite":
        return str(tmp_path / "api.sqlite")
    return fresh_postgres_database(request.getfixturevalue("postgres_server"))


# --- SMTP --------------------------------------------------------------------------------

@dataclass
class Mailbox:
    port: int
    messages: list[Message] = field(default_factory=list)

    def wait(self, count: int, timeout: float = 10) -> list[Message]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.messages) >= count, f"{len(self.messages)} emails, wanted {count}"
        return self.messages


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    from aiosmtpd.controller import Controller

    box = Mailbox(free_port())

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            message = message_from_bytes(envelope.original_content)
            message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
            box.messages.append(message)
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


# --- the site and the API ----------------------------------------------------------------

PATHS = [f"/posts/story-{n:02d}" for n in range(50)]


def api_site(root: Path) -> Path:
    files: dict[str, str | bytes] = {
        f"content/posts/en/story-{n:02d}.md": post(f"Story {n}", views=n)
        for n in range(50)}
    files["content/posts/ru/story-00.md"] = post("История", views=0)
    return write_site(root, files)


def site_config(root: Path, smtp_port: int = 1) -> SiteConfig:
    return load_config(root, {"smtp_host": '"127.0.0.1"', "smtp_port": str(smtp_port),
                              "mail_from": '"Steppe Ledger <news@example.org>"',
                              "contact_to": '"editors@example.org"', "api_url": '"/api"',
                              "base_url": '"https://news.example.org/"'})


@dataclass
class RunningApi:
    url: str
    store: Database
    config: SiteConfig
    loop: asyncio.AbstractEventLoop
    api: Any = None  # the Api object behind the app (its methods run on ``loop``)

    @property
    def views(self) -> ViewCounts:
        return ViewCounts(self.store)

    @property
    def subscribers(self) -> Subscribers:
        return Subscribers(self.store)

    @property
    def messages(self) -> Messages:
        return Messages(self.store)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10)

    def call(self, coroutine: Any) -> Any:
        """Run a store method on the server's own loop (its connections live there)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=10)


@pytest.fixture
def running_api(tmp_path: Path, database: str, mailbox: Mailbox,
                monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningApi]:
    monkeypatch.setenv("MASTHEAD_API_TOKEN", ADMIN_TOKEN)
    root = api_site(tmp_path / "site")
    yield from start_api(site_config(root, mailbox.port), database, rate_limit=0)


def start_api(config: SiteConfig, database: str, rate_limit: int,
              trusted: tuple[str, ...] = ()) -> Iterator[RunningApi]:
    """The API on a free port in a thread, configured as `masthead api` runs it (uvicorn
    reads no X-Forwarded-For; the API believes it from ``trusted`` proxies only)."""
    store = open_database(database, config.root)
    app = create_app(config, store, ApiSettings(rate_limit=rate_limit,
                                                trusted_proxies=networks(trusted)))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False,
                                           proxy_headers=False))
    loops: list[asyncio.AbstractEventLoop] = []

    def run() -> None:
        loop = asyncio.new_event_loop()
        loops.append(loop)
        loop.run_until_complete(server.serve())
        loop.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the API did not start"
        time.sleep(0.01)
    try:
        yield RunningApi(f"http://127.0.0.1:{port}", store, config, loops[0], app.state.api)
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def api_process(site: Path, database: str, port: int, *extra: str) -> subprocess.Popen[str]:
    """`masthead api` as a reader's server runs it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "masthead.cli", "api", str(site), "--port", str(port),
         "--database", database, *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for_port(port, process, timeout=60)
    return process
