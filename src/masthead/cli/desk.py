"""``masthead desk``: the newsroom's desk (``desk/``), and ``masthead desk invite`` for
the first admin, on the server's own shell."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from masthead.cli.common import config_of, overrides, set_argument, site_argument
from masthead.config import load_config

DEFAULT_PORT = 8002


def register(commands: Any) -> None:
    desk = commands.add_parser(
        "desk", help="the desk: writers and editors publish from a browser",
        description="The desk at /admin/: accounts with roles (contributor, author, "
                    "editor, admin), review and publishing, on its own address and its own "
                    "database, apart from `masthead api`.")
    actions = desk.add_subparsers(dest="action", metavar="ACTION", required=True)
    serve = actions.add_parser("serve", help="serve the desk",
                               description="Serve the desk; put nginx with HTTPS in front "
                                           "(its session cookie is sent over HTTPS only).")
    site_argument(serve)
    serve.add_argument("--host", default="127.0.0.1",
                       help="the address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT,
                       help=f"the port to listen on (default: {DEFAULT_PORT})")
    serve.add_argument("--no-verify", action="store_true",
                       help="after a publish, do not fetch pages back from the targets")
    serve.add_argument("--trusted-proxy", action="append", default=[], metavar="ADDRESS",
                       help="a proxy (or network) in front of the desk whose "
                            "X-Forwarded-For is believed, e.g. 127.0.0.1 for nginx on the "
                            "same machine; may be given again (default: none)")
    database_argument(serve)
    serve.add_argument("--api-database", metavar="URL",
                       help="the API's database, where the newsletter's subscribers are "
                            "(default: SITE/.masthead/api.sqlite); used when "
                            "newsletter_each_story = true")
    set_argument(serve)
    serve.set_defaults(handler=serve_command)
    invite = actions.add_parser("invite", help="invite someone (the first admin, from the "
                                               "server's shell)",
                                description="Make an account and print its invitation link, "
                                            "good for seven days and once.")
    invite.add_argument("email", help="their email address")
    invite.add_argument("--name", required=True, help="their name, as the desk shows it")
    invite.add_argument("--role", default="admin",
                        choices=["contributor", "author", "editor", "admin"],
                        help="what they may do (default: admin)")
    invite.add_argument("--address", default=f"http://127.0.0.1:{DEFAULT_PORT}",
                        help="the desk's address, for the link (default: %(default)s)")
    site_argument(invite)
    database_argument(invite)
    set_argument(invite)
    invite.set_defaults(handler=invite_command)


def database_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database", metavar="URL",
                        help="the desk's database: postgresql://... or a SQLite file "
                             "(default: SITE/.masthead/desk.sqlite; never the API's)")


def _database(args: argparse.Namespace, root: Path) -> Any:
    from masthead.api.db import open_database

    return open_database(args.database or str(root / ".masthead" / "desk.sqlite"), root)


def serve_command(args: argparse.Namespace) -> int:
    from masthead.api.clients import networks
    from masthead.api.server import Listening, serve_app
    from masthead.desk.app import create_desk_app

    config = config_of(args)
    if config is None:
        return 1
    try:
        trusted = networks(args.trusted_proxy)
    except ValueError as exc:
        print(f"masthead: {exc}", file=sys.stderr)
        return 2
    try:
        db = _database(args, config.root)
    except (ValueError, OSError) as exc:
        print(f"masthead: cannot open the desk's database: {exc}", file=sys.stderr)
        return 1
    app = create_desk_app(db, config, verify=not args.no_verify,
                          load=lambda extra=None: load_config(config.root, {**overrides(args),
                                                                  **(extra or {})}),
                          api_database=args.api_database, settings=list(args.set),
                          trusted=trusted)
    return serve_app(app, Listening(args.host, args.port),
                     f"masthead desk for {config.title} on "
                     f"http://{args.host}:{args.port}/admin/")


def invite_command(args: argparse.Namespace) -> int:
    from masthead.desk.accounts import Accounts, DeskError
    from masthead.desk.roles import Role

    config = config_of(args)
    if config is None:
        return 1

    async def invite() -> str:
        db = _database(args, config.root)
        try:
            accounts = Accounts(db)
            await accounts.prepare()
            _, token = await accounts.invite(None, args.email, args.name, Role(args.role))
            return token
        finally:
            await db.close()

    try:
        token = asyncio.run(invite())
    except DeskError as exc:
        print(f"masthead: {exc.message}", file=sys.stderr)
        return 1
    print(f"Invited {args.email} ({args.role}). Send them this link (good for seven days, "
          f"once):\n  {args.address.rstrip('/')}/admin/#invitation={token}")
    return 0
