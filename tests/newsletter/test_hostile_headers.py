"""Titles and settings that would add mail headers: an encoded word that decodes to a line
break, a literal CR/LF, a control character. Each message reaches the real SMTP server
with exactly the headers masthead writes, its subject on one line; a setting that no
header can carry is refused before anything is recorded or sent."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from masthead.api.db import open_database
from masthead.headertext import header_text
from masthead.newsletter.compose import POLICY
from masthead.newsletter.editions import run_async
from tests.newsletter.conftest import STORY, Server, close, newsletter_site, subscribe
from tests.newsletter.test_messages import _masthead

PEOPLE = [("ann@mail.example", "en"), ("boris@mail.example", "ru")]
TITLES = {
    "encoded": "=?utf-8?q?Delta=0D=0AReply-To:_thief@evil.example?=",
    "twice": "=?utf-8?q?=3D=3Futf-8=3Fq=3FX=3D0D=3D0ABcc:_thief@evil.example=3F=3D?=",
    "base64": "=?utf-8?b?RGVsdGENCkJjYzogdGhpZWZAZXZpbC5leGFtcGxl?=",
    "literal": "Delta\r\nBcc: thief@evil.example",
    "control": "Delta\x00\x1b[31m\u2028Bcc: thief@evil.example",
}
WRITTEN = {"from", "to", "subject", "date", "message-id", "list-id", "list-unsubscribe",
           "list-unsubscribe-post", "mime-version", "content-type", "content-language"}


def _title(site: Path, title: str) -> None:
    for lang in ("en", "ru"):
        path = site / "content" / "posts" / lang / f"{STORY}.md"
        text = path.read_text(encoding="utf-8").split("\n")
        text[1] = "title: " + '"' + title.replace("\\", "\\\\").replace('"', '\\"').replace(
            "\r", "\\r").replace("\n", "\\n").replace("\x00", "\\0").replace(
            "\x1b", "\\e").replace("\u2028", "\\L") + '"'
        path.write_text("\n".join(text), encoding="utf-8")


@pytest.mark.parametrize("kind", sorted(TITLES))
def test_a_title_adds_no_header(tmp_path: Path, smtp_server: Server, kind: str) -> None:
    site = newsletter_site(tmp_path / "site", smtp_server.port,
                           'description = "x"\n').parent / "site"
    _title(site, TITLES[kind])
    db = str(tmp_path / "api.sqlite")
    close(subscribe(db, site, PEOPLE))
    sent = _masthead("newsletter", "send", str(site), "--story", STORY, "--database", db)
    assert sent.returncode == 0 and "Traceback" not in sent.stderr, sent.stderr
    assert set(smtp_server.received) == {email for email, _ in PEOPLE}
    for email, _lang in PEOPLE:
        message = message_from_bytes(smtp_server.raw[email], policy=policy.default)
        assert {name.lower() for name in message} == WRITTEN, message.keys()
        subject = str(message["Subject"])
        assert "\n" not in subject and "\r" not in subject and "=?" not in subject
        assert "Delta" in subject or "X" in subject
        assert "thief" not in (message["Reply-To"] or "") + (message["Bcc"] or "")


def test_settings_no_header_can_carry_are_refused_before_anything_is_recorded(
        tmp_path: Path, smtp_server: Server) -> None:
    site = newsletter_site(tmp_path / "site", smtp_server.port)
    db = str(tmp_path / "api.sqlite")
    close(subscribe(db, site, PEOPLE))
    for setting, value in (("mail_from", "News <news@example.org>\\r\\nBcc: x@evil.example"),
                           ("title", "Ledger\\nBcc: x@evil.example")):
        refused = _masthead("newsletter", "send", str(site), "--story", STORY,
                            "--database", db, "--set", f'{setting}="{value}"')
        if setting == "title":  # a title is made one line, never refused
            assert refused.returncode == 0, refused.stderr
            continue
        assert refused.returncode == 1 and "Traceback" not in refused.stderr
        assert "mail_from in masthead.toml has a line break or a control character" in \
            refused.stderr
        store = open_database(db, site)
        try:
            rows = store.transact(lambda cur: cur.execute(
                "SELECT COUNT(*) FROM newsletters").fetchone()[0])
        finally:
            run_async(store.close())
        assert rows == 0  # nothing recorded for a send that could not start
    message = message_from_bytes(smtp_server.raw[PEOPLE[0][0]], policy=policy.default)
    assert str(message["List-Id"]).startswith("Ledger Bcc: x@evil.example <newsletter.")
    assert message["Bcc"] is None
    test = _masthead("newsletter", "test", str(site), "--story", STORY,
                     "--to", "a@b.example\nBcc: x@evil.example")
    assert test.returncode == 1 and "is not one email address" in test.stderr
    (tmp_path / "file").write_text("x")
    preview = _masthead("newsletter", "preview", str(site), "--story", STORY,
                        "-o", str(tmp_path / "file"))
    assert preview.returncode == 1 and "Traceback" not in preview.stderr
    assert "is a file: -o names a folder" in preview.stderr


PIECES = ["=?", "?=", "?q?", "?b?", "?Q?", "utf-8", "=0D", "=0A", "=3D", "=3F", "_", " ",
          "\r", "\n", "\x00", "Bcc:", "x@y.example", "\u2028", "RGVs", "DQpC", "Дельта"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=3)), max_size=20)
       .map("".join))
def test_any_title_is_one_header_of_one_line(title: str) -> None:
    from email.message import EmailMessage

    message = EmailMessage(policy=POLICY)
    message["Subject"] = header_text(title, 250)
    message["To"] = "a@b.example"
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert sorted(k.lower() for k in parsed) == ["subject", "to"]
    assert "\n" not in str(parsed["Subject"]) and "\r" not in str(parsed["Subject"])
