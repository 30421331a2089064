"""Serve the output exactly as a static host would: pretty URLs, 404.html, MIME types.

Only 127.0.0.1 is bound: a preview is for the person at the keyboard, not the network.
"""

from __future__ import annotations

import errno
import functools
import http.server
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit


class StaticHandler(http.server.SimpleHTTPRequestHandler):
    """SimpleHTTPRequestHandler with static-host 404 pages per language."""

    language_prefixes: tuple[str, ...] = ()

    def send_error(self, code: int, message: str | None = None,
                   explain: str | None = None) -> None:
        if code != 404:
            super().send_error(code, message, explain)
            return
        path = unquote(urlsplit(self.path).path)
        prefix = next((p for p in self.language_prefixes if path.startswith(p)), "/")
        page = Path(self.directory) / prefix.lstrip("/") / "404.html"
        if not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def make_server(directory: Path, port: int,
                prefixes: list[str]) -> http.server.ThreadingHTTPServer:
    handler = functools.partial(
        type("Handler", (StaticHandler,), {"language_prefixes": tuple(prefixes)}),
        directory=str(directory))
    return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)


def serve_directory(directory: Path, port: int, prefixes: list[str]) -> int:
    try:
        server = make_server(directory, port, prefixes)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            print(f"masthead: port {port} is in use; pick another with --port", file=sys.stderr)
            return 1
        raise
    print(f"Serving {directory} at http://127.0.0.1:{server.server_address[1]}/ "
          "(Ctrl-C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nstopped")
    finally:
        server.server_close()
    return 0
