"""Posting the stories that became public to every channel, each once; and what each
channel has and still lacks.

Called after a verified ``masthead deploy`` and after each publish at the desk (never by
a build). The first time a channel is seen its time is kept (``channels.since.NAME``):
only stories published after it are posted, so adding a channel to a site with an
archive posts nothing from the archive. One poster runs at a time per database."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from masthead.api.db import Database
from masthead.channels import ledger
from masthead.channels.fediverse import FediversePoster, deliver_all, delivery_summary
from masthead.channels.telegram import BotApi, ChannelError, Post, compose
from masthead.config import ChannelConfig, SiteConfig
from masthead.emit.activitypub import mirror_of
from masthead.i18n import load_strings
from masthead.newsletter import ledger as settings
from masthead.newsletter.stories import SiteStories

Say = Callable[[str], None]
PENDING = "pending"


class ChannelsError(Exception):
    """Posting cannot start (the database cannot be opened)."""


@dataclass(frozen=True)
class Outcome:
    """What happened to one story in one channel."""

    channel: str
    story: str
    state: str  # sent | edited | failed | unsure | skipped
    detail: str = ""

    def line(self) -> str:
        return f"{self.channel}: {self.story}: {self.state}" + (
            f" ({self.detail})" if self.detail else "")


class Channels:
    """The site's channels, the stories they are owed, and the posts made of them."""

    def __init__(self, config: SiteConfig, stories: SiteStories | None = None,
                 output: Path | None = None) -> None:
        self.config = config
        self.output = output  # the build the fediverse's Articles come from
        self.stories = stories or SiteStories(config)
        self.strings = load_strings(config.root, self.stories.languages)

    def post_of(self, channel: ChannelConfig, slug: str) -> Post:
        """The story as ``channel`` shows it."""
        story = self.stories.story(slug, channel.language)
        t = self.strings.get(channel.language)
        read = t("email_read_on_site") if t else "Read it on the site"
        blocked = t("channel_blocked") if t else "Blocked? The same story at"
        return compose(story.title, story.description, story.url, story.image, read,
                       blocked, mirror_of(self.config, story.url))

    def owed(self, store: Database, channel: ChannelConfig, now: dt.datetime) -> list[str]:
        """The stories in the channel's language published since it was turned on."""
        since = _parse(settings.setting(store, ledger.SINCE + channel.name,
                                        now.isoformat(timespec="seconds")))
        return [slug for slug in self.stories.published_since(since)
                if self.stories.has(slug, channel.language)]

    def problem(self, channel: ChannelConfig) -> str:
        """Why ``channel`` cannot be posted to now ('' when it can)."""
        if channel.language not in self.stories.languages:
            return (f"its language {channel.language!r} is not one of the site's "
                    f"({', '.join(self.stories.languages)})")
        if channel.kind == "fediverse":
            return FediversePoster(self.config, channel, self.output).problem()
        if not os.environ.get(channel.token_env, "").strip():
            return (f"the bot's token is not set: put it in the environment variable "
                    f"{channel.token_env}")
        return ""

    def post(self, store: Database, say: Say, now: dt.datetime | None = None
             ) -> list[Outcome]:
        """Post what each channel is owed, and edit what changed since it was posted."""
        now = now or dt.datetime.now(dt.UTC)
        outcomes: list[Outcome] = []
        for channel in self.config.channels:
            owed = self.owed(store, channel, now)
            problem = self.problem(channel) if owed else ""
            if problem:
                outcomes += [Outcome(channel.name, slug, ledger.FAILED, problem)
                             for slug in owed]
                continue
            if channel.kind == "fediverse":
                outcomes += self._fediverse(store, channel, owed, say)
                continue
            api = BotApi(channel.api, os.environ.get(channel.token_env, "").strip(), say)
            try:
                for slug in owed:
                    outcome = self._one(store, api, channel, slug)
                    if outcome is not None:
                        say(outcome.line())
                        outcomes.append(outcome)
                for outcome in self._withdraw(store, api, channel):
                    say(outcome.line())
                    outcomes.append(outcome)
            finally:
                api.close()
        if any(c.kind == "fediverse" and not self.problem(c) for c in self.config.channels):
            # what was queued now, and what is due again of what failed before
            delivered = deliver_all(self.config, store, None)
            if delivered.sent or delivered.retried or delivered.failed:
                say(delivered.line())
        return outcomes

    def _fediverse(self, store: Database, channel: ChannelConfig, owed: list[str],
                   say: Say) -> list[Outcome]:
        """Queue each owed story's Create (or Update), and each withdrawn story's Delete,
        for the account's followers; delivered after every channel is done."""
        poster = FediversePoster(self.config, channel, self.output)
        outcomes = []
        for slug in owed:
            queued = poster.queue_story(store, slug)
            if queued is not None:
                outcomes.append(Outcome(channel.name, slug, *queued))
                say(outcomes[-1].line())
        for slug, detail in poster.withdraw(store):
            outcomes.append(Outcome(channel.name, slug, ledger.DELETED, detail))
            say(outcomes[-1].line())
        return outcomes

    def _one(self, store: Database, api: BotApi, channel: ChannelConfig,
             slug: str) -> Outcome | None:
        post = self.post_of(channel, slug)
        digest = hashlib.sha256(f"{post.photo}\n{post.html}".encode()).hexdigest()[:32]
        known = ledger.find(store, channel.name, slug)
        if known is not None and known.status == ledger.SENT:
            if known.digest == digest:
                return None
            try:  # the story changed since it was posted
                api.edit(channel.chat, known.message, post)
            except ChannelError as exc:
                if "message is not modified" in str(exc):
                    ledger.record(store, channel.name, slug, ledger.SENT, digest=digest)
                    return None
                ledger.record(store, channel.name, slug, ledger.SENT,
                              f"not edited: {exc}")
                return Outcome(channel.name, slug, "failed", f"not edited: {exc}")
            ledger.record(store, channel.name, slug, ledger.SENT, "edited", digest=digest)
            return Outcome(channel.name, slug, "edited")
        if known is not None and known.status == ledger.SENDING:
            return Outcome(channel.name, slug, ledger.UNSURE, known.detail or (
                "the poster stopped before the channel answered"))
        if not ledger.claim(store, channel.name, slug, channel.language):
            return None  # another poster has it
        try:
            message = api.post(channel.chat, post)
        except ChannelError as exc:
            if exc.unsure:  # stays "sending": never sent again by itself
                ledger.record(store, channel.name, slug, ledger.SENDING, str(exc))
                return Outcome(channel.name, slug, ledger.UNSURE, str(exc))
            ledger.record(store, channel.name, slug, ledger.FAILED, str(exc))
            return Outcome(channel.name, slug, ledger.FAILED, str(exc))
        ledger.record(store, channel.name, slug, ledger.SENT, "", message=message,
                      digest=digest)
        return Outcome(channel.name, slug, ledger.SENT, f"message {message}")

    def _withdraw(self, store: Database, api: BotApi, channel: ChannelConfig
                  ) -> list[Outcome]:
        """Delete the posts of stories no longer published (unpublished, or taken out of
        the language): a channel must not keep sending readers to a page that is gone."""
        done = []
        for record in ledger.posts(store, channel.name):
            if record.status != ledger.SENT or not record.message or \
                    self.stories.has(record.story, channel.language):
                continue
            try:
                api.delete(channel.chat, record.message)
            except ChannelError as exc:
                if "message to delete not found" not in str(exc):
                    detail = (f"the story is no longer published, but its post could not "
                              f"be deleted ({exc}): delete it in the channel")
                    ledger.record(store, channel.name, record.story, ledger.FAILED, detail)
                    done.append(Outcome(channel.name, record.story, ledger.FAILED, detail))
                    continue
            ledger.record(store, channel.name, record.story, ledger.DELETED,
                          "the story is no longer published")
            done.append(Outcome(channel.name, record.story, ledger.DELETED,
                                f"message {record.message}"))
        return done

    def status(self, store: Database, now: dt.datetime | None = None) -> list[Outcome]:
        """Each owed story in each channel: sent, unsure, failed (with why) or pending."""
        now = now or dt.datetime.now(dt.UTC)
        rows: list[Outcome] = []
        for channel in self.config.channels:
            records = ledger.posts(store, channel.name)
            posts = {p.story: p for p in records}
            reached = (delivery_summary(store, records) if channel.kind == "fediverse"
                       else {})
            for slug in self.owed(store, channel, now):
                known = posts.pop(slug, None)
                if known is None:
                    rows.append(Outcome(channel.name, slug, PENDING, self.problem(channel)))
                else:
                    rows.append(Outcome(channel.name, slug, known.state,
                                        reached.get(slug) or _said(known)))
            rows += [Outcome(channel.name, p.story, p.state, reached.get(p.story) or _said(p))
                     for p in posts.values()]
        return rows


def _said(post: ledger.Record) -> str:
    parts = [f"message {post.message}" if post.message else "",
             f"{post.attempts} attempts" if post.attempts > 1 else "", post.detail,
             f"at {post.updated}"]
    if post.state == ledger.UNSURE:
        parts.append("look in the channel; if the post is not there, run `masthead "
                     f"channels resend {post.channel} {post.story} SITE`")
    return "; ".join(p for p in parts if p)


def _parse(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def turn_on(config: SiteConfig, url: str | None) -> None:
    """Start the time of each channel not yet used (the desk does it when it starts, so
    that the first story published afterwards is posted; the archive stays out)."""
    if not config.channels:
        return
    from masthead.newsletter.editions import NewsletterError, database

    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    try:
        with database(config, url) as store:
            for channel in config.channels:
                settings.setting(store, ledger.SINCE + channel.name, now)
    except NewsletterError as exc:
        raise ChannelsError(str(exc)) from None


def post_published(config: SiteConfig, url: str | None, say: Say,
                   output: Path | None = None) -> list[Outcome]:
    """After a verified deploy or a publish at the desk: every channel's posts
    (``output``: the build that was published). Nothing (and no database opened) for a
    site without channels."""
    if not config.channels:
        return []
    from masthead.newsletter.editions import NewsletterError, database

    try:
        with database(config, url) as store, store.sender_lock("channels", wait=120) as got:
            if not got:
                say("channels: another poster is running; it posts these stories too")
                return []
            return Channels(config, output=output).post(store, say)
    except NewsletterError as exc:
        raise ChannelsError(str(exc)) from None
