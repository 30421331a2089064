"""The API's database, SQLite (a file beside the site, WAL mode) or PostgreSQL: the one
place that knows the difference.

Both run the same SQL (``?`` placeholders, rewritten for psycopg), in the same
transactions, through plain DB-API cursors on worker threads: one code path, so both
databases behave alike. SQLite gets one connection on one thread (it has one writer
anyway, and WAL lets readers go on); PostgreSQL a pool of connections.

What each feature stores, and why, is said in its module (``api/features/``).
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
from pathlib import Path
from typing import Any, Protocol, TypeVar

import anyio.to_thread

from masthead.api.migrations import apply_migrations

T = TypeVar("T")


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def execute(self, sql: str, params: Sequence[Any] = ...) -> Any: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


def _within(seconds: float, attempt: Callable[[], bool]) -> bool:
    """``attempt`` until it succeeds, for at most ``seconds`` (once when 0)."""
    deadline = time.monotonic() + seconds
    while not attempt():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def now_text() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class Database:
    """A connection to the API's database. ``run`` executes a function with a cursor
    inside one transaction; ``transact`` does the same from any thread without an event
    loop (the newsletter's senders). The SQL of each feature is in its module
    (``api/features/``); ``sql`` rewrites its ``?`` placeholders for the database."""

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

    def reopened(self) -> Database:
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

    async def single(self, statement: str, params: Sequence[Any]) -> Any:
        """One statement in its own transaction, its first row."""
        def work(cur: Cursor) -> Any:
            cur.execute(statement, params)
            return cur.fetchone()

        return await self.run(work)

    async def close(self) -> None:
        raise NotImplementedError

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


class SQLiteDatabase(Database):
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

    def reopened(self) -> Database:
        return SQLiteDatabase(self.path)

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


class PostgresDatabase(Database):
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

    async def single(self, statement: str, params: Sequence[Any]) -> Any:
        """One statement on its own (autocommit), its first row: one round trip instead
        of a transaction's several, for a hot path written as one statement. Once more
        on a new connection when the first was lost."""

        def once() -> Any:
            with self._pool.connection() as connection:
                connection.autocommit = True
                try:
                    return connection.execute(statement, params).fetchone()
                finally:
                    if not connection.closed:
                        connection.autocommit = False

        def work() -> Any:
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

    def reopened(self) -> Database:
        return PostgresDatabase(self.url, size=2)

    async def close(self) -> None:
        await anyio.to_thread.run_sync(self._pool.close)


def open_database(url: str | None, site_root: Path) -> Database:
    """``postgresql://...`` or ``postgres://...``, ``sqlite:///path`` or a file path;
    default ``<site>/.masthead/api.sqlite``."""
    if url and url.startswith(("postgresql://", "postgres://")):
        return PostgresDatabase(url)
    if url and url.startswith("sqlite:///"):
        return SQLiteDatabase(Path(url.removeprefix("sqlite:///")))
    if url and "://" in url:
        raise ValueError(f"unknown database '{url.split('://')[0]}': use postgresql://... "
                         "or a SQLite file path")
    return SQLiteDatabase(Path(url) if url else site_root / ".masthead" / "api.sqlite")


async def prepare_database(store: Database) -> None:
    """Bring the schema up to date (every start; safe with several processes)."""
    await store.run(lambda cur: apply_migrations(cur, store.dialect, store.sql))
