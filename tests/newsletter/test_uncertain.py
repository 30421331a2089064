"""A message is the server's only once it answers 250 (RFC 5321). Against a real SMTP
server that drops the connection after the final dot, or dies there, each such message
is counted apart as uncertain and sent again: every reader gets it at least once in the
end. SIGTERM to the whole process group (``timeout``, systemd, Docker) stops the send as
Ctrl-C does: each worker finishes the message in hand, and nothing is lost or doubled."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from masthead.newsletter import ledger
from masthead.newsletter.editions import status_lines
from tests.api.conftest import free_port
from tests.newsletter.conftest import (
    STORY,
    Server,
    close,
    newsletter_site,
    patient_controller,
    subscribe,
)

PEOPLE = [(f"reader{n:03d}@mail.example", "en" if n % 2 else "ru") for n in range(40)]


class Dropping:
    """An SMTP server that takes each message whole and then, for the first message of
    each address in ``drop``, closes the connection instead of answering."""

    def __init__(self, drop: set[str]) -> None:
        self.drop = set(drop)
        self.dropped: Counter[str] = Counter()
        self.received: Counter[str] = Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str | None:
        with self.lock:
            for to in envelope.rcpt_tos:
                self.received[to] += 1
            doomed = [to for to in envelope.rcpt_tos if to in self.drop]
            for to in doomed:
                self.drop.discard(to)
                self.dropped[to] += 1
        if doomed:
            server.transport.close()  # the message arrived whole; no answer is given
            return None
        return "250 OK queued"


def _send(site: Path, db: str, **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "masthead", "newsletter", "send", str(site),
                           "--story", STORY, "--database", db], capture_output=True,
                          text=True, timeout=300, **kw)


def test_a_message_the_server_never_answered_is_uncertain_and_sent_again(
        tmp_path: Path) -> None:
    port = free_port()
    doomed = {email for email, _ in PEOPLE[::4]}
    handler = Dropping(doomed)
    controller = patient_controller(handler, port)
    controller.start()
    site = newsletter_site(tmp_path / "site", port, "newsletter_connections = 2\n")
    db = str(tmp_path / "api.sqlite")
    store = subscribe(db, site, PEOPLE)
    try:
        first = _send(site, db)
        assert "Traceback" not in first.stderr, first.stderr
        assert set(handler.dropped) == doomed  # each was dropped once, after its dot
        counts = ledger.counts(store, f"story:{STORY}")
        # Retried in the same run after a pause: each reader has it, some twice.
        assert counts[ledger.ACCEPTED] == len(PEOPLE), (counts, first.stderr)
        assert set(handler.received) == {email for email, _ in PEOPLE}
        assert all(handler.received[email] == 2 for email in doomed)
        assert all(handler.received[email] == 1 for email, _ in PEOPLE
                   if email not in doomed)
    finally:
        controller.stop()
        close(store)


def test_status_counts_the_uncertain_apart_until_they_are_sent(tmp_path: Path) -> None:
    """The server goes away right after taking some messages whole: those are uncertain
    (never 'accepted'), ``status`` says so, and the next run sends them."""
    port = free_port()
    everyone = {email for email, _ in PEOPLE}
    handler = Dropping(everyone)  # every first message dropped after its dot
    controller = patient_controller(handler, port)
    controller.start()
    site = newsletter_site(tmp_path / "site", port,
                           "newsletter_connections = 1\n")
    db = str(tmp_path / "api.sqlite")
    store = subscribe(db, site, PEOPLE[:3])
    try:
        process = subprocess.Popen([sys.executable, "-m", "masthead", "newsletter", "send",
                                    str(site), "--story", STORY, "--database", db],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while sum(handler.dropped.values()) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        controller.stop()  # the server is gone before the retries
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=60)
        counts = ledger.counts(store, f"story:{STORY}")
        assert counts[ledger.UNCERTAIN] == 3 and counts[ledger.ACCEPTED] == 0, counts
        [line] = status_lines(store)
        assert "0 accepted, 3 uncertain" in line and "not finished" in line, line
        controller = patient_controller(handler, port)  # the server is back, well
        controller.start()
        again = _send(site, db)
        assert again.returncode == 0, again.stderr
        counts = ledger.counts(store, f"story:{STORY}")
        assert counts[ledger.ACCEPTED] == 3 and counts[ledger.UNCERTAIN] == 0, counts
        assert all(handler.received[email] >= 2 for email, _ in PEOPLE[:3])
    finally:
        controller.stop()
        close(store)


def test_sigterm_to_the_process_group_loses_and_doubles_nothing(
        tmp_path: Path, smtp_server: Server) -> None:
    people = [(f"reader{n:04d}@mail.example", "en") for n in range(1500)]
    site = newsletter_site(tmp_path / "site", smtp_server.port)
    db = str(tmp_path / "api.sqlite")
    store = subscribe(db, site, people)
    try:
        for share in (0.3, 0.7):
            process = subprocess.Popen(
                [sys.executable, "-m", "masthead", "newsletter", "send", str(site),
                 "--story", STORY, "--database", db], stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE, text=True, start_new_session=True)
            deadline = time.monotonic() + 120
            while smtp_server.total < len(people) * share and process.poll() is None:
                assert time.monotonic() < deadline, "the sender stalled"
                time.sleep(0.002)
            os.killpg(process.pid, signal.SIGTERM)  # sender and workers alike
            _, err = process.communicate(timeout=60)
            assert "Traceback" not in err, err
        final = _send(site, db)
        assert final.returncode == 0, final.stderr
        assert {e: n for e, n in smtp_server.received.items() if n != 1} == {}
        assert set(smtp_server.received) == {email for email, _ in people}
        counts = ledger.counts(store, f"story:{STORY}")
        assert counts[ledger.ACCEPTED] == len(people) and counts[ledger.UNCERTAIN] == 0
    finally:
        close(store)


@pytest.fixture(autouse=True)
def _quiet_aiosmtpd_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("CRITICAL", logger="mail.log")


def test_a_send_that_cannot_start_records_nothing(tmp_path: Path) -> None:
    """Without SMTP settings a send is refused before anything is recorded: the next
    send, once the settings are there, sends the story to everyone (it once "finished"
    a newsletter recorded by the refused send, with nobody)."""
    from tests.newsletter.conftest import SETTINGS

    port = free_port()
    site = newsletter_site(tmp_path / "site", port)
    settings = site / "masthead.toml"
    settings.write_text(SETTINGS.format(port=port).replace('smtp_host = "127.0.0.1"\n', ""))
    db = str(tmp_path / "api.sqlite")
    store = subscribe(db, site, PEOPLE[:2])
    try:
        for args in (["--digest"], ["--story", STORY]):
            refused = subprocess.run([sys.executable, "-m", "masthead", "newsletter", "send",
                                      str(site), *args, "--database", db],
                                     capture_output=True, text=True, timeout=120)
            assert refused.returncode == 1 and "needs smtp_host" in refused.stderr
            assert ledger.editions(store) == []
        settings.write_text(SETTINGS.format(port=port))
        handler = Dropping(set())
        controller = patient_controller(handler, port)
        controller.start()
        try:
            sent = _send(site, db)
            assert sent.returncode == 0, sent.stderr
        finally:
            controller.stop()
        assert set(handler.received) == {email for email, _ in PEOPLE[:2]}
    finally:
        close(store)
