"""What every build of hostile input must still satisfy, checked on its output."""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree

from selectolax.lexbor import LexborHTMLParser

SAFE_SCRIPT_SRC = {"'self'", "'wasm-unsafe-eval'"}


def policy(text: str) -> dict[str, list[str]]:
    """The directives of the Content-Security-Policy line of ``_headers``."""
    line = next(x for x in text.splitlines() if "Content-Security-Policy:" in x)
    value = line.split("Content-Security-Policy:", 1)[1].strip()
    return {part.split()[0]: part.split()[1:] for part in value.split(";") if part.strip()}


def check_policy(headers: str) -> None:
    """The policy parses, and no script may run inline or come from an unlisted host."""
    directives = policy(headers)
    assert set(directives["script-src"]) <= SAFE_SCRIPT_SRC | {
        s for s in directives["script-src"] if re.fullmatch(r"https://[a-z0-9.-]+", s)}
    for name, values in directives.items():
        assert re.fullmatch(r"[a-z-]+", name), name
        for value in values:
            assert re.fullmatch(r"'[a-z-]+'|https?://[a-z0-9.-]+(:\d+)?|data:", value), value
    assert "script-src-elem" not in directives and "script-src-attr" not in directives


def check_nginx(snippet: str) -> None:
    """Only the lines masthead writes: add_header with a quoted value, locations of its
    own, its fixed compression lines, comments; nothing a value could have added."""
    from masthead.emit.headers import COMPRESSION

    for line in snippet.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or line == "}" or line in COMPRESSION:
            continue
        assert (re.fullmatch(r'add_header [A-Za-z-]+ "[^"\\$]*" always;', line)
                or re.fullmatch(r"location /[a-z_]+/ \{", line)), line


def check_page(html: str, script_hosts: tuple[str, ...] = ()) -> None:
    """One <h1>, JSON-LD that parses, no script but the site's own files (and those of
    ``script_hosts``, the site's embed_allow), no handler, no script link."""
    tree = LexborHTMLParser(html)
    assert len(tree.css("h1")) == 1, "not one <h1>"
    for script in tree.css("script"):
        src = script.attributes.get("src")
        if script.attributes.get("type") == "application/ld+json":
            json.loads(script.text(deep=True))
        else:
            assert src and ((src.startswith("/") and not src.startswith("//")) or re.fullmatch(
                rf"https://(?:{'|'.join(map(re.escape, script_hosts))})/[^\s\"'<>]*", src)
                ), script.html
    for node in tree.css("*"):
        for name, value in node.attributes.items():
            assert not name.lower().startswith("on"), node.html
            if name in ("href", "src", "action", "formaction") and value:
                assert not re.match(r"\s*(javascript|data|vbscript):", value, re.I), node.html
    assert not tree.css("base, meta[http-equiv=refresh], form[action^=http]")


def check_feed(data: bytes) -> None:
    """An RSS or Atom feed parses as XML; a JSON feed as JSON."""
    if data.lstrip().startswith(b"{"):
        json.loads(data)
    else:
        ElementTree.fromstring(data)
