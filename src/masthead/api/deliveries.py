"""Activities delivered to fediverse inboxes: each once per inbox, signed, retried.

An activity (a story's Create, Update or Delete; an Accept of a Follow) is stored with
one row per inbox in the same transaction as whatever decided to send it, so a kill
at any moment leaves it either wholly queued or not at all. A sender claims the rows
that are due, posts each signed, and records the answer: 2xx is sent; a 429, a 5xx, a
timeout or a refused connection is tried again later (1 min, 5 min, 30 min, 2 h, 6 h,
12 h; a Retry-After is honoured), and after the last try it is failed; any other 4xx
is failed at once (the inbox will never take it), and a 410 Gone also forgets the
followers behind that inbox. A row claimed by a sender that was
killed is due again after ``LEASE``: the inbox may then get the activity twice, which
it recognises by the activity's id (every server does: ids are how they deduplicate).

Many followers share one server and the server's shared inbox: a story goes once to
each inbox, however many followers are behind it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from cryptography.hazmat.primitives.asymmetric import rsa

from masthead.api.db import Cursor, Database, now_text
from masthead.api.signatures import peer_allowed, signed_headers

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
BACKOFF = (60, 300, 1800, 7200, 21600, 43200)  # seconds before each next try
LEASE = 300  # a row claimed this long ago by a sender that is gone is due again
POST_TIMEOUT = 15.0
WORKERS = 16  # inboxes posted to at once (each a different server)
BATCH = 200
GONE = "answered 410"  # an inbox that is gone: its followers are forgotten

Say = Callable[[str], None]


@dataclass(frozen=True)
class Signer:
    """The site's key and each account's key id (``account name -> key id``)."""

    key: rsa.RSAPrivateKey
    key_ids: dict[str, str]


@dataclass
class Delivered:
    """What one run of the sender did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (f"fediverse: delivered {self.sent}, to try again {self.retried}, "
                f"failed {self.failed}")


def _at(seconds: float) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)).isoformat(
        timespec="seconds")


def queue(cur: Cursor, sql: Callable[[str], str], activity: dict[str, Any], account: str,
          inboxes: Iterable[str]) -> int:
    """Store ``activity`` and a delivery to each inbox, inside the caller's transaction;
    the number of deliveries queued (an activity already queued adds none)."""
    cur.execute(sql("INSERT INTO fediverse_activities (id, account, body, created) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING"),
                (activity["id"], account, orjson.dumps(activity).decode(), now_text()))
    if cur.rowcount != 1:
        return 0
    count = 0
    now = now_text()
    for inbox in dict.fromkeys(inboxes):
        cur.execute(sql("INSERT INTO fediverse_deliveries (activity, inbox, status, "
                        "attempts, due, updated, detail) VALUES (?, ?, ?, 0, ?, ?, '')"),
                    (activity["id"], inbox, PENDING, now, now))
        count += 1
    return count


@dataclass(frozen=True)
class _Due:
    activity: str
    inbox: str
    account: str
    body: str
    attempts: int


def _claim(store: Database, limit: int) -> list[_Due]:
    """Take the deliveries that are due (each by one sender only)."""
    q = store.sql

    def work(cur: Cursor) -> list[_Due]:
        now = now_text()
        cur.execute(q("SELECT d.activity, d.inbox, a.account, a.body, d.attempts, d.status, "
                      "d.due FROM fediverse_deliveries d JOIN fediverse_activities a ON "
                      "a.id = d.activity WHERE d.status IN (?, ?) AND d.due <= ? "
                      "ORDER BY d.due LIMIT ?"), (PENDING, SENDING, now, limit))
        taken = []
        for activity, inbox, account, body, attempts, status, due in cur.fetchall():
            cur.execute(q("UPDATE fediverse_deliveries SET status = ?, attempts = attempts "
                          "+ 1, due = ?, updated = ? WHERE activity = ? AND inbox = ? AND "
                          "status = ? AND due = ?"),
                        (SENDING, _at(LEASE), now, activity, inbox, status, due))
            if cur.rowcount == 1:
                taken.append(_Due(activity, inbox, account, body, int(attempts) + 1))
        return taken

    return store.transact(work)


def _post(client: httpx.Client, signer: Signer, due: _Due) -> tuple[str, float, str]:
    """(status, seconds until the next try, detail) for one delivery."""
    problem = peer_allowed(due.inbox)
    if problem:
        return FAILED, 0, f"not delivered: {problem}"
    key_id = signer.key_ids.get(due.account)
    if key_id is None:
        return FAILED, 0, f"the account {due.account!r} is no longer in the settings"
    body = due.body.encode()
    headers = signed_headers(signer.key, key_id, "POST", due.inbox, body)
    try:
        response = client.post(due.inbox, content=body, headers=headers,
                               timeout=POST_TIMEOUT, follow_redirects=False)
    except httpx.HTTPError as exc:
        return PENDING, 0, f"{type(exc).__name__}"
    code = response.status_code
    if 200 <= code < 300:
        return SENT, 0, str(code)
    if code in (408, 429) or code >= 500:
        after = response.headers.get("retry-after", "")
        wait = float(after) if after.isdigit() else 0.0
        return PENDING, min(wait, BACKOFF[-1]), f"answered {code}"
    return FAILED, 0, f"answered {code}: {response.text[:200]!r}"


def _record(store: Database, due: _Due, status: str, wait: float, detail: str) -> str:
    q = store.sql
    if status == PENDING:
        if due.attempts > len(BACKOFF):
            status, detail = FAILED, f"gave up after {due.attempts} tries: {detail}"
        else:
            wait = max(wait, BACKOFF[due.attempts - 1])

    def work(cur: Cursor) -> None:
        cur.execute(q("UPDATE fediverse_deliveries SET status = ?, due = ?, updated = ?, "
                      "detail = ? WHERE activity = ? AND inbox = ?"),
                    (status, _at(wait), now_text(), detail[:300], due.activity, due.inbox))
        if detail.startswith(GONE):  # the server says the inbox is gone for good
            cur.execute(q("DELETE FROM fediverse_followers WHERE inbox = ?"), (due.inbox,))

    store.transact(work)
    return status


def deliver(store: Database, signer: Signer, say: Say | None = None,
            client: httpx.Client | None = None) -> Delivered:
    """Post every delivery that is due, ``WORKERS`` at once, until none is left."""
    done = Delivered()
    own = client is None
    client = client or httpx.Client(http2=False, limits=httpx.Limits(
        max_connections=WORKERS * 2, max_keepalive_connections=WORKERS * 2))
    try:
        with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="deliver") as pool:
            while batch := _claim(store, BATCH):
                posting = {pool.submit(_post, client, signer, due): due for due in batch}
                for answered in as_completed(posting):  # each recorded as it is answered
                    due = posting[answered]
                    status, wait, detail = answered.result()
                    final = _record(store, due, status, wait, detail)
                    if final == SENT:
                        done.sent += 1
                    elif final == PENDING:
                        done.retried += 1
                    else:
                        done.failed += 1
                        done.problems.append(f"{due.inbox}: {detail}")
                if say is not None:
                    say(done.line())
    finally:
        if own:
            client.close()
    return done


@dataclass(frozen=True)
class Progress:
    """Where one activity's deliveries are."""

    sent: int
    waiting: int
    failed: int


def progress(store: Database, activity_ids: Iterable[str]) -> dict[str, Progress]:
    ids = list(activity_ids)
    if not ids:
        return {}
    q = store.sql

    def work(cur: Cursor) -> dict[str, Progress]:
        marks = ", ".join("?" for _ in ids)
        cur.execute(q(f"SELECT activity, status, COUNT(*) FROM fediverse_deliveries WHERE "
                      f"activity IN ({marks}) GROUP BY activity, status"), tuple(ids))
        counts: dict[str, dict[str, int]] = {}
        for activity, status, count in cur.fetchall():
            counts.setdefault(activity, {})[status] = int(count)
        return {a: Progress(c.get(SENT, 0), c.get(PENDING, 0) + c.get(SENDING, 0),
                            c.get(FAILED, 0)) for a, c in counts.items()}

    return store.transact(work)
