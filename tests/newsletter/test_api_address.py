"""One setting names where readers reach the API: the API's confirmation mail and the
newsletter's unsubscribe links both use ``api_public_url``."""

from __future__ import annotations

import dataclasses
from email import message_from_bytes, policy
from pathlib import Path

from tests.api.conftest import Mailbox, api_site, site_config, start_api
from tests.newsletter.conftest import STORY, Server, close, newsletter_site, subscribe
from tests.newsletter.test_messages import _masthead

ADDRESS = "https://api.example.net/api"


def test_the_newsletter_and_the_api_link_to_the_same_address(
        tmp_path: Path, smtp_server: Server, mailbox: Mailbox) -> None:
    site = newsletter_site(tmp_path / "site", smtp_server.port,
                           f'api_public_url = "{ADDRESS}/"\n')
    db = str(tmp_path / "api.sqlite")
    close(subscribe(db, site, [("ann@mail.example", "en")]))
    sent = _masthead("newsletter", "send", str(site), "--story", STORY, "--database", db)
    assert sent.returncode == 0, sent.stderr
    message = message_from_bytes(smtp_server.raw["ann@mail.example"], policy=policy.default)
    assert str(message["List-Unsubscribe"]).startswith(f"<{ADDRESS}/unsubscribe?token=")

    config = dataclasses.replace(site_config(api_site(tmp_path / "api-site"), mailbox.port),
                                 api_public_url=ADDRESS)
    started = start_api(config, str(tmp_path / "api2.sqlite"), rate_limit=0)
    api = next(started)
    try:
        with api.client() as client:
            assert client.post("/api/subscribe",
                               json={"email": "reader@example.org"}).status_code == 202
        [mail] = mailbox.wait(1)
        body = mail.get_payload()
        assert f"{ADDRESS}/confirm?token=" in str(body), body
        assert str(mail["List-Unsubscribe"]).startswith(f"<{ADDRESS}/unsubscribe?token=")
    finally:
        next(started, None)
