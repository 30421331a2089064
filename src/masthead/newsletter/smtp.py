"""One SMTP connection that records a delivery at the one safe moment.

A message is recorded as sent (uncertain) just before its last line (``.``) is written,
and as accepted when the server answers 250. If the sender dies before that write, the
server drops the unfinished message. Between the write and the answer nothing can be
known: RFC 5321 makes the server responsible only once it answers 250, so a message
whose answer never came (the connection dropped, the answer came after the time-out, the
server or the worker died) stays *uncertain* and is sent again later. A reader may then
get it twice, which is better than not at all (RFC 1047). smtplib provides the protocol;
only its ``data`` step is split in two here."""

from __future__ import annotations

import os
import re
import smtplib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass

NO_ANSWER = 0  # the code of a message whose last line went out and no answer came
_EOLS = re.compile(rb"(?:\r\n|\n|\r(?!\n))")
_DOTS = re.compile(rb"(?m)^\.")


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    starttls: bool = False
    tls: bool = False  # TLS from the first byte (port 465)
    timeout: float = 30.0

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


class SenderRefused(Exception):
    """The server refuses the sender or any message (5xx before a recipient is named):
    sending stops, no address is marked."""


class ConnectionLost(Exception):
    """The server could not be reached or went away; the message was not accepted."""


class Connection:
    """A lazily opened connection, reopened after a failure."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None
        self._refused = False

    def _open(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        s = self.settings
        context = ssl.create_default_context()
        try:
            smtp = (smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
                    if s.tls else smtplib.SMTP(s.host, s.port, timeout=s.timeout))
            if smtp.sock is not None:  # no Nagle wait before the short last line
                smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            smtp.ehlo_or_helo_if_needed()
            if s.starttls and not s.tls:
                smtp.starttls(context=context)
                smtp.ehlo()
            user = os.environ.get("MASTHEAD_SMTP_USER")
            if user:
                smtp.login(user, os.environ.get("MASTHEAD_SMTP_PASSWORD", ""))
        except (OSError, smtplib.SMTPException) as exc:
            raise ConnectionLost(f"{s.where}: {exc}") from None
        self._smtp = smtp
        return smtp

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._smtp.close()
            self._smtp = None

    def _drop(self) -> None:
        """Close without QUIT: a message half sent is discarded by the server."""
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None
        self._refused = False

    def send(self, sender: str, to: str, data: bytes,
             accepted: Callable[[Callable[[], None]], None]) -> tuple[int, str]:
        """Send one message. ``accepted`` records it as sent and then calls the function
        it is given, which writes the message's last line: the database's thread does
        both, one right after the other. The answer that decided it: 250 when the server
        took it, the refusal (4xx, 5xx), or ``NO_ANSWER`` when the last line was written
        and no answer came."""
        smtp = self._open()
        try:
            if self._refused:  # the last transaction ended in a refusal: start clean
                smtp.rset()
                self._refused = False
            code, reply = smtp.mail(_bare(sender))
            if code >= 500:  # the sender refused: no recipient's fault, nothing goes
                self._refused = True
                raise SenderRefused(f"{self.settings.where} refuses the sender "
                                    f"{_bare(sender)}: {code} {reply.decode(errors='replace')}")
            if code == 250:
                code, reply = smtp.rcpt(to)
            if code == 250 or code == 251:
                code, reply = smtp.docmd("DATA")
                if code >= 500:
                    self._refused = True
                    raise SenderRefused(f"{self.settings.where} refuses to take a message: "
                                        f"{code} {reply.decode(errors='replace')}")
            if code != 354:
                # Answered at once, so that the refusal is recorded before anything else
                # happens on this connection (RSET comes with the next message).
                self._refused = True
                return code, reply.decode(errors="replace")
            body = _DOTS.sub(b"..", _EOLS.sub(b"\r\n", data))
            if not body.endswith(b"\r\n"):
                body += b"\r\n"
            smtp.send(body)
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            raise ConnectionLost(f"{self.settings.where}: {exc}") from None
        written: list[OSError] = []

        def last_line() -> None:
            try:
                smtp.send(b".\r\n")
            except (OSError, smtplib.SMTPException) as exc:
                written.append(OSError(str(exc)))

        try:
            accepted(last_line)
        except BaseException:
            self._drop()  # not recorded: the server must not keep it either
            raise
        try:
            if written:
                raise written[0]
            code, reply = smtp.getreply()
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            # The last line was written and no answer came: the server may have the
            # message or not. Uncertain: the caller sends it again later.
            return NO_ANSWER, f"no answer after the message: {exc or type(exc).__name__}"
        return code, reply.decode(errors="replace")


def _bare(sender: str) -> str:
    """The address of a From value such as ``Name <a@b.org>``."""
    return sender.rsplit("<", 1)[-1].rstrip(">").strip()
