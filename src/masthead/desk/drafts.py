"""The desk's own record of stories in the workflow and of every save.

A story that is not yet published lives here, not in the site's folder: one row for the
story (who owns it, its status) with each of its files (one per language) and the
pictures sent with it, written into the site only when it is published. Every save of a
file is kept as a revision with the account that made it, so that a story's history can
be compared and restored; and what each account last opened is remembered, so that a
save over a version the writer never saw is a conflict, not a silent overwrite."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from masthead.api.db import Cursor, Database, now_text
from masthead.digests import sha256_hex


@dataclass
class Draft:
    key: str  # collection/slug
    path: str  # the story's first file
    owner: str
    status: str
    files: dict[str, str] = field(default_factory=dict)  # path -> text
    media: dict[str, str] = field(default_factory=dict)  # path -> base64


@dataclass(frozen=True)
class Revision:
    id: int
    path: str
    account: str
    at: str
    raw: str


class Drafts:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, key: str) -> Draft | None:
        q = self.db.sql

        def work(cur: Cursor) -> Draft | None:
            cur.execute(q("SELECT path, owner, status FROM drafts WHERE key = ?"), (key,))
            row = cur.fetchone()
            if row is None:
                return None
            draft = Draft(key, str(row[0]), str(row[1]), str(row[2]))
            cur.execute(q("SELECT path, raw FROM draft_files WHERE key = ? ORDER BY path"),
                        (key,))
            draft.files = {str(r[0]): str(r[1]) for r in cur.fetchall()}
            cur.execute(q("SELECT path, data FROM draft_media WHERE key = ? ORDER BY path"),
                        (key,))
            draft.media = {str(r[0]): str(r[1]) for r in cur.fetchall()}
            return draft

        return await self.db.run(work)

    async def of_path(self, path: str) -> str | None:
        """The text of ``path`` in whichever draft holds it."""
        q = self.db.sql

        def work(cur: Cursor) -> str | None:
            cur.execute(q("SELECT raw FROM draft_files WHERE path = ?"), (path,))
            row = cur.fetchone()
            return str(row[0]) if row else None

        return await self.db.run(work)

    async def save(self, draft: Draft, collection: str, slug: str, account: str) -> None:
        """Keep ``draft`` (its files and media added to what the story has) and a revision
        of each of its files by ``account``."""
        q = self.db.sql
        now = now_text()

        def work(cur: Cursor) -> None:
            cur.execute(q("INSERT INTO drafts (key, collection, slug, path, raw, owner, status, "
                          "updated) VALUES (?, ?, ?, ?, '', ?, ?, ?) ON CONFLICT (key) DO "
                          "UPDATE SET status = excluded.status, updated = excluded.updated"),
                        (draft.key, collection, slug, draft.path, draft.owner, draft.status,
                         now))
            for path, raw in draft.files.items():
                cur.execute(q("INSERT INTO draft_files (key, path, raw) VALUES (?, ?, ?) "
                              "ON CONFLICT (key, path) DO UPDATE SET raw = excluded.raw"),
                            (draft.key, path, raw))
                cur.execute(q("INSERT INTO revisions (path, account, at, raw) "
                              "VALUES (?, ?, ?, ?)"), (path, account, now, raw))
                _mark_seen(cur, q, account, path, sha256_hex(raw.encode()))
            for path, data in draft.media.items():
                cur.execute(q("INSERT INTO draft_media (key, path, data) VALUES (?, ?, ?) "
                              "ON CONFLICT (key, path) DO UPDATE SET data = excluded.data"),
                            (draft.key, path, data))

        await self.db.run(work)

    async def set_status(self, key: str, status: str) -> None:
        q = self.db.sql
        await self.db.run(lambda cur: cur.execute(
            q("UPDATE drafts SET status = ?, updated = ? WHERE key = ?"),
            (status, now_text(), key)))

    async def delete(self, key: str) -> None:
        q = self.db.sql

        def work(cur: Cursor) -> None:
            for table in ("drafts", "draft_files", "draft_media"):
                cur.execute(q(f"DELETE FROM {table} WHERE key = ?"), (key,))

        await self.db.run(work)

    async def keys(self) -> list[tuple[str, str]]:
        """(key, owner) of every story in the workflow, the newest first."""
        q = self.db.sql

        def work(cur: Cursor) -> list[tuple[str, str]]:
            cur.execute(q("SELECT key, owner FROM drafts ORDER BY updated DESC"))
            return [(str(r[0]), str(r[1])) for r in cur.fetchall()]

        return await self.db.run(work)

    # --- who saw what -----------------------------------------------------------------

    async def mark_seen(self, account: str, path: str, version: str) -> None:
        q = self.db.sql
        await self.db.run(lambda cur: _mark_seen(cur, q, account, path, version))

    async def seen(self, account: str, path: str) -> str | None:
        q = self.db.sql

        def work(cur: Cursor) -> str | None:
            cur.execute(q("SELECT version FROM seen WHERE account = ? AND path = ?"),
                        (account, path))
            row = cur.fetchone()
            return str(row[0]) if row else None

        return await self.db.run(work)

    # --- history ----------------------------------------------------------------------

    async def revisions(self, path: str, limit: int = 100) -> list[Revision]:
        """The newest first."""
        q = self.db.sql

        def work(cur: Cursor) -> list[Revision]:
            cur.execute(q("SELECT id, path, account, at, raw FROM revisions WHERE path = ? "
                          "ORDER BY id DESC LIMIT ?"), (path, limit))
            return [Revision(int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]))
                    for r in cur.fetchall()]

        return await self.db.run(work)

    async def revision(self, made: int) -> Revision | None:
        q = self.db.sql

        def work(cur: Cursor) -> Revision | None:
            cur.execute(q("SELECT id, path, account, at, raw FROM revisions WHERE id = ?"),
                        (made,))
            r = cur.fetchone()
            return Revision(int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4])) if r \
                else None

        return await self.db.run(work)

    async def recent(self, limit: int = 50) -> list[tuple[str, str, str]]:
        """(path, account, at) of the newest saves, one line per file."""
        q = self.db.sql

        def work(cur: Cursor) -> list[tuple[str, str, str]]:
            cur.execute(q("SELECT path, account, MAX(at) FROM revisions GROUP BY path, "
                          "account ORDER BY MAX(at) DESC LIMIT ?"), (limit,))
            return [(str(r[0]), str(r[1]), str(r[2])) for r in cur.fetchall()]

        return await self.db.run(work)


def _mark_seen(cur: Cursor, q: Callable[[str], str], account: str, path: str,
               version: str) -> None:
    cur.execute(q("INSERT INTO seen (account, path, version) VALUES (?, ?, ?) "
                    "ON CONFLICT (account, path) DO UPDATE SET version = excluded.version"),
                (account, path, version))
