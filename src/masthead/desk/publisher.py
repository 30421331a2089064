"""Publishing from the desk: after a story is published (or unpublished), the site is
built again, incrementally, into the desk's own output folder and given to every
``[[deploy]]`` target; and when a story is scheduled (a date still to come), the desk
does the same at that time, with nobody present.

One publish runs at a time; requests that arrive meanwhile are served by the next run,
which takes them all. A build that fails changes no target (the build's output is
swapped in only when whole, and nothing is deployed): the targets keep the previous site,
and the desk says why. Each run is recorded (``publishes``) with what each target said."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import anyio.to_thread

from masthead.api.db import Cursor, Database, now_text
from masthead.config import SiteConfig, load_config
from masthead.desk.mailing import Mailing
from masthead.errors import BuildFailed, ConfigError
from masthead.incremental import CACHE_DIR, BuildCache
from masthead.options import BuildOptions
from masthead.pipeline import build_site

log = logging.getLogger("masthead.desk")
IDLE = 3600.0  # seconds between two looks for a scheduled story when nothing is asked


class Publisher:
    """Builds and deploys the site when asked, and when a scheduled story falls due."""

    def __init__(self, config: SiteConfig, db: Database, verify: bool = True,
                 load: Callable[[], SiteConfig] | None = None,
                 mailing: Mailing | None = None) -> None:
        self.config = config
        self.db = db
        self.verify = verify  # fetch pages back from each target's address
        self.load = load or (lambda: load_config(config.root))
        self.mailing = mailing  # the newsletter, when the site mails each story
        self.asked = asyncio.Event()
        self.due: dt.datetime | None = None  # the next scheduled story's time
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self._work())

    async def stop(self) -> None:
        if self.mailing is not None:
            await self.mailing.stop()
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task

    async def request(self, by: str, reason: str) -> int:
        """Ask for a publish; the id of its record."""
        q = self.db.sql

        def work(cur: Cursor) -> int:
            cur.execute(q("INSERT INTO publishes (requested, by_account, reason, state, "
                          "detail) VALUES (?, ?, ?, 'waiting', '')"), (now_text(), by, reason))
            cur.execute("SELECT MAX(id) FROM publishes")
            return int(cur.fetchone()[0])

        made = await self.db.run(work)
        self.asked.set()
        return made

    async def _work(self) -> None:
        while True:
            wait = IDLE
            if self.due is not None:
                # a second past its time, so that the build sees the story as due
                wait = max(0.0, (self.due - dt.datetime.now(dt.UTC)).total_seconds() + 1)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.asked.wait(), timeout=min(wait, IDLE))
            self.asked.clear()
            try:
                await self._run()
            except Exception:  # keep the worker; the next request tries again
                log.exception("publishing failed")

    async def _run(self) -> None:
        q = self.db.sql
        started = now_text()

        def claim(cur: Cursor) -> list[int]:
            cur.execute("SELECT id FROM publishes WHERE state = 'waiting' ORDER BY id")
            ids = [int(r[0]) for r in cur.fetchall()]
            for made in ids:
                cur.execute(q("UPDATE publishes SET state = 'running', started = ? "
                              "WHERE id = ?"), (started, made))
            return ids

        ids = await self.db.run(claim)
        if not ids:  # a scheduled story's time: a run of its own
            ids = [await self._scheduled()]
        state, detail = await anyio.to_thread.run_sync(self._publish)
        finished = now_text()

        def record(cur: Cursor) -> None:
            for made in ids:
                cur.execute(q("UPDATE publishes SET state = ?, detail = ?, finished = ? "
                              "WHERE id = ?"), (state, json.dumps(detail, ensure_ascii=False),
                                               finished, made))

        await self.db.run(record)
        if state == "done" and detail.get("newsletter") and self.mailing is not None:
            self.mailing.after(ids)

    async def newsletter_said(self, ids: list[int], said: str) -> None:
        """Keep what the newsletter's send said with the publishes it was for."""
        q = self.db.sql

        def work(cur: Cursor) -> None:
            for made in ids:
                cur.execute(q("SELECT detail FROM publishes WHERE id = ?"), (made,))
                row = cur.fetchone()
                detail = json.loads(row[0]) if row and row[0] else {}
                detail["newsletter"] = said
                cur.execute(q("UPDATE publishes SET detail = ? WHERE id = ?"),
                            (json.dumps(detail, ensure_ascii=False), made))

        await self.db.run(work)

    async def _scheduled(self) -> int:
        q = self.db.sql

        def work(cur: Cursor) -> int:
            cur.execute(q("INSERT INTO publishes (requested, by_account, reason, state, "
                          "detail, started) VALUES (?, '', 'scheduled', 'running', '', ?)"),
                        (now_text(), now_text()))
            cur.execute("SELECT MAX(id) FROM publishes")
            return int(cur.fetchone()[0])

        return await self.db.run(work)

    def _publish(self) -> tuple[str, dict[str, Any]]:
        """Build and deploy (on a worker thread); ("done" or "failed", what happened)."""
        from masthead.deploy import deploy
        from masthead.deploy.mirrorlist import MirrorKeyError, signing_key
        from masthead.deploy.policy import canonical_address

        started = time.monotonic()
        try:
            config = self.load()
            address = canonical_address(config)
            if address is not None:
                config = load_config(config.root, {"base_url": address})
            out = config.root / CACHE_DIR / "desk" / "site"
            report = build_site(config, out, BuildOptions(jobs=1),
                                cache=BuildCache(config.root / CACHE_DIR / "desk"))
        except (BuildFailed, ConfigError) as exc:
            said = [d.format(self.config.root) for d in exc.diagnostics][:20]
            return "failed", {"error": "the site did not build; the targets keep the "
                                       "previous version", "problems": said}
        except OSError as exc:
            return "failed", {"error": f"the site could not be written: {exc}"}
        now = dt.datetime.now(dt.UTC)
        later = [e.date for e in report.skipped if not e.draft and e.date > now]
        self.due = min(later) if later else None
        built = time.monotonic() - started
        try:
            key = signing_key(config)
        except MirrorKeyError as exc:
            return "failed", {"error": f"the mirror list cannot be signed: {exc}"}
        results = deploy(config, out, list(config.deploy), verify=self.verify,
                         say=lambda line: None, key=key)
        targets = [{"target": r.target, "ok": not r.error, "said": r.summary()}
                   for r in results]
        return ("failed" if any(r.error for r in results) else "done"), {
            "targets": targets, "pages": report.pages, "build_seconds": round(built, 2),
            "seconds": round(time.monotonic() - started, 2),
            "next_scheduled": self.due.isoformat() if self.due else "",
            "newsletter": "sending" if config.newsletter_each_story else ""}

    async def recent(self, limit: int = 20) -> list[dict[str, Any]]:
        q = self.db.sql

        def work(cur: Cursor) -> list[dict[str, Any]]:
            cur.execute(q("SELECT id, requested, started, finished, state, reason, detail "
                          "FROM publishes ORDER BY id DESC LIMIT ?"), (limit,))
            return [{"id": int(r[0]), "requested": r[1], "started": r[2] or "",
                     "finished": r[3] or "", "state": r[4], "reason": r[5],
                     "detail": json.loads(r[6]) if r[6] else {}} for r in cur.fetchall()]

        return await self.db.run(work)
