"""The desk's application: its doors (``web.py``) and the editor's protocol
(``backend.py``) on the desk's own database."""

from __future__ import annotations

import contextlib
import logging
import mimetypes
from collections.abc import AsyncIterator, Callable

import anyio.to_thread
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from masthead.api.clients import Network
from masthead.api.db import Database
from masthead.channels import ChannelsError, turn_on
from masthead.config import SiteConfig
from masthead.content.discover import detect_layout
from masthead.content.load import check_file
from masthead.desk.accounts import Accounts
from masthead.desk.backend import Backend
from masthead.desk.editor import Editor
from masthead.desk.history import History, commit_published
from masthead.desk.mailing import Mailing
from masthead.desk.people import People
from masthead.desk.previews import Previews
from masthead.desk.publisher import Publisher
from masthead.desk.site_files import MEDIA_FOLDER, SiteFiles
from masthead.desk.uploads import MAX_UPLOAD
from masthead.desk.web import Doors, json_body
from masthead.errors import Severity

log = logging.getLogger("masthead.desk")

# A story saved with its pictures: two phone photos of MAX_UPLOAD, in base64, and text.
PROTOCOL_BODY = 3 * MAX_UPLOAD
# Nothing of the desk may be framed, sniffed, cached or sent to another site.
HEADERS = {"Cache-Control": "no-store", "X-Frame-Options": "DENY",
           "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
           "Content-Security-Policy": "frame-ancestors 'none'",
           "X-Robots-Tag": "noindex, nofollow"}  # the desk is nobody's search result


def create_desk_app(db: Database, config: SiteConfig, verify: bool = True,
                    load: Callable[..., SiteConfig] | None = None,
                    api_database: str | None = None,
                    settings: list[str] | None = None,
                    trusted: tuple[Network, ...] = ()) -> Starlette:
    """The desk of the site ``config`` describes, on the desk's database ``db``;
    ``verify``: fetch pages back from each target after a publish; ``load``: read the
    settings again before each publish (with the command line's ``--set``, given as
    ``settings`` too, for the newsletter's own process); ``api_database``: where the
    newsletter's subscribers and ledger are (the API's database); ``trusted``: the
    proxies whose X-Forwarded-For names the client."""
    accounts = Accounts(db)
    doors = Doors(accounts, trusted)
    publisher = Publisher(config, db, verify, load)
    publisher.mailing = Mailing(config.root, api_database, settings or [],
                                publisher.newsletter_said)
    publisher.posting = Mailing(config.root, api_database, settings or [],
                                publisher.channels_said,
                                ("channels", "send", "--output", str(publisher.output)))
    files = SiteFiles.of(config.root, detect_layout(config))  # the site's content model
    backend = Backend(files, db, accounts, publisher.request,
                      check=lambda path, text: _problems(config, path, text),
                      commit=lambda paths, account, message: commit_published(
                          config.root, paths, account, message),
                      previews=Previews(config).of)
    editor = Editor(config)
    people = People(accounts, doors, config)
    history = History(backend, doors)

    async def protocol(request: Request) -> Response:
        """The editor's one endpoint: every action with the session's role checked."""
        session = await doors.session_of(request)
        body = await json_body(request, PROTOCOL_BODY)
        answer = await backend.handle(session.account, body)
        return JSONResponse(answer)

    async def picture(request: Request) -> Response:
        """A picture of the uploads folder, as the editor shows it (signed in only; never
        run as a page, whatever it holds)."""
        session = await doors.session_of(request)
        file = backend.files.confine(f"{MEDIA_FOLDER}/{request.path_params['name']}",
                                     media=True)
        guarded = {"Content-Security-Policy": "default-src 'none'; style-src "
                                              "'unsafe-inline'; sandbox"}
        if file.path.is_file():
            return FileResponse(file.path, headers=guarded)
        waiting = await backend.draft_picture(session.account, file.rel)  # not yet public
        if waiting is None:
            return JSONResponse({"error": "no such picture"}, status_code=404)
        kind = mimetypes.guess_type(file.rel)[0] or "application/octet-stream"
        return Response(waiting, media_type=kind, headers=guarded)

    async def publishes(request: Request) -> Response:
        """What the last publishes did, target by target."""
        await doors.session_of(request)
        return JSONResponse(await publisher.recent())

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await accounts.prepare()
        try:  # a channel added to the settings posts what is published from now on
            await anyio.to_thread.run_sync(turn_on, config, api_database)
        except ChannelsError as exc:
            log.warning("the channels cannot be started: %s", exc)
        publisher.start()
        if config.deploy:  # a scheduled story may have fallen due while the desk was down
            publisher.asked.set()
        try:
            yield
        finally:
            await publisher.stop()
            await db.close()

    async def not_found(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": "no such page"}, status_code=404)

    routes = [*doors.routes(), *people.routes(), *history.routes(),
              Route("/admin/api/v1", doors.guarded(protocol), methods=["POST"]),
              Route("/admin/", editor.page, methods=["GET"]),
              Route("/admin/desk.js", editor.script, methods=["GET"]),
              Route("/admin/history.html", editor.own_page, methods=["GET"]),
              Route("/admin/history.js", editor.script, methods=["GET"]),
              Route("/admin/people.html", editor.own_page, methods=["GET"]),
              Route("/admin/people.js", editor.script, methods=["GET"]),
              Route("/admin/publishes.html", editor.own_page, methods=["GET"]),
              Route("/admin/publishes.js", editor.script, methods=["GET"]),
              Route("/admin/preview.css", editor.preview_style, methods=["GET"]),
              Route("/admin/config.json", editor.settings, methods=["GET"]),
              Route("/admin/editor/{name}", editor.file, methods=["GET"]),
              Route("/admin/publishes", doors.guarded(publishes), methods=["GET"]),
              Route("/" + MEDIA_FOLDER.split("/", 1)[1] + "/{name}", doors.guarded(picture),
                    methods=["GET"])]
    app = Starlette(routes=routes, lifespan=lifespan,
                    # the list of 10,000 stories is 7 MB of JSON, 1.8 MB compressed; no
                    # other site can make a signed-in browser ask (SameSite=Strict), so
                    # compression reveals nothing of a secret in an answer
                    middleware=[Middleware(HeadersMiddleware),
                                Middleware(GZipMiddleware, minimum_size=2048, compresslevel=5)],
                    exception_handlers={404: not_found})
    app.state.accounts = accounts
    return app


def _problems(config: SiteConfig, path: str, text: str) -> list[str]:
    """The errors the build would find in a story's file, as ``file:line: message``."""
    found = check_file(config, detect_layout(config), path, text)
    return [d.format() for d in found if d.severity is Severity.ERROR]


class HeadersMiddleware:
    """``HEADERS`` on every answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                given = list(message.get("headers", []))
                named = {bytes(k).lower() for k, _ in given}
                message["headers"] = [*given, *(
                    (k.lower().encode(), v.encode()) for k, v in HEADERS.items()
                    if k.lower().encode() not in named)]
            await send(message)

        await self.app(scope, receive, sending if scope["type"] == "http" else send)
