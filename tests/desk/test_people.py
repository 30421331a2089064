"""Admins manage the newsroom's accounts: an invitation mailed through the site's own SMTP
settings (a real SMTP server on loopback) whose link sets the password; an invitation
the server refuses is said not sent, with the link to pass on; roles changed and
accounts disabled, by admins only."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from masthead.desk.roles import Role
from tests.api.conftest import Mailbox, free_port
from tests.desk.conftest import PASSWORD, SETTINGS, Browser, serving, sign_in
from tests.desk.test_protocol import as_person


@pytest.fixture
def mailing_desk(tmp_path: Path, mailbox: Mailbox) -> Iterator[Browser]:
    settings = SETTINGS + (f'smtp_host = "127.0.0.1"\nsmtp_port = {mailbox.port}\n'
                           'mail_from = "Steppe Ledger <desk@example.org>"\n')
    with serving(tmp_path, settings) as desk:
        yield desk


def invite(desk: Browser, email: str, role: str = "contributor", **more: Any) -> Any:
    return desk.post("/admin/people", json={"email": email, "name": "Ann Lee",
                                            "role": role, **more})


def test_an_admin_invites_by_mail_and_the_link_sets_the_password(
        mailing_desk: Browser, mailbox: Mailbox) -> None:
    desk = mailing_desk
    as_person(desk, "boss@example.org", Role.ADMIN)
    made = invite(desk, "ann@example.org", lang="ru")
    assert made.status_code == 201, made.text
    assert made.json()["mailed"] and made.json()["link"] == ""  # the link went by mail only
    message = mailbox.wait(1)[0]
    assert message["X-Envelope-To"] == "ann@example.org"
    assert "Steppe Ledger" in message["Subject"]
    text = message.get_payload(decode=True).decode()
    assert "приглашает" in text and "boss" in text
    token = re.search(r"#invitation=([A-Za-z0-9_-]+)", text)
    assert token and f"{desk.url}/admin/#invitation=" in text
    desk.token = ""
    assert desk.post("/admin/invitation", json={"token": token.group(1),
                                                "password": PASSWORD}).status_code == 200
    assert sign_in(desk, "ann@example.org") == 200
    assert desk.get("/admin/session").json()["role"] == "contributor"
    assert invite(desk, "eve@example.org").status_code == 403  # not an admin


def test_an_invitation_the_server_does_not_take_is_not_said_sent(tmp_path: Path) -> None:
    settings = SETTINGS + (f'smtp_host = "127.0.0.1"\nsmtp_port = {free_port()}\n'
                           'mail_from = "Steppe Ledger <desk@example.org>"\n')
    with serving(tmp_path, settings) as desk:  # nothing listens on that port
        as_person(desk, "boss@example.org", Role.ADMIN)
        made = invite(desk, "ann@example.org").json()
        assert made["mailed"] is False and "did not take it" in made["problem"]
        assert "/admin/#invitation=" in made["link"]


def test_admins_change_roles_and_disable_accounts(desk: Browser) -> None:
    as_person(desk, "ann@example.org", Role.CONTRIBUTOR)
    ann = desk.token
    assert desk.get("/admin/people").status_code == 403
    as_person(desk, "boss@example.org", Role.ADMIN)
    people = {p["email"]: p for p in desk.get("/admin/people").json()}
    assert people["ann@example.org"]["role"] == "contributor"
    assert "password" not in str(people) and "totp" not in str(people)
    ann_id = people["ann@example.org"]["id"]
    assert desk.post(f"/admin/people/{ann_id}", json={"role": "author"}).json()["role"] \
        == "author"
    own = people["boss@example.org"]["id"]
    assert people["boss@example.org"]["me"] and not people["ann@example.org"]["me"]
    assert desk.post(f"/admin/people/{own}", json={"role": "contributor"}).status_code == 403
    assert desk.post(f"/admin/people/{ann_id}", json={"state": "disabled"}
                     ).status_code == 200
    desk.token = ann
    assert desk.get("/admin/session").status_code == 401  # her session opens nothing now
    assert sign_in(desk, "ann@example.org") == 401
