"""``masthead api``: view counts, newsletter sign-ups and contact messages beside the
static site (the application is in ``api/``)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from masthead.cli.common import config_of, set_argument, site_argument


def register(commands: Any) -> None:
    api = commands.add_parser(
        "api", help="serve view counts, newsletter sign-ups and contact messages",
        description="The API beside the static site: POST /api/views, GET /api/views, "
                    "POST /api/subscribe, POST /api/contact, GET /api/subscribers.csv "
                    "(token in MASTHEAD_API_TOKEN).")
    site_argument(api)
    api.add_argument("--host", default="127.0.0.1",
                     help="the address to listen on (default: 127.0.0.1; put a proxy such as "
                          "nginx in front rather than listening on a public address)")
    api.add_argument("--port", type=int, default=8001,
                     help="the port to listen on (default: 8001)")
    api.add_argument("--database", metavar="URL",
                     help="postgresql://user@host/db, or a SQLite file "
                          "(default: SITE/.masthead/api.sqlite)")
    api.add_argument("--rate-limit", type=int, default=60, metavar="N",
                     help="requests per client per minute (0: no limit)")
    api.add_argument("--public-url", default="",
                     help="the API's address as readers reach it, for links in emails "
                          "(default: api_public_url in masthead.toml, which the newsletter "
                          "uses too; else base_url + api_url)")
    api.add_argument("--trusted-proxy", action="append", default=[], metavar="ADDRESS",
                     help="a proxy (address or network) whose X-Forwarded-For names the "
                          "client, e.g. 127.0.0.1 for nginx on the same machine; repeat for "
                          "several (default: none, the connection's address counts)")
    api.add_argument("--max-connections", type=int, default=1000, metavar="N",
                     help="connections served at once; more get 503 (default: 1000)")
    api.add_argument("--header-timeout", type=float, default=10.0, metavar="SECONDS",
                     help="a connection that sends no request this long is closed, so that "
                          "silent sockets cannot fill --max-connections (default: 10)")
    set_argument(api)
    api.set_defaults(handler=api_command)


def api_command(args: argparse.Namespace) -> int:
    from masthead.api.app import ApiSettings, create_app
    from masthead.api.clients import networks
    from masthead.api.db import open_database
    from masthead.api.server import Listening, run_api

    config = config_of(args)
    if config is None:
        return 1
    try:
        store = open_database(args.database, config.root)
    except (ValueError, OSError) as exc:
        print(f"masthead: cannot open the database: {exc}", file=sys.stderr)
        return 1
    if args.rate_limit < 0:
        print("masthead: --rate-limit must be 0 (off) or more", file=sys.stderr)
        return 2
    try:
        trusted = networks(args.trusted_proxy)
    except ValueError as exc:
        print(f"masthead: {exc}", file=sys.stderr)
        return 2
    if args.public_url and args.public_url.rstrip("/") != config.api_address:
        print("masthead: warning: --public-url differs from the newsletter's links "
              f"({config.api_address}/...)\n  hint: set api_public_url = "
              f'"{args.public_url}" in masthead.toml, and both use it', file=sys.stderr)
    app = create_app(config, store, ApiSettings(args.rate_limit, args.public_url, trusted))
    return run_api(config, app, store.dialect,
                   Listening(args.host, args.port, args.max_connections, args.header_timeout))
