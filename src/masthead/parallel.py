"""Map work over forked worker processes that inherit the parent's state.

Forking after the expensive state exists (the Site, compiled templates, the Reader)
lets workers share it copy-on-write: only the small work items and results cross
process boundaries. On a platform without fork, or for little work, it runs here.
"""

from __future__ import annotations

import contextlib
import gc
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

R = TypeVar("R")

_TASK: Callable[[range], Any] | None = None


class SharedCount:
    """A count that forked workers add to and the parent reads while they work (made
    before the fork, in shared memory): progress from inside long parts."""

    def __init__(self) -> None:
        import multiprocessing

        self._value = multiprocessing.get_context("fork").Value("q", 0)

    def add(self, amount: int) -> None:
        with self._value.get_lock():
            self._value.value += amount

    def read(self) -> int:
        return int(self._value.value)


@contextlib.contextmanager
def reporting(report: Callable[[], None], every: float = 0.5) -> Iterator[None]:
    """Call ``report`` from a thread every ``every`` seconds while the block runs."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(every):
            report()

    thread = threading.Thread(target=loop, name="progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def default_jobs() -> int:
    """Cores this process may use (respects CPU affinity and container limits)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def fork_map(task: Callable[[range], R], total: int, jobs: int, chunk: int,
             minimum: int, meanwhile: Callable[[], None] | None = None) -> Iterator[R]:
    """Yield ``task(range)`` for consecutive ranges of ``chunk`` items covering
    ``0..total``, in any order; in forked workers when there are at least ``minimum``
    items (see ``map_parts``)."""
    parts = [range(start, min(start + chunk, total)) for start in range(0, total, chunk)]
    return map_parts(task, parts, jobs if total >= minimum else 1, meanwhile)


def map_parts(task: Callable[[range], R], parts: Sequence[range], jobs: int,
              meanwhile: Callable[[], None] | None = None) -> Iterator[R]:
    """Yield ``task(part)`` for each part, in any order.

    With ``jobs > 1``, parts run in forked workers, which take them in the order given,
    each the next one left when it is free (so the first ``jobs`` parts start one per
    worker); ``task`` sees the parent's state as it was at the fork. ``meanwhile`` is
    other work for the parent, done while the workers run (a step done before or after
    would leave a core idle); without workers it is done first.
    """
    import multiprocessing  # here: a build with little to do never needs it

    if jobs <= 1 or len(parts) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        if meanwhile is not None:
            meanwhile()
        for part in parts:
            yield task(part)
        return
    global _TASK
    _TASK = task
    # Objects alive now are the shared state: move them out of the collector's sight so
    # that workers neither scan them nor touch (and so copy) the pages they live on.
    # What was frozen before (a built site model) stays frozen afterwards.
    frozen_before = gc.get_freeze_count() > 0
    gc.freeze()
    try:
        with multiprocessing.get_context("fork").Pool(min(jobs, len(parts)),
                                                      initializer=_quiet_on_ctrl_c) as pool:
            results = pool.imap_unordered(_run, parts)
            if meanwhile is not None:
                meanwhile()
            yield from results
    finally:
        _TASK = None
        if not frozen_before:
            gc.unfreeze()


def _quiet_on_ctrl_c() -> None:
    """Ctrl-C reaches every process of the terminal's group: a worker leaves it to the
    parent, which stops the pool (its workers end at once, without a traceback each)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run(part: range) -> Any:
    assert _TASK is not None, "worker forked without a task"
    return _TASK(part)
