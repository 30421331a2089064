"""Where the API keeps its data: SQLite (a file beside the site, WAL mode) or PostgreSQL.

Both run the same SQL (``?`` placeholders, rewritten for psycopg), in the same
transactions, through plain DB-API cursors on worker threads: one code path, so both
databases behave alike. SQLite gets one connection on one thread (it has one writer
anyway, and WAL lets readers go on); PostgreSQL a pool of connections.

What is stored and why: a view is a random id made by the page for one page load (kept
two days, so that a retry is recognised) and a count per path; nothing about the reader.
A subscriber is an email address, its state and dates. A contact message is what the
reader typed in the form.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import fcntl
import hashlib
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import anyio.to_thread

from masthead.api import links
from masthead.api.migrations import apply_migrations

T = TypeVar("T")
VIEW_ID_DAYS = 2


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def execute(self, sql: str, params: Sequence[Any] = ...) -> Any: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


@dataclass(frozen=True)
class Subscriber:
    email: str
    status: str  # pending | confirmed | unsubscribed
    nonce: str  # unused: links are kept in their own table (api/links.py)
    created: str
    confirmed: str


def _within(seconds: float, attempt: Callable[[], bool]) -> bool:
    """``attempt`` until it succeeds, for at most ``seconds`` (once when 0)."""
    deadline = time.monotonic() + seconds
    while not attempt():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def _leave(cur: Cursor, q: Callable[[str], str], email: str) -> None:
    cur.execute(q("UPDATE subscribers SET status = 'unsubscribed' "
                  "WHERE email = ? AND status <> 'unsubscribed'"), (email,))


def now_text() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class Store:
    """The API's data. ``run`` executes a function with a cursor inside one transaction;
    ``transact`` does the same from any thread without an event loop (the newsletter's
    senders)."""

    def transact(self, work: Callable[[Cursor], T],
                 then: Callable[[], None] | None = None) -> T:
        """Run ``work`` in one transaction from any thread; ``then`` right after the
        commit, on the thread that committed (nothing else runs in between)."""
        raise NotImplementedError

    def sender_lock(self, name: str, shared: bool = False,
                    wait: float = 0.0) -> AbstractContextManager[bool]:
        """Held while one process sends a newsletter; True when this one got it (within
        ``wait`` seconds). ``shared``: several holders at once (a sender's workers), none
        while someone holds it alone. Released by the system when the process dies,
        however it dies."""
        raise NotImplementedError

    def reopened(self) -> Store:
        """A new store on the same database, for a forked process (connections are not
        to be shared across a fork)."""
        raise NotImplementedError

    def before_fork(self) -> None:
        """Close what a forked child must not inherit (the next use opens it again)."""

    dialect = "sqlite"

    def sql(self, text: str) -> str:
        return text

    async def run(self, work: Callable[[Cursor], T]) -> T:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    # --- views ------------------------------------------------------------------------

    async def record_view(self, path: str, view_id: str) -> tuple[bool, int]:
        """Count one page load: (counted now, the path's count). An id seen before is
        not counted again (a retry)."""
        q = self.sql

        def work(cur: Cursor) -> tuple[bool, int]:
            cur.execute(q("INSERT INTO view_ids (id, path, seen) VALUES (?, ?, ?) "
                          "ON CONFLICT (id) DO NOTHING"), (view_id, path, now_text()))
            counted = cur.rowcount == 1
            if counted:
                cur.execute(q("INSERT INTO view_counts (path, views) VALUES (?, 1) "
                              "ON CONFLICT (path) DO UPDATE SET views = view_counts.views + 1"),
                            (path,))
            cur.execute(q("SELECT views FROM view_counts WHERE path = ?"), (path,))
            row = cur.fetchone()
            return counted, int(row[0]) if row else 0

        return await self.run(work)

    async def view_counts(self, paths: Sequence[str] | None = None) -> dict[str, int]:
        """Counts of ``paths`` (0 for a path never viewed), or of every counted path."""
        q = self.sql

        def work(cur: Cursor) -> dict[str, int]:
            if paths is None:
                cur.execute("SELECT path, views FROM view_counts")
                return {row[0]: int(row[1]) for row in cur.fetchall()}
            found = dict.fromkeys(paths, 0)
            if paths:
                marks = ", ".join("?" for _ in paths)
                cur.execute(q(f"SELECT path, views FROM view_counts WHERE path IN ({marks})"),
                            tuple(paths))
                found.update({row[0]: int(row[1]) for row in cur.fetchall()})
            return found

        return await self.run(work)

    async def forget_old_view_ids(self) -> int:
        cutoff = (dt.datetime.now(dt.UTC) - dt.timedelta(days=VIEW_ID_DAYS)).isoformat(
            timespec="seconds")
        q = self.sql

        def work(cur: Cursor) -> int:
            cur.execute(q("DELETE FROM view_ids WHERE seen < ?"), (cutoff,))
            return int(cur.rowcount)

        return await self.run(work)

    # --- limits shared by every process -----------------------------------------------

    async def hit(self, key: str, bucket: int) -> int:
        """Count one more request under ``key`` in time ``bucket``; the count so far. One
        statement, so that processes on one database share one budget."""
        q = self.sql

        def work(cur: Cursor) -> int:
            cur.execute(q("INSERT INTO limits (key, bucket, hits) VALUES (?, ?, 1) "
                          "ON CONFLICT (key, bucket) DO UPDATE SET hits = limits.hits + 1 "
                          "RETURNING hits"), (key, bucket))
            return int(cur.fetchone()[0])

        return await self.run(work)

    async def forget_limits(self, before: int, before_day: int) -> None:
        q = self.sql

        def work(cur: Cursor) -> None:
            # Patterns as parameters: a literal % would be a placeholder to psycopg.
            cur.execute(q("DELETE FROM limits WHERE (key LIKE ? AND bucket < ?) OR "
                          "(key LIKE ? AND bucket < ?)"), ("c:%", before, "m:%", before_day))

        await self.run(work)

    # --- newsletter -------------------------------------------------------------------

    async def subscriber(self, email: str) -> Subscriber | None:
        q = self.sql

        def work(cur: Cursor) -> Subscriber | None:
            cur.execute(q("SELECT email, status, nonce, created, confirmed FROM subscribers "
                          "WHERE email = ?"), (email,))
            row = cur.fetchone()
            return Subscriber(*row) if row else None

        return await self.run(work)

    async def request_subscription(self, email: str, lang: str = "") -> str:
        """The address's state before: 'new', 'pending', 'unsubscribed', 'confirmed' or
        'bounced'. A new or returning address becomes pending, in the language of the
        page signed up on (newsletters come in it); links mailed before stay valid. An
        address that bounced stays so (a sign-up does not revive it)."""
        q = self.sql

        def work(cur: Cursor) -> str:
            cur.execute(q("SELECT status FROM subscribers WHERE email = ?"), (email,))
            row = cur.fetchone()
            if row is None:
                cur.execute(q("INSERT INTO subscribers (email, status, nonce, created, confirmed,"
                              " lang) VALUES (?, 'pending', '', ?, '', ?) "
                              "ON CONFLICT (email) DO NOTHING"), (email, now_text(), lang))
                return "new"
            if row[0] in ("confirmed", "bounced"):
                return str(row[0])
            cur.execute(q("UPDATE subscribers SET status = 'pending', lang = ? "
                          "WHERE email = ?"), (lang, email))
            return str(row[0])

        return await self.run(work)

    async def add_links(self, email: str, digests: Sequence[tuple[str, str]]) -> None:
        """Remember the (kind, digest) of each token just put in an email to ``email``."""
        q = self.sql

        def work(cur: Cursor) -> None:
            for kind, digest in digests:
                cur.execute(q("INSERT INTO links (digest, email, kind, created) "
                              "VALUES (?, ?, ?, ?)"), (digest, email, kind, now_text()))

        await self.run(work)

    async def confirm(self, digest: str, max_days: int) -> str:
        """Follow a confirmation link: 'confirmed', 'used' (it was followed before, or
        the subscriber left since), 'expired' or 'unknown'. Every confirmation link of
        the address is used up with it."""
        q = self.sql
        oldest = (dt.datetime.now(dt.UTC) - dt.timedelta(days=max_days)).isoformat(
            timespec="seconds")

        def work(cur: Cursor) -> str:
            cur.execute(q("SELECT email, kind, created FROM links WHERE digest = ?"), (digest,))
            row = cur.fetchone()
            if row is None or row[1] not in (links.CONFIRM, links.CONFIRM_USED):
                return "unknown"
            if row[1] == links.CONFIRM_USED:
                return "used"
            if row[2] < oldest:
                return "expired"
            cur.execute(q("UPDATE links SET kind = ? WHERE email = ? AND kind = ?"),
                        (links.CONFIRM_USED, row[0], links.CONFIRM))
            cur.execute(q("UPDATE subscribers SET status = 'confirmed', confirmed = ? "
                          "WHERE email = ? AND status = 'pending'"), (now_text(), row[0]))
            return "confirmed" if cur.rowcount == 1 else "used"

        return await self.run(work)

    async def unsubscribe(self, digest: str) -> bool:
        """Follow an unsubscribe link: False when no email ever carried it. Following it
        again answers the same."""
        q = self.sql

        def work(cur: Cursor) -> bool:
            cur.execute(q("SELECT email FROM links WHERE digest = ? AND kind = ?"),
                        (digest, links.LEAVE))
            row = cur.fetchone()
            if row is not None:
                _leave(cur, q, row[0])
            return row is not None

        return await self.run(work)

    async def unsubscribe_address(self, email: str) -> None:
        """For a link of an email sent before links were random (it names the address)."""
        await self.run(lambda cur: _leave(cur, self.sql, email))

    async def confirmed_subscribers(self) -> list[tuple[str, str]]:
        def work(cur: Cursor) -> list[tuple[str, str]]:
            cur.execute("SELECT email, confirmed FROM subscribers WHERE status = 'confirmed' "
                        "ORDER BY confirmed, email")
            return [(row[0], row[1]) for row in cur.fetchall()]

        return await self.run(work)

    # --- contact messages and settings -------------------------------------------------

    async def enqueue_signup(self, email: str, lang: str, limit: int) -> bool:
        """A sign-up to handle (its confirmation mail, if one is due); False when ``limit``
        wait already (the outbox is bounded: a flood cannot fill the disk). One statement
        whatever the address's state, so that the time it takes tells nothing."""
        q = self.sql

        def work(cur: Cursor) -> bool:
            cur.execute("SELECT COUNT(*) FROM outbox")
            if int(cur.fetchone()[0]) >= limit:
                return False
            cur.execute(q("INSERT INTO outbox (email, lang, created, state) "
                          "VALUES (?, ?, ?, '')"), (email, lang, now_text()))
            return True

        return await self.run(work)

    async def claim_outbox(self, count: int) -> list[tuple[int, str, str]]:
        """(id, email, language) of sign-ups waiting, oldest first, claimed for this
        process; a claim older than ten minutes (its process died) is taken over."""
        q = self.sql
        stale = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)).isoformat(
            timespec="seconds")

        def work(cur: Cursor) -> list[tuple[int, str, str]]:
            cur.execute(q("SELECT id, email, lang FROM outbox WHERE state = '' OR "
                          "(state LIKE ? AND state < ?) ORDER BY id LIMIT ?"),
                        ("claimed %", f"claimed {stale}", count))
            rows = [(int(r[0]), r[1], r[2]) for r in cur.fetchall()]
            claimed = []
            for row in rows:  # another process may have claimed it since the SELECT
                cur.execute(q("UPDATE outbox SET state = ? WHERE id = ? AND (state = '' "
                              "OR (state LIKE ? AND state < ?))"),
                            (f"claimed {now_text()}", row[0], "claimed %", f"claimed {stale}"))
                if cur.rowcount == 1:
                    claimed.append(row)
            return claimed

        return await self.run(work)

    async def outbox_done(self, item: int, done: bool) -> None:
        """A claimed sign-up handled (gone from the outbox), or given back to be tried
        again."""
        q = self.sql

        def work(cur: Cursor) -> None:
            if done:
                cur.execute(q("DELETE FROM outbox WHERE id = ?"), (item,))
            else:
                cur.execute(q("UPDATE outbox SET state = '' WHERE id = ?"), (item,))

        await self.run(work)

    async def outbox_waiting(self) -> int:
        def work(cur: Cursor) -> int:
            cur.execute("SELECT COUNT(*) FROM outbox")
            return int(cur.fetchone()[0])

        return await self.run(work)

    async def unhit(self, key: str, bucket: int) -> None:
        """Take back one count of ``hit`` (a mail counted that the server did not take)."""
        q = self.sql
        await self.run(lambda cur: cur.execute(
            q("UPDATE limits SET hits = hits - 1 WHERE key = ? AND bucket = ? AND hits > 0"),
            (key, bucket)))

    async def add_message(self, name: str, email: str, message: str) -> None:
        q = self.sql

        def work(cur: Cursor) -> None:
            cur.execute(q("INSERT INTO messages (received, name, email, message, forwarded) "
                          "VALUES (?, ?, ?, ?, '')"), (now_text(), name, email, message))

        await self.run(work)

    async def unforwarded(self, limit: int = 20) -> list[tuple[int, str, str, str]]:
        """(id, name, email, message) of messages not forwarded yet, oldest first, each
        claimed for this process (a claim older than ten minutes, from a process that
        died, is taken over): two processes do not forward one message twice."""
        q = self.sql
        stale = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)).isoformat(
            timespec="seconds")

        def work(cur: Cursor) -> list[tuple[int, str, str, str]]:
            cur.execute(q("SELECT id, name, email, message FROM messages WHERE forwarded = '' "
                          "OR (forwarded LIKE ? AND forwarded < ?) ORDER BY id "
                          "LIMIT ?"), ("claimed %", f"claimed {stale}", limit))
            rows = [(int(r[0]), r[1], r[2], r[3]) for r in cur.fetchall()]
            for row in rows:
                cur.execute(q("UPDATE messages SET forwarded = ? WHERE id = ?"),
                            (f"claimed {now_text()}", row[0]))
            return rows

        return await self.run(work)

    async def release(self, message_ids: list[int]) -> None:
        """Claims given back: the SMTP server failed, the next round tries again."""
        q = self.sql

        def work(cur: Cursor) -> None:
            for message_id in message_ids:
                cur.execute(q("UPDATE messages SET forwarded = '' WHERE id = ? AND "
                              "forwarded LIKE ?"), (message_id, "claimed %"))

        await self.run(work)

    async def forwarded(self, message_id: int) -> None:
        q = self.sql

        def work(cur: Cursor) -> None:
            cur.execute(q("UPDATE messages SET forwarded = ? WHERE id = ?"),
                        (now_text(), message_id))

        await self.run(work)

    async def messages(self) -> list[tuple[str, str, str, str]]:
        def work(cur: Cursor) -> list[tuple[str, str, str, str]]:
            cur.execute("SELECT received, name, email, message FROM messages ORDER BY id")
            return [(row[0], row[1], row[2], row[3]) for row in cur.fetchall()]

        return await self.run(work)

    async def secret(self) -> str:
        """The key that signs confirmation and unsubscribe links: made once, kept in the
        database so that links stay valid across restarts."""
        q = self.sql
        fresh = secrets.token_urlsafe(32)

        def work(cur: Cursor) -> str:
            cur.execute(q("INSERT INTO settings (name, value) VALUES ('secret', ?) "
                          "ON CONFLICT (name) DO NOTHING"), (fresh,))
            cur.execute("SELECT value FROM settings WHERE name = 'secret'")
            return str(cur.fetchone()[0])

        return await self.run(work)


class SQLiteStore(Store):
    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        self._connection: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            connection = sqlite3.connect(self.path, isolation_level=None,
                                         check_same_thread=False, timeout=10)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoints
            connection.execute("PRAGMA busy_timeout=10000")
            self._connection = connection
        return self._connection

    def _transaction(self, work: Callable[[Cursor], T],
                     then: Callable[[], None] | None = None) -> T:
        connection = self._connect()
        cursor = connection.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        try:
            result = work(cursor)
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        cursor.execute("COMMIT")
        if then is not None:
            then()
        return result

    async def run(self, work: Callable[[Cursor], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, self._transaction, work)

    def transact(self, work: Callable[[Cursor], T],
                 then: Callable[[], None] | None = None) -> T:
        return self._thread.submit(self._transaction, work, then).result()

    @contextmanager
    def sender_lock(self, name: str, shared: bool = False,
                    wait: float = 0.0) -> Iterator[bool]:
        lock = self.path.with_name(f"{self.path.name}.{name}.lock")
        mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        with open(lock, "a+b") as fh:

            def attempt() -> bool:
                try:
                    fcntl.flock(fh, mode | fcntl.LOCK_NB)
                except BlockingIOError:
                    return False
                return True

            if not _within(wait, attempt):
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def reopened(self) -> Store:
        return SQLiteStore(self.path)

    def before_fork(self) -> None:
        """SQLite keeps per-file state in the process; a child that inherits it with the
        file open gets "locking protocol" errors on its own connection."""

        def shut() -> None:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

        self._thread.submit(shut).result()

    async def close(self) -> None:
        def shut() -> None:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

        await asyncio.get_running_loop().run_in_executor(self._thread, shut)
        self._thread.shutdown(wait=True)


class PostgresStore(Store):
    dialect = "postgresql"

    def __init__(self, url: str, size: int = 10) -> None:
        from psycopg_pool import ConnectionPool

        self.url = url
        # Each connection is checked as it is taken from the pool: after PostgreSQL
        # restarts, stale ones are replaced instead of failing a request.
        self._pool = ConnectionPool(url, min_size=1, max_size=size, open=True,
                                    kwargs={"autocommit": False},
                                    check=ConnectionPool.check_connection)
        self._limiter = anyio.CapacityLimiter(size)
        self._lock = threading.Lock()

    def sql(self, text: str) -> str:
        return text.replace("?", "%s")

    async def record_view(self, path: str, view_id: str) -> tuple[bool, int]:
        """The same as the portable version, in one statement (one round trip instead of
        five: the hot path of a busy site)."""

        def once() -> tuple[bool, int]:
            with self._pool.connection() as connection:
                connection.autocommit = True
                try:
                    row = connection.execute(_RECORD_VIEW, (view_id, path, now_text(),
                                                            path)).fetchone()
                finally:
                    if not connection.closed:
                        connection.autocommit = False
            assert row is not None
            return bool(row[0]), int(row[1])

        def work() -> tuple[bool, int]:
            import psycopg

            try:
                return once()
            except psycopg.OperationalError:  # a connection lost: once more, on a new one
                return once()

        return await anyio.to_thread.run_sync(work, limiter=self._limiter)

    def _transaction(self, work: Callable[[Cursor], T],
                     then: Callable[[], None] | None = None) -> T:
        """One transaction; once more on a fresh connection when the first one was lost
        (the server restarted between the check and the query)."""
        import psycopg

        try:
            return self._once(work, then)
        except psycopg.OperationalError:
            return self._once(work, then)

    def _once(self, work: Callable[[Cursor], T], then: Callable[[], None] | None) -> T:
        with self._pool.connection() as connection:
            with connection.transaction():
                context: AbstractContextManager[Any] = connection.cursor()
                with context as cursor:
                    result = work(cursor)
            if then is not None:
                then()
            return result

    async def run(self, work: Callable[[Cursor], T]) -> T:
        return await anyio.to_thread.run_sync(self._transaction, work, limiter=self._limiter)

    def transact(self, work: Callable[[Cursor], T],
                 then: Callable[[], None] | None = None) -> T:
        return self._transaction(work, then)

    @contextmanager
    def sender_lock(self, name: str, shared: bool = False,
                    wait: float = 0.0) -> Iterator[bool]:
        """A session advisory lock on a connection of its own: PostgreSQL drops it when
        the connection ends, so a killed sender never leaves it behind."""
        import psycopg

        key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        kind = "_shared" if shared else ""
        with psycopg.connect(self.url, autocommit=True) as connection:

            def attempt() -> bool:
                row = connection.execute(f"SELECT pg_try_advisory_lock{kind}(%s)",
                                         (key,)).fetchone()
                return bool(row and row[0])

            got = _within(wait, attempt)
            try:
                yield got
            finally:
                if got:
                    connection.execute(f"SELECT pg_advisory_unlock{kind}(%s)", (key,))

    def reopened(self) -> Store:
        return PostgresStore(self.url, size=2)

    async def close(self) -> None:
        await anyio.to_thread.run_sync(self._pool.close)


_RECORD_VIEW = """
WITH fresh AS (
    INSERT INTO view_ids (id, path, seen) VALUES (%s, %s, %s)
    ON CONFLICT (id) DO NOTHING RETURNING path),
bumped AS (
    INSERT INTO view_counts (path, views) SELECT path, 1 FROM fresh
    ON CONFLICT (path) DO UPDATE SET views = view_counts.views + 1 RETURNING views)
SELECT EXISTS (SELECT 1 FROM fresh),
       COALESCE((SELECT views FROM bumped),
                (SELECT views FROM view_counts WHERE path = %s), 0)
"""


def open_store(url: str | None, site_root: Path) -> Store:
    """``postgresql://...`` or ``postgres://...``, ``sqlite:///path`` or a file path;
    default ``<site>/.masthead/api.sqlite``."""
    if url and url.startswith(("postgresql://", "postgres://")):
        return PostgresStore(url)
    if url and url.startswith("sqlite:///"):
        return SQLiteStore(Path(url.removeprefix("sqlite:///")))
    if url and "://" in url:
        raise ValueError(f"unknown database '{url.split('://')[0]}': use postgresql://... "
                         "or a SQLite file path")
    return SQLiteStore(Path(url) if url else site_root / ".masthead" / "api.sqlite")


async def prepare_store(store: Store) -> None:
    """Bring the schema up to date (every start; safe with several processes)."""
    await store.run(lambda cur: apply_migrations(cur, store.dialect, store.sql))
