"""Progress on the terminal."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass

from masthead.build.stages import Progress


def terminal_progress(stream: object = sys.stderr, label: str = "rendering",
                      unit: str = "pages") -> Progress | None:
    """A one-line progress bar on a terminal; nothing when output is piped or in CI."""
    if not getattr(stream, "isatty", lambda: False)():
        return None

    def show(done: int, total: int) -> None:
        width = 30
        filled = int(width * done / max(total, 1))
        end = "\n" if done == total else ""
        print(f"\r  {label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} {unit}",
              end=end, file=stream, flush=True)  # type: ignore[call-overload]

    return show
