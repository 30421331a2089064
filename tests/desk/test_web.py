"""The desk's doors over HTTP, served by uvicorn on loopback: the session cookie's
attributes, writes from another site refused (a cross-site form, a foreign Origin),
forged and expired sessions, the second factor before an editor may act, and the login
limit."""

from __future__ import annotations

import time

import pyotp
import pytest

from masthead.desk.accounts import Accounts
from masthead.desk.roles import Role
from masthead.desk.web import COOKIE
from tests.desk.conftest import PASSWORD, Browser, person, sign_in


def test_the_session_cookie_is_secure_httponly_and_strict(desk: Browser) -> None:
    person(desk, "ann@example.org", Role.CONTRIBUTOR)
    answer = desk.post("/admin/session", json={"email": "ann@example.org",
                                               "password": PASSWORD})
    assert answer.status_code == 200 and answer.json()["second_factor"] == "offered"
    cookie = answer.headers["set-cookie"].lower()
    assert cookie.startswith(COOKIE.lower() + "=")
    assert all(part in cookie for part in ("httponly", "secure", "samesite=strict", "path=/"))
    assert answer.headers["x-frame-options"] == "DENY"
    assert desk.get("/admin/session").json() == {"name": "ann", "role": "contributor",
                                                 "ready": True}
    assert desk.delete("/admin/session").status_code == 200
    assert desk.get("/admin/session").status_code == 401


@pytest.mark.parametrize("headers", [
    {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    {"Origin": "https://evil.example"},  # an older browser: no Sec-Fetch-Site
    {"Origin": "same", "Sec-Fetch-Site": "cross-site"},
    {},  # no Origin at all on a write
])
def test_a_write_from_another_site_is_refused(desk: Browser, headers: dict[str, str]
                                              ) -> None:
    person(desk, "ann@example.org", Role.CONTRIBUTOR)
    headers = {k: desk.url if v == "same" else v for k, v in headers.items()}
    answer = desk.post("/admin/session", data={"email": "ann@example.org",
                                               "password": PASSWORD}, headers=headers)
    assert answer.status_code == 403 and "set-cookie" not in answer.headers


def test_a_form_from_the_desk_itself_must_be_json(desk: Browser) -> None:
    person(desk, "ann@example.org", Role.CONTRIBUTOR)
    answer = desk.post("/admin/session", data={"email": "ann@example.org",
                                               "password": PASSWORD})
    assert answer.status_code == 415


def test_a_forged_or_expired_session_is_refused(desk: Browser) -> None:
    person(desk, "ann@example.org", Role.CONTRIBUTOR)
    desk.token = "forged-token-" + "x" * 30
    assert desk.get("/admin/session").status_code == 401
    desk.token = ""
    assert sign_in(desk, "ann@example.org") == 200

    async def expire(accounts: Accounts) -> None:
        await accounts.db.run(lambda cur: cur.execute(
            "UPDATE sessions SET expires = '2020-01-01T00:00:00+00:00'"))

    desk.run(expire)
    assert desk.get("/admin/session").status_code == 401


def test_an_editor_acts_only_after_the_second_factor_and_a_code_works_once(
        desk: Browser) -> None:
    person(desk, "ed@example.org", Role.EDITOR)
    answer = desk.post("/admin/session", json={"email": "ed@example.org",
                                               "password": PASSWORD})
    assert answer.json()["second_factor"] == "set up"
    assert desk.get("/admin/session").json()["ready"] is False
    uri = desk.post("/admin/second-factor/new").json()["otpauth"]
    totp = pyotp.parse_uri(uri)
    assert isinstance(totp, pyotp.TOTP)
    code = totp.now()
    assert desk.post("/admin/second-factor", json={"code": code}).status_code == 200
    assert desk.get("/admin/session").json()["ready"] is True
    desk.token = ""
    assert sign_in(desk, "ed@example.org") == 200
    replayed = desk.post("/admin/second-factor", json={"code": code})
    assert replayed.status_code == 401 and desk.get("/admin/session").json()["ready"] is False
    later = totp.at(time.time() + totp.interval)
    assert desk.post("/admin/second-factor", json={"code": later}).status_code == 200


def test_twenty_wrong_passwords_over_http(desk: Browser) -> None:
    person(desk, "ann@example.org", Role.AUTHOR)
    statuses = [sign_in(desk, "ann@example.org", f"wrong guess {n}") for n in range(20)]
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
    assert sign_in(desk, "ann@example.org") == 429


def test_a_contributor_who_added_a_second_factor_is_asked_for_it(desk: Browser) -> None:
    person(desk, "ann@example.org", Role.CONTRIBUTOR)
    assert sign_in(desk, "ann@example.org") == 200
    assert desk.post("/admin/api/v1", json={"action": "unpublishedEntries"}
                     ).status_code == 200  # without one: the role needs none
    uri = desk.post("/admin/second-factor/new").json()["otpauth"]
    assert desk.post("/admin/second-factor",
                     json={"code": pyotp.parse_uri(uri).now()}).status_code == 200
    desk.token = ""
    answer = desk.post("/admin/session", json={"email": "ann@example.org",
                                               "password": PASSWORD})
    assert answer.json()["second_factor"] == "needed"
    assert desk.post("/admin/api/v1", json={"action": "unpublishedEntries"}
                     ).status_code == 403  # the password alone no longer opens the desk
