"""The ``masthead`` command: the top parser and the dispatch to one module per command.
Each command module turns arguments into a call and a report; the work is elsewhere."""

from __future__ import annotations

import argparse
import os
import sys

from masthead import __version__
from masthead.cli import api, build, channels, deploy, desk, imports, new, newsletter, serve
from masthead.speedups import SWITCH as SPEEDUPS_SWITCH

DESCRIPTION = """\
masthead turns a folder of Markdown stories (the layout of the Banter magazine template)
into a fast, bilingual magazine site that any static host can serve."""
EPILOG = """\
start here:
  masthead new mysite        create a starter site in mysite/
  masthead serve mysite      preview it at http://127.0.0.1:8000/, rebuilt on every save
  masthead build mysite      write the site to mysite/dist/, ready to publish

'masthead COMMAND --help' tells more about each command."""
# In the order ``masthead --help`` lists them.
COMMANDS = (new, build, serve, deploy, imports, newsletter, channels, api, desk)


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    if getattr(args, "no_speedups", False):
        os.environ[SPEEDUPS_SWITCH] = "0"  # also for the workers a build forks
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        print("\nstopped", file=sys.stderr)
        return 130


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="masthead", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"masthead {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.register(commands)
    return parser
