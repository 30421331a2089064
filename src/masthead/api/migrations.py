"""Schema migrations, applied in order on every start of ``masthead api``.

Each migration runs once, recorded in ``schema_migrations``; a new version appends
one. The statements are the same on SQLite and PostgreSQL except where a dialect
needs its own spelling (an auto-numbered key).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

MIGRATIONS: list[dict[str, list[str]]] = [
    {  # 1: views, newsletter, contact messages, settings
        "all": [
            "CREATE TABLE view_counts (path TEXT PRIMARY KEY, views BIGINT NOT NULL)",
            "CREATE TABLE view_ids (id TEXT PRIMARY KEY, path TEXT NOT NULL, seen TEXT NOT NULL)",
            "CREATE INDEX view_ids_seen ON view_ids (seen)",
            "CREATE TABLE subscribers (email TEXT PRIMARY KEY, status TEXT NOT NULL, "
            "nonce TEXT NOT NULL, created TEXT NOT NULL, confirmed TEXT NOT NULL)",
            "CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
        ],
        "sqlite": ["CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                   "received TEXT NOT NULL, name TEXT NOT NULL, email TEXT NOT NULL, "
                   "message TEXT NOT NULL)"],
        "postgresql": ["CREATE TABLE messages (id BIGINT GENERATED ALWAYS AS IDENTITY "
                       "PRIMARY KEY, received TEXT NOT NULL, name TEXT NOT NULL, "
                       "email TEXT NOT NULL, message TEXT NOT NULL)"],
    },
    {  # 2: the newsletter: each subscriber's language, each newsletter and its deliveries
        "all": [
            "ALTER TABLE subscribers ADD COLUMN lang TEXT NOT NULL DEFAULT ''",
            "CREATE TABLE newsletters (id TEXT PRIMARY KEY, kind TEXT NOT NULL, "
            "subject TEXT NOT NULL, stories TEXT NOT NULL, created TEXT NOT NULL, "
            "finished TEXT NOT NULL)",
            "CREATE TABLE deliveries (newsletter TEXT NOT NULL, email TEXT NOT NULL, "
            "lang TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL, "
            "updated TEXT NOT NULL, detail TEXT NOT NULL, PRIMARY KEY (newsletter, email))",
            "CREATE INDEX deliveries_status ON deliveries (newsletter, status)",
        ],
    },
    {  # 3: limits every process shares (keys are keyed hashes, never addresses)
        "all": [
            "CREATE TABLE limits (key TEXT NOT NULL, bucket BIGINT NOT NULL, "
            "hits INTEGER NOT NULL, PRIMARY KEY (key, bucket))",
        ],
    },
    {  # 4: when each contact message was forwarded ('' while it still has to be); the
       # messages stored before count as handled
        "all": ["ALTER TABLE messages ADD COLUMN forwarded TEXT NOT NULL DEFAULT 'before'"],
    },
    {  # 5: links in emails by the digest of their random token (see api/links.py)
        "all": [
            "CREATE TABLE links (digest TEXT PRIMARY KEY, email TEXT NOT NULL, "
            "kind TEXT NOT NULL, created TEXT NOT NULL)",
            "CREATE INDEX links_email ON links (email, kind)",
        ],
    },
    {  # 6: confirmation mails waiting to be sent: '' (waiting), 'claimed <time>', 'sent
       # <time>'; a worker of the API sends them, so a slow mail server holds no request
        "sqlite": ["CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                   "email TEXT NOT NULL, lang TEXT NOT NULL, created TEXT NOT NULL, "
                   "state TEXT NOT NULL)", "CREATE INDEX outbox_state ON outbox (state, id)"],
        "postgresql": ["CREATE TABLE outbox (id BIGINT GENERATED ALWAYS AS IDENTITY "
                       "PRIMARY KEY, email TEXT NOT NULL, lang TEXT NOT NULL, "
                       "created TEXT NOT NULL, state TEXT NOT NULL)",
                       "CREATE INDEX outbox_state ON outbox (state, id)"],
    },
    {  # 7: each story's post in each channel (channels/ledger.py): what was posted, where
        "all": [
            "CREATE TABLE channel_posts (channel TEXT NOT NULL, story TEXT NOT NULL, "
            "lang TEXT NOT NULL, status TEXT NOT NULL, message TEXT NOT NULL, "
            "digest TEXT NOT NULL, attempts INTEGER NOT NULL, updated TEXT NOT NULL, "
            "detail TEXT NOT NULL, PRIMARY KEY (channel, story))",
        ],
    },
    {  # 8: the fediverse (api/features/fediverse.py, api/deliveries.py): who follows each
       # account, the keys of the servers that wrote, replies and likes by story, and
       # each activity's delivery to each inbox
        "all": [
            "CREATE TABLE fediverse_followers (account TEXT NOT NULL, actor TEXT NOT NULL, "
            "inbox TEXT NOT NULL, followed TEXT NOT NULL, PRIMARY KEY (account, actor))",
            "CREATE TABLE fediverse_keys (id TEXT PRIMARY KEY, owner TEXT NOT NULL, "
            "pem TEXT NOT NULL, inbox TEXT NOT NULL, fetched TEXT NOT NULL)",
            "CREATE TABLE fediverse_reactions (id TEXT PRIMARY KEY, kind TEXT NOT NULL, "
            "path TEXT NOT NULL, actor TEXT NOT NULL, created TEXT NOT NULL)",
            "CREATE INDEX fediverse_reactions_path ON fediverse_reactions (path, kind)",
            "CREATE TABLE fediverse_activities (id TEXT PRIMARY KEY, account TEXT NOT NULL, "
            "body TEXT NOT NULL, created TEXT NOT NULL)",
            "CREATE TABLE fediverse_deliveries (activity TEXT NOT NULL, inbox TEXT NOT NULL, "
            "status TEXT NOT NULL, attempts INTEGER NOT NULL, due TEXT NOT NULL, "
            "updated TEXT NOT NULL, detail TEXT NOT NULL, PRIMARY KEY (activity, inbox))",
            "CREATE INDEX fediverse_deliveries_due ON fediverse_deliveries (status, due)",
        ],
    },
]


Migrations = list[dict[str, list[str]]]


def apply_migrations(cur: Any, dialect: str, sql: Callable[[str], str],
                     migrations: Migrations | None = None) -> int:
    """Apply what is missing inside the caller's transaction; return the version.
    ``migrations``: another database's list (the desk keeps its own database)."""
    if dialect == "postgresql":
        cur.execute("SELECT pg_advisory_xact_lock(727274)")  # one starter migrates at once
    cur.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                "applied TEXT NOT NULL)")
    cur.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
    current = int(cur.fetchone()[0])
    for version, steps in enumerate(MIGRATIONS if migrations is None else migrations,
                                    start=1):
        if version <= current:
            continue
        for statement in [*steps.get("all", []), *steps.get(dialect, [])]:
            cur.execute(statement)
        cur.execute(sql("INSERT INTO schema_migrations (version, applied) VALUES (?, ?)"),
                    (version, dt.datetime.now(dt.UTC).isoformat(timespec="seconds")))
        current = version
    return current
