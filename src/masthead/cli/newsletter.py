"""``masthead newsletter send|preview|test|status``, and the sending that ``build`` and
``deploy`` do with ``--send-newsletter``."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from masthead.cli.common import config_of, print_diagnostics
from masthead.config import SiteConfig
from masthead.errors import BuildFailed

if TYPE_CHECKING:  # the sending code is imported when a newsletter command runs
    from masthead.newsletter.editions import Choice
    from masthead.newsletter.send import Tally

def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def register(commands: Any) -> None:
    """The ``newsletter`` command and its four actions."""
    parser = commands.add_parser(
        "newsletter", help="send a story or a digest to the confirmed subscribers",
        description="Send the newsletter through the site's SMTP server to every confirmed "
                    "subscriber, in the language they signed up in, exactly once (each "
                    "delivery is recorded in the API's database).")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    def common(sub: argparse.ArgumentParser, what: bool = True, db: bool = True,
               published: bool = False) -> None:
        sub.add_argument("site", nargs="?", type=Path, default=Path("."),
                         help="the site folder (default: the current folder)")
        if what:
            which = sub.add_mutually_exclusive_group(required=True)
            which.add_argument("--story", metavar="SLUG", help="one story, its whole text")
            which.add_argument("--digest", action="store_true",
                               help="the stories published since the last digest, as cards")
            if published:
                which.add_argument("--published", action="store_true",
                                   help="each story that became public since the last "
                                        "such send, each once (what deploy "
                                        "--send-newsletter and the desk do)")
            sub.add_argument("--since", metavar="DATE", type=_date,
                             help="with --digest: the stories published after DATE "
                                  "(2026-12-01 or 2026-12-01T18:00+03:00)")
        if db:
            sub.add_argument("--database", metavar="URL",
                             help="the API's database (default: SITE/.masthead/api.sqlite; "
                                  "postgresql://... for PostgreSQL)")
        sub.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                         help="override a setting for this run (TOML value)")

    send = actions.add_parser("send", help="send it (and finish one that was interrupted)")
    common(send, published=True)
    send.add_argument("--resend", action="store_true",
                      help="send a story again to everyone, though it was sent before")
    send.add_argument("--connections", type=int, default=0,
                      help="SMTP connections at once (default: newsletter_connections, 4)")
    send.add_argument("--rate", type=int, default=-1, metavar="PER_MINUTE",
                      help="messages a minute at most (default: newsletter_rate; 0: no limit)")
    preview = actions.add_parser("preview", help="write each language's email as HTML")
    common(preview, db=False)
    preview.add_argument("-o", "--output", type=Path,
                         help="where to write them (default: SITE/.masthead/newsletter/)")
    test = actions.add_parser("test", help="send each language's email to one address")
    common(test, db=False)
    test.add_argument("--to", required=True, metavar="ADDRESS", help="who gets the test")
    status = actions.add_parser("status", help="what each newsletter's deliveries came to")
    common(status, what=False)

    def run(args: argparse.Namespace) -> int:
        from masthead.newsletter.editions import NewsletterError

        config = config_of(args)
        if config is None:
            return 1
        try:
            return _ACTIONS[args.action](args, config)
        except BuildFailed as exc:
            print_diagnostics(exc.diagnostics, config.root)
            return 1
        except NewsletterError as exc:
            print(f"masthead: {exc}", file=sys.stderr)
            return 1

    parser.set_defaults(handler=run)


def _date(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date such as 2026-12-01"
                                         ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _choice(args: argparse.Namespace) -> Choice:
    from masthead.newsletter.editions import Choice

    return Choice(args.story or "", bool(args.digest), args.since,
                  bool(getattr(args, "resend", False)))


def _send(args: argparse.Namespace, config: SiteConfig) -> int:
    from masthead.newsletter.editions import Newsletters, database

    if args.published:
        return send_published(config, args.database)
    with database(config, args.database) as store:
        letters = Newsletters(config, store, say)
        letters.ready()  # nothing recorded for a send that cannot start
        edition = letters.choose(_choice(args))
        if edition is None:
            return 0
        return _report(edition.id, letters.send(edition, args.connections, args.rate))


def _report(name: str, tally: Tally) -> int:
    print(f"{name}: {tally.line()} in {tally.seconds:.1f} s")
    for error in tally.errors:
        print(f"masthead: {name}: stopped: {error}; run the same command again to go on",
              file=sys.stderr)
    if tally.left and not tally.errors:
        print(f"{name}: {tally.left} deferred by the server or uncertain (the whole message "
              "went out, no answer came); run the command again later to send them",
              file=sys.stderr)
    return 1 if tally.errors else 0


def _preview(args: argparse.Namespace, config: SiteConfig) -> int:
    from masthead.newsletter.editions import Newsletters
    folder = args.output or config.root / ".masthead" / "newsletter"
    for page in Newsletters(config, None, say).preview(_choice(args), folder):
        print(page)
    return 0


def _test(args: argparse.Namespace, config: SiteConfig) -> int:
    from masthead.newsletter.editions import Newsletters
    for line in Newsletters(config, None, say).test(_choice(args), args.to):
        print(line)
    return 0


def _status(args: argparse.Namespace, config: SiteConfig) -> int:
    from masthead.newsletter.editions import database, status_lines
    with database(config, args.database) as store:
        for line in status_lines(store):
            print(line)
    return 0


_ACTIONS: dict[str, Callable[[argparse.Namespace, SiteConfig], int]] = {
    "send": _send, "preview": _preview, "test": _test, "status": _status}


def send_published(config: SiteConfig, url: str | None) -> int:
    """After a build or a verified deploy: a newsletter for each story that became public
    since the last send, each once."""
    from masthead.newsletter import editions

    try:
        failed = 0
        for name, tally in editions.send_published(config, url, say):
            failed |= _report(name, tally)
        return failed
    except editions.NewsletterError as exc:
        print(f"masthead: newsletter: {exc}", file=sys.stderr)
        return 1


def newsletter_flags(parser: argparse.ArgumentParser) -> None:
    """``--send-newsletter`` of build and deploy."""
    parser.add_argument("--send-newsletter", action="store_true",
                        help="then mail each story that became public since the last send "
                             "to the subscribers (once each)")
    parser.add_argument("--database", metavar="URL",
                        help="with --send-newsletter: the API's database (default: "
                             "SITE/.masthead/api.sqlite)")


def send_after_build(args: argparse.Namespace) -> int:
    """Mail what became public with the build or deploy that just ended."""
    config = config_of(args)
    return 1 if config is None else send_published(config, args.database)
