"""Sending one newsletter to its recipients: several connections at once, a rate limit
for providers' quotas, retries of temporary refusals with backoff, and a progress line
every few seconds."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from masthead.api import links
from masthead.api.store import Store
from masthead.newsletter import ledger
from masthead.newsletter.compose import Email, Envelope, address
from masthead.newsletter.smtp import Connection, ConnectionLost, SenderRefused, SmtpSettings

Say = Callable[[str], None]
BACKOFF = (2.0, 10.0, 30.0)  # seconds before each retry of a 4xx in one run
REPORT_EVERY = 2.0  # seconds between two progress lines
GIVE_UP_AFTER = 5  # failed connections in a row before a sender stops


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
    sent: int = 0  # accepted in this run (the rate counts these)
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        rate = self.sent / self.seconds if self.seconds else 0.0
        return (f"{self.accepted} accepted of {self.total} ({rate:.0f}/s), "
                f"{self.deferred} deferred, {self.bounced} bounced, {self.skipped} skipped")


class RateLimit:
    """At most ``per_minute`` messages a minute over all connections (0: no limit)."""

    def __init__(self, per_minute: int) -> None:
        self.interval = 60.0 / per_minute if per_minute > 0 else 0.0
        self.next = time.monotonic()
        self.lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self.lock:
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


def send(store: Store, newsletter: str, emails: dict[str, Email], fallback: str,
         unsubscribe: Callable[[str, str], str], env: Envelope, smtp: SmtpSettings, *,
         connections: int = 4, per_minute: int = 0, say: Say = print) -> Tally:
    """Mail every delivery of ``newsletter`` not yet accepted; ``emails`` by language
    (``fallback`` for a subscriber whose language the site no longer has);
    ``unsubscribe`` makes the link from a token and a language."""
    started = time.monotonic()
    todo = deque(Job(email, lang, attempts) for email, lang, attempts
                 in ledger.to_send(store, newsletter))
    tally = Tally(total=len(todo))
    before = ledger.counts(store, newsletter)  # what earlier runs (and to_send) settled
    tally.accepted = before[ledger.ACCEPTED]
    tally.bounced = before[ledger.BOUNCED]
    tally.skipped = before[ledger.SKIPPED]
    tally.total += tally.accepted + tally.bounced + tally.skipped
    lock = threading.Lock()
    limit = RateLimit(per_minute)
    retries: list[Job] = []
    stop = threading.Event()

    def take() -> Job | None:
        while not stop.is_set():
            with lock:
                if todo:
                    return todo.popleft()
                now = time.monotonic()
                ready = [job for job in retries if job.not_before <= now]
                if ready:
                    retries.remove(ready[0])
                    return ready[0]
                if not retries and not busy[0]:
                    return None
            time.sleep(0.05)
        return None

    busy = [0]

    def worker() -> None:
        connection = Connection(smtp)
        failures = 0
        try:
            while (job := take()) is not None:
                with lock:
                    busy[0] += 1
                try:
                    failures = _one(job, connection, failures)
                finally:
                    with lock:
                        busy[0] -= 1
        except SendFailed as exc:
            with lock:
                tally.errors.append(str(exc))
            stop.set()
        finally:
            connection.close()

    def _one(job: Job, connection: Connection, failures: int) -> int:
        if not ledger.still_subscribed(store, job.email):
            ledger.mark(store, newsletter, job.email, ledger.SKIPPED, "unsubscribed")
            with lock:
                tally.skipped += 1
            return failures
        email = emails.get(job.lang) or emails[fallback]
        token, digest = links.new_token()  # its own for each message
        data = address(email, job.email, newsletter, unsubscribe(token, email.lang), env)
        limit.wait()
        try:
            code, reply = connection.send(env.sender, job.email, data, lambda finish: ledger.mark(
                store, newsletter, job.email, ledger.ACCEPTED, then=finish, link=digest))
        except SenderRefused as exc:
            with lock:
                todo.appendleft(job)
            raise SendFailed(str(exc)) from None
        except ConnectionLost as exc:
            with lock:
                todo.appendleft(job)  # not sent: again, on a new connection
            if failures + 1 >= GIVE_UP_AFTER:
                raise SendFailed(str(exc)) from None
            time.sleep(min(2.0 ** failures, 10.0))
            return failures + 1
        if 200 <= code < 300:
            with lock:
                tally.accepted += 1
                tally.sent += 1
        elif 400 <= code < 500:
            ledger.mark(store, newsletter, job.email, ledger.DEFERRED, f"{code} {reply}")
            job.attempts += 1
            with lock:
                if job.attempts <= len(BACKOFF):
                    job.not_before = time.monotonic() + BACKOFF[job.attempts - 1]
                    retries.append(job)
                else:
                    tally.deferred += 1
        else:
            ledger.mark(store, newsletter, job.email, ledger.BOUNCED, f"{code} {reply}")
            with lock:
                tally.bounced += 1
        return 0

    threads = [threading.Thread(target=worker, name=f"smtp-{n}", daemon=True)
               for n in range(max(1, connections))]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        for thread in threads:
            thread.join(timeout=REPORT_EVERY)
            if thread.is_alive():
                break
        with lock:
            tally.seconds = time.monotonic() - started
            if any(thread.is_alive() for thread in threads):
                say(f"newsletter: {tally.line()}")
    tally.seconds = time.monotonic() - started
    with lock:
        tally.deferred += len(retries)
    left = ledger.to_send(store, newsletter)
    tally.left = len(left)
    if not left and not tally.errors:
        ledger.finish(store, newsletter)
    return tally
