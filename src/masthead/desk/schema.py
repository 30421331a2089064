"""The desk's tables, in a database of its own (``.masthead/desk.sqlite`` or a
PostgreSQL URL): accounts never share a file with what the public API serves.

Applied on every start by the API's migration runner; a new version appends one."""

from __future__ import annotations

from masthead.api.migrations import Migrations

DESK_MIGRATIONS: Migrations = [
    {  # 1: accounts, invitations, sessions, failed logins, the audit log
        "all": [
            # state: invited | active | disabled; password: an Argon2id hash ('' until the
            # invitation is taken); totp: the second factor's secret ('' until set up),
            # totp_step: the last time step accepted (a code is good once).
            "CREATE TABLE accounts (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, "
            "name TEXT NOT NULL, role TEXT NOT NULL, state TEXT NOT NULL, "
            "password TEXT NOT NULL, totp TEXT NOT NULL, totp_step BIGINT NOT NULL, "
            "created TEXT NOT NULL, invited_by TEXT NOT NULL)",
            # Tokens are kept by their SHA-256 only: a copy of the database opens nothing.
            "CREATE TABLE invitations (digest TEXT PRIMARY KEY, account TEXT NOT NULL, "
            "created TEXT NOT NULL, used TEXT NOT NULL)",
            "CREATE TABLE sessions (digest TEXT PRIMARY KEY, account TEXT NOT NULL, "
            "created TEXT NOT NULL, expires TEXT NOT NULL, verified INTEGER NOT NULL)",
            "CREATE INDEX sessions_account ON sessions (account)",
            "CREATE TABLE failures (key TEXT NOT NULL, bucket BIGINT NOT NULL, "
            "count INTEGER NOT NULL, PRIMARY KEY (key, bucket))",
        ],
        "sqlite": ["CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, "
                   "account TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, "
                   "detail TEXT NOT NULL)"],
        "postgresql": ["CREATE TABLE audit (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
                       "at TEXT NOT NULL, account TEXT NOT NULL, action TEXT NOT NULL, "
                       "target TEXT NOT NULL, detail TEXT NOT NULL)"],
    },
    {  # 2: stories in the workflow (not yet in the site's files), and who wrote each
       # story that is (a contributor may change only their own)
        "all": [
            "CREATE TABLE drafts (key TEXT PRIMARY KEY, collection TEXT NOT NULL, "
            "slug TEXT NOT NULL, path TEXT NOT NULL, raw TEXT NOT NULL, owner TEXT NOT NULL, "
            "status TEXT NOT NULL, updated TEXT NOT NULL)",
            "CREATE TABLE owners (path TEXT PRIMARY KEY, account TEXT NOT NULL)",
        ],
    },
    {  # 3: each publish (build and deploy) the desk ran: waiting, running, done, failed
        "sqlite": ["CREATE TABLE publishes (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                   "requested TEXT NOT NULL, started TEXT NOT NULL DEFAULT '', "
                   "finished TEXT NOT NULL DEFAULT '', state TEXT NOT NULL, "
                   "by_account TEXT NOT NULL, reason TEXT NOT NULL, detail TEXT NOT NULL)"],
        "postgresql": ["CREATE TABLE publishes (id BIGINT GENERATED ALWAYS AS IDENTITY "
                       "PRIMARY KEY, requested TEXT NOT NULL, started TEXT NOT NULL DEFAULT '', "
                       "finished TEXT NOT NULL DEFAULT '', state TEXT NOT NULL, "
                       "by_account TEXT NOT NULL, reason TEXT NOT NULL, detail TEXT NOT NULL)"],
    },    {  # 4: every file of a story in the workflow (one per language), the pictures sent
       # with it (published with it, not before), what each account last opened (a save
       # over someone else's newer one is a conflict), and every save kept as a revision
        "all": [
            "CREATE TABLE draft_files (key TEXT NOT NULL, path TEXT NOT NULL, "
            "raw TEXT NOT NULL, PRIMARY KEY (key, path))",
            "INSERT INTO draft_files (key, path, raw) SELECT key, path, raw FROM drafts",
            "CREATE TABLE draft_media (key TEXT NOT NULL, path TEXT NOT NULL, "
            "data TEXT NOT NULL, PRIMARY KEY (key, path))",
            "CREATE TABLE seen (account TEXT NOT NULL, path TEXT NOT NULL, "
            "version TEXT NOT NULL, PRIMARY KEY (account, path))",
        ],
        "sqlite": ["CREATE TABLE revisions (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                   "path TEXT NOT NULL, account TEXT NOT NULL, at TEXT NOT NULL, "
                   "raw TEXT NOT NULL)",
                   "CREATE INDEX revisions_path ON revisions (path, id)"],
        "postgresql": ["CREATE TABLE revisions (id BIGINT GENERATED ALWAYS AS IDENTITY "
                       "PRIMARY KEY, path TEXT NOT NULL, account TEXT NOT NULL, "
                       "at TEXT NOT NULL, raw TEXT NOT NULL)",
                       "CREATE INDEX revisions_path ON revisions (path, id)"],
    },
]
