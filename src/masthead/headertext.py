"""Text from content or settings that lands on one line of something else: a mail
header, a setting, a log line. A title may hold a line break, a control character, or
an RFC 2047 encoded word that decodes to one (``=?utf-8?q?x=0D=0AReply-To:...?=``): put
into a header as it is, that adds headers to every message sent. Here it becomes the
text a reader would see, on one line."""

from __future__ import annotations

import re
from email.errors import MessageError
from email.header import decode_header, make_header

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# As leniently as mail libraries read them (Python's decodes one with spaces inside).
_ENCODED_WORD = re.compile(r"=\?[^?]*\?[bBqQ]\?[^?]*\?=")
_ROUNDS = 4  # an encoded word inside an encoded word, this deep


def one_line(text: str, limit: int) -> str:
    """Control characters and line breaks made spaces, blanks folded, at most ``limit``
    characters."""
    return " ".join(_CONTROL.sub(" ", text).split())[:limit].strip()


def header_text(text: str, limit: int = 200) -> str:
    """``text`` decoded as a mail program would show it, then on one line; an encoded
    word that is left (one that would not decode) is broken so that no mail library
    decodes it later."""
    for _ in range(_ROUNDS):
        if not _ENCODED_WORD.search(text):
            break
        try:
            decoded = str(make_header(decode_header(text)))
        except (LookupError, UnicodeError, MessageError, ValueError):
            break
        if decoded == text:
            break
        text = decoded
    text = one_line(text, limit)
    return _ENCODED_WORD.sub(lambda m: m.group(0).replace("=?", "= ?"), text)


def has_control(text: str) -> bool:
    return bool(_CONTROL.search(text))
