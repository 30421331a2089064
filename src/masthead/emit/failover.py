"""The failover service worker, ``/sw.js``, for sites with mirrors and a signed list.

It must sit at the site's root to see every page; the theme's script is filled in with
what it needs from this build: the public key that checks the mirror list, the shell
kept for offline reading (the home, the stylesheet, the /mirrors/ page) and a version
that retires the previous shell. The mirror addresses themselves come only from the
signed ``mirrors.json`` that `masthead deploy` publishes.
"""

from __future__ import annotations

import hashlib
import json

from masthead.config import SiteConfig
from masthead.paths import THEME

SERVICE_WORKER = "sw.js"
_SOURCE = THEME / "worker" / "sw.js"
_MARK = "/*masthead:settings*/ "


def service_worker(config: SiteConfig, assets: dict[str, str]) -> bytes:
    source = _SOURCE.read_text(encoding="utf-8")
    head, mark, rest = source.partition(_MARK)
    if not mark:
        raise RuntimeError(f"{_SOURCE} has lost its settings mark {_MARK!r}")
    shell = ["/", *([assets["css"]] if assets.get("css") else []), "/mirrors/"]
    settings = {"key": config.mirror_key, "shell": shell}
    version = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()
                             + source.encode()).hexdigest()[:12]
    # ensure_ascii: nothing outside ASCII (no U+2028) reaches the script.
    text = json.dumps({**settings, "version": version}, ensure_ascii=True)
    _default, _semicolon, tail = rest.partition(";")
    return (head + text + ";" + tail).encode()
