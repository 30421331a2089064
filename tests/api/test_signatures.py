"""HTTP signatures as the fediverse's inboxes check them: both forms verified, and what
an attacker would try refused (a changed body, a signature that leaves the body or the
date out, an old date, another key). RFC 9421 requests are signed here by
http-message-signatures' own signer, not by masthead; the interoperability with a
whole independent server is in tests/channels/test_fediverse_peer.py."""

from __future__ import annotations

import datetime as dt
import email.utils
from typing import Any

import pytest
from apsig.draft import Signer as DraftSigner
from cryptography.hazmat.primitives.asymmetric import rsa
from http_message_signatures import HTTPMessageSigner, MappingKeyResolver, algorithms

from masthead.api.signatures import (
    SignatureRefused,
    peer_allowed,
    signed_headers,
    verify,
)

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER = rsa.generate_private_key(public_exponent=65537, key_size=2048)
KEY_ID = "https://social.example/users/reader#main-key"
INBOX = "https://outlet.example/api/fediverse/inbox"
BODY = b'{"type":"Follow","actor":"https://social.example/users/reader"}'


def key_of(key_id: str) -> rsa.RSAPublicKey | None:
    return KEY.public_key() if key_id == KEY_ID else None


def test_a_draft_cavage_signature_verifies_and_names_its_key() -> None:
    headers = signed_headers(KEY, KEY_ID, "POST", INBOX, BODY)
    signed = verify("POST", INBOX, headers.items(), BODY, key_of)
    assert (signed.key_id, signed.owner, signed.form) == (
        KEY_ID, "https://social.example/users/reader", "draft-cavage")


@pytest.mark.parametrize("change", ["body", "path", "key", "date", "digest-left-out"])
def test_a_draft_cavage_signature_is_refused_when(change: str) -> None:
    body, url, key = BODY, INBOX, KEY
    headers = signed_headers(key, KEY_ID, "POST", url, body)
    if change == "body":
        body = body.replace(b"Follow", b"Block")
    elif change == "path":
        url = INBOX.replace("/inbox", "/news/inbox")
    elif change == "key":
        headers = signed_headers(OTHER, KEY_ID, "POST", url, body)
    elif change == "date":
        old = email.utils.format_datetime(dt.datetime.now(dt.UTC) - dt.timedelta(hours=1),
                                          usegmt=True)
        headers = {k: v for k, v in DraftSigner(
            headers={"Date": old}, private_key=KEY, method="POST", url=url, key_id=KEY_ID,
            body=body).sign().items()}
    elif change == "digest-left-out":
        headers = DraftSigner(headers={}, private_key=KEY, method="POST", url=url,
                              key_id=KEY_ID, body=body,
                              signed_headers=["(request-target)", "host", "date"]).sign()
    with pytest.raises(SignatureRefused):
        verify("POST", url, headers.items(), body, key_of)


class _Request:
    def __init__(self, url: str) -> None:
        self.method, self.url = "POST", url
        self.headers: dict[str, str] = {"Content-Type": "application/activity+json"}


def _rfc9421(components: tuple[str, ...], key: rsa.RSAPrivateKey = KEY,
             body: bytes | None = BODY) -> dict[str, Any]:
    request = _Request(INBOX)
    signer = HTTPMessageSigner(signature_algorithm=algorithms.RSA_V1_5_SHA256,
                               key_resolver=MappingKeyResolver(public_keys={},
                                                                private_keys={KEY_ID: key}))
    signer.sign(request, key_id=KEY_ID, covered_component_ids=components, body=body)
    return request.headers


def test_an_rfc9421_signature_made_by_another_library_verifies() -> None:
    headers = _rfc9421(("@method", "@target-uri", "@authority"))
    signed = verify("POST", INBOX, headers.items(), BODY, key_of)
    assert (signed.key_id, signed.form) == (KEY_ID, "rfc9421")


def test_an_rfc9421_signature_is_refused_for_another_key_or_a_changed_body() -> None:
    with pytest.raises(SignatureRefused):
        verify("POST", INBOX, _rfc9421(("@method", "@target-uri", "@authority"),
                                       key=OTHER).items(), BODY, key_of)
    with pytest.raises(SignatureRefused):
        verify("POST", INBOX, _rfc9421(("@method", "@target-uri", "@authority")).items(),
               BODY + b" ", key_of)
    without_digest = _rfc9421(("@method", "@target-uri", "@authority"), body=None)
    with pytest.raises(SignatureRefused):  # a body the signature does not cover
        verify("POST", INBOX, without_digest.items(), BODY, key_of)


def test_an_unsigned_request_is_refused() -> None:
    with pytest.raises(SignatureRefused, match="not signed"):
        verify("POST", INBOX, [("Content-Type", "application/activity+json")], BODY, key_of)


def test_only_public_http_addresses_are_fetched(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MASTHEAD_FEDIVERSE_PRIVATE_PEERS", raising=False)
    assert "private or local" in peer_allowed("http://127.0.0.1:8080/users/a")
    assert "private or local" in peer_allowed("https://[::1]/users/a")
    assert "private or local" in peer_allowed("https://169.254.169.254/latest/meta-data")
    assert "not an http(s)" in peer_allowed("file:///etc/passwd")
    assert "user name" in peer_allowed("https://a:b@example.org/")
    monkeypatch.setenv("MASTHEAD_FEDIVERSE_PRIVATE_PEERS", "1")
    assert peer_allowed("http://127.0.0.1:8080/users/a") == ""
