"""10,000 subscribers in two languages through a real SMTP server, on SQLite and on
PostgreSQL: 1% refused (550, then bounced and never tried again), 1% deferred once
(451, then accepted), the sender killed with SIGKILL three times at random moments and
started again: no subscriber gets two messages, each gets theirs in their language.

The sender's workers are processes of their own: a kill of the sender lets each finish
the message in hand (recorded, then its last line written) and stop, so not one message
is lost or doubled."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from masthead.newsletter import ledger
from tests.newsletter.conftest import STORY, Server, close, newsletter_site, subscribe

COUNT = 10_000


def _send(site: Path, url: str, quiet: bool = False) -> subprocess.Popen[str]:
    output = subprocess.DEVNULL if quiet else subprocess.PIPE
    return subprocess.Popen([sys.executable, "-m", "masthead", "newsletter", "send",
                             str(site), "--story", STORY, "--database", url],
                            stdout=output, stderr=output, text=True)


def _kill_after(process: subprocess.Popen[str], server: Server, total: int) -> None:
    """SIGKILL once the server has taken ``total`` messages, plus a random moment."""
    deadline = time.monotonic() + 120
    while server.total < total and process.poll() is None:
        assert time.monotonic() < deadline, "the sender stalled"
        time.sleep(0.001)
    time.sleep(random.uniform(0, 0.01))
    process.send_signal(signal.SIGKILL)
    process.wait(10)


def test_every_subscriber_exactly_once_through_kills(tmp_path: Path, database: str,
                                                     smtp_server: Server) -> None:
    rng = random.Random(20261205)
    site = newsletter_site(tmp_path / "site", smtp_server.port)
    people = [(f"reader{n:05d}@mail{n % 7}.example", "ru" if n % 2 else "en")
              for n in range(COUNT)]
    smtp_server.refuse = {email for email, _ in rng.sample(people, COUNT // 100)}
    rest = [p for p in people if p[0] not in smtp_server.refuse]
    smtp_server.defer = {email for email, _ in rng.sample(rest, COUNT // 100)}
    store = subscribe(database, site, people)
    try:
        started = time.monotonic()
        for share in (0.15, 0.45, 0.75):
            process = _send(site, database, quiet=True)
            _kill_after(process, smtp_server, int(COUNT * share) + rng.randrange(200))
        final = _send(site, database)
        out, err = final.communicate(timeout=600)
        seconds = time.monotonic() - started
        assert final.returncode == 0, err
        print(f"\n{COUNT} subscribers, 3 kills, {database.split(':')[0]}: {seconds:.1f} s; "
              f"{out.strip()}")
        wanted = {email: lang for email, lang in rest}
        assert {e: n for e, n in smtp_server.received.items() if n != 1} == {}
        lost = set(wanted) - set(smtp_server.received)
        assert lost == set()
        assert set(smtp_server.received) <= set(wanted)
        assert {e: smtp_server.languages[e] for e in smtp_server.received} == {
            e: wanted[e] for e in smtp_server.received}
        assert all(smtp_server.attempts[email] == 1 for email in smtp_server.refuse)
        assert all(smtp_server.attempts[email] == 2 for email in smtp_server.defer)
        counts = ledger.counts(store, f"story:{STORY}")
        assert counts[ledger.ACCEPTED] == len(rest)
        assert counts[ledger.BOUNCED] == len(smtp_server.refuse)
        assert counts[ledger.PENDING] == counts[ledger.DEFERRED] == 0

        def bounced(cur: object) -> int:
            cur.execute("SELECT COUNT(*) FROM subscribers WHERE status = 'bounced'")  # type: ignore[attr-defined]
            return int(cur.fetchone()[0])  # type: ignore[attr-defined]

        assert store.transact(bounced) == len(smtp_server.refuse)
        # The same story again: nothing is sent.
        again = _send(site, database)
        out, err = again.communicate(timeout=120)
        assert again.returncode == 0 and "nothing to send" in err, err
        assert smtp_server.total == len(rest) - len(lost)
    finally:
        close(store)
