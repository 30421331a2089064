"""The site's fediverse accounts against an independent implementation: Fedify (npm
@fedify/fedify, tests/channels/fedify_peer.mjs) on loopback follows the English and
Russian accounts and receives each new story once, signed, verified by Fedify; an
edit arrives as an Update, a withdrawn story as a Delete; Fedify's likes and replies
are counted on the story. The site is served by real nginx (with the configuration the
build writes) in front of `masthead api`."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from masthead.api.signatures import signed_headers
from masthead.config import load_config
from masthead.emit.activitypub import private_key
from tests.api.conftest import free_port, wait_for_port
from tests.conftest import DEMO, REPO
from tests.nginx import nginx_serving

FEDIFY = REPO / "node_modules" / "@fedify" / "fedify"
PEER = Path(__file__).with_name("fedify_peer.mjs")
ENV = {**os.environ, "MASTHEAD_FEDIVERSE_PRIVATE_PEERS": "1"}


def _need_fedify() -> None:
    if shutil.which("node") is None or not FEDIFY.is_dir():
        pytest.skip("Node and npm's @fedify/fedify are not installed (scripts/test runs "
                    "npm ci)")


def masthead(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "masthead", *args], capture_output=True,
                          text=True, timeout=300, env=ENV)


def story(site: Path, lang: str, slug: str, title: str) -> None:
    date = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    (site / "content/posts" / lang / f"{slug}.md").write_text(
        f'---\ntitle: "{title}"\ndescription: "What happened, in two lines."\n'
        f'date: "{date}"\nauthor: "Aylana Badmaeva"\ncategory: "Environment"\n---\n'
        "The story.\n", encoding="utf-8")


@dataclass
class Peer:
    url: str
    process: subprocess.Popen[str]

    def do(self, action: str, **data: str) -> None:
        response = httpx.post(f"{self.url}/control/{action}", json=data, timeout=60)
        assert response.status_code == 200, response.text

    def events(self) -> list[dict[str, Any]]:
        return list(httpx.get(f"{self.url}/control/events", timeout=10).json())



@contextmanager
def peer(knock: str, log: Path) -> Iterator[Peer]:
    port = free_port()
    with log.open("w") as out:
        process = subprocess.Popen(["node", str(PEER), str(port), knock], cwd=REPO,
                                   stdout=out, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for_port(port, process, timeout=60)
        yield Peer(f"http://127.0.0.1:{port}", process)
    finally:
        process.terminate()
        process.wait(timeout=10)


@dataclass
class World:
    site: Path
    web: str  # the site, as nginx serves it
    rfc9421: Peer  # Fedify signing RFC 9421 first
    cavage: Peer  # Fedify signing draft-cavage first
    log: Path  # what `masthead api` said

    def send(self) -> str:
        sent = masthead("channels", "send", str(self.site))
        assert sent.returncode == 0, sent.stdout + sent.stderr
        return sent.stdout + sent.stderr

    def build(self) -> None:
        built = masthead("build", str(self.site))
        assert built.returncode == 0, built.stdout + built.stderr

    def actor(self, account: str) -> str:
        return f"{self.web}/fediverse/{account}.json"

    def article(self, account: str, slug: str) -> str:
        return f"{self.web}/fediverse/{account}/articles/{slug}.json"


def until(check: Any, seconds: float = 30) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    _need_fedify()
    tmp = tmp_path_factory.mktemp("fediverse")
    site = tmp / "site"
    shutil.copytree(DEMO, site, ignore=shutil.ignore_patterns("dist", ".masthead"))
    web_port, api_port = free_port(), free_port()
    web = f"http://127.0.0.1:{web_port}"
    toml = (site / "masthead.toml").read_text(encoding="utf-8")
    toml = "\n".join(line for line in toml.splitlines() if not line.startswith("base_url"))
    (site / "masthead.toml").write_text(
        f'base_url = "{web}/"\napi_url = "/api"\n{toml}\n'
        f'\n[[deploy]]\nname = "origin"\nurl = "{web}/"\nto = "{tmp / "origin"}"\n'
        'primary = true\n'
        f'\n[[deploy]]\nname = "mirror"\nurl = "https://mirror.example.net/"\n'
        f'to = "{tmp / "mirror"}"\n'
        '\n[[channels]]\nname = "fediverse-en"\nkind = "fediverse"\nlanguage = "en"\n'
        'account = "news"\n'
        '\n[[channels]]\nname = "fediverse-ru"\nkind = "fediverse"\nlanguage = "ru"\n'
        'account = "novosti"\n', encoding="utf-8")
    built = masthead("build", str(site))
    assert built.returncode == 0, built.stderr
    with (tmp / "api.log").open("w") as log:
        api = subprocess.Popen(
            [sys.executable, "-m", "masthead", "api", str(site), "--port", str(api_port),
             "--rate-limit", "0"], env=ENV, stdout=log, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for_port(api_port, api, timeout=60)
        with nginx_serving(site / "dist", api_port=api_port, port=web_port) as served, \
                peer("rfc9421", tmp / "peer-1.log") as first, \
                peer("draft-cavage-http-signatures-12", tmp / "peer-2.log") as second:
            yield World(site, served, first, second, tmp / "api.log")
    finally:
        api.terminate()
        api.wait(timeout=20)


def test_webfinger_and_the_actor_are_what_mastodon_reads(world: World) -> None:
    host = world.web.removeprefix("http://")
    finger = httpx.get(f"{world.web}/.well-known/webfinger",
                       params={"resource": f"acct:novosti@{host}"})
    assert finger.status_code == 200, finger.text
    assert finger.headers["content-type"].startswith("application/jrd+json")
    self_link = next(link for link in finger.json()["links"] if link["rel"] == "self")
    assert self_link == {"rel": "self", "type": "application/activity+json",
                         "href": world.actor("novosti")}
    assert httpx.get(f"{world.web}/.well-known/webfinger",
                     params={"resource": f"acct:nobody@{host}"}).status_code == 404
    actor = httpx.get(world.actor("news"))
    assert actor.headers["content-type"].startswith("application/activity+json")
    document = actor.json()
    assert document["inbox"] == f"{world.web}/api/fediverse/news/inbox"
    assert "BEGIN PUBLIC KEY" in document["publicKey"]["publicKeyPem"]
    nodeinfo = httpx.get(httpx.get(f"{world.web}/.well-known/nodeinfo").json()
                         ["links"][0]["href"]).json()
    assert nodeinfo["software"]["name"] == "masthead"
    page = httpx.get(f"{world.web}/posts/budget-cuts-regional-museum/").text
    assert ('<link rel="alternate" type="application/activity+json" href="'
            f'{world.article("news", "budget-cuts-regional-museum")}">') in page


def _accepted(p: Peer, actor: str) -> bool:
    return any(e["type"] == "Accept" and e["actor"] == actor for e in p.events())


def test_fedify_follows_and_receives_each_story_once_signed(world: World) -> None:
    world.rfc9421.do("follow", actor=world.actor("news"))
    world.rfc9421.do("follow", actor=world.actor("novosti"))
    world.cavage.do("follow", actor=world.actor("news"))
    assert until(lambda: _accepted(world.rfc9421, world.actor("news"))
                 and _accepted(world.rfc9421, world.actor("novosti"))
                 and _accepted(world.cavage, world.actor("news"))), (
        world.rfc9421.events(), world.cavage.events())
    said = world.log.read_text()  # each form of signature verified, none refused
    first, second = (p.url.removeprefix("http://") for p in (world.rfc9421, world.cavage))
    assert f"rfc9421 signature verified: Follow from {first}\n" in said, said
    assert f"draft-cavage signature verified: Follow from {second}\n" in said
    assert "refused" not in said and "/users/reader" not in said, said
    followers = httpx.get(f"{world.web}/api/fediverse/news/followers").json()
    assert followers["totalItems"] == 2
    fetches = [e for e in world.rfc9421.events() if e["type"] == "fetch"]
    assert fetches and all(e["signed"] for e in fetches), fetches  # authorized fetch
    assert {e["actor"] for e in fetches} <= {world.actor("news"), world.actor("novosti")}

    said = world.send()  # the channels' time starts: nothing of the archive goes out
    assert not [e for e in world.rfc9421.events() if e["type"] == "Create"], said
    time.sleep(2)
    story(world.site, "en", "river-returns", "The river returns")
    story(world.site, "ru", "reka-vernulas", "Река вернулась")
    seen = len(world.rfc9421.events())
    world.build()
    time.sleep(1)
    assert len(world.rfc9421.events()) == seen  # a build alone sends nothing
    said = world.send()
    assert "fediverse-en: river-returns: sent" in said, said
    assert "delivered 3" in said, said  # en to two servers, ru to one

    def creates(p: Peer) -> list[dict[str, Any]]:
        return [e for e in p.events() if e["type"] == "Create"]

    assert sorted(e["object"] for e in creates(world.rfc9421)) == sorted([
        world.article("news", "river-returns"), world.article("novosti", "reka-vernulas")])
    assert [e["object"] for e in creates(world.cavage)] == [
        world.article("news", "river-returns")]
    assert all(e["inbox"] == "shared" for e in creates(world.rfc9421))

    again = world.send()  # nothing new: nothing sent
    assert "delivered 0" not in again and len(creates(world.rfc9421)) == 2, again
    status = masthead("channels", "status", str(world.site)).stdout
    assert "river-returns: sent (delivered to 2 of 2 inboxes)" in status, status

    story(world.site, "en", "river-returns", "The river returns to the delta")
    world.build()
    world.send()
    updates = [e for e in world.rfc9421.events() if e["type"] == "Update"]
    assert [(e["object"], e["name"]) for e in updates] == [
        (world.article("news", "river-returns"), "The river returns to the delta")]

    (world.site / "content/posts/ru/reka-vernulas.md").unlink()
    world.build()
    world.send()
    deletes = [e for e in world.rfc9421.events() if e["type"] == "Delete"]
    assert [e["object"] for e in deletes] == [world.article("novosti", "reka-vernulas")]
    assert len(creates(world.rfc9421)) == 2  # each story arrived once


def test_likes_and_replies_from_fedify_are_counted_on_the_story(world: World) -> None:
    article = world.article("news", "budget-cuts-regional-museum")
    world.rfc9421.do("like", object=article, actor=world.actor("news"))
    world.cavage.do("reply", object=article, actor=world.actor("news"))
    counts = until(lambda: (c := httpx.get(
        f"{world.web}/api/fediverse/reactions",
        params={"path": "/posts/budget-cuts-regional-museum"}).json())["likes"] and c["replies"]
        and c)
    assert counts == {"path": "/posts/budget-cuts-regional-museum", "likes": 1, "replies": 1,
                      "boosts": 0}


def test_unsigned_and_wrongly_signed_activities_are_refused(world: World) -> None:
    inbox = f"{world.web}/api/fediverse/inbox"
    follow = json.dumps({"id": f"{world.rfc9421.url}/follows/x", "type": "Follow",
                         "actor": f"{world.rfc9421.url}/users/reader",
                         "object": world.actor("news")}).encode()
    kind = {"Content-Type": "application/activity+json"}
    unsigned = httpx.post(inbox, content=follow, headers=kind)
    assert unsigned.status_code == 401, unsigned.text
    # signed by a key of our own but naming the reader's key: the signature fails
    key = private_key(load_config(world.site))
    forged = signed_headers(key, f"{world.rfc9421.url}/users/reader#main-key", "POST",
                            inbox, follow)
    refused = httpx.post(inbox, content=follow, headers=forged)
    assert refused.status_code == 401, refused.text
    assert "does not verify" in refused.json()["error"], refused.text
    # a true signature, of a body that was changed on the way
    honest = signed_headers(key, world.actor("news") + "#main-key", "POST", inbox, follow)
    changed = httpx.post(inbox, content=follow.replace(b"Follow", b"Block"), headers=honest)
    assert changed.status_code == 401, changed.text
    assert "Digest mismatch" in changed.json()["error"], changed.text
    assert httpx.get(f"{world.web}/api/fediverse/news/followers").json()["totalItems"] == 2


def test_the_database_does_not_say_who_followed_or_liked(world: World) -> None:
    """Followers and likes are kept as keyed hashes; the Accepts that named the readers
    are gone once delivered. Only their servers' shared inboxes are there."""
    until(lambda: "#accept-" not in _dump(world), 10)
    dump = _dump(world)
    for reader in (world.rfc9421, world.cavage):
        assert f"{reader.url}/users/reader" not in dump
        assert f"{reader.url}/likes/" not in dump and f"{reader.url}/notes/" not in dump
    assert f"{world.rfc9421.url}/inbox" in dump  # where the stories go


def _dump(world: World) -> str:
    with sqlite3.connect(world.site / ".masthead" / "api.sqlite") as db:
        return "\n".join(db.iterdump())
