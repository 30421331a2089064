"""``masthead serve``'s loop: build the site as a preview, serve it, build it again on
every save, and make pictures and the newsletter's email when a browser asks for them.

A preview shows drafts and scheduled posts with a badge when asked, so it is built
into ``.masthead/serve/site``, never into the site's output folder."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from masthead.config import SiteConfig
from masthead.content.discover import detect_layout
from masthead.errors import BuildFailed, ConfigError, Diagnostic, Reporter
from masthead.incremental import CACHE_DIR, BuildCache
from masthead.options import BuildOptions
from masthead.output import OutputRefused
from masthead.pipeline import BuildReport, BuildState, build_site, images_on_request


def _say(diagnostics: list[Diagnostic], root: Path) -> None:
    for diagnostic in diagnostics:
        print(diagnostic.format(root), file=sys.stderr, flush=True)


def preview(config: SiteConfig, load: Callable[[], SiteConfig], options: BuildOptions,
            port: int, use_cache: bool = True) -> int:
    """Serve the site on 127.0.0.1:``port`` until Ctrl-C; ``load`` reads the settings
    again before each build (they may have changed). Returns the exit code."""
    from masthead.dev.server import listen, serve

    sock = listen(port)
    if isinstance(sock, str):
        print(f"masthead: {sock}", file=sys.stderr)
        return 1
    root = config.root
    out = root / CACHE_DIR / "serve" / "site"
    cache = BuildCache(root / CACHE_DIR / "serve") if use_cache else None
    state = BuildState()
    options = replace(options, preview=True)
    # Pictures are encoded when a browser first asks for them, not before the first page.
    images = [images_on_request(config)]

    def rebuild() -> BuildReport:
        try:
            current = load()
            images[0] = images_on_request(current)  # image settings may have changed
            report = build_site(current, out, options, cache=cache, state=state)
        except (BuildFailed, ConfigError) as exc:
            _say(exc.diagnostics, root)
            print(f"masthead: build failed: {Reporter(list(exc.diagnostics)).summary()}; "
                  "serving the last good build", file=sys.stderr, flush=True)
            raise
        _say(report.diagnostics, root)
        return report

    initial_errors = None
    languages = list(detect_layout(config).languages)
    try:
        report = rebuild()
        print(f"Ready in {report.seconds:.2f} s")
    except (BuildFailed, ConfigError) as exc:
        initial_errors = [d.format(root) for d in exc.diagnostics]
    except OutputRefused as exc:
        print(f"masthead: {exc}", file=sys.stderr)
        sock.close()
        return 1
    prefixes = [f"/{code}/" for code in languages[1:]]

    def previews() -> dict[str, str]:
        from masthead.newsletter.editions import preview_pages

        return preview_pages(load())

    def variant(rel: str) -> Path | None:
        made, problem = images[0].variant_on_request(rel) if images[0] else (None, "")
        if problem:
            print(f"masthead: /{rel}: {problem}", file=sys.stderr, flush=True)
        return made

    return serve(root, out, sock, rebuild, prefixes, initial_errors, previews, variant)
