"""The fediverse accounts' live parts: WebFinger, the inbox, the followers' count, and
the replies, likes and boosts each story got.

The accounts' documents are static files of the build (``emit/activitypub.py``); this
feature answers what depends on the request. The inbox takes only signed requests
(``api/signatures.py``) whose key belongs to the activity's actor, and keeps only what
a magazine needs: which servers follow which account (their shared inbox, to deliver
to), and per story how many replies, likes and boosts it got (counted on the page;
never their text, never shown as a list). Who followed or liked is kept only as a keyed
hash of their address, enough to take a follow or a like back when they undo it, and
the logs name their server, not them: the database of an outlet's API is what an
attacker would most like to read. Follow is accepted at once with a signed Accept; Undo
takes a follow or a like back; Delete takes a reply back. Everything else is
acknowledged and dropped. Deliveries (the Accepts, and the stories the channels queue)
are sent by ``api/deliveries.py`` right away and retried by the housekeeping."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import logging
import re
from typing import Any
from urllib.parse import urlsplit

import anyio.to_thread
import httpx
import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from masthead.api.context import ApiContext
from masthead.api.db import Cursor, Database, now_text
from masthead.api.deliveries import Signer, deliver, queue
from masthead.api.protection import BadInput, clean_path
from masthead.api.signatures import (
    PeerRefused,
    SignatureRefused,
    fetch_document,
    public_key_of,
    verify,
)
from masthead.config import SiteConfig
from masthead.emit.activitypub import (
    AS_CONTEXT,
    Account,
    FediverseKeyError,
    accounts_of,
    api_base,
    private_key,
)
from masthead.safeurl import origin_of

log = logging.getLogger("masthead.api")

JSON_TYPES = ("application/activity+json", "application/ld+json", "application/json")
KEY_FRESH = dt.timedelta(days=1)  # a peer's key is fetched again after a day, or when
MAX_ID = 2000  # a signature fails with the kept one
REACTIONS = {"Like": "likes", "Announce": "boosts", "reply": "replies"}


def _id(value: object) -> str:
    """An object's id, whether it is given inline or by reference."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and len(value) <= MAX_ID else ""


class Fediverse:
    """The feature: its routes, its SQL, its deliveries."""

    def __init__(self, context: ApiContext) -> None:
        self.context = context
        self.db: Database = context.db
        self.accounts: dict[str, Account] = {a.name: a for a in accounts_of(context.config)}
        self.by_actor = {a.actor: a for a in self.accounts.values()}
        self.signer: Signer | None = None
        self._secret = b""
        self.client: httpx.Client | None = None
        self._delivering = asyncio.Lock()

    def routes(self) -> list[Route]:
        if not self.accounts:
            return []
        return [Route("/.well-known/webfinger", self.webfinger, methods=["GET"]),
                Route("/api/fediverse/webfinger", self.webfinger, methods=["GET"]),
                Route("/api/fediverse/inbox", self.inbox, methods=["POST"]),
                Route("/api/fediverse/{account}/inbox", self.inbox, methods=["POST"]),
                Route("/api/fediverse/{account}/followers", self.followers, methods=["GET"]),
                Route("/api/fediverse/reactions", self.reactions, methods=["GET"])]

    async def start(self) -> None:
        if not self.accounts:
            return
        try:
            key = private_key(self.context.config)
        except FediverseKeyError as exc:
            log.error("fediverse: %s; the inbox answers 503 until then", exc)
            return
        self.signer = Signer(key, {a.name: a.key_id for a in self.accounts.values()})
        self._secret = hmac.new(self.context.limits.key, b"masthead-fediverse",
                                "sha256").digest()
        self.client = httpx.Client()

    async def housekeeping(self) -> None:
        await self.deliver_now()

    def close(self) -> None:
        """When the API stops: the connections to other servers are closed."""
        if self.client is not None:
            self.client.close()

    def hashed(self, address: str) -> str:
        """A keyed hash of a fediverse address (an actor, a like, a key): the same address
        gives the same hash, and the database alone does not tell whose it is."""
        return hmac.new(self._secret, address.encode(), "sha256").hexdigest()[:40]

    async def deliver_now(self) -> None:
        """Send what is due (one sender at a time in this process)."""
        if self.signer is None or self._delivering.locked():
            return
        async with self._delivering:
            signer, client = self.signer, self.client
            done = await anyio.to_thread.run_sync(lambda: deliver(self.db, signer, None,
                                                                  client))
            await self.db.run(_forget_accepts)
            if done.sent or done.failed:
                log.info(done.line())

    # --- WebFinger and collections ------------------------------------------------------

    async def webfinger(self, request: Request) -> Response:
        resource = request.query_params.get("resource", "")
        account = self._account_named(resource)
        if account is None:
            return JSONResponse({"error": "no such account here"}, status_code=404,
                                headers={"Access-Control-Allow-Origin": "*"})
        front = self.context.config.absolute_url(
            "/" if account.channel.language == self._default_language()
            else f"/{account.channel.language}/")
        return JSONResponse(
            {"subject": f"acct:{account.name}@{account.host}", "aliases": [account.actor],
             "links": [{"rel": "self", "type": "application/activity+json",
                        "href": account.actor},
                       {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html",
                        "href": front}]},
            media_type="application/jrd+json",
            headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "max-age=3600"})

    def _account_named(self, resource: str) -> Account | None:
        if resource in self.by_actor:
            return self.by_actor[resource]
        if not resource.startswith("acct:") or resource.count("@") != 1:
            return None
        name, host = resource[5:].lstrip("@").split("@")
        account = self.accounts.get(name.lower())
        return account if account is not None and host.lower() == account.host.lower() \
            else None

    def _default_language(self) -> str:
        return self.context.languages[0] if self.context.languages else \
            self.context.config.language

    async def followers(self, request: Request) -> Response:
        account = self.accounts.get(request.path_params["account"])
        if account is None:
            raise BadInput("no such account here", status=404)
        q = self.db.sql

        def work(cur: Cursor) -> int:
            cur.execute(q("SELECT COUNT(*) FROM fediverse_followers WHERE account = ?"),
                        (account.name,))
            return int(cur.fetchone()[0])

        count = await self.db.run(work)
        return JSONResponse({"@context": AS_CONTEXT, "id": account.followers,
                             "type": "OrderedCollection", "totalItems": count},
                            media_type="application/activity+json",
                            headers={"Access-Control-Allow-Origin": "*"})

    async def reactions(self, request: Request) -> Response:
        path = clean_path(request.query_params.get("path"))
        q = self.db.sql

        def work(cur: Cursor) -> dict[str, int]:
            cur.execute(q("SELECT kind, COUNT(*) FROM fediverse_reactions WHERE path = ? "
                          "GROUP BY kind"), (path,))
            return {kind: int(count) for kind, count in cur.fetchall()}

        counts = await self.db.run(work)
        return JSONResponse({"path": path, **{name: counts.get(name, 0)
                                              for name in REACTIONS.values()}},
                            headers={"Cache-Control": "public, max-age=60"})

    # --- the inbox ----------------------------------------------------------------------

    async def inbox(self, request: Request) -> Response:
        if self.signer is None:
            raise BadInput("the fediverse key is not readable here yet", status=503)
        named = request.path_params.get("account")
        if named is not None and named not in self.accounts:
            raise BadInput("no such account here", status=404)
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind not in JSON_TYPES:
            raise BadInput("send an activity (Content-Type: application/activity+json)",
                           status=415)
        body = await request.body()
        try:
            activity = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise BadInput("the body is not JSON") from None
        if not isinstance(activity, dict) or not _id(activity.get("actor")):
            raise BadInput("the body is not an activity with an actor")
        url = origin_of(api_base(self.context.config)) + request.url.path
        try:
            signed = await anyio.to_thread.run_sync(
                lambda: self._verified(request.method, url, request.headers.items(), body))
        except SignatureRefused as exc:
            log.info("fediverse inbox: refused from %s: %s", _server(request.headers.get(
                "signature", "") + request.headers.get("signature-input", "")), exc)
            raise BadInput(f"refused: {exc}", status=401) from None
        actor = _id(activity.get("actor"))
        if await self._owner(signed.key_id, signed.owner) != self.hashed(actor):
            raise BadInput("refused: the key that signed it is not the actor's", status=401)
        # one template per form: the log's flood filter keeps the first of each a minute
        log.info(f"fediverse inbox: {signed.form} signature verified: %s from %s",
                 str(activity.get("type"))[:40], _server(actor))
        await self._handle(activity, actor)
        return Response(status_code=202)

    def _verified(self, method: str, url: str, headers: Any, body: bytes) -> Any:
        """Verify with the kept key; when that fails, once more with a fresh one (the
        peer may have changed its key)."""
        kept: list[str] = []

        def key_of(key_id: str) -> rsa.RSAPublicKey | None:
            key, was_kept = self._key(key_id)
            if was_kept:
                kept.append(key_id)
            return key

        try:
            return verify(method, url, list(headers), body, key_of)
        except SignatureRefused:
            if not kept:
                raise
            return verify(method, url, list(headers), body,
                          lambda key_id: self._key(key_id, refetch=True)[0])

    async def _owner(self, key_id: str, fallback: str) -> str:
        """The (hashed) actor the key belongs to, as its document says (GoToSocial's key
        ids have no fragment to cut)."""
        q = self.db.sql

        def work(cur: Cursor) -> str:
            cur.execute(q("SELECT owner FROM fediverse_keys WHERE id = ?"),
                        (self.hashed(key_id),))
            row = cur.fetchone()
            return str(row[0]) if row else self.hashed(fallback)

        return await self.db.run(work)

    def _key(self, key_id: str, refetch: bool = False
             ) -> tuple[rsa.RSAPublicKey | None, bool]:
        """The public key ``key_id`` (kept a day, else fetched with a signed GET), and
        whether it is the kept one."""
        if not key_id.startswith(("https://", "http://")) or len(key_id) > MAX_ID:
            return None, False
        q = self.db.sql

        def look(cur: Cursor) -> Any:
            cur.execute(q("SELECT pem, fetched FROM fediverse_keys WHERE id = ?"),
                        (self.hashed(key_id),))
            return cur.fetchone()

        kept = self.db.transact(look)
        if kept and not refetch and dt.datetime.fromisoformat(kept[1]) > \
                dt.datetime.now(dt.UTC) - KEY_FRESH:
            loaded = serialization.load_pem_public_key(kept[0].encode())
            return (loaded if isinstance(loaded, rsa.RSAPublicKey) else None), True
        assert self.signer is not None and self.client is not None
        any_account = next(iter(self.accounts.values()))
        try:
            document = fetch_document(self.client, key_id.split("#", 1)[0], self.signer.key,
                                      any_account.key_id)
        except PeerRefused as exc:
            log.info("fediverse: a key of %s: %s", _server(key_id), exc)
            return None, False
        key = public_key_of(document, key_id)
        if key is None:
            return None, False
        owner = key_id.split("#", 1)[0]
        entry = document.get("publicKey")
        if isinstance(entry, dict) and _id(entry.get("owner")):
            owner = _id(entry.get("owner"))
        if origin_of(owner) != origin_of(key_id):  # a key may speak for its own server only
            log.info("fediverse: a key of %s claims an owner elsewhere", _server(key_id))
            return None, False
        pem = key.public_bytes(serialization.Encoding.PEM,
                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()

        def store(cur: Cursor) -> None:
            hashed = (self.hashed(key_id), self.hashed(owner), pem, now_text())
            cur.execute(q("INSERT INTO fediverse_keys (id, owner, pem, inbox, fetched) VALUES "
                          "(?, ?, ?, '', ?) ON CONFLICT (id) DO UPDATE SET owner = ?, pem = ?, "
                          "fetched = ?"), (*hashed, *hashed[1:]))

        self.db.transact(store)
        return key, False

    async def _handle(self, activity: dict[str, Any], actor: str) -> None:
        kind = activity.get("type")
        target = activity.get("object")
        who = self.hashed(actor)
        if kind == "Follow":
            account = self.by_actor.get(_id(target))
            if account is not None:
                await self._follow(account, actor, activity)
        elif kind == "Undo" and isinstance(target, (dict, str)):
            await self._undo(who, target)
        elif kind in ("Like", "Announce"):
            path = self._story_path(_id(target))
            if path and _id(activity.get("id")):
                await self._react(self.hashed(_id(activity.get("id"))), REACTIONS[str(kind)],
                                  path, who)
        elif kind == "Create" and isinstance(target, dict):
            path = self._story_path(_id(target.get("inReplyTo")))
            if path and _id(target.get("id")):
                await self._react(self.hashed(_id(target.get("id"))), REACTIONS["reply"], path,
                                  who)
        elif kind == "Delete" and _id(target):
            await self._forget(self.hashed(_id(target)), who)

    async def _follow(self, account: Account, actor: str, follow: dict[str, Any]) -> None:
        """Keep the follower (their server's shared inbox) and accept, signed."""
        assert self.client is not None and self.signer is not None
        client, signer = self.client, self.signer

        def fetch() -> dict[str, Any]:
            return fetch_document(client, actor, signer.key, account.key_id)

        try:
            document = await anyio.to_thread.run_sync(fetch)
        except PeerRefused as exc:
            log.info("fediverse: a follow from %s not kept: %s", _server(actor), exc)
            return
        inbox = _id(document.get("inbox"))
        endpoints = document.get("endpoints")
        shared = _id(endpoints.get("sharedInbox")) if isinstance(endpoints, dict) else ""
        if not inbox or document.get("id") != actor:
            return
        digest = hashlib.sha256(_id(follow.get("id")).encode() or actor.encode()).hexdigest()
        accept = {"@context": AS_CONTEXT, "id": f"{account.actor}#accept-{digest[:24]}",
                  "type": "Accept", "actor": account.actor,
                  "object": {k: follow[k] for k in ("id", "type", "actor", "object")
                             if k in follow}}
        q = self.db.sql

        def work(cur: Cursor) -> None:
            cur.execute(q("INSERT INTO fediverse_followers (account, actor, inbox, followed) "
                          "VALUES (?, ?, ?, ?) ON CONFLICT (account, actor) DO UPDATE SET "
                          "inbox = ?"),
                        (account.name, self.hashed(actor), shared or inbox, now_text(),
                         shared or inbox))
            queue(cur, q, accept, account.name, [inbox])

        await self.db.run(work)
        asyncio.get_running_loop().create_task(self.deliver_now())

    async def _undo(self, who: str, target: dict[str, Any] | str) -> None:
        q = self.db.sql
        inner = target if isinstance(target, dict) else {"id": target}
        followed = self.by_actor.get(_id(inner.get("object")))

        def work(cur: Cursor) -> None:
            if inner.get("type") == "Follow" and followed is not None:
                cur.execute(q("DELETE FROM fediverse_followers WHERE account = ? AND "
                              "actor = ?"), (followed.name, who))
            elif _id(inner):
                cur.execute(q("DELETE FROM fediverse_reactions WHERE id = ? AND actor = ?"),
                            (self.hashed(_id(inner)), who))

        await self.db.run(work)

    async def _react(self, reaction: str, kind: str, path: str, who: str) -> None:
        q = self.db.sql

        def work(cur: Cursor) -> None:
            cur.execute(q("INSERT INTO fediverse_reactions (id, kind, path, actor, created) "
                          "VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING"),
                        (reaction, kind, path, who, now_text()))

        await self.db.run(work)

    async def _forget(self, gone: str, who: str) -> None:
        q = self.db.sql

        def work(cur: Cursor) -> None:
            cur.execute(q("DELETE FROM fediverse_reactions WHERE id = ? AND actor = ?"),
                        (gone, who))
            if gone == who:  # the account itself is gone: it follows no more
                cur.execute(q("DELETE FROM fediverse_followers WHERE actor = ?"), (who,))

        await self.db.run(work)

    def _story_path(self, ref: str) -> str:
        """The path of the story that ``ref`` (its Article's id or its page) names, or ''
        when it names none of this site's stories."""
        config: SiteConfig = self.context.config
        base = config.base_url.rstrip("/")
        if not ref.startswith(base + "/"):
            return ""
        rest = ref[len(base):]
        for account in self.accounts.values():
            prefix = f"/fediverse/{account.name}/articles/"
            if rest.startswith(prefix) and rest.endswith(".json"):
                lang = account.channel.language
                lead = "" if lang == self._default_language() else f"/{lang}"
                rest = f"{lead}/posts/{rest[len(prefix):-5]}"
                break
        path = urlsplit(rest).path.rstrip("/")
        return path if path in self.context.paths else ""


def _server(address: str) -> str:
    """The server an address is on (what the logs say instead of whose it is)."""
    found = re.search(r"https?://([^/\"#?]+)", address)
    return found.group(1)[:100] if found else "an unnamed server"


def _forget_accepts(cur: Cursor) -> None:
    """An Accept names its follower: once delivered (or given up), it is not kept."""
    cur.execute("DELETE FROM fediverse_deliveries WHERE status IN ('sent', 'failed') AND "
                "activity LIKE '%#accept-%'")
    cur.execute("DELETE FROM fediverse_activities WHERE id LIKE '%#accept-%' AND id NOT IN "
                "(SELECT activity FROM fediverse_deliveries)")
