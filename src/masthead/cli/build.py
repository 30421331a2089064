"""``masthead build`` and ``masthead check``, and the flags they share with ``serve``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from masthead.cli.common import (
    config_of,
    options_of,
    print_diagnostics,
    run_build,
    set_argument,
    site_argument,
)
from masthead.cli.newsletter import newsletter_flags, send_after_build
from masthead.errors import BuildFailed, Reporter
from masthead.output import MemorySink
from masthead.pipeline import build


def content_arguments(sub: argparse.ArgumentParser) -> None:
    """What to build: the flags of build, check and serve."""
    site_argument(sub)
    sub.add_argument("--drafts", action="store_true", help="include drafts")
    sub.add_argument("--future", action="store_true", help="include scheduled posts")
    sub.add_argument("--strict", action="store_true", help="fail on warnings too")
    sub.add_argument("--no-speedups", action="store_true",
                     help="build without masthead's speed shortcuts (same output, slower; "
                          "for telling whether a wrong page comes from one)")
    set_argument(sub, example=True)


def writing_arguments(sub: argparse.ArgumentParser) -> None:
    """How to write it: the flags of build and serve."""
    sub.add_argument("--timings", action="store_true", help="print time per stage")
    sub.add_argument("--no-search", action="store_true",
                     help="skip the search index (same as --set search=false)")
    sub.add_argument("--no-cache", action="store_true",
                     help="build everything from scratch, ignoring the build cache "
                          "in .masthead/ (image variants, named by their content, "
                          "are still reused)")
    sub.add_argument("--jobs", type=int, default=0,
                     help="worker processes for rendering (default: all cores)")


def register(commands: Any) -> None:
    text = "build the site into its output folder"
    sub = commands.add_parser("build", help=text, description=text[0].upper() + text[1:] + ".")
    content_arguments(sub)
    sub.add_argument("-o", "--output", type=Path,
                     help="output folder (default: the 'output' setting, dist/); "
                          "it must be outside content/, public/ and the theme folders")
    writing_arguments(sub)
    newsletter_flags(sub)
    sub.add_argument("--views", metavar="SOURCE",
                     help="add the views counted by `masthead api` to each story: "
                          "its URL (https://example.org/api) or its database")
    sub.set_defaults(handler=build_command)
    text = "validate the content without writing"
    sub = commands.add_parser("check", help=text, description=text[0].upper() + text[1:] + ".")
    content_arguments(sub)
    sub.set_defaults(handler=check_command)


def build_command(args: argparse.Namespace) -> int:
    if not run_build(args):
        return 1
    return send_after_build(args) if args.send_newsletter else 0


def check_command(args: argparse.Namespace) -> int:
    config = config_of(args)
    if config is None:
        return 1
    try:
        report = build(config, MemorySink(), options_of(args))
    except BuildFailed as exc:
        print_diagnostics(exc.diagnostics, config.root)
        print(f"masthead: {Reporter(list(exc.diagnostics)).summary()}", file=sys.stderr)
        return 1
    print_diagnostics(report.diagnostics, config.root)
    for entry in report.skipped:
        state = "draft" if entry.draft else f"scheduled for {entry.date.isoformat()}"
        print(f"{entry.source}: {state} ({entry.lang}); not published")
    print(f"OK: {report.pages} pages, {Reporter(list(report.diagnostics)).summary()}")
    return 0
