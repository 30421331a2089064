"""The desk's people: invitations, passwords, the second factor, sessions, login limits
and the audit log, in the desk's own database.

- An account starts as an invitation (a random token mailed to the address, kept by its
  SHA-256, good for seven days and once); taking it sets the password.
- Passwords are hashed with Argon2id (``argon2-cffi``), at least 10 characters.
- Editors and admins must add a second factor (TOTP, RFC 6238, via ``pyotp``) before
  their session may do anything; a code is accepted once (a replayed one is refused).
- Sessions are random tokens kept by their SHA-256, for twelve hours.
- Failed logins and codes are counted per account and per address (keyed hashes, never
  the address itself) in 15-minute windows: past the limit, even the right password is
  refused until the window ends, so guessing is slow whatever is guessed.
- Every change is written to the audit log: who did what to what, and when."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import anyio.to_thread
import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from masthead.api.db import Cursor, Database, now_text
from masthead.api.migrations import apply_migrations
from masthead.api.protection import BadInput, clean_email, clean_text
from masthead.desk.roles import Action, Role, may
from masthead.desk.schema import DESK_MIGRATIONS

PASSWORD_MIN, PASSWORD_MAX = 10, 1024
INVITATION_DAYS = 7
SESSION_HOURS = 12
WINDOW = 15 * 60  # seconds of one window of counted failures
ACCOUNT_FAILURES = 5  # per account and window
ADDRESS_FAILURES = 20  # per address and window (an office behind one address)
TOTP_ISSUER = "masthead desk"


class DeskError(Exception):
    """An action the desk refuses: ``status`` as HTTP says it, a message for people."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.status = message, status


@dataclass(frozen=True)
class Account:
    id: str
    email: str
    name: str
    role: Role
    state: str  # invited | active | disabled
    has_totp: bool  # a second factor is set up and confirmed


@dataclass(frozen=True)
class Session:
    account: Account
    verified: bool  # the second factor was given in this session
    expires: str

    @property
    def ready(self) -> bool:
        """May act: signed in, and with the second factor where the role needs one or
        the account has one (a contributor who added one is asked for it too)."""
        return self.verified or not (self.account.role.needs_second_factor
                                     or self.account.has_totp)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _later(**delta: float) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(**delta)).isoformat(timespec="seconds")


_COLUMNS = "id, email, name, role, state, totp, totp_step"
_JOINED = ", ".join(f"a.{column}" for column in _COLUMNS.split(", "))


def _account(row: tuple[object, ...]) -> Account:
    return Account(str(row[0]), str(row[1]), str(row[2]), Role(str(row[3])), str(row[4]),
                   bool(row[5]) and int(str(row[6])) >= 0)


class Accounts:
    """Everything the desk knows of its people, on one database."""

    def __init__(self, db: Database, hasher: PasswordHasher | None = None) -> None:
        self.db = db
        self.hasher = hasher or PasswordHasher()
        self._key = secrets.token_bytes(32)  # for the failure counters' keys
        self._dummy = ""  # a hash to verify against when the account does not exist

    async def prepare(self) -> None:
        """Bring the desk's tables up to date (every start)."""
        await self.db.run(lambda cur: apply_migrations(cur, self.db.dialect, self.db.sql,
                                                       DESK_MIGRATIONS))
        self._dummy = await anyio.to_thread.run_sync(self.hasher.hash,
                                                     secrets.token_urlsafe(16))

    # --- accounts and invitations -------------------------------------------------------

    async def invite(self, by: Account | None, email: str, name: str, role: Role
                     ) -> tuple[Account, str]:
        """A new account and the token of its invitation (to mail as a link). ``by``:
        the admin who invites; None only for the first admin, made on the server."""
        if by is not None and not may(by.role, Action.ACCOUNTS):
            raise DeskError("only an admin invites people", 403)
        email = clean_email(email)
        name = clean_text(name, "name", 200, single_line=True)
        token, account_id = secrets.token_urlsafe(32), secrets.token_hex(8)
        q = self.db.sql

        def work(cur: Cursor) -> bool:
            cur.execute(q("SELECT 1 FROM accounts WHERE email = ?"), (email,))
            if cur.fetchone() is not None:
                return False
            cur.execute(q(f"INSERT INTO accounts ({_COLUMNS}, password, created, invited_by) "
                          "VALUES (?, ?, ?, ?, 'invited', '', -1, '', ?, ?)"),
                        (account_id, email, name, role.value, now_text(),
                         by.id if by else ""))
            cur.execute(q("INSERT INTO invitations (digest, account, created, used) "
                          "VALUES (?, ?, ?, '')"), (digest(token), account_id, now_text()))
            return True

        if not await self.db.run(work):
            raise DeskError(f"{email} has an account already", 409)
        account = Account(account_id, email, name, role, "invited", False)
        await self.log(by.id if by else "", "invite", account_id, f"{role.value} {email}")
        return account, token

    async def accept(self, token: str, password: str) -> Account:
        """Take an invitation: the password is set and the account is active."""
        check_password(password)
        hashed = await anyio.to_thread.run_sync(self.hasher.hash, password)
        oldest = _later(days=-INVITATION_DAYS)
        q = self.db.sql

        def work(cur: Cursor) -> Account | str:
            cur.execute(q("SELECT account, created, used FROM invitations WHERE digest = ?"),
                        (digest(token),))
            row = cur.fetchone()
            if row is None or row[2]:
                return "this invitation is not valid (it was used, or never made)"
            if row[1] < oldest:
                return "this invitation has expired: ask an admin for a new one"
            cur.execute(q("UPDATE invitations SET used = ? WHERE digest = ?"),
                        (now_text(), digest(token)))
            cur.execute(q("UPDATE accounts SET password = ?, state = 'active' "
                          "WHERE id = ? AND state = 'invited'"), (hashed, row[0]))
            cur.execute(q(f"SELECT {_COLUMNS} FROM accounts WHERE id = ?"), (row[0],))
            return _account(cur.fetchone())

        found = await self.db.run(work)
        if isinstance(found, str):
            raise DeskError(found, 410)
        await self.log(found.id, "accept", found.id, "")
        return found

    async def account(self, account_id: str) -> Account | None:
        q = self.db.sql

        def work(cur: Cursor) -> Account | None:
            cur.execute(q(f"SELECT {_COLUMNS} FROM accounts WHERE id = ?"), (account_id,))
            row = cur.fetchone()
            return _account(row) if row else None

        return await self.db.run(work)

    async def name_of(self, account_id: str) -> str:
        found = await self.account(account_id)
        return found.name if found else "someone"

    async def everyone(self) -> list[Account]:
        q = self.db.sql

        def work(cur: Cursor) -> list[Account]:
            cur.execute(q(f"SELECT {_COLUMNS} FROM accounts ORDER BY name"))
            return [_account(tuple(row)) for row in cur.fetchall()]

        return await self.db.run(work)

    async def change(self, by: Account, account_id: str, role: Role | None,
                     state: str | None) -> Account:
        """An admin changes another's role, or disables (or enables again) an account:
        a disabled account's sessions open nothing from then on."""
        if not may(by.role, Action.ACCOUNTS):
            raise DeskError("only an admin changes accounts", 403)
        if account_id == by.id:
            raise DeskError("ask another admin to change your own account", 403)
        if state not in (None, "active", "disabled"):
            raise DeskError("an account is active or disabled", 422)
        found = await self.account(account_id)
        if found is None:
            raise DeskError("no such account", 404)
        q = self.db.sql
        new_role = role or found.role
        new_state = state if state and found.state != "invited" else found.state
        await self.db.run(lambda cur: cur.execute(
            q("UPDATE accounts SET role = ?, state = ? WHERE id = ?"),
            (new_role.value, new_state, account_id)))
        await self.log(by.id, "account", account_id, f"{new_role.value} {new_state}")
        return Account(found.id, found.email, found.name, new_role, new_state,
                       found.has_totp)

    # --- signing in ---------------------------------------------------------------------

    def _key_of(self, kind: str, value: str) -> str:
        return f"{kind}:{hmac.new(self._key, value.encode(), 'sha256').hexdigest()[:32]}"

    async def _failures(self, keys: list[str]) -> list[int]:
        bucket = int(time.time() // WINDOW)
        q = self.db.sql

        def work(cur: Cursor) -> list[int]:
            found = []
            for key in keys:
                cur.execute(q("SELECT count FROM failures WHERE key = ? AND bucket = ?"),
                            (key, bucket))
                row = cur.fetchone()
                found.append(int(row[0]) if row else 0)
            return found

        return await self.db.run(work)

    async def _failed(self, keys: list[str]) -> None:
        bucket = int(time.time() // WINDOW)
        q = self.db.sql

        def work(cur: Cursor) -> None:
            for key in keys:
                cur.execute(q("INSERT INTO failures (key, bucket, count) VALUES (?, ?, 1) "
                              "ON CONFLICT (key, bucket) DO UPDATE SET "
                              "count = failures.count + 1"), (key, bucket))
            cur.execute(q("DELETE FROM failures WHERE bucket < ?"), (bucket - 1,))

        await self.db.run(work)

    async def _within_limits(self, email: str, address: str) -> list[str]:
        keys = [self._key_of("a", email), self._key_of("i", address)]
        by_account, by_address = await self._failures(keys)
        if by_account >= ACCOUNT_FAILURES or by_address >= ADDRESS_FAILURES:
            raise DeskError("too many failed attempts: wait 15 minutes and try again", 429)
        return keys

    async def login(self, email: str, password: str, address: str) -> Account:
        """The account whose address and password these are (active), or DeskError. Past
        the limit of failures, refused whatever the password."""
        email = email.strip().lower()[:320]
        keys = await self._within_limits(email, address)
        q = self.db.sql

        def work(cur: Cursor) -> tuple[tuple[object, ...], str] | None:
            cur.execute(q(f"SELECT {_COLUMNS}, password FROM accounts WHERE lower(email) = ?"),
                        (email,))
            row = cur.fetchone()
            return (tuple(row[:7]), str(row[7])) if row else None

        found = await self.db.run(work)
        stored = found[1] if found and found[1] else self._dummy  # the same time either way
        try:
            await anyio.to_thread.run_sync(self.hasher.verify, stored,
                                           password[:PASSWORD_MAX])
            right = found is not None and bool(found[1])
        except (VerificationError, InvalidHashError):
            right = False
        if not right or found is None or found[0][4] != "active":
            await self._failed(keys)
            raise DeskError("wrong address or password", 401)
        account = _account(found[0])
        if self.hasher.check_needs_rehash(stored):
            hashed = await anyio.to_thread.run_sync(self.hasher.hash, password)
            await self.db.run(lambda cur: cur.execute(
                q("UPDATE accounts SET password = ? WHERE id = ?"), (hashed, account.id)))
        await self.log(account.id, "login", account.id, "")
        return account

    async def new_second_factor(self, account: Account) -> str:
        """A new TOTP secret for the account (not yet in force: ``confirm_second_factor``
        with a code from the app puts it in force); the ``otpauth://`` URI for the app."""
        secret = pyotp.random_base32()
        q = self.db.sql

        def work(cur: Cursor) -> bool:
            cur.execute(q("UPDATE accounts SET totp = ?, totp_step = -1 "
                          "WHERE id = ? AND totp_step < 0"), (secret, account.id))
            return bool(cur.rowcount == 1)

        if not await self.db.run(work):  # a factor in force is not swapped from a session
            raise DeskError("a second factor is set up already: an admin can reset it", 409)
        return pyotp.TOTP(secret).provisioning_uri(name=account.email, issuer_name=TOTP_ISSUER)

    async def confirm_second_factor(self, account: Account, code: str, address: str) -> bool:
        """Put the new second factor in force with a first code from the app."""
        return await self.second_factor(account, code, address, setting_up=True)

    async def second_factor(self, account: Account, code: str, address: str,
                            setting_up: bool = False) -> bool:
        """Whether ``code`` is the account's current TOTP code, not used before (a code
        seen once, by anyone, is refused after). Wrong codes count as failed logins."""
        keys = await self._within_limits(account.email, address)
        q = self.db.sql
        code = code.strip().replace(" ", "")[:12]

        def work(cur: Cursor) -> bool:
            cur.execute(q("SELECT totp, totp_step FROM accounts WHERE id = ?"), (account.id,))
            row = cur.fetchone()
            if row is None or not row[0] or (int(row[1]) < 0) != setting_up:
                return False
            totp, last = pyotp.TOTP(str(row[0])), int(row[1])
            now = time.time()
            for drift in (0, -1, 1):  # the clock of a phone may be 30 s off
                step = int(now // totp.interval) + drift
                if step > last and hmac.compare_digest(totp.at(step * totp.interval), code):
                    cur.execute(q("UPDATE accounts SET totp_step = ? WHERE id = ?"),
                                (step, account.id))
                    return True
            return False

        if not code.isdigit() or not await self.db.run(work):
            await self._failed(keys)
            return False
        await self.log(account.id, "second factor" if not setting_up else
                       "second factor set up", account.id, "")
        return True

    # --- sessions -----------------------------------------------------------------------

    async def open_session(self, account: Account, verified: bool) -> str:
        token = secrets.token_urlsafe(32)
        q = self.db.sql
        await self.db.run(lambda cur: cur.execute(
            q("INSERT INTO sessions (digest, account, created, expires, verified) "
              "VALUES (?, ?, ?, ?, ?)"),
            (digest(token), account.id, now_text(), _later(hours=SESSION_HOURS),
             1 if verified else 0)))
        return token

    async def verify_session(self, token: str) -> None:
        """The second factor was given in this session."""
        q = self.db.sql
        await self.db.run(lambda cur: cur.execute(
            q("UPDATE sessions SET verified = 1 WHERE digest = ?"), (digest(token),)))

    async def session(self, token: str) -> Session | None:
        """The session of a cookie's token: None when unknown, expired, or its account
        is no longer active (a forged or stolen-then-closed token opens nothing)."""
        if not token or len(token) > 100:
            return None
        q = self.db.sql

        def work(cur: Cursor) -> Session | None:
            cur.execute(q(f"SELECT s.expires, s.verified, {_JOINED} FROM sessions s "
                          "JOIN accounts a ON a.id = s.account WHERE s.digest = ?"),
                        (digest(token),))
            row = cur.fetchone()
            if row is None or str(row[0]) < now_text() or row[6] != "active":
                return None
            return Session(_account(tuple(row[2:])), bool(row[1]), str(row[0]))

        return await self.db.run(work)

    async def close_session(self, token: str) -> None:
        q = self.db.sql
        await self.db.run(lambda cur: cur.execute(
            q("DELETE FROM sessions WHERE digest = ?"), (digest(token),)))

    # --- the audit log ------------------------------------------------------------------

    async def log(self, account: str, action: str, target: str, detail: str) -> None:
        q = self.db.sql
        await self.db.run(lambda cur: cur.execute(
            q("INSERT INTO audit (at, account, action, target, detail) VALUES (?, ?, ?, ?, ?)"),
            (now_text(), account, action, target, detail[:500])))

    async def audit(self, limit: int = 200) -> list[tuple[str, str, str, str, str]]:
        """The newest entries first: (when, account, action, target, detail)."""
        q = self.db.sql

        def work(cur: Cursor) -> list[tuple[str, str, str, str, str]]:
            cur.execute(q("SELECT at, account, action, target, detail FROM audit "
                          "ORDER BY id DESC LIMIT ?"), (limit,))
            return [(r[0], r[1], r[2], r[3], r[4]) for r in cur.fetchall()]

        return await self.db.run(work)


def check_password(password: str) -> None:
    """At least 10 characters (a phrase is easier to remember than symbols), at most
    1,024 (hashing a megabyte would be an attack)."""
    if not isinstance(password, str) or len(password) < PASSWORD_MIN:
        raise BadInput(f"the password needs at least {PASSWORD_MIN} characters", "password")
    if len(password) > PASSWORD_MAX:
        raise BadInput(f"the password may have at most {PASSWORD_MAX} characters", "password")
