"""The ``masthead.toml`` an import writes, from the old site's title, address and
language: values that someone else wrote, so they go through a TOML writer and the same
checks the site's own settings get, never pasted into the file as text.

A crafted address such as ``https://x/"\\noutput = "/tmp`` once added keys to the
settings (``output`` moved the next build outside the site folder, ``embed_allow``
widened the policy so that an imported script would run)."""

from __future__ import annotations

from collections.abc import Callable

import tomli_w

from masthead.config.checks import address_ok
from masthead.config.entries import LANGUAGE_CODE
from masthead.headertext import one_line

PLACEHOLDER = "https://example.org/"
TITLE_LIMIT = 200


def settings_file(system: str, title: str, base_url: str, language: str,
                  warn: Callable[[str], None]) -> bytes:
    """The settings of an imported site; a value that cannot be used as it is is
    replaced, and ``warn`` says so."""
    clean_title = one_line(title, TITLE_LIMIT)
    if clean_title != title.strip():
        warn(f"the old site's title had line breaks or control characters, or was over "
             f"{TITLE_LIMIT} characters; written as {clean_title!r}")
    base = base_url.strip()
    base = base.rstrip("/") + "/" if base else PLACEHOLDER
    if not address_ok(base, paths=False):
        warn(f"the old site's address {base_url[:80]!r} is not an http(s) address that can "
             f"be used as it is; base_url is {PLACEHOLDER} (set it in masthead.toml)")
        base = PLACEHOLDER
    code = language.strip()
    if not LANGUAGE_CODE.match(code):
        code = code[:2].lower() if LANGUAGE_CODE.match(code[:2].lower()) else "en"
    values = {"title": clean_title or "Imported site", "base_url": base, "language": code,
              "timezone": "UTC"}
    return (f"# Made by masthead import from a {system} site.\n"
            + tomli_w.dumps(values)).encode()
