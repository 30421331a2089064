"""The newsletter after a publish, for a site that mails each story
(``newsletter_each_story``): ``masthead newsletter send --published`` in a process of its
own, so that a long send (a provider's rate limit, thousands of subscribers) never holds
up the next publish, and its workers are forked from a program's main thread as they
must be. The channels' posts go the same way (``masthead channels send``), with their own
ledger.

Each story goes out once: the newsletter's ledger (in the API's database) records every
delivery, and a send asked for while one runs is run again when it ends, so a story
published meanwhile is not forgotten. What the send said is kept with the publish."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

log = logging.getLogger("masthead.desk")
SEND_TIMEOUT = 6 * 3600.0  # seconds: a big list under a provider's quota takes hours
Said = Callable[[list[int], str], Awaitable[None]]  # (publish ids, what the send said)


class Mailing:
    def __init__(self, root: Path, database: str | None, settings: list[str],
                 said: Said,
                 action: tuple[str, ...] = ("newsletter", "send", "--published")) -> None:
        self.command = [sys.executable, "-m", "masthead.cli", *action, str(root),
                        *(["--database", database] if database else []),
                        *[f"--set={value}" for value in settings]]
        self.said = said
        self.waiting: list[int] = []  # publishes whose stories are still to be mailed
        self.task: asyncio.Task[None] | None = None

    def after(self, publishes: list[int]) -> None:
        """Mail what those publishes made public (now, or when the running send ends)."""
        self.waiting.extend(publishes)
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while self.waiting:
            ids, self.waiting = self.waiting, []
            try:
                said = await self._send()
            except Exception as exc:  # said with the publish, never a dead desk
                log.exception("the newsletter could not be sent")
                said = f"failed: {exc}"
            await self.said(ids, said)

    async def _send(self) -> str:
        process = await asyncio.create_subprocess_exec(
            *self.command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        try:
            out, _ = await asyncio.wait_for(process.communicate(), SEND_TIMEOUT)
        except TimeoutError:
            process.terminate()  # the workers finish the message in hand; the rest later
            await process.wait()
            return "stopped after six hours; the rest goes with the next publish"
        lines = [line for line in out.decode(errors="replace").splitlines() if line.strip()]
        summary = "; ".join(lines[-6:]) or "nothing to send"
        return ("sent: " if process.returncode == 0 else "failed: ") + summary[:1000]

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
