"""Running the API: the listening socket first (a busy port is said before anything is
announced), then uvicorn with no access log and limits that keep silent sockets from
starving readers."""

from __future__ import annotations

import errno
import logging
import socket
import sys
from dataclasses import dataclass

from masthead.config import SiteConfig


@dataclass(frozen=True)
class Listening:
    host: str = "127.0.0.1"
    port: int = 8001
    max_connections: int = 1000
    header_timeout: float = 10.0  # seconds a connection may stay silent before a request


def listen(host: str, port: int, backlog: int) -> socket.socket:
    """A listening socket on ``host``:``port`` (IPv4 or IPv6), or OSError."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def run_api(config: SiteConfig, app: object, dialect: str, where: Listening) -> int:
    """Serve ``app`` until Ctrl-C; the exit code."""
    return serve_app(app, where, f"masthead api for {config.title} on "
                                 f"http://{where.host}:{where.port}/api/ ({dialect})")


def serve_app(app: object, where: Listening, announce: str) -> int:
    """Serve ``app`` until Ctrl-C, saying ``announce`` once it listens; the exit code."""
    import uvicorn

    from masthead.api.logs import install
    from masthead.api.silent import silent_closing

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    install()  # one line per kind of message a minute, however hard the server is hit
    # httpx names every address it fetches (a follower's, on the fediverse): not logged
    logging.getLogger("httpx").setLevel(logging.WARNING)
    host, port = where.host, where.port
    try:  # the port first: nothing is announced that cannot be kept
        listening = listen(host, port, backlog=2048)
    except OSError as exc:
        busy = exc.errno == errno.EADDRINUSE
        print(f"masthead: cannot listen on {host}:{port}: "
              + ("another program listens there" if busy else exc.strerror or str(exc))
              + ("\n  hint: stop it, or give masthead api another --port" if busy else ""),
              file=sys.stderr)
        return 1
    print(f"{announce}; Ctrl-C stops it", flush=True)
    try:
        # No access log: it would record readers' addresses and the pages they read.
        # X-Forwarded-For is read by the API itself, from --trusted-proxy only; a cap on
        # connections and short idle times keep silent sockets from starving the rest
        # (slow headers are cut by nginx in front, as the production recipe sets up).
        uvicorn.run(app, fd=listening.fileno(),  # type: ignore[arg-type]
                    http=silent_closing(where.header_timeout),
                    access_log=False,
                    log_level="warning", log_config=None,  # its loggers: ours, filtered
                    server_header=False, proxy_headers=False,
                    limit_concurrency=where.max_connections, timeout_keep_alive=5,
                    backlog=2048)
    except OSError as exc:
        print(f"masthead: cannot listen on {host}:{port}: {exc}", file=sys.stderr)
        return 1
    return 0
