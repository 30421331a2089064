"""The channels' ledger on SQLite and PostgreSQL: a story is claimed once, a failure may
be claimed again, a post left sending is unsure until a person releases it."""

from __future__ import annotations

from pathlib import Path

from masthead.api.db import Database, open_database, prepare_database
from masthead.channels import ledger
from masthead.newsletter.editions import run_async


def _store(url: str, root: Path) -> Database:
    store = open_database(url, root)
    run_async(prepare_database(store))
    return store


def test_a_story_is_claimed_once_and_an_unsure_post_waits_for_a_person(
        database: str, tmp_path: Path) -> None:
    store = _store(database, tmp_path)
    try:
        assert ledger.claim(store, "telegram-ru", "radio", "ru")
        assert not ledger.claim(store, "telegram-ru", "radio", "ru")  # in flight: never twice
        assert ledger.claim(store, "telegram-en", "radio", "en")  # another channel: its own
        ledger.record(store, "telegram-en", "radio", ledger.FAILED, "403: not an admin")
        assert ledger.claim(store, "telegram-en", "radio", "en")  # a failure is tried again
        ledger.record(store, "telegram-en", "radio", ledger.SENT, "", message="17",
                      digest="abc")
        sent = ledger.find(store, "telegram-en", "radio")
        assert sent is not None and (sent.state, sent.message, sent.attempts) == (
            "sent", "17", 2)
        assert not ledger.claim(store, "telegram-en", "radio", "en")
        unsure = ledger.find(store, "telegram-ru", "radio")
        assert unsure is not None and unsure.state == ledger.UNSURE
        assert not ledger.release(store, "telegram-en", "radio")  # sent: nothing to release
        assert ledger.release(store, "telegram-ru", "radio")
        assert ledger.claim(store, "telegram-ru", "radio", "ru")
        assert [p.story for p in ledger.posts(store, "telegram-ru")] == ["radio"]
    finally:
        run_async(store.close())
