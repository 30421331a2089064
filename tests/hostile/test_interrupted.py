"""A build killed at any moment (SIGKILL: no clean-up runs) is followed by a build that
writes exactly what a clean build writes, and leaves nothing behind."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from masthead.config import load_config
from masthead.incremental import BuildCache
from masthead.options import BuildOptions
from masthead.pipeline import build_site
from tests.conftest import NOW, post, write_site

POSTS = 80
TOML = 'title = "T"\nbase_url = "https://n.example.org/"\nsearch = false\nposts_per_page = 5\n'


def _site(root: Path) -> Path:
    files: dict[str, str | bytes] = {"masthead.toml": TOML}
    for n in range(POSTS):
        files[f"content/posts/p{n}.md"] = post(f"Story {n}", f"2024-01-{n % 28 + 1:02d}T10:00:00Z",
                                               tags=[f"t{n % 7}"], body=f"Text {n}.\n" * 20)
    return write_site(root, files)


def _build(root: Path, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "masthead", "build", str(root), "-o",
                             str(out), "--jobs", "2"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _edit(root: Path, rng: random.Random, step: int) -> None:
    n = rng.randrange(POSTS)
    path = root / "content" / "posts" / f"p{n}.md"
    kind = rng.choice(["body", "title", "tags", "delete", "add"])
    if kind == "delete" and path.exists():
        path.unlink()
    elif kind == "add" or not path.exists():
        path.write_text(post(f"New {step}", "2024-02-01T10:00:00Z", body=f"New {step}.\n"))
    else:
        changes = {"body": {"body": f"Edited {step}.\n"}, "title": {"title": None},
                   "tags": {"tags": [f"t{step % 5}", "fresh"]}}[kind]
        title = f"Retitled {step}" if kind == "title" else f"Story {n}"
        changes.pop("title", None)
        path.write_text(post(title, f"2024-01-{n % 28 + 1:02d}T10:00:00Z", **changes))


def test_killed_builds_are_repaired_by_the_next_one(tmp_path: Path) -> None:
    root = _site(tmp_path / "site")
    out, clean = tmp_path / "out", tmp_path / "clean"
    assert _build(root, out).wait(120) == 0
    rng = random.Random(20261205)
    _edit(root, rng, -1)
    started = time.monotonic()
    assert _build(root, out).wait(120) == 0
    duration = time.monotonic() - started  # of an update: kills land all through one
    posts = root / "content" / "posts"
    for step in range(12):
        before = {p.name: p.read_bytes() for p in posts.iterdir()}
        _edit(root, rng, step)
        process = _build(root, out)
        time.sleep(rng.uniform(0.3, 1.1) * duration)
        process.send_signal(signal.SIGKILL)
        process.wait(30)
        if step % 2:  # the edit undone before the next build: its half is still to repair
            for path in posts.iterdir():
                path.unlink()
            for name, data in before.items():
                (posts / name).write_bytes(data)
        assert _build(root, out).wait(120) == 0, f"step {step}"
        shutil.rmtree(clean, ignore_errors=True)
        assert _build(root, clean).wait(120) == 0
        assert _tree(out) == _tree(clean), f"step {step}: differs from a clean build"
        left = [p.name for p in tmp_path.iterdir() if p.name.startswith((".out.", ".clean."))]
        assert not [name for name in left if ".tmp-" in name], left
        strays = [p for p in out.rglob(".*") if p.name != ".masthead-output"]
        assert strays == [], strays


def _killed_after(root: Path, out: Path, writes: int) -> None:
    """A build in a forked process that dies (os._exit: nothing is cleaned up) right
    before its ``writes``-th output file of an update in place."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            from masthead.pipeline import update as update_module

            done = [0]
            original = update_module.replace_file

            def replace(path: Path, data: bytes) -> None:
                if done[0] == writes:
                    os._exit(137)
                done[0] += 1
                original(path, data)

            update_module.replace_file = replace  # type: ignore[assignment]
            build_site(load_config(root), out, BuildOptions(now=NOW, jobs=1),
                                    cache=BuildCache(root / ".masthead"),
                                    full_rebuild_share=1.0)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


@pytest.mark.parametrize("writes", [0, 1, 3, 7])
def test_an_update_killed_half_way_and_then_undone_is_repaired(tmp_path: Path,
                                                               writes: int) -> None:
    """The hardest case: the edit is undone before the next build, so the content is what
    the manifest describes, while the output holds the half-written update."""
    root = _site(tmp_path / "site")
    out = tmp_path / "out"
    options = BuildOptions(now=NOW, jobs=1)
    build_site(load_config(root), out, options, cache=BuildCache(root / ".masthead"))
    story = root / "content" / "posts" / "p3.md"
    original = story.read_bytes()
    story.write_text(post("Story 3 retold", "2024-01-04T10:00:00Z", tags=["t3"], body="New.\n"))
    _killed_after(root, out, writes)
    story.write_bytes(original)
    build_site(load_config(root), out, options, cache=BuildCache(root / ".masthead"))
    build_site(load_config(root), tmp_path / "clean", options)
    assert _tree(out) == _tree(tmp_path / "clean")
