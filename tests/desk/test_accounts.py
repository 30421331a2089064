"""The desk's people, on SQLite and PostgreSQL: invitations taken once, Argon2id hashes,
sessions that a forged or expired token does not open, a second factor whose codes work
once, login limits that stop guessing even with the right password, roles the server
enforces, and the audit log."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pyotp
import pytest

from masthead.api.db import Database, open_database
from masthead.api.protection import BadInput
from masthead.desk.accounts import ACCOUNT_FAILURES, Accounts, DeskError, digest
from masthead.desk.roles import Action, Role, may
from masthead.newsletter.editions import run_async
from tests.api.conftest import database, postgres_server  # noqa: F401 (fixtures)

T = TypeVar("T")
PASSWORD = "steppe wind over the river"


def run(url: str, tmp_path: Path, scenario: Callable[[Accounts, Database], Awaitable[T]]
        ) -> T:
    async def main() -> T:
        db = open_database(url, tmp_path)
        accounts = Accounts(db)
        await accounts.prepare()
        try:
            return await scenario(accounts, db)
        finally:
            await db.close()

    return run_async(main())


async def rows(db: Database, sql: str) -> list[tuple[object, ...]]:
    def work(cur: object) -> list[tuple[object, ...]]:
        cur.execute(sql)  # type: ignore[attr-defined]
        return [tuple(r) for r in cur.fetchall()]  # type: ignore[attr-defined]

    return await db.run(work)  # type: ignore[arg-type]


def test_an_invitation_is_taken_once_and_keeps_no_secret_in_the_clear(
        database: str, tmp_path: Path) -> None:  # noqa: F811
    async def scenario(accounts: Accounts, db: Database) -> None:
        admin, token = await accounts.invite(None, "Admin@Example.org", "Ann", Role.ADMIN)
        assert admin.email == "admin@example.org" and admin.state == "invited"
        with pytest.raises(DeskError) as exists:
            await accounts.invite(None, "admin@example.org", "Ann again", Role.ADMIN)
        assert exists.value.status == 409
        with pytest.raises(BadInput):
            await accounts.accept(token, "short")  # the invitation is not used up by it
        active = await accounts.accept(token, PASSWORD)
        assert active.state == "active" and active.role is Role.ADMIN
        with pytest.raises(DeskError) as again:
            await accounts.accept(token, PASSWORD + "!")
        assert again.value.status == 410
        [(password,)] = await rows(db, "SELECT password FROM accounts")
        assert str(password).startswith("$argon2id$") and PASSWORD not in str(password)
        stored = {str(r[0]) for r in await rows(db, "SELECT digest FROM invitations")}
        assert stored == {digest(token)} and token not in stored
        assert [a[2] for a in await accounts.audit()] == ["accept", "invite"]

    run(database, tmp_path, scenario)


def test_an_expired_invitation_is_refused(database: str, tmp_path: Path) -> None:  # noqa: F811
    async def scenario(accounts: Accounts, db: Database) -> None:
        _, token = await accounts.invite(None, "ann@example.org", "Ann", Role.CONTRIBUTOR)
        await db.run(lambda cur: cur.execute("UPDATE invitations SET created = '2020-01-01'"))
        with pytest.raises(DeskError, match="expired"):
            await accounts.accept(token, PASSWORD)

    run(database, tmp_path, scenario)


def test_twenty_wrong_passwords_are_refused_and_then_the_right_one_too(
        database: str, tmp_path: Path) -> None:  # noqa: F811
    async def scenario(accounts: Accounts, db: Database) -> None:
        _, token = await accounts.invite(None, "ann@example.org", "Ann", Role.AUTHOR)
        await accounts.accept(token, PASSWORD)
        statuses = []
        for n in range(20):
            try:
                await accounts.login("ann@example.org", f"guess number {n}", "203.0.113.9")
            except DeskError as exc:
                statuses.append(exc.status)
        assert statuses == [401] * ACCOUNT_FAILURES + [429] * (20 - ACCOUNT_FAILURES)
        with pytest.raises(DeskError) as stopped:  # the right password, too late
            await accounts.login("ann@example.org", PASSWORD, "198.51.100.7")
        assert stopped.value.status == 429
        keys = " ".join(str(r[0]) for r in await rows(db, "SELECT key FROM failures"))
        assert "203.0.113.9" not in keys and "ann@" not in keys  # keyed hashes only

    run(database, tmp_path, scenario)


def test_guessing_across_accounts_from_one_address_is_limited(
        database: str, tmp_path: Path) -> None:  # noqa: F811
    async def scenario(accounts: Accounts, db: Database) -> None:
        _, token = await accounts.invite(None, "ann@example.org", "Ann", Role.AUTHOR)
        await accounts.accept(token, PASSWORD)
        for n in range(20):  # 20 made-up addresses, 1 guess each: no account's limit
            with pytest.raises(DeskError):
                await accounts.login(f"nobody{n}@example.org", "guess", "203.0.113.9")
        with pytest.raises(DeskError) as stopped:
            await accounts.login("ann@example.org", PASSWORD, "203.0.113.9")
        assert stopped.value.status == 429
        assert (await accounts.login("ann@example.org", PASSWORD, "198.51.100.7")).name == "Ann"

    run(database, tmp_path, scenario)


def test_a_forged_expired_or_closed_session_opens_nothing(
        database: str, tmp_path: Path) -> None:  # noqa: F811
    async def scenario(accounts: Accounts, db: Database) -> None:
        _, token = await accounts.invite(None, "ann@example.org", "Ann", Role.CONTRIBUTOR)
        ann = await accounts.accept(token, PASSWORD)
        session = await accounts.open_session(ann, verified=False)
        found = await accounts.session(session)
        assert found is not None and found.account.id == ann.id and found.ready
        assert await accounts.session(session[:-1] + ("A" if session[-1] != "A" else "B")) \
            is None
        assert await accounts.session("") is None and await accounts.session("x" * 5000) \
            is None
        other = await accounts.open_session(ann, verified=False)
        await db.run(lambda cur: cur.execute(db.sql(
            "UPDATE sessions SET expires = '2020-01-01T00:00:00+00:00' WHERE digest = ?"),
            (digest(other),)))
        assert await accounts.session(other) is None
        await accounts.close_session(session)
        assert await accounts.session(session) is None

    run(database, tmp_path, scenario)


def test_a_second_factor_code_works_once(database: str, tmp_path: Path) -> None:  # noqa: F811
    async def scenario(accounts: Accounts, db: Database) -> None:
        _, token = await accounts.invite(None, "ed@example.org", "Ed", Role.EDITOR)
        editor = await accounts.accept(token, PASSWORD)
        session = await accounts.open_session(editor, verified=False)
        found = await accounts.session(session)
        assert found is not None and not found.ready  # an editor needs the second factor
        uri = await accounts.new_second_factor(editor)
        totp = pyotp.parse_uri(uri)
        assert isinstance(totp, pyotp.TOTP) and "ed%40example.org" in uri
        assert not await accounts.second_factor(editor, totp.now(), "192.0.2.1")  # not yet
        assert await accounts.confirm_second_factor(editor, totp.now(), "192.0.2.1")
        with pytest.raises(DeskError):  # in force: not swapped from a session
            await accounts.new_second_factor(editor)
        code = totp.at(time.time() + totp.interval)  # the next step's code, once
        assert await accounts.second_factor(editor, code, "192.0.2.1")
        assert not await accounts.second_factor(editor, code, "192.0.2.1")  # replayed
        current = {totp.at(time.time() + drift * totp.interval) for drift in (-1, 0, 1, 2)}
        wrong = next(c for c in ("000000", "111111", "222222", "333333", "444444")
                     if c not in current)
        assert not await accounts.second_factor(editor, wrong, "192.0.2.1")
        assert not await accounts.second_factor(editor, "12ab56", "192.0.2.1")
        await accounts.verify_session(session)
        found = await accounts.session(session)
        assert found is not None and found.ready and found.account.has_totp

    run(database, tmp_path, scenario)


def test_only_an_admin_invites(database: str, tmp_path: Path) -> None:  # noqa: F811
    async def scenario(accounts: Accounts, db: Database) -> None:
        _, token = await accounts.invite(None, "ed@example.org", "Ed", Role.EDITOR)
        editor = await accounts.accept(token, PASSWORD)
        with pytest.raises(DeskError) as refused:
            await accounts.invite(editor, "x@example.org", "X", Role.ADMIN)
        assert refused.value.status == 403
        _, token = await accounts.invite(None, "root@example.org", "Root", Role.ADMIN)
        admin = await accounts.accept(token, PASSWORD)
        made, _ = await accounts.invite(admin, "c@example.org", "C", Role.CONTRIBUTOR)
        assert made.role is Role.CONTRIBUTOR

    run(database, tmp_path, scenario)


@pytest.mark.parametrize(("role", "allowed"), [
    (Role.CONTRIBUTOR, {("write", True), ("submit", True), ("upload", True),
                        ("delete", True)}),
    (Role.AUTHOR, {("write", True), ("submit", True), ("upload", True), ("delete", True),
                   ("publish", True), ("unpublish", True)}),
    (Role.EDITOR, {(a.value, own) for a in Action for own in (True, False)
                   if a is not Action.ACCOUNTS}),
    (Role.ADMIN, {(a.value, own) for a in Action for own in (True, False)}),
])
def test_what_each_role_may_do(role: Role, allowed: set[tuple[str, bool]]) -> None:
    granted = {(action.value, own) for action in Action for own in (True, False)
               if may(role, action, own)}
    assert granted == allowed


def test_a_contributor_cannot_change_a_published_story_of_theirs() -> None:
    assert may(Role.CONTRIBUTOR, Action.WRITE, own=True, published=False)
    assert not may(Role.CONTRIBUTOR, Action.WRITE, own=True, published=True)
    assert not may(Role.CONTRIBUTOR, Action.DELETE, own=True, published=True)
    assert may(Role.AUTHOR, Action.WRITE, own=True, published=True)
