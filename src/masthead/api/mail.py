"""Outgoing mail over SMTP: confirmation links and forwarded contact messages.

The server, sender and recipient come from the site's settings; a user name and
password, when the server wants them, only from the environment
(``MASTHEAD_SMTP_USER``, ``MASTHEAD_SMTP_PASSWORD``), never from a file in the site.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid

import anyio.to_thread

from masthead.config import SiteConfig
from masthead.headertext import header_text

SMTP_POLICY = SMTP.clone(max_line_length=998)


@dataclass(frozen=True)
class MailSettings:
    host: str = ""
    port: int = 25
    starttls: bool = False
    sender: str = ""
    timeout: float = 15.0

    @property
    def enabled(self) -> bool:
        return bool(self.host and self.sender)

    @classmethod
    def of(cls, config: SiteConfig) -> MailSettings:
        """The site's SMTP settings (masthead.toml)."""
        return cls(config.smtp_host, config.smtp_port, config.smtp_starttls, config.mail_from)


class MailError(Exception):
    """The SMTP server could not be reached or refused the message."""


class Mailer:
    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings

    async def send(self, to: str, subject: str, text: str,
                   headers: dict[str, str] | None = None, reply_to: str = "") -> None:
        # Long header lines stay whole: a List-Unsubscribe URL must not be folded/encoded.
        message = EmailMessage(policy=SMTP_POLICY)
        message["From"] = self.settings.sender
        message["To"] = to
        message["Subject"] = header_text(subject)  # a title or a name: one line, decoded
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=self.settings.sender.rsplit("@", 1)[-1]
                                           .strip("> "))
        if reply_to:
            message["Reply-To"] = reply_to
        for name, value in (headers or {}).items():
            message[name] = value
        message.set_content(text)
        await anyio.to_thread.run_sync(self._deliver, message)

    def _deliver(self, message: EmailMessage) -> None:
        settings = self.settings
        try:
            with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
                if settings.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                user = os.environ.get("MASTHEAD_SMTP_USER")
                if user:
                    smtp.login(user, os.environ.get("MASTHEAD_SMTP_PASSWORD", ""))
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"{settings.host}:{settings.port}: {exc}") from exc
