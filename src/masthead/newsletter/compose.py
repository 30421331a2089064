"""Each newsletter's email, made from the theme's templates (``templates/email/`` of the
site replaces them file by file): HTML with its CSS inlined by css-inline, a plain-text
part, and the headers mail programs and providers expect (List-Unsubscribe with one-click
POST, List-Id, a Message-ID per recipient), DKIM-signed when a key is given.

The HTML is rendered once per language with a placeholder where each recipient's
unsubscribe link goes; a recipient's message is that text with their link put in."""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate
from pathlib import Path

import css_inline
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from masthead.config import SiteConfig
from masthead.headertext import header_text
from masthead.i18n import Strings
from masthead.newsletter.stories import Story
from masthead.paths import THEME_TEMPLATES
from masthead.safeurl import host_of

# 7bit: bodies go as quoted-printable or base64, which every server takes; a
# List-Unsubscribe URL stays on one line.
POLICY = SMTP.clone(max_line_length=998, cte_type="7bit")
UNSUBSCRIBE = "https://unsubscribe.invalid/masthead-placeholder"
_INLINER = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)
_BLOCK_END = re.compile(r"</(p|h[1-6]|ul|ol|blockquote|pre|figure|figcaption|tr|table|div)>",
                        re.I)
_LINK = re.compile(r'<a [^>]*href="([^"]*)"[^>]*>(.*?)</a>', re.I | re.S)
_TAG = re.compile(r"<[^>]+>")
SUBJECT_LIMIT = 250  # characters a subject keeps (a story's title fits many times)


def as_text(body: str) -> str:
    """An email body's HTML as plain text: paragraphs, list items, links as "text (url)"."""
    text = re.sub(r"<br\s*/?>", "\n", body, flags=re.I)
    text = re.sub(r"<li[^>]*>", "- ", text, flags=re.I)
    text = re.sub(r"</li>", "\n", text, flags=re.I)
    text = _LINK.sub(lambda m: f"{m.group(2)} ({html.unescape(m.group(1))})"
                     if _TAG.sub("", m.group(2)).strip() != m.group(1) else m.group(1), text)
    text = _BLOCK_END.sub("\n\n", text)
    text = html.unescape(_TAG.sub("", text))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.strip() for line in text.splitlines()))


@dataclass(frozen=True)
class Email:
    """One language's email before it is addressed: subject, HTML and text."""

    lang: str
    subject: str
    html: str
    text: str


class Composer:
    def __init__(self, config: SiteConfig, strings: dict[str, Strings]) -> None:
        self.config = config
        self.strings = strings
        env = Environment(
            loader=FileSystemLoader([config.root / "templates", THEME_TEMPLATES]),
            autoescape=select_autoescape(["html"]), undefined=StrictUndefined,
            keep_trailing_newline=True)
        env.filters["as_text"] = as_text
        self.env = env
        self.css = self._css()

    def _css(self) -> str:
        for folder in (self.config.root / "templates", THEME_TEMPLATES):
            path = Path(folder) / "email" / "email.css"
            if path.is_file():
                return path.read_text(encoding="utf-8")
        return ""

    def email(self, kind: str, stories: list[Story], lang: str, subject: str) -> Email:
        t = self.strings.get(lang) or Strings(lang, {})
        home = self.config.absolute_url("/" if lang == next(iter(self.strings), lang)
                                        else f"/{lang}/")
        mirrors = [a for a in self.config.web_addresses if a != self.config.base_url]
        values = {"config": self.config, "stories": stories, "lang": lang, "t": t,
                  "subject": subject, "home": home, "unsubscribe": UNSUBSCRIBE,
                  "mirrors": mirrors, "css": Markup(self.css)}
        page = self.env.get_template(f"email/{kind}.html").render(values)
        text = (self.env.get_template(f"email/{kind}.txt").render(values)
                + self.env.get_template("email/footer.txt").render(values))
        return Email(lang, subject, _INLINER.inline(page), text.strip() + "\n")


def message_id(newsletter: str, email: str, domain: str) -> str:
    """The same for a recipient on every attempt, so a retry is seen as the same mail."""
    token = hashlib.sha256(f"{newsletter}\0{email}".encode()).hexdigest()[:24]
    name = re.sub(r"[^A-Za-z0-9.-]+", "-", newsletter).strip("-")[:60]
    return f"<{name}.{token}@{domain}>"


@dataclass(frozen=True)
class Envelope:
    """What every message of a site shares: sender, list identity, signing key."""

    sender: str
    domain: str
    list_id: str
    dkim_selector: str = ""
    dkim_key: bytes = b""


def envelope(config: SiteConfig, dkim_selector: str = "", dkim_key: bytes = b"") -> Envelope:
    address = config.mail_from.rsplit("<", 1)[-1].rstrip(">").strip()
    domain = address.rsplit("@", 1)[-1].lower()
    host = host_of(config.base_url) or domain
    return Envelope(config.mail_from, domain,
                    f"{header_text(config.title)} <newsletter.{host}>", dkim_selector,
                    dkim_key)


def address(email: Email, to: str, newsletter: str, unsubscribe: str,
            env: Envelope) -> bytes:
    """The message for one recipient, as bytes ready for SMTP (signed when a DKIM key is
    set)."""
    message = EmailMessage(policy=POLICY)
    message["From"] = env.sender
    message["To"] = to
    message["Subject"] = header_text(email.subject, SUBJECT_LIMIT)
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id(newsletter, to, env.domain)
    message["List-Id"] = env.list_id
    message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(email.text.replace(UNSUBSCRIBE, unsubscribe))
    message.add_alternative(email.html.replace(UNSUBSCRIBE, html.escape(unsubscribe)),
                            subtype="html")
    message["Content-Language"] = email.lang  # after the parts: set_content drops it
    data = message.as_bytes(policy=POLICY)
    if env.dkim_key:
        import dkim

        signature = dkim.sign(data, env.dkim_selector.encode(), env.domain.encode(),
                              env.dkim_key, include_headers=[
                                  b"from", b"to", b"subject", b"date", b"message-id",
                                  b"list-id", b"list-unsubscribe", b"list-unsubscribe-post",
                                  b"mime-version", b"content-type"])
        data = signature + data
    return data
