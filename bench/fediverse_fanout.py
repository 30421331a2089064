#!/usr/bin/env python3
"""One story to 1,000 fediverse followers behind 100 servers: how long until every
server's shared inbox has it, and how many tries that took.

It builds the demo site with a fediverse account, turns the channels on, publishes a
story, puts 1,000 followers on 100 servers (a loopback farm of shared inboxes that
checks every request's signature; some answer 503 or 429 the first time), and runs
the real ``masthead channels send``. What it did not deliver on the first pass it
delivers on the next (as the API's housekeeping does, here without the wait).

    python bench/fediverse_fanout.py --runs 3
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from masthead.api.signatures import SignatureRefused, verify  # noqa: E402
from tests.channels.botapi import Running  # noqa: E402

ENV = {**os.environ, "MASTHEAD_FEDIVERSE_PRIVATE_PEERS": "1"}


@dataclass
class InboxFarm:
    """``servers`` servers' shared inboxes at /s{n}/inbox on one loopback port. A server
    in ``first`` answers those statuses to its first requests, then 202. Each request's
    signature is checked with the site's public key."""

    servers: int
    key: rsa.RSAPublicKey
    first: dict[int, list[int]] = field(default_factory=dict)
    delay: float = 0.0  # seconds each answer takes (a slow server)
    url: str = ""
    received: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    tries: Counter[int] = field(default_factory=Counter)
    refused: int = 0

    def install(self, app: web.Application) -> None:
        app.router.add_post("/s{n}/inbox", self.handle)

    def inbox(self, n: int) -> str:
        return f"{self.url}/s{n}/inbox"

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            verify(request.method, str(request.url), request.headers.items(), body,
                   lambda _key_id: self.key)
        except SignatureRefused:
            self.refused += 1
            return web.Response(status=401)
        n = int(request.match_info["n"])
        attempt = self.tries[n]
        self.tries[n] += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        planned = self.first.get(n, [])
        if attempt < len(planned):
            return web.Response(status=planned[attempt], headers={"Retry-After": "0"})
        activity: dict[str, Any] = orjson.loads(body)
        self.received[n].append(str(activity["id"]))
        return web.Response(status=202)


def masthead(*args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "masthead", *args], capture_output=True,
                          text=True, timeout=600, env=ENV)
    if done.returncode != 0:
        raise SystemExit(f"masthead {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done


def fediverse_site(folder: Path) -> Path:
    """The demo site with an English fediverse account, built, its channels on."""
    site = folder / "site"
    shutil.copytree(REPO / "examples" / "demo", site,
                    ignore=shutil.ignore_patterns("dist", ".masthead"))
    toml = (site / "masthead.toml").read_text(encoding="utf-8")
    (site / "masthead.toml").write_text(
        f'api_url = "/api"\n{toml}\n[[channels]]\nname = "fediverse-en"\n'
        'kind = "fediverse"\nlanguage = "en"\naccount = "news"\n', encoding="utf-8")
    masthead("build", str(site))
    masthead("channels", "send", str(site))  # turned on: the archive stays out
    time.sleep(1.5)
    return site


def publish(site: Path, slug: str) -> None:
    date = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    (site / "content/posts/en" / f"{slug}.md").write_text(
        f'---\ntitle: "Story {slug}"\ndescription: "Two lines."\ndate: "{date}"\n'
        'author: "Aylana Badmaeva"\ncategory: "Environment"\n---\nThe story.\n',
        encoding="utf-8")
    masthead("build", str(site))


def follow(site: Path, farm: InboxFarm, followers: int) -> None:
    """``followers`` followers spread evenly over the farm's servers (as the inbox keeps
    them: each with its server's shared inbox)."""
    with sqlite3.connect(site / ".masthead" / "api.sqlite") as db:
        db.execute("DELETE FROM fediverse_followers")
        db.executemany(
            "INSERT INTO fediverse_followers (account, actor, inbox, followed) "
            "VALUES ('news', ?, ?, '2026-01-01T00:00:00+00:00')",
            [(f"{farm.url}/s{n % farm.servers}/users/{n}", farm.inbox(n % farm.servers))
             for n in range(followers)])


def retry_now(site: Path) -> None:
    """What the API's housekeeping does when the back-off has passed."""
    with sqlite3.connect(site / ".masthead" / "api.sqlite") as db:
        db.execute("UPDATE fediverse_deliveries SET due = '2000-01-01T00:00:00+00:00' "
                   "WHERE status IN ('pending', 'sending')")


@dataclass
class Figures:
    first_pass: float  # seconds of `masthead channels send` (queue and deliver)
    delivered_first: int
    retried: int
    total: float  # seconds until every inbox had it
    tries: int  # requests the farm answered


def fan_out(site: Path, farm: InboxFarm, slug: str, followers: int) -> Figures:
    follow(site, farm, followers)
    publish(site, slug)
    farm.tries.clear()
    start = time.perf_counter()
    done = masthead("channels", "send", str(site))
    first = done.stdout + done.stderr
    first_pass = time.perf_counter() - start
    if "delivered " not in first:
        raise SystemExit(f"nothing was delivered:\n{first}")
    delivered = int(first.rsplit("delivered ", 1)[1].split(",")[0])
    retried = int(first.rsplit("to try again ", 1)[1].split(",")[0])
    retry_now(site)
    masthead("channels", "send", str(site))
    return Figures(first_pass, delivered, retried, time.perf_counter() - start,
                   sum(farm.tries.values()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--followers", type=int, default=1000)
    parser.add_argument("--servers", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from masthead.config import load_config
    from masthead.emit.activitypub import private_key

    with tempfile.TemporaryDirectory(prefix="masthead-fanout-") as folder:
        site = fediverse_site(Path(folder))
        key = private_key(load_config(site)).public_key()
        failing = {n: [503] for n in range(0, args.servers, 10)}
        failing.update({n: [429] for n in range(5, args.servers, 10)})
        with Running(InboxFarm(args.servers, key, failing)) as farm:
            runs = [fan_out(site, farm, f"fan-out-{run}", args.followers)
                    for run in range(args.runs)]
            once = all(Counter(ids).most_common(1)[0][1] == 1 for ids in
                       farm.received.values()) and len(farm.received) == args.servers
        first = [r.first_pass for r in runs]
        print(f"{args.followers} followers on {args.servers} servers, {args.runs} stories")
        print(f"first pass (queue + deliver): median {statistics.median(first):.2f} s "
              f"(min {min(first):.2f}, max {max(first):.2f})")
        print(f"delivered on the first pass: {[r.delivered_first for r in runs]}; "
              f"to try again: {[r.retried for r in runs]}")
        print(f"until every inbox had it: {[round(r.total, 2) for r in runs]} s; "
              f"requests answered: {[r.tries for r in runs]}")
        print(f"each story once per inbox: {once}; signatures refused: {farm.refused}")


if __name__ == "__main__":
    main()
