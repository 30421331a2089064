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
import threading
import time
from collections.abc import Callable
from typing import Any

import anyio.to_thread

from masthead.api.db import Cursor, Database, now_text
from masthead.config import SiteConfig, load_config
from masthead.deploy import DeployResult
from masthead.desk.mailing import Mailing
from masthead.emit.search import new_search_index, swap_search_index
from masthead.errors import BuildFailed, ConfigError, Diagnostic
from masthead.incremental import CACHE_DIR, BuildCache
from masthead.options import BuildOptions
from masthead.pipeline import build_site

log = logging.getLogger("masthead.desk")
IDLE = 3600.0  # seconds between two looks for a scheduled story when nothing is asked


class Publisher:
    """Builds and deploys the site when asked, and when a scheduled story falls due."""

    def __init__(self, config: SiteConfig, db: Database, verify: bool = True,
                 load: Callable[..., SiteConfig] | None = None,
                 mailing: Mailing | None = None) -> None:
        self.config = config
        self.db = db
        self.verify = verify  # fetch pages back from each target's address
        # the settings as they are now, with the command line's (and ``extra``) on top
        self.load = load or (lambda extra=None: load_config(config.root, extra))
        self.mailing = mailing  # the newsletter, when the site mails each story
        self.posting: Mailing | None = None  # the channels' posts, when the site has some
        self.asked = asyncio.Event()
        self.due: dt.datetime | None = None  # the next scheduled story's time
        self.task: asyncio.Task[None] | None = None
        self.output = config.root / CACHE_DIR / "desk" / "site"  # what the targets get
        # kept between publishes, as ``serve`` keeps its own: the stories read last time
        # are not read back from the disk (each is checked against its file as ever)
        self.cache = BuildCache(config.root / CACHE_DIR / "desk")
        self.generation = 0  # publishes built so far
        self.deploying = threading.Lock()  # one deploy at a time to the targets
        self.search_asked = asyncio.Event()
        self.search_for: list[int] = []  # the publishes whose pages search does not have
        self.search_task: asyncio.Task[None] | None = None
        self.search_stop = threading.Event()  # set: the index being made is stale

    def start(self) -> None:
        self.task = asyncio.create_task(self._work())
        self.search_task = asyncio.create_task(self._search_work())

    async def stop(self) -> None:
        self.search_stop.set()
        for follower in (self.mailing, self.posting):
            if follower is not None:
                await follower.stop()
        for task in (self.task, self.search_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

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
        if state == "done" and detail.get("channels") and self.posting is not None:
            self.posting.after(ids)
        if state == "done" and detail.get("search") == "updating":
            self.search_for.extend(ids)  # the story is live; search catches up
            self.search_asked.set()

    async def _search_work(self) -> None:
        """Bring search up to date after publishes, one index at a time, beside the
        publishes: a publish asked for meanwhile does not wait for the index (35 s for
        10,000 stories), and the index made while one ran is made again."""
        while True:
            await self.search_asked.wait()
            self.search_asked.clear()
            ids, self.search_for = self.search_for, []
            try:
                said = await anyio.to_thread.run_sync(self._index_search)
            except Exception as exc:  # keep the worker; the next publish tries again
                log.exception("indexing for search failed")
                said = f"not updated: {exc}"
            if said is not None:
                await self._note(ids, "search", said)
            else:  # a publish changed the pages meanwhile: index them as they are now
                self.search_for = ids + self.search_for
                self.search_asked.set()

    async def newsletter_said(self, ids: list[int], said: str) -> None:
        """Keep what the newsletter's send said with the publishes it was for."""
        await self._note(ids, "newsletter", said)

    async def channels_said(self, ids: list[int], said: str) -> None:
        """Keep what the channels' posting said with the publishes it was for."""
        await self._note(ids, "channels", said)

    async def _note(self, ids: list[int], key: str, said: str) -> None:
        """Add ``key``: ``said`` to what the publishes ``ids`` did."""
        q = self.db.sql

        def work(cur: Cursor) -> None:
            for made in ids:
                cur.execute(q("SELECT detail FROM publishes WHERE id = ?"), (made,))
                row = cur.fetchone()
                detail = json.loads(row[0]) if row and row[0] else {}
                detail[key] = said
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

    def _config(self) -> SiteConfig:
        """The site's settings as they are now, at the address the targets serve."""
        from masthead.deploy.policy import canonical_address

        config = self.load()
        address = canonical_address(config)
        return config if address is None else self.load({"base_url": address})

    def _publish(self) -> tuple[str, dict[str, Any]]:
        """Build and deploy (on a worker thread); ("done" or "failed", what happened).
        Not while search's new index goes up: that deploy reads the same folder; and an
        index being made is stopped, as it would be of the pages before."""
        self.search_stop.set()
        with self.deploying:
            return self._build_and_deploy()

    def _deploy(self, config: SiteConfig, verify: bool) -> list[DeployResult]:
        """Give the desk's output to every target, with the mirror list signed; raises
        MirrorKeyError when the list cannot be signed."""
        from masthead.deploy import deploy
        from masthead.deploy.mirrorlist import signing_key

        return deploy(config, self.output, list(config.deploy), verify=verify,
                      say=lambda line: None, key=signing_key(config))

    def _build_and_deploy(self) -> tuple[str, dict[str, Any]]:
        from masthead.deploy.mirrorlist import MirrorKeyError

        started = time.monotonic()
        self.generation += 1  # an index being made of the pages before is no longer theirs
        try:
            config = self._config()
            # The pages first: search is brought up to date once the story is live.
            report = build_site(config, self.output, BuildOptions(jobs=1, index_search=False),
                                cache=self.cache)
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
            results = self._deploy(config, self.verify)
        except MirrorKeyError as exc:
            return "failed", {"error": f"the mirror list cannot be signed: {exc}"}
        targets = [{"target": r.target, "ok": not r.error, "said": r.summary()}
                   for r in results]
        return ("failed" if any(r.error for r in results) else "done"), {
            "targets": targets, "pages": report.pages, "build_seconds": round(built, 2),
            "seconds": round(time.monotonic() - started, 2),
            "next_scheduled": self.due.isoformat() if self.due else "",
            "newsletter": "sending" if config.newsletter_each_story else "",
            "channels": "posting" if config.channels else "",
            "search": "updating" if config.search else ""}

    def _index_search(self) -> str | None:
        """Index the published pages for search and give the index to every target (on a
        worker thread); what happened, in a line; None when a publish changed the pages
        meanwhile (the index is then made again)."""
        from masthead.deploy.mirrorlist import MirrorKeyError

        started, generation = time.monotonic(), self.generation
        self.search_stop = stop = threading.Event()
        try:
            config = self._config()
        except ConfigError as exc:
            return f"not updated: {exc}"
        try:  # publishes first: one stops it, and it runs at a lower priority
            made = new_search_index(self.output, nice=10, stop=stop)
        except OSError:  # the pages were replaced under it
            made = None
        with self.deploying:
            if made is None or self.generation != generation:
                return None
            if isinstance(made, Diagnostic):
                return f"not updated: {made.message}; readers search the previous index"
            index = swap_search_index(self.output, made)
            if isinstance(index, Diagnostic):
                return f"not updated: {index.message}"
            try:
                results = self._deploy(config, verify=False)
            except MirrorKeyError as exc:
                return f"not updated: {exc}"
        failed = [f"{r.target}: {r.error}" for r in results if r.error]
        if failed:
            return "not updated on " + "; ".join(failed)
        return f"updated in {time.monotonic() - started:.1f} s ({index.files} files)"

    async def recent(self, limit: int = 20) -> list[dict[str, Any]]:
        q = self.db.sql

        def work(cur: Cursor) -> list[dict[str, Any]]:
            cur.execute(q("SELECT id, requested, started, finished, state, reason, detail "
                          "FROM publishes ORDER BY id DESC LIMIT ?"), (limit,))
            return [{"id": int(r[0]), "requested": r[1], "started": r[2] or "",
                     "finished": r[3] or "", "state": r[4], "reason": r[5],
                     "detail": json.loads(r[6]) if r[6] else {}} for r in cur.fetchall()]

        return await self.db.run(work)
