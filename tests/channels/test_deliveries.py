"""Activities to inboxes on SQLite and PostgreSQL: queued once with the story's row,
claimed by one sender at a time, posted signed, retried after a 5xx or a 429, failed at
once after another 4xx, given up after the last try."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench.fediverse_fanout import InboxFarm
from cryptography.hazmat.primitives.asymmetric import rsa

from masthead.api import deliveries
from masthead.api.db import Cursor, Database, open_database, prepare_database
from masthead.channels import ledger
from masthead.newsletter.editions import run_async
from tests.channels.botapi import Running

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
SIGNER = deliveries.Signer(KEY, {"news": "https://outlet.example/fediverse/news.json#main-key"})
ACTIVITY = {"id": "https://outlet.example/fediverse/news/articles/a.json#create",
            "type": "Create", "object": {"id": "https://outlet.example/a.json"}}


def _store(url: str, root: Path) -> Database:
    store = open_database(url, root)
    run_async(prepare_database(store))
    return store


def _due_now(store: Database) -> None:
    """The back-off has passed (what time does for the API's housekeeping)."""
    store.transact(lambda cur: cur.execute(
        "UPDATE fediverse_deliveries SET due = '2000-01-01T00:00:00+00:00' "
        "WHERE status IN ('pending', 'sending')"))


def _statuses(store: Database) -> dict[str, str]:
    def work(cur: Cursor) -> dict[str, str]:
        cur.execute("SELECT inbox, status FROM fediverse_deliveries")
        return {str(inbox).rsplit("/", 2)[-2]: str(status) for inbox, status in cur.fetchall()}

    return store.transact(work)


def test_each_inbox_gets_an_activity_once_and_errors_are_tried_again(
        database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MASTHEAD_FEDIVERSE_PRIVATE_PEERS", "1")  # the farm is on loopback
    store = _store(database, tmp_path)
    farm_state = InboxFarm(6, KEY.public_key(), {1: [503, 503], 2: [429], 3: [410],
                                                 4: [503] * 10})
    try:
        with Running(farm_state) as farm:
            inboxes = [farm.inbox(n) for n in range(6)] * 3  # many followers, six servers

            def follow(cur: Cursor) -> None:
                for n in (0, 3):
                    cur.execute(store.sql("INSERT INTO fediverse_followers (account, actor, "
                                          "inbox, followed) VALUES ('news', ?, ?, 'then')"),
                                (f"h{n}", farm.inbox(n)))

            def followed(cur: Cursor) -> list[str]:
                cur.execute("SELECT actor FROM fediverse_followers ORDER BY actor")
                return [str(row[0]) for row in cur.fetchall()]

            store.transact(follow)

            def queue(cur: Cursor) -> int:
                ledger.settle(cur, store.sql, "fediverse-en", "a", "en", ledger.SENT,
                              ACTIVITY["id"], "d1")
                return deliveries.queue(cur, store.sql, ACTIVITY, "news", inboxes)

            assert store.transact(queue) == 6
            assert store.transact(queue) == 0  # queued once, however often it is asked
            first = deliveries.deliver(store, SIGNER)
            assert (first.sent, first.retried, first.failed) == (2, 3, 1)
            assert _statuses(store) == {"s0": "sent", "s1": "pending", "s2": "pending",
                                        "s3": "failed", "s4": "pending", "s5": "sent"}
            assert store.transact(followed) == ["h0"]  # s3 answered 410 Gone
            assert deliveries.deliver(store, SIGNER).sent == 0  # not due yet: waits
            for _ in range(len(deliveries.BACKOFF)):
                _due_now(store)
                deliveries.deliver(store, SIGNER)
            assert _statuses(store) == {"s0": "sent", "s1": "sent", "s2": "sent",
                                        "s3": "failed", "s4": "failed", "s5": "sent"}
            assert {n: len(ids) for n, ids in farm.received.items()} == {
                0: 1, 1: 1, 2: 1, 5: 1}
            assert farm.refused == 0
            progress = deliveries.progress(store, [ACTIVITY["id"]])[ACTIVITY["id"]]
            assert (progress.sent, progress.waiting, progress.failed) == (4, 0, 2)
    finally:
        run_async(store.close())
