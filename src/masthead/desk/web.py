"""The desk's doors: signing in, the second factor, taking an invitation, signing out.

Sessions live in a cookie the page's scripts cannot read (HttpOnly), sent only over
HTTPS and never with a request another site starts (``__Host-`` prefix, Secure,
SameSite=Strict). Every request that changes something must also come from the desk's
own page: its Origin is the desk's, and its body is JSON (a form another site posts
cannot be JSON without the browser asking first). Whatever the browser shows, each
action is checked here against the session's role (``roles.py``)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from masthead.api.clients import Network, client_key
from masthead.api.protection import MAX_BODY, BadInput
from masthead.desk.accounts import SESSION_HOURS, Accounts, DeskError, Session

COOKIE = "__Host-masthead-desk"
Handler = Callable[[Request], Awaitable[Response]]


def client_address(request: Request, trusted: tuple[Network, ...] = ()) -> str:
    """Whom the sign-in limits count: the connection's address, or behind a proxy the
    desk is told to trust (``--trusted-proxy``), the address it forwards. Without it,
    everyone behind nginx would be one address, and one guesser would lock all out."""
    peer = request.client.host if request.client else ""
    return client_key(peer, request.headers.get("x-forwarded-for", ""), trusted)


def same_origin(request: Request) -> bool:
    """A write from the desk's own page: Sec-Fetch-Site says so where the browser sends
    it; the Origin must name the host the request came to in any case."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    return origin is not None and urlsplit(origin).netloc == request.headers.get("host", "")


async def json_body(request: Request, limit: int = MAX_BODY) -> dict[str, Any]:
    """The request's JSON object; DeskError 413 past ``limit`` bytes, read as it comes
    (never a whole oversized body in memory)."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() \
            != "application/json":
        raise DeskError("send JSON (Content-Type: application/json)", 415)
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > limit:
            raise DeskError(f"the request is larger than {limit // 1024} KB", 413)
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise DeskError("the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise DeskError("the body must be a JSON object")
    return data


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise DeskError(f"'{key}' is missing")
    return value


class Doors:
    """The routes for signing in and out; ``session_of`` for every other part."""

    def __init__(self, accounts: Accounts, trusted: tuple[Network, ...] = ()) -> None:
        self.accounts = accounts
        self.trusted = trusted  # proxies whose X-Forwarded-For is believed

    def routes(self) -> list[Route]:
        return [Route("/admin/session", self.guarded(self.sign_in), methods=["POST"]),
                Route("/admin/session", self.guarded(self.sign_out), methods=["DELETE"]),
                Route("/admin/session", self.guarded(self.me), methods=["GET"]),
                Route("/admin/second-factor", self.guarded(self.second_factor),
                      methods=["POST"]),
                Route("/admin/second-factor/new", self.guarded(self.new_second_factor),
                      methods=["POST"]),
                Route("/admin/invitation", self.guarded(self.take_invitation),
                      methods=["POST"])]

    def guarded(self, handler: Handler) -> Handler:
        """Writes only from the desk's own page; refusals as JSON with their status."""

        async def run(request: Request) -> Response:
            if request.method != "GET" and not same_origin(request):
                return _refused("this request did not come from the desk's own page", 403)
            try:
                return await handler(request)
            except DeskError as exc:
                return _refused(exc.message, exc.status)
            except BadInput as exc:
                return _refused(exc.message, exc.status)

        return run

    async def session_of(self, request: Request, ready: bool = True) -> Session:
        """The request's session, or DeskError 401; ``ready``: with the second factor
        given where the role needs one (else 403)."""
        session = await self.accounts.session(request.cookies.get(COOKIE, ""))
        if session is None:
            raise DeskError("sign in first", 401)
        if ready and not session.ready:
            raise DeskError("give the code of your authenticator app first", 403)
        return session

    async def sign_in(self, request: Request) -> Response:
        data = await json_body(request)
        account = await self.accounts.login(_text(data, "email"), _text(data, "password"),
                                            client_address(request, self.trusted))
        token = await self.accounts.open_session(account, verified=False)
        # needed: give the code; set up: add one first; offered: the role does not
        # need one, and adding one is recommended (it can be skipped)
        second = ("needed" if account.has_totp else "set up"
                  if account.role.needs_second_factor else "offered")
        answer = JSONResponse({"name": account.name, "role": account.role.value,
                               "second_factor": second})
        _set_cookie(answer, token)
        return answer

    async def me(self, request: Request) -> Response:
        session = await self.session_of(request, ready=False)
        account = session.account
        return JSONResponse({"name": account.name, "role": account.role.value,
                             "ready": session.ready})

    async def sign_out(self, request: Request) -> Response:
        await self.accounts.close_session(request.cookies.get(COOKIE, ""))
        answer = JSONResponse({"status": "signed out"})
        answer.delete_cookie(COOKIE, path="/", secure=True, httponly=True, samesite="strict")
        return answer

    async def new_second_factor(self, request: Request) -> Response:
        session = await self.session_of(request, ready=False)
        uri = await self.accounts.new_second_factor(session.account)
        return JSONResponse({"otpauth": uri})

    async def second_factor(self, request: Request) -> Response:
        session = await self.session_of(request, ready=False)
        data = await json_body(request)
        code, address = _text(data, "code"), client_address(request, self.trusted)
        check = (self.accounts.second_factor if session.account.has_totp
                 else self.accounts.confirm_second_factor)
        if not await check(session.account, code, address):
            raise DeskError("that code is not right (or was used already)", 401)
        await self.accounts.verify_session(request.cookies.get(COOKIE, ""))
        return JSONResponse({"status": "ready"})

    async def take_invitation(self, request: Request) -> Response:
        data = await json_body(request)
        account = await self.accounts.accept(_text(data, "token"), _text(data, "password"))
        return JSONResponse({"name": account.name, "role": account.role.value})


def _set_cookie(response: Response, token: str) -> None:
    response.set_cookie(COOKIE, token, max_age=SESSION_HOURS * 3600, path="/", secure=True,
                        httponly=True, samesite="strict")


def _refused(message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status,
                        headers={"Cache-Control": "no-store"})
