"""What every feature of the API shares: the site's settings, the database, the mailer,
the interface strings, and the answers a feature gives (JSON to scripts, a short page to
browsers that posted a plain form)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from masthead.api.clients import Network
from masthead.api.db import Database
from masthead.api.mail import Mailer, MailSettings
from masthead.api.middleware import Limits
from masthead.api.paths import SitePaths
from masthead.api.protection import BadInput
from masthead.config import SiteConfig
from masthead.i18n import Strings
from masthead.safeurl import origin_of


@dataclass
class ApiSettings:
    rate_limit: int = 60  # requests per client per minute, over all processes; 0: off
    public_url: str = ""  # where the API is reached from outside (for links in emails)
    trusted_proxies: tuple[Network, ...] = ()  # whose X-Forwarded-For is believed


def site_origin(config: SiteConfig) -> str:
    parts = urlsplit(config.base_url)
    return f"{parts.scheme}://{parts.netloc}"


def site_origins(config: SiteConfig) -> list[str]:
    """The main address and every mirror's: their pages call the API of the main one."""
    found = [site_origin(config), *(origin_of(url) for url in config.web_addresses)]
    return list(dict.fromkeys(o for o in found if o))


class ApiContext:
    """One per running API; the features hold it."""

    def __init__(self, config: SiteConfig, db: Database, settings: ApiSettings,
                 paths: SitePaths | None = None) -> None:
        self.config = config
        self.db = db
        self.settings = settings
        self.paths = paths if paths is not None else SitePaths(config)
        self.mailer = Mailer(MailSettings.of(config))
        self.limits = Limits(db)
        self.strings: dict[str, Strings] = {}
        self.languages: tuple[str, ...] = ()
        self.origins = frozenset(site_origins(config)) | frozenset(
            o for o in map(origin_of, config.addresses) if o)  # the onion address too

    def lang_of(self, value: object) -> str:
        return value if isinstance(value, str) and value in self.languages else (
            self.languages[0] if self.languages else self.config.language)

    def strings_of(self, lang: str) -> Strings:
        return self.strings.get(lang) or Strings(lang, {})

    def api_url(self) -> str:
        """The API's address for links in emails."""
        if self.settings.public_url:
            return self.settings.public_url.rstrip("/")
        return self.config.api_address

    def page(self, request: Request, title_key: str, text: str, status: int = 200,
             lang: str | None = None) -> HTMLResponse:
        """A small page for browsers that posted a form (or followed an emailed link)."""
        lang = lang or self.lang_of(request.query_params.get("lang"))
        t = self.strings_of(lang)
        prefix = "" if lang == (self.languages[0] if self.languages else lang) else f"/{lang}"
        home = self.config.absolute_url(f"{prefix}/")
        html = (f'<!doctype html><html lang="{escape(lang)}"><head><meta charset="utf-8">'
                '<meta name="viewport" content="width=device-width, initial-scale=1">'
                f'<meta name="robots" content="noindex"><title>{escape(t(title_key))} — '
                f"{escape(self.config.title)}</title></head><body><main>"
                f"<h1>{escape(t(title_key))}</h1><p>{escape(text)}</p>"
                f'<p><a href="{escape(home)}">{escape(t("api_back"))}</a></p>'
                "</main></body></html>")
        return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})

    def accepted(self, request: Request, what: str, lang: str) -> Response:
        """The same answer whoever asks (a sign-up never reveals who is subscribed)."""
        if wants_html(request):
            return RedirectResponse(f"{api_path(request)}/done/{what}?lang={lang}",
                                    status_code=303)
        return JSONResponse({"status": "accepted"}, status_code=202)

    def bad_input(self, request: Request, problem: BadInput) -> Response:
        """A refused request: JSON, or a page in the form's language for a plain form."""
        if wants_html(request):  # in the form's language, as its readers write
            lang = self.lang_of(getattr(request.state, "form_lang", None)
                                or request.query_params.get("lang"))
            return self.page(request, "api_error_title",
                             self.strings_of(lang)(_error_key(problem)), problem.status, lang)
        return error(problem.message, problem.field, problem.status)


def same_site(request: Request) -> bool:
    """Set by SameSiteMiddleware for every request."""
    return bool(getattr(request.state, "same_site", False))


def api_path(request: Request) -> str:
    return str(request.scope.get("root_path", "")) + "/api"


async def read_body(request: Request) -> dict[str, Any]:
    """The JSON object or form a client sent (its size capped by BodyLimitMiddleware)."""
    chunks = [chunk async for chunk in request.stream()]
    raw = b"".join(chunks)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        try:
            form = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True,
                                  strict_parsing=False, max_num_fields=20))
            request.state.form_lang = form.get("lang")
            return form
        except (UnicodeDecodeError, ValueError):
            raise BadInput("the form could not be read") from None
    if kind != "application/json":
        raise BadInput("send JSON (Content-Type: application/json) or a form", status=415)
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise BadInput("the body is not valid JSON") from None
    except RecursionError:
        raise BadInput("the body's JSON is nested too deep") from None
    if not isinstance(data, dict):
        raise BadInput("the body must be a JSON object")
    return data


def _error_key(problem: BadInput) -> str:
    """The interface string that says ``problem`` to a reader who sent a plain form."""
    if problem.field == "email":
        return "api_error_email"
    if problem.field:
        return "api_error_field"
    return {403: "api_error_forbidden", 413: "api_error_too_large",
            503: "api_error_closed"}.get(problem.status, "api_error_other")


def wants_html(request: Request) -> bool:
    """A plain HTML form posted this (answered with pages, not JSON)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return (kind == "application/x-www-form-urlencoded"
            and "application/json" not in request.headers.get("accept", ""))


def error(message: str, field: str = "", status: int = 400) -> JSONResponse:
    body: dict[str, str] = {"error": message}
    if field:
        body["field"] = field
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})
