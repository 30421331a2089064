"""``masthead serve``: a preview on 127.0.0.1, rebuilt on every save (the loop is in
``dev/preview.py``)."""

from __future__ import annotations

import argparse
from typing import Any

from masthead.cli.build import content_arguments, writing_arguments
from masthead.cli.common import config_of, options_of, overrides
from masthead.config import load_config


def register(commands: Any) -> None:
    text = ("preview the site on 127.0.0.1, rebuilt on every save (built into "
            ".masthead/serve/, never into the output folder)")
    sub = commands.add_parser("serve", help=text, description=text[0].upper() + text[1:] + ".")
    content_arguments(sub)
    writing_arguments(sub)
    sub.add_argument("--port", type=int, default=8000,
                     help="the port on 127.0.0.1 to serve on (default: 8000)")
    sub.set_defaults(handler=serve_command)


def serve_command(args: argparse.Namespace) -> int:
    from masthead.dev.preview import preview

    config = config_of(args)
    if config is None:
        return 1
    return preview(config, lambda: load_config(config.root, overrides(args)),
                   options_of(args, preview=True), args.port, use_cache=not args.no_cache)
