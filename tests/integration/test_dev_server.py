"""The dev server: static-host behaviour, reloads only after finished builds, clean exits."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest
from PIL import Image

from masthead.config import load_config
from masthead.dev.server import LiveState, watch_and_rebuild
from masthead.incremental import BuildCache
from masthead.options import BuildOptions
from masthead.pipeline import build_site
from masthead.pipeline import update as build_module
from tests.conftest import NOW, post, write_site

T = TypeVar("T")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def run_async(scenario: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """asyncio.run in a thread of its own: a session-wide browser (Playwright's sync API)
    may already run an event loop in the main thread."""
    result: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(scenario()))
        except BaseException as exc:  # handed to the test's thread
            failure.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=120)
    if failure:
        raise failure[0]
    return result[0]


@contextlib.asynccontextmanager
async def watching(root: Path, rebuild: Callable[[], object]
                   ) -> AsyncIterator[asyncio.Queue[tuple[str, str]]]:
    """The real watcher rebuilding ``root``; yields the queue of events tabs would get."""
    state = LiveState()
    queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
    state.listeners.add(queue)
    stop = asyncio.Event()
    watcher = asyncio.create_task(watch_and_rebuild(root, state, rebuild, stop,
                                                    lambda line: None))
    await asyncio.sleep(0.5)
    try:
        yield queue
    finally:
        stop.set()
        await asyncio.wait_for(watcher, timeout=5)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@pytest.fixture
def served(tmp_path: Path) -> tuple[str, Path, subprocess.Popen[str]]:
    root = write_site(tmp_path / "site", {"content/posts/a.md": post("First title")})
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "masthead.cli", "serve", str(root),
                                "--port", str(port)], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            _get(base + "/")
            break
        except OSError:
            time.sleep(0.1)
    yield base, root, process
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=10)
    assert process.stdout is not None
    process.stdout.close()


def test_serves_like_a_static_host(served: tuple[str, Path, subprocess.Popen[str]]) -> None:
    base, root, _ = served
    status, headers, body = _get(base + "/posts/a/")
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    assert b"First title" in body and b"EventSource" in body  # reload script, serve only
    assert _get(base + "/posts/a")[0] == 301
    status, _, body = _get(base + "/no/such/page/")
    assert status == 404 and b"Page not found" in body
    css = next((root / ".masthead/serve/site/assets").glob("style.*.css")).name
    status, headers, _ = _get(f"{base}/assets/{css}")
    assert status == 200 and headers["content-type"].startswith("text/css")
    assert _get(base + "/../../etc/passwd")[0] == 404
    assert not (root / "dist").exists(), "serve must not write the deployable output"



def test_pictures_are_encoded_when_a_browser_asks_for_them(tmp_path: Path) -> None:
    """The preview does not wait for its photos: the first page is served before any
    variant is encoded, each variant is made (once, in the site's cache, where a build
    finds it) on its first request, and nothing but a real variant is ever made."""
    from tests.integration.test_images import photo

    root = write_site(tmp_path / "site", {
        "content/posts/a.md": post("Photo story", image="/images/big.jpg"),
        "public/images/big.jpg": photo(1600, 1000)})
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "masthead.cli", "serve", str(root),
                                "--port", str(port)], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    cache = root / ".masthead" / "images"
    try:
        status, page = 0, b""
        for _ in range(600):  # up to 30 s on a busy machine
            try:
                status, _, page = _get(base + "/posts/a/")
                break
            except OSError:
                time.sleep(0.05)
        assert status == 200
        assert not [p for p in cache.iterdir() if p.suffix in (".avif", ".webp")]
        urls = re.findall(r"/_img/big-\w+-(?:320|640|960|1440)\.(?:avif|webp)", page.decode())
        assert len(set(urls)) == 8, urls
        for url in sorted(set(urls)):
            status, headers, body = _get(base + url)
            assert status == 200, url
            assert headers["content-type"] == f"image/{url.rsplit('.', 1)[1]}"
            with Image.open(io.BytesIO(body)) as image:
                assert image.width == int(url.rsplit("-", 1)[1].split(".")[0])
        assert len([p for p in cache.iterdir() if p.suffix in (".avif", ".webp")]) == 8
        stem = next(u for u in urls if u.endswith(".avif")).rsplit("-", 1)[0]  # /_img/big-<id>
        for forged in (f"{stem}-1500.avif",  # no such width
                       f"{stem}-1600.avif",  # the source's, wider than the widest variant
                       f"{stem}-640.png", "/_img/big-0123456789-640.avif",
                       "/_img/../masthead.toml", "/_img/%2e%2e/%2e%2e/masthead.toml"):
            assert _get(base + forged)[0] == 404, forged
        assert len([p for p in cache.iterdir() if p.suffix in (".avif", ".webp")]) == 8
    finally:
        process.terminate()
        output = process.communicate(timeout=10)[0]
    assert "Traceback" not in output, output


def test_a_variant_asked_for_at_once_by_many_is_encoded_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from masthead import images as images_module
    from masthead.pipeline import images_on_request
    from tests.integration.test_images import photo

    root = write_site(tmp_path / "site", {
        "content/posts/a.md": post("Photo story", image="/images/big.jpg"),
        "public/images/big.jpg": photo(1600, 1000)})
    out = tmp_path / "out"
    build_site(load_config(root), out, BuildOptions(now=NOW, preview=True))
    rel = re.search(r"_img/big-\w+-960\.avif", (out / "posts/a/index.html").read_text())
    assert rel and not (out / rel.group(0)).exists()
    calls: list[str] = []
    real_encode = images_module._encode

    def counted(*args: Any) -> tuple[str, int, str]:
        calls.append(args[0].url)
        return real_encode(*args)

    monkeypatch.setattr(images_module, "_encode", counted)
    maker = images_on_request(load_config(root))
    assert maker is not None
    answers: list[tuple[Path | None, str]] = []
    threads = [threading.Thread(target=lambda: answers.append(
        maker.variant_on_request(rel.group(0)))) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(answers) == 6 and len({a for a in answers}) == 1, answers
    made, problem = answers[0]
    assert made is not None and made.is_file() and problem == ""
    assert calls == [rel.group(0)]
    # A build after the preview finds the variant made on request and keeps it.
    before = made.stat().st_mtime_ns
    build_site(load_config(root), tmp_path / "dist", BuildOptions(now=NOW))
    assert made.stat().st_mtime_ns == before
    assert (tmp_path / "dist" / rel.group(0)).read_bytes() == made.read_bytes()

def test_ctrl_c_stops_cleanly(served: tuple[str, Path, subprocess.Popen[str]]) -> None:
    _, _, process = served
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=10) == 0
    assert process.stdout is not None
    output = process.stdout.read()
    assert "stopped" in output and "Traceback" not in output


def test_a_port_in_use_is_explained(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", {"content/posts/a.md": post()})
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "masthead.cli", "serve", str(root),
                                 "--port", str(port)], capture_output=True, text=True,
                                timeout=60)
    assert result.returncode == 1
    assert f"port {port} is in use" in result.stderr


def test_no_reload_is_sent_before_the_output_is_complete(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A build made slow on purpose (each file written 0.15 s apart): the reload event
    comes only after every changed page carries the edit."""
    root = write_site(tmp_path / "site", {"content/posts/a.md": post("Old title"),
                                          "content/posts/b.md": post("Other")})
    out = tmp_path / "out"
    cache = BuildCache(root / ".masthead")
    options = BuildOptions(now=NOW, jobs=1)
    build_site(load_config(root), out, options, cache=cache)
    real_replace = build_module.replace_file

    def slow_replace(path: Path, data: bytes) -> None:
        time.sleep(0.15)
        real_replace(path, data)

    monkeypatch.setattr(build_module, "replace_file", slow_replace)

    def rebuild() -> object:
        return build_site(load_config(root), out, options, cache=cache,
                          full_rebuild_share=1.0)

    async def scenario() -> list[str]:
        async with watching(root, rebuild) as queue:
            (root / "content/posts/a.md").write_text(post("New title"))
            event, data = await asyncio.wait_for(queue.get(), timeout=20)
            pages = [p for p in out.rglob("*.html") if b"Old title" in p.read_bytes()]
        assert event == "reload", (event, data)
        return [str(p) for p in pages]

    stale = run_async(scenario)
    assert stale == [], f"reload was sent while these pages still had the old title: {stale}"
    assert b"New title" in (out / "posts/a/index.html").read_bytes()


def test_failed_rebuild_reports_errors_then_recovers(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", {"content/posts/a.md": post("Good")})
    out = tmp_path / "out"
    cache = BuildCache(root / ".masthead")
    options = BuildOptions(now=NOW, jobs=1)
    build_site(load_config(root), out, options, cache=cache)

    def rebuild() -> object:
        return build_site(load_config(root), out, options, cache=cache)

    async def scenario() -> list[tuple[str, str]]:
        async with watching(root, rebuild) as queue:
            (root / "content/posts/a.md").write_text('---\ntitle: "Broken\n---\n')
            first = await asyncio.wait_for(queue.get(), timeout=20)
            (root / "content/posts/a.md").write_text(post("Fixed"))
            second = await asyncio.wait_for(queue.get(), timeout=20)
        return [first, second]

    (error, error_data), (reload, _) = run_async(scenario)
    assert error == "error"
    problem = json.loads(error_data)["errors"][0]
    assert problem.startswith("content/posts/a.md:2:")
    assert "invalid YAML" in problem
    assert reload == "reload"
    assert b"Fixed" in (out / "posts/a/index.html").read_bytes()
    assert os.path.exists(out / "posts/a/index.html")


def test_settings_saved_by_replacing_the_file_are_seen_every_time(
        served: tuple[str, Path, subprocess.Popen[str]]) -> None:
    """vim, emacs and ``sed -i`` save by writing a new file and renaming it over the old
    one: the real ``masthead serve`` sees the second and third save too."""
    base, root, _ = served
    settings = root / "masthead.toml"
    original = settings.read_text(encoding="utf-8")
    for n in range(3):
        fresh = root / f".masthead.toml.swp{n}"
        fresh.write_text(re.sub(r'(?m)^title = .*$', f'title = "Saved {n}"', original),
                         encoding="utf-8")
        os.replace(fresh, settings)
        deadline = time.monotonic() + 30
        while f"Saved {n}".encode() not in _get(base + "/")[2]:
            assert time.monotonic() < deadline, f"save {n} was not seen"
            time.sleep(0.2)
