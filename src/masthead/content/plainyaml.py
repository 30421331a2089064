"""Front matter in the plain form most files use, read without a YAML parser.

Nearly every front matter is a column of ``key: value`` lines whose values are quoted
strings, whole numbers, ``true``/``false``, one-line words or ``[a, b, c]`` lists of
words (the Banter format is exactly that). For those, what YAML makes of each line is
certain, and reading the lines directly takes a fifth of PyYAML's time (a 10,000-post
archive: 0.4 s of work). Any line outside that form (indentation, escapes other than
\\" and \\\\ in double quotes, comments after a value, anchors, block lists, multi-line
text, words YAML 1.1 turns into booleans or nulls, numbers with signs or leading zeros,
dates left unquoted...) makes :func:`read_plain` answer None, and the file is read by
the YAML loader of ``frontmatter.py``: the values are always the ones it gives.
"""

from __future__ import annotations

import re
from typing import Any

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]*)")
# A word or words that YAML reads as text: starting with a letter, without the marks
# that would make it a comment, a mapping or a flow collection.
_WORDS = re.compile(r"[^\W\d_](?:[^#:,\[\]{}\"']*[^\s#:,\[\]{}\"'])?")
# Words YAML 1.1 (PyYAML) reads as booleans or null, in any case, as keys or values.
_SPECIAL = frozenset({"yes", "no", "true", "false", "on", "off", "null", "y", "n"})
# Everything but line feeds and the characters PyYAML prints: not read here are tabs,
# carriage returns and the other line breaks of YAML 1.1 (NEL, U+2028, U+2029), and what
# PyYAML refuses (its Reader's check).
_REFUSED = re.compile(r"[^\x0a\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd"
                      r"\U00010000-\U0010ffff]")
# A double-quoted string whose only escapes are \" and \\ (a quoted title in a title).
_ESCAPED = re.compile(r'"((?:[^"\\]|\\["\\])*)"')
_ESCAPE = re.compile(r'\\(["\\])')


def read_plain(text: str) -> dict[str, Any] | None:
    """The mapping PyYAML would load from ``text``, or None when ``text`` is not in the
    plain form this reads (PyYAML must then read it)."""
    if _REFUSED.search(text):
        return None
    result: dict[str, Any] = {}
    for line in text.split("\n"):
        if not line or line.isspace() or line[0] == "#":
            continue
        key, colon, raw = line.partition(":")
        if not colon or raw[:1] != " " or not _KEY.fullmatch(key) or key.lower() in _SPECIAL:
            return None
        value = _value(raw.strip(" "))
        if value is None:
            return None
        if key in result:  # a duplicate key is an error: the loader says so, with its line
            return None
        result[key] = value
    return result


def _value(raw: str) -> Any:
    """The value of one line's text, or None when it is not in the plain form."""
    first = raw[:1]
    if "\\" in raw:  # read only in double quotes, as \" or \\
        quoted = _ESCAPED.fullmatch(raw) if first == '"' else None
        return _ESCAPE.sub(r"\1", quoted[1]) if quoted else None
    if first == '"' or first == "'":  # no escapes (no backslash, no '' inside): verbatim
        inner = raw[1:-1]
        return inner if len(raw) > 1 and raw[-1] == first and first not in inner else None
    if first == "[":
        if raw[-1] != "]":
            return None
        inner = raw[1:-1].strip()
        if not inner:
            return []
        items = [item.strip() for item in inner.split(",")]
        if not all(_WORDS.fullmatch(item) and item.lower() not in _SPECIAL
                   for item in items):
            return None
        return items
    if _INTEGER.fullmatch(raw):
        return int(raw)
    if raw == "true" or raw == "false":
        return raw == "true"
    if _WORDS.fullmatch(raw) and raw.lower() not in _SPECIAL:
        return raw
    return None
