"""``masthead import wordpress|jekyll|hugo``: another system's site written in
masthead's layout (the readers are in ``importers/``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(commands: Any) -> None:
    importer = commands.add_parser(
        "import", help="move a WordPress site in (its export, its uploads folder)",
        description="Write a site in masthead's layout from another system's content, with "
                    "its media copied and every old URL redirected. Run it again to take "
                    "what changed; files edited since the last import are kept.")
    sources = importer.add_subparsers(dest="source", metavar="SOURCE", required=True)
    wordpress = sources.add_parser(
        "wordpress", help="a WordPress export (Tools > Export > All content)",
        description="Import a WordPress export (WXR): posts, drafts, scheduled posts, pages, "
                    "authors, categories, tags, media from the uploads folder, redirects.")
    wordpress.add_argument("export", type=Path, metavar="EXPORT.xml",
                           help="the export file")
    wordpress.add_argument("site", type=Path, metavar="SITE",
                           help="the site folder to write (made if it does not exist)")
    wordpress.add_argument("--uploads", type=Path, metavar="DIR",
                           help="a copy of the old site's wp-content/uploads folder")
    wordpress.add_argument("--force", action="store_true",
                           help="replace files edited since the last import too")
    wordpress.set_defaults(handler=import_wordpress_command)
    for system, what in (("jekyll", "a Jekyll site's folder (_config.yml, _posts/)"),
                         ("hugo", "a Hugo site's folder (hugo.toml, content/, static/)")):
        other = sources.add_parser(system, help=what, description=f"Import {what}: posts, "
                                   "drafts, pages, static files, redirects from the old URLs.")
        other.add_argument("source", type=Path, metavar="SOURCE", help="the old site's folder")
        other.add_argument("site", type=Path, metavar="SITE",
                           help="the site folder to write (made if it does not exist)")
        other.add_argument("--force", action="store_true",
                           help="replace files edited since the last import too")
        other.set_defaults(handler=import_markdown_site_command, system=system)


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def target_problem(site: Path) -> str | None:
    """Why an import cannot write into ``site``, before it reads anything."""
    if site.exists() and not site.is_dir():
        return f"{site} is a file, not a folder: name a new or existing site folder"
    try:
        site.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"cannot make the site folder {site}: {exc.strerror or exc}"
    return None


def import_wordpress_command(args: argparse.Namespace) -> int:
    from masthead.importers.wordpress import import_wordpress
    from masthead.importers.wxr import ExportError

    if problem := target_problem(args.site):
        print(f"masthead: {problem}", file=sys.stderr)
        return 1
    if args.uploads is not None and not args.uploads.is_dir():
        print(f"masthead: --uploads {args.uploads} is not a folder", file=sys.stderr)
        return 1
    try:
        report = import_wordpress(args.export, args.site, args.uploads, args.force, say=_say)
    except ExportError as exc:
        print(f"masthead: {exc}", file=sys.stderr)
        return 1
    for line in report.lines():
        print(line)
    print(f"Next: masthead serve {args.site}   (redirects: {args.site}/redirects.nginx for "
          "nginx, public/_redirects for Netlify and Cloudflare Pages)")
    return 0


def import_markdown_site_command(args: argparse.Namespace) -> int:
    from masthead.importers.markdown_sites import SourceError, import_markdown_site

    if problem := target_problem(args.site):
        print(f"masthead: {problem}", file=sys.stderr)
        return 1
    try:
        report = import_markdown_site(args.system, args.source, args.site, args.force,
                                      say=_say)
    except SourceError as exc:
        print(f"masthead: {exc}", file=sys.stderr)
        return 1
    for line in report.lines():
        print(line)
    print(f"Next: masthead serve {args.site}")
    return 0
