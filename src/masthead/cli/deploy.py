"""``masthead deploy`` (build, then publish to every target) and ``masthead mirror-key``;
the rules a deploy follows are in ``deploy/policy.py``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from masthead.cli.common import config_of, overrides, run_build, set_argument, site_argument
from masthead.cli.newsletter import newsletter_flags, send_published
from masthead.config import SiteConfig, load_config
from masthead.errors import ConfigError, plural


def register(commands: Any) -> None:
    deploy = commands.add_parser(
        "deploy", help="build, then publish the site to its [[deploy]] targets",
        description="Build the site, then give each [[deploy]] target in masthead.toml what "
                    "changed since its last deploy (files first, pages next, deletions "
                    "last), all targets at once, and fetch pages back from each address.")
    site_argument(deploy)
    deploy.add_argument("--target", action="append", default=[], metavar="NAME",
                        help="deploy to this target only (repeat for several)")
    deploy.add_argument("--dry-run", action="store_true",
                        help="build and say what each target would get; change nothing")
    deploy.add_argument("--rollback", action="store_true",
                        help="give each target the version it had before the last deploy "
                             "(no build)")
    deploy.add_argument("--no-verify", action="store_true",
                        help="do not fetch pages back from the targets' addresses")
    deploy.add_argument("--strict", action="store_true", help="fail on warnings too")
    set_argument(deploy)
    deploy.add_argument("--jobs", type=int, default=0,
                        help="worker processes for rendering (default: all cores)")
    newsletter_flags(deploy)
    deploy.add_argument("--no-channels", action="store_true",
                        help="do not post the new stories to the [[channels]] this time")
    deploy.set_defaults(handler=deploy_command, drafts=False, future=False, no_cache=False,
                        timings=False, no_search=False, no_speedups=False)
    key = commands.add_parser(
        "mirror-key", help="make the key pair that signs the site's mirror list",
        description="Make an Ed25519 key pair for the signed mirror list (mirrors.json). "
                    "The private key goes to a file outside the site (owner-only); the "
                    "public key is printed as a line for masthead.toml. Deploys sign with "
                    "that file, or with MASTHEAD_MIRROR_KEY / MASTHEAD_MIRROR_KEY_FILE.")
    site_argument(key)
    key.add_argument("--out", type=Path, metavar="FILE",
                     help="where to write the private key (default: "
                          "~/.config/masthead/<site folder>.mirror-key.pem)")
    key.set_defaults(handler=mirror_key_command, set=[])


def deploy_command(args: argparse.Namespace) -> int:
    from masthead.deploy import deploy, rollback
    from masthead.deploy.mirrorlist import KEY_FILE_ENV, MirrorKeyError, signing_key
    from masthead.deploy.policy import (
        PolicyError,
        canonical_address,
        chosen_targets,
        newsletter_held,
    )
    from masthead.deploy.targets import say_to_stderr

    config = config_of(args)
    if config is None:
        return 1
    try:
        targets = chosen_targets(config, args.target)
        key = None if args.rollback else signing_key(config)
    except PolicyError as exc:
        print(f"masthead: {exc}", file=sys.stderr)
        return 1
    except MirrorKeyError as exc:
        print(f"masthead: {exc}\n  hint: run `masthead mirror-key` to make a key pair, or set "
              f"{KEY_FILE_ENV} to the private key's file", file=sys.stderr)
        return 1
    if key is None and config.web_addresses[1:] and not args.rollback:
        print("masthead: warning: mirror_key is not set, so no signed mirror list is "
              "published and readers' browsers cannot fail over to a mirror\n"
              "  hint: run `masthead mirror-key` once", file=sys.stderr)
    published: Path | None = None  # the build the targets got (the channels read it)
    if args.rollback:
        results = rollback(config, targets, say=say_to_stderr)
    else:
        address = canonical_address(config)
        if address is not None:
            try:
                config = load_config(config.root, {**overrides(args), "base_url": address})
            except ConfigError:  # pragma: no cover - the same settings loaded above
                return 1
        built = run_build(args, config)
        if built is None:
            return 1
        published = built.output
        results = deploy(config, built.output, targets, dry_run=args.dry_run,
                         verify=not args.no_verify, say=say_to_stderr, key=key)
    for result in results:
        print(result.summary())
    failed = [r for r in results if r.error]
    posts_failed = False
    if config.channels and not (args.rollback or args.dry_run or args.no_channels):
        held = newsletter_held(results, verified=not args.no_verify,
                               what="the channels' posts are")
        if held:
            print(f"masthead: {held}", file=sys.stderr)
        else:
            posts_failed = post_to_channels(config, args.database, published)
    if args.send_newsletter and not args.rollback and not args.dry_run:
        held = newsletter_held(results, verified=not args.no_verify)
        if held:
            print(f"masthead: {held}", file=sys.stderr)
        elif send_published(config, args.database):
            return 1
    if failed:
        rest = "; the others are done" if len(failed) < len(results) else ""
        print(f"masthead: {plural(len(failed), 'target')} failed{rest}", file=sys.stderr)
    return 1 if failed or posts_failed else 0


def post_to_channels(config: SiteConfig, database: str | None, output: Path | None) -> bool:
    """Post the stories that became public to the channels (``output``: the build that
    was published); True when one failed."""
    from masthead.channels import ChannelsError, post_published
    from masthead.cli.newsletter import say

    try:
        outcomes = post_published(config, database, say, output)
    except ChannelsError as exc:
        print(f"masthead: channels: {exc}", file=sys.stderr)
        return True
    return any(o.state in ("failed", "unsure") for o in outcomes)


def mirror_key_command(args: argparse.Namespace) -> int:
    from masthead.deploy.mirrorlist import (
        MirrorKeyError,
        make_key_pair,
        record_public_key,
    )

    config = config_of(args)
    if config is None:
        return 1
    try:
        public, path = make_key_pair(config, args.out)
    except (MirrorKeyError, OSError) as exc:
        print(f"masthead: {exc}", file=sys.stderr)
        return 1
    line = record_public_key(config, public)
    where = (f"Its public half is now mirror_key in masthead.toml (line {line})."
             if line else "Add this line to masthead.toml, above its first [table] (the "
             f'public key, safe to publish):\n\n  mirror_key = "{public}"\n')
    print(f"Private key written to {path}: keep it secret and back it up; whoever has it "
          f"can tell readers' browsers where the site is.\n{where}\n"
          + ("`masthead deploy` finds the private key there on this machine; elsewhere "
             if args.out is None else "For `masthead deploy`, ")
          + "set MASTHEAD_MIRROR_KEY_FILE to the file, or MASTHEAD_MIRROR_KEY to its text.")
    return 0
