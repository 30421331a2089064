"""The newsletter's records in the API's database: newsletters, their deliveries, and
each subscriber's state. Every function is one transaction, safe from any thread."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from masthead.api import links
from masthead.api.db import Cursor, Database, now_text

PENDING, ACCEPTED, DEFERRED, BOUNCED, SKIPPED, UNCERTAIN = (
    "pending", "accepted", "deferred", "bounced", "skipped", "uncertain")
# Uncertain: the whole message went out and the server never answered (or the sender
# died before it could hear the answer). Sent again, since only a 250 makes it the
# server's.
STATUSES = (ACCEPTED, UNCERTAIN, PENDING, DEFERRED, BOUNCED, SKIPPED)
_OPEN = "('pending', 'deferred', 'uncertain')"  # what a send still has to do


@dataclass(frozen=True)
class Edition:
    """One newsletter: a story (``story:SLUG``) or a digest, and what it carries."""

    id: str
    kind: str  # story | digest
    stories: tuple[str, ...]  # slugs
    created: str
    finished: str


def find(store: Database, newsletter: str) -> Edition | None:
    q = store.sql

    def work(cur: Cursor) -> Edition | None:
        cur.execute(q("SELECT id, kind, stories, created, finished FROM newsletters "
                      "WHERE id = ?"), (newsletter,))
        row = cur.fetchone()
        return _edition(row) if row else None

    return store.transact(work)


def unfinished(store: Database, kind: str) -> Edition | None:
    """The newest newsletter of ``kind`` whose sending has not finished."""
    q = store.sql

    def work(cur: Cursor) -> Edition | None:
        cur.execute(q("SELECT id, kind, stories, created, finished FROM newsletters "
                      "WHERE kind = ? AND finished = '' ORDER BY created DESC, id DESC"),
                    (kind,))
        row = cur.fetchone()
        return _edition(row) if row else None

    return store.transact(work)


def editions(store: Database) -> list[Edition]:
    def work(cur: Cursor) -> list[Edition]:
        cur.execute("SELECT id, kind, stories, created, finished FROM newsletters "
                    "ORDER BY created, id")
        return [_edition(row) for row in cur.fetchall()]

    return store.transact(work)


def _edition(row: tuple[str, str, str, str, str]) -> Edition:
    return Edition(row[0], row[1], tuple(json.loads(row[2])), row[3], row[4])


def create(store: Database, newsletter: str, kind: str, subject: str,
           stories: list[str]) -> Edition:
    """The newsletter and one pending delivery per confirmed subscriber, in one
    transaction: whoever confirms later is not part of it."""
    q = store.sql
    created = now_text()

    def work(cur: Cursor) -> Edition:
        cur.execute(q("INSERT INTO newsletters (id, kind, subject, stories, created, finished)"
                      " VALUES (?, ?, ?, ?, ?, '')"),
                    (newsletter, kind, subject, json.dumps(stories), created))
        cur.execute(q("INSERT INTO deliveries (newsletter, email, lang, status, attempts, "
                      "updated, detail) SELECT ?, email, lang, 'pending', 0, ?, '' "
                      "FROM subscribers WHERE status = 'confirmed'"), (newsletter, created))
        return Edition(newsletter, kind, tuple(stories), created, "")

    return store.transact(work)


def to_send(store: Database, newsletter: str) -> list[tuple[str, str, int]]:
    """(email, language, attempts) of every delivery not yet accepted or given up (the
    uncertain ones too), after skipping those whose subscriber left (or bounced) since
    the newsletter was made."""
    q = store.sql

    def work(cur: Cursor) -> list[tuple[str, str, int]]:
        cur.execute(q("UPDATE deliveries SET status = 'skipped', updated = ? "
                      f"WHERE newsletter = ? AND status IN {_OPEN} AND "
                      "email NOT IN (SELECT email FROM subscribers WHERE status = 'confirmed')"),
                    (now_text(), newsletter))
        cur.execute(q("SELECT email, lang, attempts FROM deliveries WHERE newsletter = ? AND "
                      f"status IN {_OPEN} ORDER BY email"), (newsletter,))
        return [(row[0], row[1], int(row[2])) for row in cur.fetchall()]

    return store.transact(work)


def still_subscribed(store: Database, email: str) -> bool:
    q = store.sql

    def work(cur: Cursor) -> bool:
        cur.execute(q("SELECT status FROM subscribers WHERE email = ?"), (email,))
        row = cur.fetchone()
        return bool(row and row[0] == "confirmed")

    return store.transact(work)


def mark(store: Database, newsletter: str, email: str, status: str, detail: str = "",
         then: Callable[[], None] | None = None, link: str = "") -> None:
    """Record what happened to one delivery; a bounce also marks the subscriber, who is
    never mailed again. ``link``: the digest of the message's unsubscribe token, valid
    from the moment the message is recorded. ``then`` runs right after the commit, on
    the same thread."""
    q = store.sql

    def work(cur: Cursor) -> None:
        cur.execute(q("UPDATE deliveries SET status = ?, attempts = attempts + ?, updated = ?, "
                      "detail = ? WHERE newsletter = ? AND email = ?"),
                    (status, 0 if status == ACCEPTED else 1, now_text(), detail[:500],
                     newsletter, email))
        if status == BOUNCED:
            cur.execute(q("UPDATE subscribers SET status = 'bounced' WHERE email = ?"),
                        (email,))
        if link:
            cur.execute(q("INSERT INTO links (digest, email, kind, created) VALUES (?, ?, ?, ?)"),
                        (link, email, links.LEAVE, now_text()))

    store.transact(work, then)


def finish(store: Database, newsletter: str) -> None:
    q = store.sql

    def work(cur: Cursor) -> None:
        cur.execute(q("UPDATE newsletters SET finished = ? WHERE id = ?"),
                    (now_text(), newsletter))

    store.transact(work)


def counts(store: Database, newsletter: str) -> dict[str, int]:
    q = store.sql

    def work(cur: Cursor) -> dict[str, int]:
        cur.execute(q("SELECT status, COUNT(*) FROM deliveries WHERE newsletter = ? "
                      "GROUP BY status"), (newsletter,))
        found = {status: 0 for status in STATUSES}
        found.update({row[0]: int(row[1]) for row in cur.fetchall()})
        return found

    return store.transact(work)


def setting(store: Database, name: str, default: str = "") -> str:
    """A value kept in the API's settings table (set once when ``default`` is given)."""
    q = store.sql

    def work(cur: Cursor) -> str:
        if default:
            cur.execute(q("INSERT INTO settings (name, value) VALUES (?, ?) "
                          "ON CONFLICT (name) DO NOTHING"), (name, default))
        cur.execute(q("SELECT value FROM settings WHERE name = ?"), (name,))
        row = cur.fetchone()
        return str(row[0]) if row else ""

    return store.transact(work)


def set_setting(store: Database, name: str, value: str) -> None:
    q = store.sql

    def work(cur: Cursor) -> None:
        cur.execute(q("INSERT INTO settings (name, value) VALUES (?, ?) "
                      "ON CONFLICT (name) DO UPDATE SET value = excluded.value"), (name, value))

    store.transact(work)
