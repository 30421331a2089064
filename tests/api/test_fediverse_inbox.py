"""The fediverse's part of the API against what anyone on the internet can send it:
WebFinger for accounts that are not there, inbox bodies that are not activities, an
unsigned or unknown account's request, and a signature whose key is said to be on a
private address (which is never fetched)."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

from masthead.api.signatures import signed_headers
from masthead.config import load_config
from masthead.emit.activitypub import private_key, public_pem
from masthead.options import BuildOptions
from masthead.pipeline import build_site
from tests.api.conftest import RunningApi, api_site, start_api
from tests.channels.botapi import Running
from tests.conftest import NOW

CHANNEL = '[{name = "fediverse-en", kind = "fediverse", language = "en", account = "news"}]'


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApi]:
    assert os.environ.get("MASTHEAD_FEDIVERSE_PRIVATE_PEERS") is None
    tmp_path = tmp_path_factory.mktemp("fediverse-api")
    root = api_site(tmp_path / "site")
    config = load_config(root, {"api_url": '"/api"', "channels": CHANNEL,
                                "base_url": '"https://news.example.org/"'})
    build_site(config, tmp_path / "dist", BuildOptions(now=NOW))  # makes the key
    yield from start_api(config, str(tmp_path / "api.sqlite"), rate_limit=0)


def test_webfinger_answers_for_the_sites_accounts_only(api: RunningApi) -> None:
    finger = f"{api.url}/api/fediverse/webfinger"
    found = httpx.get(finger, params={"resource": "acct:news@news.example.org"})
    assert found.status_code == 200
    assert found.json()["subject"] == "acct:news@news.example.org"
    by_actor = httpx.get(finger, params={
        "resource": "https://news.example.org/fediverse/news.json"})
    assert by_actor.json()["subject"] == "acct:news@news.example.org"
    for resource in ("", "acct:news@elsewhere.example", "acct:nobody@news.example.org",
                     "acct:news", "acct:@@", "acct:" + "a" * 5000, "../../etc/passwd"):
        assert httpx.get(finger, params={"resource": resource}).status_code == 404, resource


@pytest.mark.parametrize(("path", "kind", "body", "status"), [
    ("/api/fediverse/inbox", "text/plain", b"{}", 415),
    ("/api/fediverse/inbox", "application/activity+json", b"{not json", 400),
    ("/api/fediverse/inbox", "application/activity+json", b"[1, 2]", 400),
    ("/api/fediverse/inbox", "application/activity+json", b'{"type": "Follow"}', 400),
    ("/api/fediverse/inbox", "application/activity+json",
     b'{"type": "Follow", "actor": "https://social.example/users/a"}', 401),
    ("/api/fediverse/nobody/inbox", "application/activity+json", b"{}", 404),
    ("/api/fediverse/..%2F..%2Fetc/inbox", "application/activity+json", b"{}", 404),
    ("/api/fediverse/inbox", "application/activity+json", b"x" * 70_000, 413),
])
def test_the_inbox_refuses_what_is_not_a_signed_activity(
        api: RunningApi, path: str, kind: str, body: bytes, status: int) -> None:
    answer = httpx.post(api.url + path, content=body, headers={"Content-Type": kind})
    assert answer.status_code == status, answer.text
    assert "error" in answer.json()


def test_a_key_said_to_be_on_a_private_address_is_never_fetched(api: RunningApi) -> None:
    """A signature is only as good as the key it names; a key at 127.0.0.1 (or the cloud's
    metadata address) would make the API fetch inside the server's network."""
    connections: list[object] = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]

    def accept() -> None:
        with contextlib.suppress(OSError):
            connections.append(listener.accept())

    threading.Thread(target=accept, daemon=True).start()
    inbox = "https://news.example.org/api/fediverse/inbox"
    body = json.dumps({"type": "Follow", "actor": f"http://127.0.0.1:{port}/users/a",
                       "object": "https://news.example.org/fediverse/news.json"}).encode()
    key = private_key(api.config)
    headers = signed_headers(key, f"http://127.0.0.1:{port}/users/a#main-key", "POST",
                             inbox, body)
    answer = httpx.post(f"{api.url}/api/fediverse/inbox", content=body, headers=headers)
    listener.close()
    assert answer.status_code == 401 and "cannot be fetched" in answer.json()["error"]
    assert connections == []


def test_the_followers_collection_says_how_many_not_who(api: RunningApi) -> None:
    followers = httpx.get(f"{api.url}/api/fediverse/news/followers").json()
    assert followers == {"@context": "https://www.w3.org/ns/activitystreams",
                         "id": "https://news.example.org/api/fediverse/news/followers",
                         "type": "OrderedCollection", "totalItems": 0}
    assert httpx.get(f"{api.url}/api/fediverse/nobody/followers").status_code == 404
    assert httpx.get(f"{api.url}/api/fediverse/reactions").status_code == 400
    assert httpx.get(f"{api.url}/api/fediverse/reactions",
                     params={"path": "/../etc/passwd"}).status_code == 400


def test_a_key_cannot_speak_for_an_actor_on_another_server(
        api: RunningApi, monkeypatch: pytest.MonkeyPatch) -> None:
    """A key document may name any owner; one on the attacker's server naming a reader on
    another is not taken as that reader's."""
    monkeypatch.setenv("MASTHEAD_FEDIVERSE_PRIVATE_PEERS", "1")  # the attacker's server
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    victim = "https://victim.example/users/alice"
    with Running(KeyServer(public_pem(key), victim)) as server:
        key_id = f"{server.url}/key.json"
        inbox = "https://news.example.org/api/fediverse/inbox"
        body = json.dumps({"id": f"{server.url}/follows/1", "type": "Follow",
                           "actor": victim,
                           "object": "https://news.example.org/fediverse/news.json"}).encode()
        answer = httpx.post(f"{api.url}/api/fediverse/inbox", content=body,
                            headers=signed_headers(key, key_id, "POST", inbox, body))
        assert server.fetched == 1  # it was fetched, and refused
    assert answer.status_code == 401, answer.text
    assert httpx.get(f"{api.url}/api/fediverse/news/followers").json()["totalItems"] == 0


@dataclass
class KeyServer:
    """Serves one key document that names ``owner`` as its owner."""

    pem: str
    owner: str
    url: str = ""
    fetched: int = 0

    def install(self, app: web.Application) -> None:
        app.router.add_get("/key.json", self.key)

    async def key(self, request: web.Request) -> web.Response:
        self.fetched += 1
        return web.json_response({"id": f"{self.url}/key.json", "owner": self.owner,
                                  "publicKeyPem": self.pem},
                                 content_type="application/activity+json")
