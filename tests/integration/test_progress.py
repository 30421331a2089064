"""A build's progress from its first second: lines in a log, a bar on a terminal, and
figures from inside the workers' large parts (not only when a part comes back)."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from masthead.config import load_config
from masthead.options import BuildOptions
from masthead.output import MemorySink
from masthead.pipeline import build
from masthead.pipeline.progress import TerminalProgress
from masthead.render import pool
from tests.conftest import NOW, post, write_site


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_log_gets_a_line_at_the_start_every_few_seconds_and_at_the_end() -> None:
    log = io.StringIO()
    progress = TerminalProgress(log, every=0.2)
    reading = progress("reading", "files")
    reading(0, 1000)
    for done in range(0, 1000, 10):  # many updates, in no time: not a line each
        reading(done, 1000)
    time.sleep(0.5)  # a stage that says nothing for a while still shows it is alive
    reading(1000, 1000)
    searching = progress("search index", "pages")
    searching(0, 50)
    searching(50, 50)
    progress.close()
    lines = log.getvalue().splitlines()
    assert lines[0].startswith("  reading: 0/1,000 files (0%)")
    assert 3 <= sum(line.startswith("  reading:") for line in lines) <= 6, lines
    assert "  reading: 1,000/1,000 files (100%)" in log.getvalue()
    assert lines[-1].startswith("  search index: 50/50 pages (100%)")
    assert "\r" not in log.getvalue()


def test_a_terminal_gets_one_line_redrawn() -> None:
    screen = _Terminal()
    progress = TerminalProgress(screen)
    rendering = progress("rendering", "pages")
    rendering(0, 200)
    rendering(200, 200)
    progress.close()
    text = screen.getvalue()
    assert text.count("\r") >= 2 and text.endswith("\n")
    assert "[##############################] 200/200 pages" in text


def test_rendering_reports_from_inside_the_workers_parts(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers first get large spans of the archive; without their own counts the first
    figure would come when a span is done (40% or more of the site). This site renders in
    half a second: the count is looked at more often than a build does."""
    monkeypatch.setattr(pool, "REPORT_EVERY", 0.02)
    site = write_site(tmp_path / "site", {
        f"content/posts/story-{n:04d}.md": post(f"Story {n}", date=f"2024-{1 + n % 12:02d}-"
                                                f"{1 + n % 28:02d}T10:00:00+00:00")
        for n in range(3000)})
    seen: dict[str, list[tuple[float, int, int]]] = {}

    def stages(label: str, _unit: str):  # type: ignore[no-untyped-def]
        def update(done: int, total: int) -> None:
            seen.setdefault(label, []).append((time.monotonic(), done, total))
        return update

    config = load_config(site, {"images": "false", "search": "false"})
    build(config, MemorySink(), BuildOptions(now=NOW, jobs=2), progress=stages)
    assert {"reading", "rendering"} <= set(seen)
    rendering = seen["rendering"]
    total = rendering[-1][2]
    assert rendering[0][1] == 0 and rendering[-1][1] == total > 5000
    first_figure = next(done for _at, done, _total in rendering if done > 0)
    assert first_figure < 0.35 * total, (first_figure, total)
    assert seen["reading"][-1][1] == seen["reading"][-1][2]
