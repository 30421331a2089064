"""Stories delivered to the followers of the site's fediverse accounts.

The build made each story an Article (``emit/activitypub.py``); here each new one is
wrapped in a ``Create`` and queued, in one transaction with the story's row in the
channels' ledger, for every inbox the account's followers are behind (one per
server: its shared inbox). A story changed since it was delivered goes out as an
``Update``; a story no longer published, as a ``Delete``. ``api/deliveries.py`` posts
them, signed, once per inbox, and the API's housekeeping retries what failed."""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import orjson

from masthead.api.db import Cursor, Database
from masthead.api.deliveries import Delivered, Signer, deliver, progress, queue
from masthead.channels import ledger
from masthead.config import ChannelConfig, SiteConfig
from masthead.emit.activitypub import (
    Account,
    FediverseKeyError,
    accounts_of,
    create_of,
    delete_of,
    private_key,
)

Say = Callable[[str], None]


def signer_of(config: SiteConfig) -> Signer:
    """Raises FediverseKeyError when the key is not there (the site was never built)."""
    return Signer(private_key(config), {a.name: a.key_id for a in accounts_of(config)})


def _inboxes(cur: Cursor, sql: Callable[[str], str], account: str) -> list[str]:
    cur.execute(sql("SELECT DISTINCT inbox FROM fediverse_followers WHERE account = ? "
                    "ORDER BY inbox"), (account,))
    return [str(row[0]) for row in cur.fetchall()]


@dataclass(frozen=True)
class Card:
    """A story as a follower's Mastodon shows an Article: its name, its summary and its
    address, the links made clickable, and the picture."""

    account: str  # the account's display name (the site's title)
    handle: str
    name: str
    summary: str
    url: str
    image: str

    @property
    def text(self) -> str:
        return "\n\n".join(p for p in (self.name, self.summary, self.url) if p)

    @property
    def html(self) -> str:
        """The text as Mastodon renders it: escaped, each address a link."""
        def link(found: re.Match[str]) -> str:
            return f'<a href="{found.group(0)}">{found.group(0)}</a>'

        return "".join(f"<p>{_LINK.sub(link, html.escape(p))}</p>".replace("\n", "<br>")
                       for p in self.text.split("\n\n"))


_LINK = re.compile(r"https?://[^\s<>\"]+")


class FediversePoster:
    """One account's stories, queued and delivered."""

    def __init__(self, config: SiteConfig, channel: ChannelConfig,
                 output: Path | None = None) -> None:
        self.config = config
        self.channel = channel
        self.account = Account(config, channel)
        self.output = output or config.output_dir

    def problem(self) -> str:
        try:
            private_key(self.config)
        except FediverseKeyError as exc:
            return str(exc)
        if not (self.output / self.account.actor_file).exists():
            return (f"the build output {self.output} has no {self.account.actor_file}: "
                    "build the site first")
        return ""

    def article(self, slug: str) -> tuple[dict[str, object], str] | None:
        path: Path = self.output / self.account.article_file(slug)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        return orjson.loads(data), hashlib.sha256(data).hexdigest()[:32]

    def card(self, slug: str) -> Card | None:
        """The story's Article as a follower sees it (None: the build has none)."""
        found = self.article(slug)
        if found is None:
            return None
        doc = found[0]
        image = doc.get("image")
        return Card(self.config.title, self.account.handle, str(doc.get("name", "")),
                    str(doc.get("summary", "")), str(doc.get("url", "")),
                    str(image.get("url", "")) if isinstance(image, dict) else "")

    def queue_story(self, store: Database, slug: str) -> tuple[str, str] | None:
        """Queue what ``slug`` needs (Create, or Update when it changed): (state, detail),
        or None when the followers already have it as it is."""
        found = self.article(slug)
        if found is None:
            return ledger.FAILED, (f"the build output has no Article for it "
                                   f"({self.account.article_file(slug)}): build the site")
        doc, digest = found
        known = ledger.find(store, self.channel.name, slug)
        if known is not None and known.status == ledger.SENT:
            if known.digest == digest:
                return None
            activity = create_of(self.account, doc, "Update", f"update-{digest[:16]}")
            state = "edited"
        elif known is not None and known.status == ledger.DELETED:  # published again
            activity = create_of(self.account, doc, suffix=f"create-{digest[:16]}")
            state = ledger.SENT
        else:
            activity = create_of(self.account, doc)
            state = ledger.SENT
        return state, self._queue(store, slug, activity, ledger.SENT, digest)

    def _queue(self, store: Database, slug: str, activity: dict[str, object], status: str,
               digest: str) -> str:
        q = store.sql
        name, lang = self.account.name, self.channel.language

        def work(cur: Cursor) -> int:
            inboxes = _inboxes(cur, q, name)
            ledger.settle(cur, q, self.channel.name, slug, lang, status, str(activity["id"]),
                          digest)
            return queue(cur, q, activity, name, inboxes)

        count = store.transact(work)
        return f"{activity['type']} queued for {count} inboxes"

    def withdraw(self, store: Database) -> list[tuple[str, str]]:
        """Delete, on the followers' servers, the stories delivered before that the
        build no longer publishes (only when this output was built with the account)."""
        if not (self.output / self.account.outbox_file).exists():
            return []
        gone = []
        for record in ledger.posts(store, self.channel.name):
            if record.status == ledger.SENT and self.article(record.story) is None:
                activity = delete_of(self.account, self.account.article(record.story))
                gone.append((record.story, self._queue(store, record.story, activity,
                                                       ledger.DELETED, "")))
        return gone


def deliver_all(config: SiteConfig, store: Database, say: Say | None) -> Delivered:
    """Post what is due for every account (the rest is retried by the API)."""
    return deliver(store, signer_of(config), say)


def delivery_summary(store: Database, records: list[ledger.Record]) -> dict[str, str]:
    """``story -> "delivered to 98 of 100 inboxes, 2 waiting"`` for the stories' last
    activities."""
    found = progress(store, [r.message for r in records if r.message])
    said = {}
    for record in records:
        where = found.get(record.message)
        if where is None:
            continue
        total = where.sent + where.waiting + where.failed
        parts = [f"delivered to {where.sent} of {total} inboxes"]
        if where.waiting:
            parts.append(f"{where.waiting} to try again")
        if where.failed:
            parts.append(f"{where.failed} failed")
        said[record.story] = ", ".join(parts)
    return said
