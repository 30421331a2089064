"""The newsletter's commands: which newsletter to send (a story, a digest, or what was
published since the last send), its emails in every language, and sending, previewing,
testing and reporting on it."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from masthead.api.db import Database, open_database, prepare_database
from masthead.config import SiteConfig
from masthead.headertext import has_control
from masthead.i18n import load_strings
from masthead.newsletter import ledger
from masthead.newsletter.compose import Composer, Email, Envelope, address, envelope
from masthead.newsletter.send import Tally, send
from masthead.newsletter.smtp import Connection, ConnectionLost, SenderRefused, SmtpSettings
from masthead.newsletter.stories import SiteStories

Say = Callable[[str], None]
T = TypeVar("T")
LAST_DIGEST = "newsletter_last_digest"
AUTO_SINCE = "newsletter_auto_since"
DIGEST_DAYS = 7  # a first digest covers the last week
AUTO_FIRST_HOURS = 24  # the first automatic send looks back a day, never at the archive


class NewsletterError(Exception):
    """Something a user must fix; the message says what."""


@dataclass(frozen=True)
class Choice:
    """What to send: a story, a digest (since a date), or what was published lately."""

    story: str = ""
    digest: bool = False
    since: dt.datetime | None = None
    resend: bool = False


def mail_settings(config: SiteConfig) -> tuple[SmtpSettings, Envelope]:
    """How to send, checked before anything is recorded or sent: a setting that cannot
    stand in a header is refused here, not halfway through a send."""
    if not config.smtp_host or not config.mail_from:
        raise NewsletterError("the newsletter needs smtp_host and mail_from in masthead.toml "
                              '(e.g. smtp_host = "smtp.example.org", mail_from = '
                              '"Newsroom <news@example.org>")')
    for name, value in (("mail_from", config.mail_from), ("smtp_host", config.smtp_host),
                        ("dkim_selector", config.dkim_selector)):
        if has_control(value):
            raise NewsletterError(f"{name} in masthead.toml has a line break or a control "
                                  f"character ({value[:60]!r}): it goes into every message's "
                                  "headers; write it on one line")
    key = b""
    if config.dkim_selector:
        named = os.environ.get("MASTHEAD_DKIM_KEY_FILE", "")
        if not named:
            raise NewsletterError("dkim_selector is set but MASTHEAD_DKIM_KEY_FILE is not: "
                                  "set it to the DKIM private key's PEM file")
        try:
            key = Path(named).expanduser().read_bytes()
        except OSError as exc:
            raise NewsletterError(f"cannot read the DKIM key {named}: {exc.strerror}"
                                  ) from None
    smtp = SmtpSettings(config.smtp_host, config.smtp_port, config.smtp_starttls,
                        config.smtp_tls)
    return smtp, envelope(config, config.dkim_selector, key)


@contextmanager
def database(config: SiteConfig, url: str | None) -> Iterator[Database]:
    """The API's database, its schema brought up to date."""
    try:
        store = open_database(url, config.root)
        run_async(prepare_database(store))
    except Exception as exc:  # a bad URL, a server down: said, not a traceback
        raise NewsletterError(f"cannot open the database: {exc}") from None
    try:
        yield store
    finally:
        run_async(store.close())


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a store's coroutine to its end from plain code, also where an event loop is
    already running in this thread (a program embedding the sender): on a thread of its
    own."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def unsubscribe_url(config: SiteConfig) -> Callable[[str, str], str]:
    """The one-click unsubscribe URL for a token and a language (the token is random,
    made for each message; see masthead.api.links)."""
    api = config.api_address
    return lambda token, lang: f"{api}/unsubscribe?token={token}&lang={lang}"


class Newsletters:
    """One site's newsletters: its stories, its emails, its database."""

    def __init__(self, config: SiteConfig, store: Database | None, say: Say = print,
                 now: dt.datetime | None = None) -> None:
        self.config = config
        self.store = store
        self.say = say
        self.now = now or dt.datetime.now(dt.UTC)
        self.stories = SiteStories(config, self.now)
        self.composer = Composer(config, load_strings(config.root, self.stories.languages))

    # --- which newsletter ---------------------------------------------------------------

    def choose(self, choice: Choice) -> ledger.Edition | None:
        """The newsletter to send now (made, or an unfinished one resumed); None when
        there is nothing to send (said why)."""
        store = self._store()
        if choice.story:
            return self._story(store, choice.story, choice.resend)
        previous = ledger.unfinished(store, "digest")
        if previous is not None:
            self.say(f"newsletter: finishing {previous.id}, started {previous.created}")
            return previous
        since = choice.since or _parse(ledger.setting(store, LAST_DIGEST)) or (
            self.now - dt.timedelta(days=DIGEST_DAYS))
        slugs = self.stories.published_since(since)
        if not slugs:
            self.say(f"newsletter: no story published since {since:%Y-%m-%d %H:%M} UTC; "
                     "nothing to send")
            return None
        edition = ledger.create(store, f"digest:{self.now:%Y-%m-%dT%H:%M:%SZ}", "digest",
                                self._digest_subject(self.stories.languages[0]), slugs)
        ledger.set_setting(store, LAST_DIGEST, self.now.isoformat(timespec="seconds"))
        return edition

    def _story(self, store: Database, slug: str, resend: bool) -> ledger.Edition | None:
        if not self.stories.exists(slug):
            raise NewsletterError(f"no published story with the slug '{slug}' (drafts and "
                                  "scheduled stories are not sent)")
        found = ledger.find(store, f"story:{slug}")
        if found is not None and not resend:
            if not found.finished:
                self.say(f"newsletter: finishing story:{slug}, started {found.created}")
                return found
            self.say(f"newsletter: story:{slug} was sent on {found.finished}; nothing to "
                     "send (--resend sends it again)")
            return None
        name = f"story:{slug}"
        if found is not None:
            taken = {e.id for e in ledger.editions(store)}
            name = next(f"story:{slug}:{n}" for n in range(2, 10_000)
                        if f"story:{slug}:{n}" not in taken)
        title = self.stories.story(slug, self.stories.languages[0]).title
        return ledger.create(store, name, "story", title, [slug])

    def published_lately(self) -> list[ledger.Edition]:
        """A newsletter for each story that became public since automatic sending began
        (the first time: the last day's), and that has none yet."""
        store = self._store()
        since = _parse(ledger.setting(store, AUTO_SINCE, (
            self.now - dt.timedelta(hours=AUTO_FIRST_HOURS)).isoformat(timespec="seconds")))
        assert since is not None
        made = []
        for slug in self.stories.published_since(since):
            edition = ledger.find(store, f"story:{slug}")
            if edition is None:
                title = self.stories.story(slug, self.stories.languages[0]).title
                made.append(ledger.create(store, f"story:{slug}", "story", title, [slug]))
            elif not edition.finished:
                made.append(edition)
        return made

    # --- its emails ----------------------------------------------------------------------

    def _digest_subject(self, lang: str) -> str:
        strings = self.composer.strings.get(lang)
        return strings("email_digest_subject", site=self.config.title) if strings else (
            self.config.title)

    def emails(self, edition: ledger.Edition) -> dict[str, Email]:
        """The newsletter's email in every language of the site."""
        result = {}
        for lang in self.stories.languages:
            stories = [self.stories.story(slug, lang) for slug in edition.stories
                       if self.stories.exists(slug)]
            if not stories:
                raise NewsletterError(f"{edition.id}: its stories are no longer published")
            subject = (stories[0].title if edition.kind == "story"
                       else self._digest_subject(lang))
            result[lang] = self.composer.email(edition.kind, stories, lang, subject)
        return result

    def preview(self, choice: Choice, folder: Path) -> list[Path]:
        """Each language's email as an HTML file (and its text beside it)."""
        edition = self._draft(choice)
        if folder.exists() and not folder.is_dir():
            raise NewsletterError(f"{folder} is a file: -o names a folder, where each "
                                  "language's email is written as LANG.html and LANG.txt")
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise NewsletterError(f"cannot make the folder {folder}: {exc.strerror or exc}"
                                  ) from None
        written = []
        for lang, email in self.emails(edition).items():
            page = folder / f"{lang}.html"
            page.write_text(email.html, encoding="utf-8")
            (folder / f"{lang}.txt").write_text(email.text, encoding="utf-8")
            written.append(page)
        return written

    def _draft(self, choice: Choice) -> ledger.Edition:
        """The newsletter ``choice`` names, without recording anything."""
        if choice.story:
            if not self.stories.exists(choice.story):
                raise NewsletterError(f"no published story with the slug '{choice.story}'")
            return ledger.Edition(f"story:{choice.story}", "story", (choice.story,), "", "")
        since = choice.since or (self.now - dt.timedelta(days=DIGEST_DAYS))
        slugs = self.stories.published_since(since)
        if not slugs:
            raise NewsletterError(f"no story published since {since:%Y-%m-%d}; give an "
                                  "earlier --since")
        return ledger.Edition("digest:preview", "digest", tuple(slugs), "", "")

    # --- sending ---------------------------------------------------------------------------

    def send(self, edition: ledger.Edition, connections: int = 0,
             per_minute: int = -1) -> Tally:
        store = self._store()
        smtp, env = mail_settings(self.config)
        with store.sender_lock("newsletter") as got:
            if not got:
                raise NewsletterError("another `masthead newsletter send` is sending from "
                                      "this database; wait for it to finish")
            return send(store, edition.id, self.emails(edition), self.stories.languages[0],
                        unsubscribe_url(self.config), env, smtp,
                        connections=connections or self.config.newsletter_connections,
                        per_minute=(self.config.newsletter_rate if per_minute < 0
                                    else per_minute), say=self.say)

    def ready(self) -> None:
        """Refuses (NewsletterError) before anything is recorded when a send could not
        start: no SMTP settings, or settings no header can carry."""
        mail_settings(self.config)

    def test(self, choice: Choice, to: str) -> list[str]:
        """Each language's email to ``to``, recorded nowhere; what the server said."""
        smtp, env = mail_settings(self.config)
        if has_control(to) or "@" not in to:
            raise NewsletterError(f"--to {to[:60]!r} is not one email address")
        edition = self._draft(choice)
        connection = Connection(smtp)
        answers = []
        try:
            for lang, email in self.emails(edition).items():
                data = address(email, to, f"test.{edition.id}.{lang}", self.config.absolute_url(
                    "/"), env)
                code, reply = connection.send(env.sender, to, data, lambda finish: finish())
                answers.append(f"{lang}: {code} {reply}".strip())
        except (ConnectionLost, SenderRefused) as exc:
            raise NewsletterError(f"the SMTP server: {exc}") from None
        finally:
            connection.close()
        return answers

    def _store(self) -> Database:
        if self.store is None:
            raise NewsletterError("no database")
        return self.store


def send_published(config: SiteConfig, url: str | None, say: Say = print
                   ) -> list[tuple[str, Tally]]:
    """After a build, a verified deploy or a publish at the desk: a newsletter for each
    story that became public since the last send, each once (the ledger); what each
    send did. NewsletterError when sending cannot start."""
    with database(config, url) as store:
        letters = Newsletters(config, store, say)
        letters.ready()
        return [(edition.id, letters.send(edition)) for edition in letters.published_lately()]


def status_lines(store: Database) -> list[str]:
    lines = []
    for edition in ledger.editions(store):
        counts = ledger.counts(store, edition.id)
        state = f"finished {edition.finished}" if edition.finished else "not finished"
        lines.append(f"{edition.id} ({edition.created}, {state}): " + ", ".join(
            f"{counts[name]} {name}" for name in ledger.STATUSES))
    return lines or ["no newsletter has been sent yet"]


def _parse(text: str) -> dt.datetime | None:
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def preview_pages(config: SiteConfig) -> dict[str, str]:
    """The newest published story's email in each language, as `serve` shows it at
    /_newsletter/ (a site without stories: none)."""
    letters = Newsletters(config, None, lambda _line: None)
    slugs = letters.stories.published_since(dt.datetime(1970, 1, 1, tzinfo=dt.UTC))
    if not slugs:
        return {}
    edition = ledger.Edition(f"story:{slugs[-1]}", "story", (slugs[-1],), "", "")
    return {lang: email.html for lang, email in letters.emails(edition).items()}
