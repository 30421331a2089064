"""``masthead serve``: the site as a static host serves it, rebuilt and reloaded on save.

A watcher (watchfiles) sees changes under content/, public/, templates/, static/, i18n/,
config/ and masthead.toml; the site is rebuilt incrementally in a worker thread; only
when the rebuild has finished, and its files are in place, are open tabs told to reload
(Server-Sent Events). A failed rebuild keeps the last good site and shows its
diagnostics over the page until a save fixes them.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import html
import json
import mimetypes
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route

from masthead.dev.livereload import EVENTS_PATH, inject

Builder = Callable[[], object]  # raises on failure; its exception carries diagnostics
WATCHED = ("content", "public", "templates", "static", "i18n", "config", "masthead.toml")
TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".js": "text/javascript; charset=utf-8", ".xml": "application/xml",
         ".json": "application/json", ".txt": "text/plain; charset=utf-8",
         ".svg": "image/svg+xml", ".webp": "image/webp", ".avif": "image/avif",
         ".ico": "image/x-icon"}


@dataclass
class LiveState:
    """What the open tabs are told: the build number and the current errors, if any."""

    version: int = 0
    errors: list[str] | None = None
    listeners: set[asyncio.Queue[tuple[str, str]]] = field(default_factory=set)

    def publish(self, event: str, data: dict[str, object]) -> None:
        message = (event, json.dumps(data))
        for queue in list(self.listeners):
            queue.put_nowait(message)


Previews = Callable[[], dict[str, str]]  # language -> the newsletter's HTML
PREVIEW_PATH = "/_newsletter/"
Variants = Callable[[str], Path | None]  # an image variant's output path -> its file, made now
VARIANTS_PATH = "/_img/"


def make_app(out_dir: Path, state: LiveState, prefixes: list[str],
             live: bool = True, previews: Previews | None = None,
             variants: Variants | None = None) -> Starlette:
    root = out_dir.resolve()

    async def newsletter(request: Request) -> Response:
        """The newest story's email in each language, made now from the site (what
        `masthead newsletter send --story` would send)."""
        if previews is None:
            return _not_found(root, request.url.path, prefixes, live)
        try:
            pages = await asyncio.to_thread(previews)
        except Exception as exc:  # a build error: shown, the preview server goes on
            text = html.escape(str(exc) or type(exc).__name__)
            return HTMLResponse(f"<!doctype html><title>Newsletter</title><pre>{text}</pre>",
                                500, headers={"Cache-Control": "no-store"})
        lang = request.path_params.get("lang", "")
        if lang in pages:
            return HTMLResponse(pages[lang], headers={"Cache-Control": "no-store"})
        if lang:
            return _not_found(root, request.url.path, prefixes, live)
        links = "".join(f'<li><a href="{PREVIEW_PATH}{html.escape(code)}.html">'
                        f"{html.escape(code)}</a></li>" for code in pages)
        return HTMLResponse("<!doctype html><title>Newsletter</title><h1>Newsletter</h1>"
                            f"<ul>{links or '<li>no published story yet</li>'}</ul>",
                            headers={"Cache-Control": "no-store"})

    async def events(request: Request) -> Response:
        queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        state.listeners.add(queue)

        async def stream() -> AsyncIterator[str]:
            try:
                yield "retry: 500\n"
                yield f"event: state\ndata: {json.dumps({'errors': state.errors})}\n\n"
                while True:
                    try:
                        event, data = await asyncio.wait_for(queue.get(), timeout=15)
                    except TimeoutError:
                        yield ": keep-alive\n\n"
                        continue
                    yield f"event: {event}\ndata: {data}\n\n"
            finally:
                state.listeners.discard(queue)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store"})

    async def files(request: Request) -> Response:
        path = unquote(request.url.path)
        target = (root / path.lstrip("/")).resolve()
        if root != target and root not in target.parents:
            return _not_found(root, path, prefixes, live)
        if target.is_dir():
            if not path.endswith("/"):
                return RedirectResponse(request.url.path + "/", status_code=301)
            target = target / "index.html"
        if not target.is_file():
            if variants is not None and path.startswith(VARIANTS_PATH):
                made = await asyncio.to_thread(variants, path.lstrip("/"))
                if made is not None:
                    return _serve(made, 200, live)
            return _not_found(root, path, prefixes, live)
        return _serve(target, 200, live)

    return Starlette(routes=[Route(EVENTS_PATH, events),
                             Route(PREVIEW_PATH, newsletter),
                             Route(PREVIEW_PATH + "{lang}.html", newsletter),
                             Route("/{path:path}", files, methods=["GET", "HEAD"])])


def _serve(target: Path, status: int, live: bool) -> Response:
    media = TYPES.get(target.suffix.lower()) or mimetypes.guess_type(target.name)[0] \
        or "application/octet-stream"
    headers = {"Cache-Control": "no-store"}
    if live and target.suffix == ".html":
        return Response(inject(target.read_bytes()), status, headers, media)
    if status != 200:
        return Response(target.read_bytes(), status, headers, media)
    return FileResponse(target, status, headers, media)


def _not_found(root: Path, path: str, prefixes: list[str], live: bool) -> Response:
    prefix = next((p for p in prefixes if path.startswith(p)), "/")
    page = root / prefix.lstrip("/") / "404.html"
    if page.is_file():
        return _serve(page, 404, live)
    stub = b"<!doctype html><title>Not found</title><body><h1>Not found</h1></body>"
    return Response(inject(stub) if live else stub, 404, media_type="text/html; charset=utf-8")


async def watch_and_rebuild(site_root: Path, state: LiveState, rebuild: Builder,
                            stop: asyncio.Event, report: Callable[[str], None]) -> None:
    """Rebuild after each burst of saves; tell the tabs only when the build is done."""
    from watchfiles import awatch

    folders = [site_root / name for name in WATCHED if (site_root / name).is_dir()]
    queue: asyncio.Queue[set[tuple[Any, str]]] = asyncio.Queue()

    async def feed(paths: list[Path], recursive: bool, wanted: Callable[[str], bool]) -> None:
        async for found in awatch(*paths, stop_event=stop, debounce=400, step=50,
                                  recursive=recursive):
            mine = {(kind, path) for kind, path in found if wanted(path)}
            if mine:
                await queue.put(mine)

    # The settings file is watched through its folder, not by its inode: an editor that
    # saves by writing a new file and renaming it over the old (vim, emacs, sed -i)
    # would leave a watch on the file itself watching nothing after the first save.
    settings = str(site_root / "masthead.toml")
    feeders = [asyncio.create_task(feed([site_root], False, lambda path: path == settings))]
    if folders:
        feeders.append(asyncio.create_task(feed(folders, True, lambda _path: True)))
    try:
        while not stop.is_set():
            waiting = asyncio.create_task(queue.get())
            stopping = asyncio.create_task(stop.wait())
            done, _ = await asyncio.wait({waiting, stopping},
                                         return_when=asyncio.FIRST_COMPLETED)
            for pending in (waiting, stopping):
                if pending not in done:
                    pending.cancel()
            if waiting not in done:
                break
            changes = waiting.result()
            while not queue.empty():  # a burst seen by both watchers: one rebuild
                changes |= queue.get_nowait()
            await _rebuild_once(site_root, state, rebuild, report, changes)
    finally:
        for task in feeders:
            task.cancel()


async def _rebuild_once(site_root: Path, state: LiveState, rebuild: Builder,
                        report: Callable[[str], None], changes: set[tuple[Any, str]]) -> None:
    """One rebuild for a set of changes, its result told to the open tabs."""
    started = time.perf_counter()
    names = sorted({Path(p).name for _kind, p in changes
                    if Path(p).exists() or _kind.name == "deleted"})
    report(f"changed: {', '.join(names[:5])}{' ...' if len(names) > 5 else ''}")
    try:
        await asyncio.to_thread(rebuild)
    except Exception as exc:  # shown to the user; the server keeps running
        problems = getattr(exc, "diagnostics", None)
        state.errors = ([d.format(site_root) for d in problems] if problems
                        else [f"{type(exc).__name__}: {exc}"])
        state.publish("error", {"errors": state.errors})
        return
    state.errors = None
    state.version += 1
    state.publish("reload", {"version": state.version})
    report(f"rebuilt in {time.perf_counter() - started:.2f} s; reloading open pages")


def bind(port: int) -> socket.socket:
    """The listening socket on 127.0.0.1, or OSError (EADDRINUSE) with a clear cause."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError:
        sock.close()
        raise
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def listen(port: int) -> socket.socket | str:
    """The listening socket, or why there is none. Taken before the first build, so that
    a busy port is said at once, not after building the whole site."""
    try:
        return bind(port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            return (f"port {port} is in use; stop the other server or choose another with "
                    f"--port {port + 1 if port < 65535 else 8000}")
        if exc.errno == errno.EACCES:
            return f"port {port} needs more rights; choose one above 1023 with --port"
        return f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}"


def serve(site_root: Path, out_dir: Path, sock: socket.socket, rebuild: Builder,
          prefixes: list[str], initial_errors: list[str] | None = None,
          previews: Previews | None = None, variants: Variants | None = None) -> int:
    """Serve on ``sock`` (from :func:`listen`) until Ctrl-C. Returns the exit code.
    ``variants`` makes the image variants the pages ask for and the build left out."""
    state = LiveState(errors=initial_errors)
    app = make_app(out_dir, state, prefixes, previews=previews, variants=variants)
    stop = asyncio.Event()

    def report(line: str) -> None:
        print(line, flush=True)

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            asyncio.get_running_loop().create_task(
                watch_and_rebuild(site_root, state, rebuild, stop, report))

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            stop.set()
            state.publish("bye", {})
            await super().shutdown(sockets)

    config = uvicorn.Config(app, log_level="warning", lifespan="off",
                            timeout_graceful_shutdown=1)
    print(f"Serving {site_root.name} at http://127.0.0.1:{sock.getsockname()[1]}/ "
          "(live reload on; Ctrl-C to stop)", flush=True)
    if previews is not None:
        print(f"The newsletter's email: http://127.0.0.1:{sock.getsockname()[1]}"
              f"{PREVIEW_PATH}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises Ctrl-C after shutdown
        Server(config).run(sockets=[sock])
    print("stopped", flush=True)
    return 0


@contextlib.contextmanager
def serving(out_dir: Path, prefixes: list[str], live: bool = False,
            previews: Previews | None = None) -> Iterator[str]:
    """Serve ``out_dir`` from a background thread on a free port; yields the base URL.
    For tests and tools that need the built site as a static host serves it."""
    sock = bind(0)
    server = uvicorn.Server(uvicorn.Config(make_app(out_dir, LiveState(), prefixes, live,
                                                    previews),
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
