"""Sending one newsletter to its recipients: one worker process per SMTP connection, a
rate limit for providers' quotas, retries of temporary refusals with backoff, and a
progress line every few seconds.

Each worker is a process of its own, forked after the emails are made, with its own
connection to the database and to the SMTP server. A delivery is recorded and its last
line written one right after the other, with no other thread of the worker in between;
and a worker whose sender is killed finishes the message in hand and stops, so that
killing ``masthead newsletter send`` never loses or doubles a message. (Killing the
workers themselves between the last line and the server's answer leaves that message
uncertain: it is sent again by the next run, never lost.) SIGTERM (what ``timeout``,
systemd and Docker send to the whole process group) stops the sender and its workers the
same way. The workers also share the composing of the messages between the cores."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from masthead.api import links
from masthead.api.db import Database
from masthead.newsletter import ledger
from masthead.newsletter.compose import Email, Envelope, address
from masthead.newsletter.smtp import (
    NO_ANSWER,
    Connection,
    ConnectionLost,
    SenderRefused,
    SmtpSettings,
)

Say = Callable[[str], None]
BACKOFF = (2.0, 10.0, 30.0)  # seconds before each retry of a 4xx in one run
REPORT_EVERY = 2.0  # seconds between two progress lines
GIVE_UP_AFTER = 5  # failed connections in a row before a worker stops
WORKERS_LOCK = "newsletter-workers"  # held (shared) by a send's workers while they live
WORKERS_FINISH = 60.0  # seconds to wait for the workers of a killed send to finish


_TERMINATED: list[bool] = []  # a worker's SIGTERM, seen between two messages


class SendFailed(Exception):
    """The server cannot be reached (or keeps dropping the connection)."""


@dataclass
class Tally:
    total: int = 0
    accepted: int = 0
    deferred: int = 0
    bounced: int = 0
    skipped: int = 0
    left: int = 0
    uncertain: int = 0  # the whole message went out, no answer came: sent again later
    sent: int = 0  # accepted in this run (the rate counts these)
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        rate = self.sent / self.seconds if self.seconds else 0.0
        uncertain = (f", {self.uncertain} uncertain (no answer after the message; sent "
                     "again)") if self.uncertain else ""
        return (f"{self.accepted} accepted of {self.total} ({rate:.0f}/s), "
                f"{self.deferred} deferred, {self.bounced} bounced, {self.skipped} skipped"
                + uncertain)


class RateLimit:
    """At most ``per_minute`` messages a minute (0: no limit)."""

    def __init__(self, per_minute: float) -> None:
        self.interval = 60.0 / per_minute if per_minute > 0 else 0.0
        self.next = time.monotonic()

    def wait(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        slot = max(self.next, now)
        self.next = slot + self.interval
        if slot > now:
            time.sleep(slot - now)


@dataclass
class Job:
    email: str
    lang: str
    attempts: int
    not_before: float = 0.0


@dataclass(frozen=True)
class Letter:
    """What every worker needs to mail one newsletter."""

    newsletter: str
    emails: dict[str, Email]  # by language
    fallback: str  # the language for a subscriber whose language the site no longer has
    unsubscribe: Callable[[str, str], str]  # (token, language) -> URL
    env: Envelope
    smtp: SmtpSettings


def send(store: Database, newsletter: str, emails: dict[str, Email], fallback: str,
         unsubscribe: Callable[[str, str], str], env: Envelope, smtp: SmtpSettings, *,
         connections: int = 4, per_minute: int = 0, say: Say = print) -> Tally:
    """Mail every delivery of ``newsletter`` not yet accepted; ``emails`` by language
    (``fallback`` for a subscriber whose language the site no longer has);
    ``unsubscribe`` makes the link from a token and a language. The caller holds the
    database's sender lock."""
    started = time.monotonic()
    with store.sender_lock(WORKERS_LOCK, wait=WORKERS_FINISH) as free:
        if not free:  # the workers of a send killed a moment ago are still finishing
            return Tally(errors=["the workers of an earlier send did not finish within "
                                 f"{WORKERS_FINISH:.0f} s"])
    todo = [Job(email, lang, attempts) for email, lang, attempts
            in ledger.to_send(store, newsletter)]
    before = ledger.counts(store, newsletter)
    tally = Tally(total=sum(before.values()))
    letter = Letter(newsletter, emails, fallback, unsubscribe, env, smtp)
    count = max(1, min(connections, len(todo)))
    parts = [todo[n::count] for n in range(count)]
    store.before_fork()
    workers = [_fork(letter, store, part, per_minute / count if per_minute else 0)
               for part in parts if part]
    errors: list[str] = []
    previous = signal.signal(signal.SIGTERM, _interrupt)  # as Ctrl-C: workers finish
    try:
        while workers:
            time.sleep(0.2)
            for worker in list(workers):
                done, problem = worker.finished()
                if done:
                    workers.remove(worker)
                    if problem:
                        errors.append(problem)
                        for other in workers:  # the server refuses: everyone stops
                            other.stop()
            now = time.monotonic()
            if workers and now - tally.seconds - started >= REPORT_EVERY:
                _count(tally, ledger.counts(store, newsletter), before)
                tally.seconds = now - started
                say(f"newsletter: {tally.line()}")
    except KeyboardInterrupt:  # each worker finishes the message in hand, then stops
        for worker in workers:
            worker.stop()
        for worker in workers:
            os.waitpid(worker.pid, 0)
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)
    _count(tally, ledger.counts(store, newsletter), before)
    tally.seconds = time.monotonic() - started
    tally.errors = errors
    left = ledger.to_send(store, newsletter)
    tally.left = len(left)
    if not left and not errors:
        ledger.finish(store, newsletter)
    return tally


def _interrupt(_signal: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _count(tally: Tally, counts: dict[str, int], before: dict[str, int]) -> None:
    tally.accepted = counts[ledger.ACCEPTED]
    tally.bounced = counts[ledger.BOUNCED]
    tally.skipped = counts[ledger.SKIPPED]
    tally.deferred = counts[ledger.DEFERRED]
    tally.uncertain = counts[ledger.UNCERTAIN]
    tally.sent = counts[ledger.ACCEPTED] - before[ledger.ACCEPTED]


class _Worker:
    """A forked worker: its pid, the pipe it says its error on, and its stop pipe."""

    def __init__(self, pid: int, errors: int, stop_fd: int) -> None:
        self.pid, self.errors, self.stop_fd = pid, errors, stop_fd

    def stop(self) -> None:
        with contextlib.suppress(OSError):  # already gone
            os.write(self.stop_fd, b"x")

    def finished(self) -> tuple[bool, str]:
        pid, status = os.waitpid(self.pid, os.WNOHANG)
        if pid == 0:
            return False, ""
        chunks = []
        while chunk := os.read(self.errors, 65536):
            chunks.append(chunk)
        os.close(self.errors)
        os.close(self.stop_fd)
        said = b"".join(chunks).decode("utf-8", "replace").strip()
        if not said and os.waitstatus_to_exitcode(status) != 0:
            said = f"a worker ended with status {os.waitstatus_to_exitcode(status)}"
        return True, said


def _fork(letter: Letter, store: Database, part: list[Job], per_minute: float) -> _Worker:
    """A worker process mailing ``part`` (see :func:`_worker`)."""
    errors_read, errors_write = os.pipe()
    stop_read, stop_write = os.pipe()
    os.set_blocking(stop_read, False)
    pid = os.fork()
    if pid:
        os.close(errors_write)
        os.close(stop_read)
        return _Worker(pid, errors_read, stop_write)
    code = 1
    try:  # the child keeps nothing of the parent's but memory and its two pipes
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the sender's to handle
        # SIGTERM to the process group: finish the message in hand, then stop.
        signal.signal(signal.SIGTERM, lambda *_: _TERMINATED.append(True))
        low, high = sorted((errors_write, stop_read))
        os.closerange(3, low)
        os.closerange(low + 1, high)
        os.closerange(high + 1, os.sysconf("SC_OPEN_MAX"))
        try:
            problem = _worker(letter, store, part, per_minute, stop_read)
        except Exception as exc:  # said by the sender, as any worker's reason to stop
            problem = f"a worker failed: {type(exc).__name__}: {exc}"
        if problem:
            os.write(errors_write, problem.encode("utf-8", "replace"))
        code = 0
    finally:
        os._exit(code)


def _worker(letter: Letter, parent_store: Database, part: list[Job], per_minute: float,
            stop: int) -> str:
    """Mail ``part``; stop after the message in hand when the sender is gone or says
    stop. Returns the reason it gave up, or ''."""
    parent = os.getppid()
    store = parent_store.reopened()
    with store.sender_lock(WORKERS_LOCK, shared=True, wait=WORKERS_FINISH) as got:
        if not got:
            return "a worker could not start: another send holds the database"
        connection = Connection(letter.smtp)
        try:
            return _mail(letter, store, deque(part), RateLimit(per_minute), connection,
                         lambda: bool(_TERMINATED) or os.getppid() != parent
                         or _said(stop))
        finally:
            connection.close()


def _said(stop: int) -> bool:
    try:
        return bool(os.read(stop, 1))
    except BlockingIOError:
        return False


def _mail(letter: Letter, store: Database, todo: deque[Job], limit: RateLimit,
          connection: Connection, stopped: Callable[[], bool]) -> str:
    retries: list[Job] = []
    failures = 0
    while todo or retries:
        if stopped():
            return ""
        if todo:
            job = todo.popleft()
        else:
            ready = min(retries, key=lambda j: j.not_before)
            wait = ready.not_before - time.monotonic()
            if wait > 0:
                time.sleep(min(wait, 0.5))
                continue
            retries.remove(ready)
            job = ready
        try:
            failures = _one(letter, store, job, connection, limit, failures, retries)
        except SendFailed as exc:
            return str(exc)
    return ""


def _one(letter: Letter, store: Database, job: Job, connection: Connection, limit: RateLimit,
         failures: int, retries: list[Job]) -> int:
    newsletter = letter.newsletter
    if not ledger.still_subscribed(store, job.email):
        ledger.mark(store, newsletter, job.email, ledger.SKIPPED, "unsubscribed")
        return failures
    email = letter.emails.get(job.lang) or letter.emails[letter.fallback]
    token, digest = links.new_token()  # its own for each message
    data = address(email, job.email, newsletter, letter.unsubscribe(token, email.lang),
                   letter.env)
    limit.wait()
    while True:
        try:
            code, reply = connection.send(
                letter.env.sender, job.email, data, lambda finish: ledger.mark(
                    store, newsletter, job.email, ledger.UNCERTAIN, "no answer yet",
                    then=finish, link=digest))
            break
        except SenderRefused as exc:
            raise SendFailed(str(exc)) from None
        except ConnectionLost as exc:  # not sent: again, on a new connection
            failures += 1
            if failures >= GIVE_UP_AFTER:
                raise SendFailed(str(exc)) from None
            time.sleep(min(2.0 ** failures, 10.0))
    if 200 <= code < 300:
        ledger.mark(store, newsletter, job.email, ledger.ACCEPTED)
    elif code == NO_ANSWER or 400 <= code < 500:
        status = ledger.UNCERTAIN if code == NO_ANSWER else ledger.DEFERRED
        ledger.mark(store, newsletter, job.email, status, f"{code} {reply}" if code else reply)
        job.attempts += 1
        if job.attempts <= len(BACKOFF):
            job.not_before = time.monotonic() + BACKOFF[job.attempts - 1]
            retries.append(job)
    else:
        ledger.mark(store, newsletter, job.email, ledger.BOUNCED, f"{code} {reply}")
    return 0
