"""A returning reader's browser (Debian chromium) fails over to a mirror when the main
address is down or answers with a block page, using only the signed mirror list.

The demo is deployed by `masthead deploy` to three folder targets (the main address and
two mirrors), each served by real nginx with the nginx-headers.conf the build wrote (the
CORS header the mirrors need comes from there)."""

from __future__ import annotations

import base64
import http.server
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

import pytest

from masthead.deploy.mirrorlist import MIRROR_LIST, verified
from tests.browser.conftest import wait_for
from tests.conftest import CHROMIUM, DEMO
from tests.deploy.conftest import free_port
from tests.deploy.test_deploy import FAST
from tests.nginx import need_nginx, nginx_serving

NAMES = ("origin", "north", "south")


@dataclass
class Mirrored:
    site: Path
    roots: dict[str, Path]
    ports: dict[str, int]
    logs: dict[str, Path]
    key: str
    stories: list[tuple[str, str]] = field(default_factory=list)  # (path, title)

    def url(self, name: str, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.ports[name]}{path}"

    def hits(self, name: str, path: str) -> int:
        log = self.logs[name]
        text = log.read_text() if log.exists() else ""
        return len(re.findall(rf'"GET {re.escape(path)} HTTP', text))


@pytest.fixture(scope="module")
def mirrored(tmp_path_factory: pytest.TempPathFactory) -> Mirrored:
    need_nginx()
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Debian chromium is not installed at {CHROMIUM}")
    base = tmp_path_factory.mktemp("failover")
    site = base / "site"
    subprocess.run(["cp", "-r", str(DEMO), str(site)], check=True)
    subprocess.run(["rm", "-rf", str(site / "dist"), str(site / ".masthead")], check=True)
    ports = {name: free_port() for name in NAMES}
    roots = {name: base / "targets" / name for name in NAMES}
    toml = site / "masthead.toml"
    toml.write_text(toml.read_text() + "".join(
        f'\n[[deploy]]\nname = "{name}"\nurl = "http://127.0.0.1:{ports[name]}/"\n'
        f'to = "{roots[name]}"\n' + ("primary = true\n" if name == "origin" else "")
        for name in NAMES))
    env = {**os.environ, "XDG_CONFIG_HOME": str(base / "config")}
    made = subprocess.run([sys.executable, "-m", "masthead", "mirror-key", str(site)],
                          capture_output=True, text=True, env=env)
    assert made.returncode == 0, made.stderr
    key = re.search(r'mirror_key = "([^"]+)"', toml.read_text())
    assert key, toml.read_text()
    done = subprocess.run([sys.executable, "-m", "masthead", "deploy", str(site), *FAST,
                           "--no-verify"], capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stderr + done.stdout
    found = Mirrored(site, roots, ports, {n: base / f"{n}.log" for n in NAMES}, key.group(1))
    for page in sorted((roots["origin"] / "posts").glob("*/index.html"))[:3]:
        title = re.search(r"<title>(.*?) &mdash;", page.read_text())
        assert title, page
        found.stories.append((f"/posts/{page.parent.name}/", title.group(1)))
    return found


def test_the_list_is_signed_and_names_every_target(mirrored: Mirrored) -> None:
    for name in NAMES:
        data = (mirrored.roots[name] / MIRROR_LIST).read_bytes()
        content = verified(data, mirrored.key)
        assert content is not None
        assert content["mirrors"] == [mirrored.url(n) for n in NAMES]
        north = str(mirrored.ports["north"]).encode()
        assert verified(data.replace(north, b"1"), mirrored.key) is None
        assert b"Access-Control-Allow-Origin" in (mirrored.roots[name] /
                                                  "nginx-headers.conf").read_bytes()


class Blocked(http.server.BaseHTTPRequestHandler):
    """What a censor's box answers in place of the site."""

    def do_GET(self) -> None:
        body = b"<!doctype html><title>Blocked</title><p>Access restricted.</p>"
        self.send_response(451)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def answering(handler: type[http.server.BaseHTTPRequestHandler], port: int) -> Iterator[None]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Reader:
    page: object
    hosts: set[str]
    errors: list[str]


@contextmanager
def reader(browser: Any) -> Iterator[Reader]:
    """A new reader: a fresh browser profile (no service worker, nothing cached)."""
    context = browser.new_context()
    page = context.new_page()
    found = Reader(page, set(), [])
    context.on("request", lambda request: found.hosts.add(urlsplit(request.url).netloc))
    page.on("console", lambda m: m.type == "error" and found.errors.append(m.text))
    page.on("pageerror", lambda e: found.errors.append(str(e)))
    try:
        yield found
    finally:
        context.close()


def _read_two_stories(mirrored: Mirrored, page: object) -> None:
    page.goto(mirrored.url("origin"))  # type: ignore[attr-defined]
    wait_for(page, "navigator.serviceWorker.controller !== null")  # type: ignore[arg-type]
    wait_for(page, "caches.open('masthead-state').then((c) => c.keys())"  # type: ignore[arg-type]
                   ".then((k) => k.length > 0)")
    for path, title in mirrored.stories[:2]:
        page.goto(mirrored.url("origin", path))  # type: ignore[attr-defined]
        assert title in page.title()  # type: ignore[attr-defined]


def _shows_from_a_mirror(mirrored: Mirrored, found: Reader) -> None:
    page = found.page
    _, (read, read_title), (unread, unread_title) = mirrored.stories  # the 2nd is open
    before = mirrored.hits("north", read)
    page.reload()  # type: ignore[attr-defined]
    assert read_title in page.title()  # type: ignore[attr-defined]
    assert page.url == mirrored.url("origin", read)  # type: ignore[attr-defined]
    assert mirrored.hits("north", read) > before, "the story did not come from the mirror"
    page.goto(mirrored.url("origin", unread))  # type: ignore[attr-defined]
    assert unread_title in page.title()  # type: ignore[attr-defined]
    assert mirrored.hits("north", unread) >= 1
    # The page is whole: its stylesheet came through too.
    assert page.evaluate(  # type: ignore[attr-defined]
        "getComputedStyle(document.body).fontFamily !== ''")
    targets = {f"127.0.0.1:{port}" for port in mirrored.ports.values()}
    assert found.hosts <= targets, found.hosts - targets
    assert found.errors == []


def _serving(mirrored: Mirrored, name: str) -> AbstractContextManager[str]:
    return nginx_serving(mirrored.roots[name], port=mirrored.ports[name],
                         access_log=mirrored.logs[name])


def _mirrors_up(stack: ExitStack, mirrored: Mirrored) -> None:
    for name in ("north", "south"):
        stack.enter_context(_serving(mirrored, name))


def test_a_stopped_main_address_fails_over_to_a_mirror(mirrored: Mirrored, browser: Any) -> None:
    with ExitStack() as mirrors, reader(browser) as found:
        _mirrors_up(mirrors, mirrored)
        with _serving(mirrored, "origin"):
            _read_two_stories(mirrored, found.page)
        _shows_from_a_mirror(mirrored, found)


def test_a_block_page_at_the_main_address_fails_over_to_a_mirror(mirrored: Mirrored,
                                                                browser: Any) -> None:
    with ExitStack() as mirrors, reader(browser) as found:
        _mirrors_up(mirrors, mirrored)
        with _serving(mirrored, "origin"):
            _read_two_stories(mirrored, found.page)
        with answering(Blocked, mirrored.ports["origin"]):
            _shows_from_a_mirror(mirrored, found)


class Counting(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Counting.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        self.wfile.write(b"<!doctype html><title>Not the site</title>")

    def log_message(self, *args: object) -> None:
        pass


def test_a_list_with_a_bad_signature_is_ignored(mirrored: Mirrored, browser: Any) -> None:
    """A list that names a stranger's host first, with the signature of another list:
    the browser never asks that host (nor any mirror, since it has no good list)."""
    listed = mirrored.roots["origin"] / MIRROR_LIST
    good = listed.read_bytes()
    evil = free_port()
    outer = json.loads(good)
    content = json.loads(outer["payload"])
    content["mirrors"] = [f"http://127.0.0.1:{evil}/", *content["mirrors"]]
    content["issued"] = "2099-01-01T00:00:00Z"
    outer["payload"] = json.dumps(content, separators=(",", ":"))
    assert base64.b64decode(outer["signature"])  # the old, now wrong, signature
    listed.write_text(json.dumps(outer))
    Counting.hits = []
    try:
        with ExitStack() as mirrors, reader(browser) as found:
            mirrors.enter_context(answering(Counting, evil))
            _mirrors_up(mirrors, mirrored)
            last, last_title = mirrored.stories[1]
            before = {name: mirrored.hits(name, last) for name in ("north", "south")}
            with nginx_serving(mirrored.roots["origin"], port=mirrored.ports["origin"]):
                page = found.page
                page.goto(mirrored.url("origin"))  # type: ignore[attr-defined]
                wait_for(page, "navigator.serviceWorker.controller !== null")  # type: ignore[arg-type]
                for path, title in mirrored.stories[:2]:
                    page.goto(mirrored.url("origin", path))  # type: ignore[attr-defined]
                    assert title in page.title()  # type: ignore[attr-defined]
                assert not page.evaluate(  # type: ignore[attr-defined]
                    "caches.open('masthead-state').then((c) => c.keys())"
                    ".then((k) => k.length > 0)"), "a badly signed list was kept"
            page.reload()  # type: ignore[attr-defined]
            # The story read before is still there, from the browser's own copy.
            assert last_title in page.title()  # type: ignore[attr-defined]
            assert Counting.hits == []
            assert {name: mirrored.hits(name, last) for name in ("north", "south")} == before
    finally:
        listed.write_bytes(good)
