"""The newsroom's accounts, for admins: who is at the desk with which role, inviting
someone (the invitation mailed through the site's own SMTP settings), changing a role,
disabling an account.

An invitation the mail server did not take (no 250) is not said to be sent: the admin
gets the link to pass on another way, and the reason."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from masthead.api.mail import Mailer, MailError, MailSettings
from masthead.config import SiteConfig
from masthead.desk.accounts import Account, Accounts, DeskError
from masthead.desk.roles import Action, Role, may
from masthead.desk.web import Doors, json_body

LETTER = {
    "en": ("An invitation to the desk of {site}",
           "{by} invites you to the desk of {site} as {role}.\n\n"
           "Choose your password here (the link works once, for seven days):\n{link}\n\n"
           "If you did not expect this message, ignore it: nothing happens without the "
           "link.\n"),
    "ru": ("Приглашение в редакцию {site}",
           "{by} приглашает вас в редакцию {site} ({role}).\n\n"
           "Придумайте пароль по этой ссылке (она работает один раз, семь дней):\n{link}\n\n"
           "Если вы не ждали этого письма, просто не отвечайте на него: без ссылки ничего "
           "не произойдёт.\n"),
}
ROLE_NAMES = {"ru": {"contributor": "автор-внештатник", "author": "автор",
                     "editor": "редактор", "admin": "администратор"}}


@dataclass(frozen=True)
class Invited:
    account: Account
    link: str
    mailed: bool
    problem: str = ""


def _shown(account: Account) -> dict[str, object]:
    return {"id": account.id, "email": account.email, "name": account.name,
            "role": account.role.value, "state": account.state,
            "second_factor": account.has_totp}


class People:
    """``/admin/people`` (GET: the accounts; POST: invite) and ``/admin/people/{id}``
    (POST: role or state)."""

    def __init__(self, accounts: Accounts, doors: Doors, config: SiteConfig) -> None:
        self.accounts = accounts
        self.doors = doors
        self.config = config
        self.mailer = Mailer(MailSettings.of(config))

    def routes(self) -> list[Route]:
        return [Route("/admin/people", self.doors.guarded(self.listing), methods=["GET"]),
                Route("/admin/people", self.doors.guarded(self.invite), methods=["POST"]),
                Route("/admin/people/{id}", self.doors.guarded(self.change),
                      methods=["POST"])]

    async def _admin(self, request: Request) -> Account:
        account = (await self.doors.session_of(request)).account
        if not may(account.role, Action.ACCOUNTS):
            raise DeskError("only an admin manages accounts", 403)
        return account

    async def listing(self, request: Request) -> Response:
        by = await self._admin(request)  # their own row is for another admin to change
        return JSONResponse([{**_shown(a), "me": a.id == by.id}
                             for a in await self.accounts.everyone()])

    async def invite(self, request: Request) -> Response:
        by = await self._admin(request)
        data = await json_body(request)
        role = data.get("role")
        if role not in [r.value for r in Role]:
            raise DeskError("role: contributor, author, editor or admin", 422)
        lang = "ru" if data.get("lang") == "ru" else "en"
        invited = await self.send_invitation(
            by, str(data.get("email", "")), str(data.get("name", "")), Role(str(role)),
            request.headers.get("origin", ""), lang)
        return JSONResponse({**_shown(invited.account), "mailed": invited.mailed,
                             "problem": invited.problem,
                             # only when it did not go: then the admin passes it on
                             "link": "" if invited.mailed else invited.link},
                            status_code=201)

    async def send_invitation(self, by: Account, email: str, name: str, role: Role,
                              desk: str, lang: str) -> Invited:
        account, token = await self.accounts.invite(by, email, name, role)
        link = f"{desk.rstrip('/')}/admin/#invitation={token}"
        if not self.mailer.settings.enabled:
            return Invited(account, link, False, "the site has no smtp_host and mail_from "
                                                 "in masthead.toml: give them the link")
        subject, text = LETTER[lang]
        shown_role = ROLE_NAMES.get(lang, {}).get(role.value, role.value)
        words = {"site": self.config.title, "by": by.name, "role": shown_role, "link": link}
        try:
            await self.mailer.send(account.email, subject.format(**words),
                                   text.format(**words))
        except MailError as exc:
            await self.accounts.log(by.id, "invitation not mailed", account.id, str(exc))
            return Invited(account, link, False, f"the mail server did not take it: {exc}")
        await self.accounts.log(by.id, "invitation mailed", account.id, account.email)
        return Invited(account, link, True)

    async def change(self, request: Request) -> Response:
        by = await self._admin(request)
        data = await json_body(request)
        role = data.get("role")
        if role is not None and role not in [r.value for r in Role]:
            raise DeskError("role: contributor, author, editor or admin", 422)
        state = data.get("state")
        changed = await self.accounts.change(by, request.path_params["id"],
                                             Role(role) if role else None,
                                             str(state) if state is not None else None)
        return JSONResponse(_shown(changed))
