"""One story to 1,000 followers behind 100 servers (bench/fediverse_fanout.py): every
server's shared inbox gets it once, signed, though a fifth of them answer 503 or 429
at first; nothing is sent twice when the sender runs again."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from bench.fediverse_fanout import (
    ENV,
    InboxFarm,
    fan_out,
    fediverse_site,
    follow,
    masthead,
    publish,
    retry_now,
)

from masthead.config import load_config
from masthead.emit.activitypub import private_key
from tests.channels.botapi import Running


def test_a_story_reaches_each_of_100_servers_once(tmp_path: Path) -> None:
    site = fediverse_site(tmp_path)
    key = private_key(load_config(site)).public_key()
    failing = {n: [503] for n in range(0, 100, 10)} | {n: [429] for n in range(5, 100, 10)}
    with Running(InboxFarm(100, key, failing)) as farm:
        figures = fan_out(site, farm, "to-a-thousand", 1000)
        assert figures.delivered_first == 80 and figures.retried == 20, figures
        assert figures.tries == 120  # each server once, and the 20 once more
        assert sorted(farm.received) == list(range(100))
        assert all(len(ids) == 1 for ids in farm.received.values()), farm.received
        assert farm.refused == 0
        again = masthead("channels", "send", str(site))
        assert "delivered" not in again.stdout + again.stderr
        assert Counter(len(ids) for ids in farm.received.values()) == {1: 100}
    status = masthead("channels", "status", str(site)).stdout
    assert "to-a-thousand: sent (delivered to 100 of 100 inboxes)" in status, status


def test_a_sender_killed_mid_delivery_loses_no_inbox(tmp_path: Path) -> None:
    """Killed while posting to slow servers: the inboxes it was posting to are tried
    again once the claim lapses (they may get the story twice, which they recognise by
    its id); every other inbox gets it once."""
    site = fediverse_site(tmp_path)
    key = private_key(load_config(site)).public_key()
    with Running(InboxFarm(40, key, delay=0.5)) as farm:
        follow(site, farm, 40)
        publish(site, "killed-mid-way")
        sender = subprocess.Popen([sys.executable, "-m", "masthead", "channels", "send",
                                   str(site)], env=ENV, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while sum(farm.tries.values()) < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        sender.send_signal(signal.SIGKILL)
        sender.wait()
        reached, tried = set(farm.received), set(farm.tries)
        assert 0 < len(reached) < 40, reached
        retry_now(site)  # the claims of the killed sender lapse (LEASE) and are due
        masthead("channels", "send", str(site))
        assert sorted(farm.received) == list(range(40))
        twice = {n for n, ids in farm.received.items() if len(ids) > 1}
        assert all(len(ids) <= 2 for ids in farm.received.values())
        assert twice <= tried  # only where a post was under way when it was killed
