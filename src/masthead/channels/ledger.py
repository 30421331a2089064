"""What each channel was given: one row per channel and story, in the API's database
beside the newsletter's deliveries, so that a story is posted once however often the
poster runs, is killed or meets an error.

A post is recorded as ``sending`` before the request leaves and as ``sent`` (with the
channel's message id and a digest of what was posted) when the channel answers. A row
left ``sending`` (the poster was killed, or the answer never came) is ``unsure``: the
post may be in the channel, so it is never sent again by itself; ``masthead channels
status`` says so, and ``masthead channels resend`` sends it when a person has looked."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from masthead.api.db import Cursor, Database, now_text

SENDING, SENT, FAILED, UNSURE = "sending", "sent", "failed", "unsure"
DELETED = "deleted"  # taken back from the channel: the story is no longer published
SINCE = "channels.since."  # + channel name: when it was turned on (settings table)


@dataclass(frozen=True)
class Record:
    """What one channel was given of one story (telegram.Post is the post itself)."""

    channel: str
    story: str
    lang: str
    status: str
    message: str  # the channel's id for the post
    digest: str  # of what was posted: a change is an edit
    attempts: int
    updated: str
    detail: str

    @property
    def state(self) -> str:
        """Its status as a person reads it: a post left sending is unsure."""
        return UNSURE if self.status == SENDING else self.status


_COLUMNS = "channel, story, lang, status, message, digest, attempts, updated, detail"


def _post(row: tuple[str, ...]) -> Record:
    return Record(row[0], row[1], row[2], row[3], row[4], row[5], int(row[6]), row[7], row[8])


def posts(store: Database, channel: str | None = None) -> list[Record]:
    q = store.sql

    def work(cur: Cursor) -> list[Record]:
        if channel is None:
            cur.execute(f"SELECT {_COLUMNS} FROM channel_posts ORDER BY channel, updated")
        else:
            cur.execute(q(f"SELECT {_COLUMNS} FROM channel_posts WHERE channel = ? "
                          "ORDER BY updated"), (channel,))
        return [_post(row) for row in cur.fetchall()]

    return store.transact(work)


def find(store: Database, channel: str, story: str) -> Record | None:
    q = store.sql

    def work(cur: Cursor) -> Record | None:
        cur.execute(q(f"SELECT {_COLUMNS} FROM channel_posts WHERE channel = ? AND story = ?"),
                    (channel, story))
        row = cur.fetchone()
        return _post(row) if row else None

    return store.transact(work)


def claim(store: Database, channel: str, story: str, lang: str) -> bool:
    """Record that a post is about to be sent; False when the story already has a row
    that is not a failure (sent, or unsure: never sent twice)."""
    q = store.sql

    def work(cur: Cursor) -> bool:
        cur.execute(q("SELECT status FROM channel_posts WHERE channel = ? AND story = ?"),
                    (channel, story))
        row = cur.fetchone()
        if row is not None and row[0] != FAILED:
            return False
        if row is None:
            cur.execute(q(f"INSERT INTO channel_posts ({_COLUMNS}) VALUES "
                          "(?, ?, ?, ?, '', '', 1, ?, '')"),
                        (channel, story, lang, SENDING, now_text()))
        else:
            cur.execute(q("UPDATE channel_posts SET status = ?, attempts = attempts + 1, "
                          "updated = ? WHERE channel = ? AND story = ?"),
                        (SENDING, now_text(), channel, story))
        return True

    return store.transact(work)


def settle(cur: Cursor, sql: Callable[[str], str], channel: str, story: str, lang: str,
           status: str, message: str, digest: str, detail: str = "") -> None:
    """Set the story's row inside the caller's transaction (made if it is new): for a
    channel whose sending is queued in the same transaction (the fediverse)."""
    cur.execute(sql("UPDATE channel_posts SET status = ?, message = ?, digest = ?, "
                    "attempts = attempts + 1, updated = ?, detail = ? WHERE channel = ? "
                    "AND story = ?"),
                (status, message, digest, now_text(), detail[:500], channel, story))
    if cur.rowcount == 0:
        cur.execute(sql(f"INSERT INTO channel_posts ({_COLUMNS}) VALUES "
                        "(?, ?, ?, ?, ?, ?, 1, ?, ?)"),
                    (channel, story, lang, status, message, digest, now_text(), detail[:500]))


def record(store: Database, channel: str, story: str, status: str, detail: str = "",
           message: str | None = None, digest: str | None = None) -> None:
    """What the channel answered (``message`` and ``digest`` kept when not given)."""
    q = store.sql

    def work(cur: Cursor) -> None:
        cur.execute(q("UPDATE channel_posts SET status = ?, detail = ?, updated = ?, "
                      "message = COALESCE(?, message), digest = COALESCE(?, digest) "
                      "WHERE channel = ? AND story = ?"),
                    (status, detail[:500], now_text(), message, digest, channel, story))

    store.transact(work)


def release(store: Database, channel: str, story: str) -> bool:
    """A person looked: the unsure post is not in the channel, so it may be sent again
    (recorded as failed with that reason). False when it is not unsure."""
    q = store.sql

    def work(cur: Cursor) -> bool:
        cur.execute(q("UPDATE channel_posts SET status = ?, detail = ?, updated = ? "
                      "WHERE channel = ? AND story = ? AND status = ?"),
                    (FAILED, "not in the channel, said a person: to be sent again",
                     now_text(), channel, story, SENDING))
        return bool(cur.rowcount)

    return store.transact(work)
