"""Logs an attacker cannot flood: a message repeated within a minute is written once,
and the next time it may be written again it says how many were left out. (With 1,000
silent sockets, the server's accept loop alone wrote megabytes a second.)"""

from __future__ import annotations

import logging
import threading
import time

INTERVAL = 60.0  # seconds in which one kind of message is written once


class OncePerInterval(logging.Filter):
    """Lets the first record of each kind (logger and message template) through per
    ``interval``; counts the others and adds the count to the next one let through."""

    def __init__(self, interval: float = INTERVAL) -> None:
        super().__init__()
        self.interval = interval
        self._last: dict[tuple[str, str], float] = {}
        self._held: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, str(record.msg))
        now = time.monotonic()
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < self.interval:
                self._held[key] = self._held.get(key, 0) + 1
                return False
            self._last[key] = now
            held = self._held.pop(key, 0)
            if len(self._last) > 10_000:  # kinds are few; a flood of new ones is cut
                self._last = {k: t for k, t in self._last.items() if now - t < self.interval}
        if held:
            record.msg = f"{record.msg} (and {held} more like it in the last minute)"
        return True


def install(handler: logging.Handler | None = None) -> None:
    """Put the filter on every handler of the root logger (or on ``handler``)."""
    handlers = [handler] if handler is not None else logging.getLogger().handlers
    flood = OncePerInterval()
    for each in handlers:
        each.addFilter(flood)
