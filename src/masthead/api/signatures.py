"""HTTP signatures as the fediverse uses them, and fetching from its servers safely.

Every request between fediverse servers is signed with the sending actor's key: the
``Signature`` header of draft-cavage-http-signatures-12 (what Mastodon sends and every
peer reads; signed here with ``apsig``), or RFC 9421's ``Signature-Input`` and
``Signature`` (what Fedify sends first; verified with ``http-message-signatures``). What
this module refuses: no signature, an unknown algorithm, a signature that does not cover
the method, the address, the date and the body's digest, a date more than five minutes
off, a digest that does not match the body, a key that cannot be fetched.

The key is fetched from the address the signature names, which an attacker chooses:
only https (or http) on a public address is fetched (``peer_allowed``), small and
quick, and a refused address is said as such. Loopback and private networks are
allowed only when ``MASTHEAD_FEDIVERSE_PRIVATE_PEERS=1`` (a test network)."""

from __future__ import annotations

import datetime as dt
import email.utils
import ipaddress
import os
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
from apsig.draft import Signer as DraftSigner
from apsig.draft import Verifier as DraftVerifier
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from http_message_signatures import (
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    InvalidSignature,
    algorithms,
)
from http_message_signatures.exceptions import HTTPMessageSignaturesException

from masthead.emit.activitypub import ACTIVITY_TYPE

MAX_DOCUMENT = 256 * 1024  # an actor document is a few kB; more is refused
FETCH_TIMEOUT = 10.0
CLOCK_SKEW = 300  # seconds a signature's date may be off
ACCEPT = f'{ACTIVITY_TYPE}, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
USER_AGENT = "masthead (+https://github.com/masthead)"
_DRAFT_REQUIRED = ("(request-target)", "host", "date")


class SignatureRefused(Exception):
    """The request's signature does not prove who sent it (said why)."""


class PeerRefused(Exception):
    """A peer's address or answer cannot be used (said why)."""


@dataclass(frozen=True)
class Signed:
    """A verified request: the key that signed it, the key's owner, and the form of
    the signature (``rfc9421`` or ``draft-cavage``)."""

    key_id: str
    owner: str
    form: str


def environ_allows_private_peers() -> bool:
    """``MASTHEAD_FEDIVERSE_PRIVATE_PEERS=1``: a test network, whose peers are on
    loopback (never on a server that faces the internet)."""
    return os.environ.get("MASTHEAD_FEDIVERSE_PRIVATE_PEERS", "") == "1"


def peer_allowed(url: str) -> str:
    """Why ``url`` may not be fetched or posted to ('' when it may): http(s) only, on
    a name that resolves to public addresses only (unless private peers are allowed)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return f"{url[:80]!r} is not an http(s) address"
    if parts.username or parts.password:
        return f"{url[:80]!r} carries a user name"
    if environ_allows_private_peers():
        return ""
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return f"{parts.hostname[:80]!r} does not resolve"
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not address.is_global:
            return f"{parts.hostname[:80]!r} is a private or local address"
    return ""


def _date() -> str:
    return email.utils.formatdate(usegmt=True)


def signed_headers(key: rsa.RSAPrivateKey, key_id: str, method: str, url: str,
                   body: bytes = b"", content_type: str = ACTIVITY_TYPE) -> dict[str, str]:
    """The headers of a request signed as Mastodon signs it (draft-cavage): over the
    request line, host, date and, with a body, its digest."""
    headers = {"Date": _date(), "Host": urlsplit(url).netloc, "Accept": ACCEPT,
               "User-Agent": USER_AGENT}
    if method.upper() != "GET":
        headers["Content-Type"] = content_type
    names = ["(request-target)", "host", "date"] + (["digest"] if method.upper() != "GET"
                                                    else [])
    made = DraftSigner(headers=headers, private_key=key, method=method.upper(), url=url,
                       key_id=key_id, body=body, signed_headers=names).sign()
    made.pop("Authorization", None)
    return {_title(name): str(value) for name, value in made.items()}


def _title(name: str) -> str:
    return "-".join(part[:1].upper() + part[1:] for part in name.split("-"))


KeyOf = Callable[[str], rsa.RSAPublicKey | None]  # key id -> the key (fetched or kept)


class _Resolver(HTTPSignatureKeyResolver):
    def __init__(self, key_of: KeyOf) -> None:
        self.key_of = key_of
        self.asked: list[str] = []

    def resolve_public_key(self, key_id: str) -> rsa.RSAPublicKey | None:
        self.asked.append(key_id)
        return self.key_of(key_id)


@dataclass
class _Message:
    """A request as http-message-signatures reads it."""

    method: str
    url: str
    headers: dict[str, str]


def verify(method: str, url: str, headers: Iterable[tuple[str, str]], body: bytes,
           key_of: KeyOf) -> Signed:
    """Who signed this request (``url``: its address as the sender saw it, ours).
    Raises SignatureRefused with the reason."""
    fields: dict[str, str] = {}
    for name, value in headers:
        name = name.lower()
        fields[name] = f"{fields[name]}, {value}" if name in fields else value
    fields["host"] = urlsplit(url).netloc
    if "signature-input" in fields:
        return _verify_rfc9421(method, url, fields, body, key_of)
    if "signature" in fields:
        return _verify_draft(method, url, fields, body, key_of)
    raise SignatureRefused("the request is not signed (no Signature header)")


def _owner_of(key_id: str) -> str:
    return key_id.split("#", 1)[0]


def _verify_rfc9421(method: str, url: str, fields: dict[str, str], body: bytes,
                    key_of: KeyOf) -> Signed:
    resolver = _Resolver(key_of)
    verifier = HTTPMessageVerifier(signature_algorithm=algorithms.RSA_V1_5_SHA256,
                                   key_resolver=resolver)
    required = ["@method", "@target-uri" if '"@target-uri"' in fields["signature-input"]
                else "@path", "@authority"]
    if body:
        required.append("content-digest")
    try:
        results = verifier.verify(_Message(method.upper(), url, fields),
                                  max_age=dt.timedelta(seconds=CLOCK_SKEW * 2),
                                  require_components=required, body=body or None)
    except (InvalidSignature, HTTPMessageSignaturesException, ValueError, TypeError,
            KeyError) as exc:
        raise SignatureRefused(f"the RFC 9421 signature does not verify: {exc}") from None
    key_id = str(results[0].parameters.get("keyid", "")) if results else ""
    if not key_id:
        raise SignatureRefused("the RFC 9421 signature names no key")
    return Signed(key_id, _owner_of(key_id), "rfc9421")


def _draft_fields(header: str) -> dict[str, str]:
    found = {}
    for item in header.split(","):
        if "=" in item:
            name, value = item.split("=", 1)
            found[name.strip()] = value.strip().strip('"')
    return found


def _verify_draft(method: str, url: str, fields: dict[str, str], body: bytes,
                  key_of: KeyOf) -> Signed:
    parts = _draft_fields(fields["signature"])
    key_id = parts.get("keyId", "")
    covered = parts.get("headers", "date").lower().split()
    if not key_id or "signature" not in parts:
        raise SignatureRefused("the Signature header names no keyId or no signature")
    if parts.get("algorithm", "rsa-sha256") not in ("rsa-sha256", "hs2019"):
        raise SignatureRefused(f"the algorithm {parts.get('algorithm', '')[:20]!r} is not "
                               "rsa-sha256")
    missing = [name for name in (*_DRAFT_REQUIRED, *(["digest"] if body else []))
               if name not in covered]
    if missing:
        raise SignatureRefused(f"the signature does not cover {', '.join(missing)}")
    key = key_of(key_id)
    if key is None:
        raise SignatureRefused(f"the key {key_id[:120]!r} cannot be fetched")
    # apsig reads the algorithm from the header: hs2019 with an RSA key is rsa-sha256
    header = fields["signature"].replace('algorithm="hs2019"', 'algorithm="rsa-sha256"')
    if "algorithm=" not in header:
        header += ',algorithm="rsa-sha256"'
    try:
        DraftVerifier(public_pem=key, method=method.upper(), url=url,
                      headers={**fields, "signature": header}, body=body,
                      clock_skew=CLOCK_SKEW).verify(raise_on_fail=True)
    except Exception as exc:  # apsig raises its own errors, and ValueError on a bad date
        raise SignatureRefused(f"the signature does not verify: {exc}") from None
    return Signed(key_id, _owner_of(key_id), "draft-cavage")


def public_key_of(document: dict[str, Any], key_id: str) -> rsa.RSAPublicKey | None:
    """The RSA key ``key_id`` in an actor document (or a key document), if it is there."""
    candidates = document.get("publicKey")
    keys = candidates if isinstance(candidates, list) else [candidates]
    if document.get("id") == key_id and "publicKeyPem" in document:
        keys.append(document)
    for entry in keys:
        if isinstance(entry, dict) and entry.get("id") == key_id:
            try:
                key = serialization.load_pem_public_key(str(entry.get("publicKeyPem", ""))
                                                        .encode())
            except (ValueError, TypeError):
                return None
            return key if isinstance(key, rsa.RSAPublicKey) else None
    return None


def fetch_document(client: httpx.Client, url: str, key: rsa.RSAPrivateKey | None = None,
                   key_id: str = "") -> dict[str, Any]:
    """A fediverse document, fetched with a signed GET when ``key`` is given (servers
    with authorized fetch answer nothing else). Raises PeerRefused."""
    problem = peer_allowed(url)
    if problem:
        raise PeerRefused(problem)
    headers = (signed_headers(key, key_id, "GET", url) if key is not None
               else {"Accept": ACCEPT, "User-Agent": USER_AGENT})
    try:
        with client.stream("GET", url, headers=headers, timeout=FETCH_TIMEOUT,
                           follow_redirects=False) as response:
            if response.status_code != 200:
                raise PeerRefused(f"{url[:120]} answered {response.status_code}")
            data = b""
            for chunk in response.iter_bytes():
                data += chunk
                if len(data) > MAX_DOCUMENT:
                    raise PeerRefused(f"{url[:120]} sent more than {MAX_DOCUMENT} bytes")
    except httpx.HTTPError as exc:
        raise PeerRefused(f"{url[:120]} cannot be fetched: {type(exc).__name__}") from None
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise PeerRefused(f"{url[:120]} did not send JSON") from None
    if not isinstance(document, dict):
        raise PeerRefused(f"{url[:120]} did not send a JSON object")
    return document
