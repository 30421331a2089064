#!/usr/bin/env python3
"""The desk on a large site: how long from an editor's "publish" to the story being live
on two folder targets, and how heavy the list of stories is that the editor loads.

It copies a benchmark corpus (``python bench/run.py --posts 10000`` makes one), adds two
folder targets, runs the real ``masthead desk serve`` on loopback, takes an editor's
invitation, signs in with a second factor, publishes once (the first publish builds and
uploads everything), then saves and publishes new stories one at a time, timing each from
the request to its page being on both targets.

    python bench/desk_publish.py /tmp/masthead-bench/corpus-10000 --stories 3
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import pyotp

COOKIE = "__Host-masthead-desk"
PASSWORD = "a benchmark of the desk"


class Desk:
    """An editor's browser, as far as the desk's protocol goes."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=120)
        self.token = ""

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        headers = {"Origin": self.url, "Sec-Fetch-Site": "same-origin"}
        if self.token:
            headers["Cookie"] = f"{COOKIE}={self.token}"
        answer = self.http.post(path, json=body, headers=headers)
        cookie = answer.headers.get("set-cookie", "")
        if cookie.startswith(f"{COOKIE}="):
            self.token = cookie.split(";")[0].split("=", 1)[1].strip('"')
        if answer.status_code >= 400:
            raise SystemExit(f"{path}: {answer.status_code} {answer.text[:300]}")
        return answer

    def act(self, action: str, **params: Any) -> httpx.Response:
        return self.post("/admin/api/v1", {"action": action, "params": params})

    def runs(self) -> list[dict[str, Any]]:
        answer = self.http.get("/admin/publishes", headers={"Cookie": f"{COOKIE}={self.token}"})
        return list(answer.json())


def wait_for_runs(desk: Desk, count: int, timeout: float = 900) -> dict[str, Any]:
    """The newest run, once ``count`` runs have ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = desk.runs()
        ended = [r for r in runs if r["state"] in ("done", "failed")]
        if len(ended) >= count and runs[0]["state"] in ("done", "failed"):
            return runs[0]
        time.sleep(0.2)
    raise SystemExit("the desk did not finish publishing")


def prepare(corpus: Path, work: Path) -> Path:
    site = work / "site"
    shutil.copytree(corpus, site, ignore=shutil.ignore_patterns("public", ".masthead"))
    if (corpus / "public").is_dir():
        shutil.copytree(corpus / "public", site / "public")
    targets = "".join(f'\n[[deploy]]\nname = "{n}"\nurl = "https://{n}.example.net/"\n'
                      f'to = "{work / n}"\n' for n in ("origin", "mirror"))
    with (site / "masthead.toml").open("a", encoding="utf-8") as out:
        out.write(targets)
    return site


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--stories", type=int, default=3, help="timed publishes")
    parser.add_argument("--port", type=int, default=8769)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="desk-bench-"))
    site = prepare(args.corpus, work)
    url = f"http://127.0.0.1:{args.port}"
    masthead = [sys.executable, "-m", "masthead.cli"]
    invited = subprocess.run([*masthead, "desk", "invite", "ed@example.org", str(site),
                              "--name", "Ed", "--role", "editor", "--address", url],
                             capture_output=True, text=True, check=True)
    token = invited.stdout.strip().rsplit("#invitation=", 1)[1]
    server = subprocess.Popen([*masthead, "desk", "serve", str(site), "--port",
                               str(args.port), "--no-verify"], stdout=subprocess.DEVNULL)
    try:
        desk = Desk(url)
        deadline = time.monotonic() + 60
        while True:
            try:
                desk.http.get("/admin/")
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise SystemExit("the desk did not start") from None
                time.sleep(0.2)
        desk.post("/admin/invitation", {"token": token, "password": PASSWORD})
        desk.post("/admin/session", {"email": "ed@example.org", "password": PASSWORD})
        totp = pyotp.parse_uri(desk.post("/admin/second-factor/new", {}).json()["otpauth"])
        desk.post("/admin/second-factor", {"code": totp.now()})
        languages = sorted(d.name for d in (site / "content/posts").iterdir()
                           if d.is_dir() and len(d.name) == 2)
        folder = "content/posts/" + (("en" if "en" in languages else languages[0]) + "/"
                                     if languages else "")
        for look in ("first", "again"):  # the editor lists the stories each time it opens
            started = time.monotonic()
            listing = desk.act("entriesByFolder", folder=folder.rstrip("/"), extension="md",
                               depth=1)
            listed = time.monotonic() - started
            print(f"list of stories ({look}): {len(listing.json())} entries, "
                  f"{len(listing.content) / 1e6:.1f} MB of JSON, "
                  f"{listing.num_bytes_downloaded / 1e6:.1f} MB sent, in {listed:.1f} s")
        first = wait_for_runs(desk, 1)  # the desk's first look: a whole build and upload
        print(f"first publish (everything): {first['detail'].get('seconds')} s, "
              f"{json.dumps(first['detail'].get('targets'))[:300]}")
        timings = []
        for n in range(args.stories):
            slug = f"desk-bench-{n}"
            raw = (f'---\ntitle: "Desk benchmark {n}"\ndate: "2024-06-0{n + 1}T10:00:00Z"\n'
                   f'---\nA story published from the desk.\n')
            desk.act("persistEntry", entry={"slug": slug, "path": f"{folder}{slug}.md",
                                             "raw": raw},
                     assets=[], options={"collectionName": "posts", "useWorkflow": True,
                                         "status": "draft"})
            clicked = time.monotonic()
            desk.act("publishUnpublishedEntry", collection="posts", slug=slug)
            # the page, where the story's language puts it
            places = ["", *(f"{lang}/" for lang in languages)]
            pages = [[work / t / f"{place}posts" / slug / "index.html" for place in places]
                     for t in ("origin", "mirror")]
            while not all(any(p.exists() for p in target) for target in pages):
                if time.monotonic() - clicked > 300:
                    raise SystemExit("the story did not go live")
                time.sleep(0.05)
            live = time.monotonic() - clicked
            run = wait_for_runs(desk, n + 2)  # the next click comes while search catches up
            timings.append(live)
            print(f"publish {n + 1}: live on both targets {live:.2f} s after the click "
                  f"(build {run['detail'].get('build_seconds')} s, run "
                  f"{run['detail'].get('seconds')} s: "
                  f"{'; '.join(t['said'] for t in run['detail'].get('targets', []))})")
        deadline = time.monotonic() + 600
        while any(r["detail"].get("search") == "updating" for r in desk.runs()[:1]):
            if time.monotonic() > deadline:
                raise SystemExit("search was not brought up to date")
            time.sleep(0.5)
        print("search after the last publish:", desk.runs()[0]["detail"].get("search"))
        if timings:
            spread = statistics.pstdev(timings) if len(timings) > 1 else 0.0
            print(f"publish to live: median {statistics.median(timings):.2f} s, "
                  f"spread ±{spread:.2f} s over {len(timings)}")
    finally:
        server.terminate()
        server.wait(timeout=60)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
