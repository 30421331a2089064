"""``masthead channels status|preview|send|resend``: where each story went, how its post
looks, and posting what the channels are owed (what ``deploy`` and the desk do)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from masthead.cli.common import (
    config_of,
    overrides,
    print_diagnostics,
    set_argument,
    site_argument,
)
from masthead.cli.newsletter import say
from masthead.config import SiteConfig, load_config
from masthead.errors import BuildFailed


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "channels", help="post each published story to the site's Telegram channels",
        description="Each story published after a channel was added to [[channels]] in "
                    "masthead.toml is posted there once (recorded in the API's "
                    "database); `deploy` and the desk do it after each publish, `build` "
                    "never does.")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    def common(sub: argparse.ArgumentParser, db: bool = True) -> None:
        site_argument(sub)
        sub.add_argument("--output", type=Path, metavar="DIR",
                         help="the built site the fediverse's Articles are read from "
                              "(default: the site's output folder)")
        if db:
            sub.add_argument("--database", metavar="URL",
                             help="the API's database (default: SITE/.masthead/api.sqlite; "
                                  "postgresql://... for PostgreSQL)")
        set_argument(sub)

    status = actions.add_parser("status", help="each story in each channel: sent, pending, "
                                               "failed (with why) or unsure")
    common(status)
    status.set_defaults(handler=status_command)
    preview = actions.add_parser("preview", help="the post of a story as each channel will "
                                                 "show it (nothing is sent)")
    common(preview, db=False)
    preview.add_argument("--story", metavar="SLUG",
                         help="the story (default: the newest in each channel's language)")
    preview.add_argument("--html", type=Path, metavar="FILE",
                         help="also write the posts as a page that looks like Telegram")
    preview.set_defaults(handler=preview_command)
    send = actions.add_parser("send", help="post what the channels are owed now")
    common(send)
    send.add_argument("--dry-run", action="store_true",
                      help="say what would be posted, post nothing")
    send.set_defaults(handler=send_command)
    resend = actions.add_parser(
        "resend", help="post again a story whose post is unsure, once a person has "
                       "looked in the channel and not found it")
    resend.add_argument("channel", help="the channel's name in [[channels]]")
    resend.add_argument("story", help="the story's slug")
    common(resend)
    resend.set_defaults(handler=resend_command)


def _config(args: argparse.Namespace) -> SiteConfig | None:
    """The settings, at the address pages name as theirs (the primary target's): posts
    link where the site is published."""
    from masthead.deploy.policy import canonical_address

    config = config_of(args)
    address = canonical_address(config) if config is not None else None
    if config is not None and address is not None:
        config = load_config(config.root, {**overrides(args), "base_url": address})
    if config is not None and not config.channels:
        print("masthead: the site has no [[channels]] in masthead.toml\n  hint: add one, "
              'e.g.\n    [[channels]]\n    name = "telegram-ru"\n    kind = "telegram"\n'
              '    language = "ru"\n    chat = "@outlet_ru"', file=sys.stderr)
        return None
    return config


def _channels(config: SiteConfig | None, output: Path | None = None) -> Any:
    """The site's channels with its stories loaded, or None once the problems are said."""
    from masthead.channels import Channels

    if config is None:
        return None
    try:
        return Channels(config, output=output)
    except BuildFailed as exc:
        print_diagnostics(exc.diagnostics, config.root)
        return None


def preview_command(args: argparse.Namespace) -> int:
    config = _config(args)
    channels = _channels(config, args.output)
    if config is None or channels is None:
        return 1
    from masthead.channels.fediverse import FediversePoster
    from masthead.channels.telegram import units

    shown: list[Any] = []
    for channel in config.channels:
        slug = args.story
        if slug is None:
            found = [s for s in channels.stories.published_since(_epoch())
                     if channels.stories.has(s, channel.language)]
            if not found:
                print(f"{channel.name}: no story in {channel.language} yet")
                continue
            slug = found[-1]
        if not channels.stories.exists(slug):
            print(f"masthead: no published story {slug!r}", file=sys.stderr)
            return 1
        if channel.kind == "fediverse":
            card = FediversePoster(config, channel, args.output).card(slug)
            if card is None:
                print(f"── {channel.name}: {slug}: the build output has no Article for it; "
                      "build the site first")
                continue
            shown.append((f"{channel.name} ({card.handle}): {slug}", card))
            print(f"── {channel.name} ({card.handle}): {slug}, an Article")
            if card.image:
                print(f"[image: {card.image}]")
            print(f"{card.text}\n")
            continue
        post = channels.post_of(channel, slug)
        kind = "photo with a caption" if post.photo else "message"
        shown.append((f"{channel.name} ({channel.chat}): {slug}", post))
        print(f"── {channel.name} ({channel.chat}): {slug}, a {kind} of "
              f"{units(post.text)} of {post.limit} characters")
        if post.photo:
            print(f"[photo: {post.photo}]")
        print(post.text)
        print(f"── as sent (Telegram HTML):\n{post.html}\n")
    if args.html is not None:
        from masthead.channels.preview import preview_page

        try:
            args.html.write_text(preview_page(shown, config.root), encoding="utf-8")
        except OSError as exc:
            print(f"masthead: {args.html}: {exc.strerror}", file=sys.stderr)
            return 1
        print(f"the posts as Telegram and Mastodon show them: {args.html.resolve().as_uri()}")
    return 0


def _epoch() -> Any:
    import datetime as dt

    return dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _with_store(args: argparse.Namespace, work: Any) -> int | None:
    """``work(config, channels, store)`` with the API's database open; its result, or None
    once a problem is said."""
    from masthead.newsletter.editions import NewsletterError, database

    config = _config(args)
    channels = _channels(config, args.output)
    if config is None or channels is None:
        return None
    try:
        with database(config, args.database) as store:
            return int(work(config, channels, store))
    except NewsletterError as exc:
        print(f"masthead: channels: {exc}", file=sys.stderr)
        return None


def status_command(args: argparse.Namespace) -> int:
    rows: list[Any] = []

    def work(_config: SiteConfig, channels: Any, store: Any) -> int:
        rows.extend(channels.status(store))
        return 0

    if _with_store(args, work) is None:
        return 1
    if not rows:
        print("nothing published since the channels were added")
    for row in rows:
        print(row.line())
    return 0


def send_command(args: argparse.Namespace) -> int:
    outcomes: list[Any] = []

    def work(config: SiteConfig, channels: Any, store: Any) -> int:
        from masthead.channels.fediverse import FediversePoster

        if args.dry_run:
            rows = [r for r in channels.status(store) if r.state in ("pending", "failed")]
            for row in rows:
                print(f"would post: {row.channel}: {row.story}")
                channel = next(c for c in config.channels if c.name == row.channel)
                if channel.kind == "fediverse":
                    card = FediversePoster(config, channel, args.output).card(row.story)
                    print(card.text if card else
                          "(the build output has no Article for it yet)")
                else:
                    print(channels.post_of(channel, row.story).text)
            print(f"{len(rows)} posts would be sent (dry run: nothing was sent)")
            return 0
        with store.sender_lock("channels", wait=120) as got:
            if not got:
                print("masthead: another poster is running", file=sys.stderr)
                return 1
            outcomes.extend(channels.post(store, say))
        return 0

    done = _with_store(args, work)
    if done is None or done or args.dry_run:
        return 1 if done is None else done
    bad = [o for o in outcomes if o.state in ("failed", "unsure")]
    print(f"{sum(o.state == 'sent' for o in outcomes)} posted, "
          f"{sum(o.state == 'edited' for o in outcomes)} edited, "
          f"{sum(o.state == 'deleted' for o in outcomes)} deleted, {len(bad)} not done")
    return 1 if bad else 0


def resend_command(args: argparse.Namespace) -> int:
    from masthead.channels import ledger
    from masthead.newsletter.editions import NewsletterError, database

    config = _config(args)
    if config is None:
        return 1
    if all(c.name != args.channel for c in config.channels):
        print(f"masthead: no channel named {args.channel!r} in [[channels]]", file=sys.stderr)
        return 1
    try:
        with database(config, args.database) as store:
            if not ledger.release(store, args.channel, args.story):
                print(f"masthead: {args.channel}: {args.story} is not unsure (see "
                      "`masthead channels status`)", file=sys.stderr)
                return 1
    except NewsletterError as exc:
        print(f"masthead: channels: {exc}", file=sys.stderr)
        return 1
    print(f"{args.channel}: {args.story} will be posted by the next send")
    return send_command(argparse.Namespace(**{**vars(args), "dry_run": False}))
