"""A build's progress on the terminal, from its first second.

On a terminal, one line is redrawn as each stage moves. Elsewhere (a CI log, a pipe)
a plain line is written when a stage starts, every few seconds while it runs (also
while a stage cannot say how far it is, such as the search index) and when it ends, so
that a log shows the build is alive without filling up."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

from masthead.pipeline.session import Progress

REPORT_EVERY = 3.0  # seconds between two lines when the output is not a terminal
REDRAW_EVERY = 0.5  # seconds between two redraws of a terminal's line


class TerminalProgress:
    """Call it with a stage's name and unit to get that stage's progress callback;
    ``close`` when the build is over."""

    def __init__(self, stream: TextIO | None = None, every: float = REPORT_EVERY) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.every = REDRAW_EVERY if self.tty else every
        self.lock = threading.Lock()
        self.state: tuple[str, str, int, int, float] | None = None  # label, unit, done...
        self.shown = 0.0  # when the last line was written
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None

    def __call__(self, label: str, unit: str) -> Progress:
        started = time.monotonic()

        def update(done: int, total: int) -> None:
            with self.lock:
                first = self.state is None or self.state[0] != label
                self.state = (label, unit, done, total, started)
                if first or done >= total or time.monotonic() - self.shown >= self.every:
                    self._show()
                self._start()  # under the lock: updates come from more than one thread

        return update

    def close(self) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join()
        with self.lock:
            if self.tty and self.state is not None and self.state[2] < self.state[3]:
                self.stream.write("\n")
                self.stream.flush()

    def _start(self) -> None:
        if self.thread is None:
            self.thread = threading.Thread(target=self._beat, name="build-progress",
                                           daemon=True)
            self.thread.start()

    def _beat(self) -> None:
        """A line now and then while a stage runs without saying anything."""
        while not self.stop.wait(self.every / 2):
            with self.lock:
                state = self.state
                if state is not None and state[2] < state[3] and \
                        time.monotonic() - self.shown >= self.every:
                    self._show()

    def _show(self) -> None:
        assert self.state is not None
        label, unit, done, total, started = self.state
        seconds = time.monotonic() - started
        share = f" ({100 * done // total}%)" if total else ""
        counted = f"{done:,}/{total:,} {unit}" if total else f"{unit}"
        if self.tty:
            width = 30
            filled = int(width * done / total) if total else 0
            end = "\n" if total and done >= total else ""
            self.stream.write(f"\r\x1b[K  {label} [{'#' * filled}{'.' * (width - filled)}] "
                              f"{counted}, {seconds:.0f} s{end}")
        else:
            self.stream.write(f"  {label}: {counted}{share}, {seconds:.1f} s\n")
        self.stream.flush()
        self.shown = time.monotonic()


def terminal_progress(stream: TextIO | None = None) -> TerminalProgress:
    """Progress on ``stream`` (standard error by default), a terminal or not."""
    return TerminalProgress(stream)
