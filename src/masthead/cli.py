"""The ``masthead`` command: argument parsing and reporting only; the work is elsewhere."""

from __future__ import annotations

import argparse
import dataclasses
import errno
import os
import shutil
import socket
import sys
from dataclasses import replace
from pathlib import Path

from masthead import __version__
from masthead.config import SiteConfig, load_config
from masthead.content.discover import detect_layout
from masthead.errors import BuildFailed, ConfigError, Diagnostic, Reporter, Severity, plural
from masthead.incremental import CACHE_DIR, BuildCache
from masthead.options import BuildOptions
from masthead.output import MemorySink, OutputRefused
from masthead.pipeline import (
    BuildReport,
    BuildState,
    build,
    build_site,
    images_on_request,
    terminal_progress,
)
from masthead.speedups import SWITCH as SPEEDUPS_SWITCH

STARTER = Path(__file__).parent / "starter"
DESCRIPTION = """\
masthead turns a folder of Markdown stories (the layout of the Banter magazine template)
into a fast, bilingual magazine site that any static host can serve."""
EPILOG = """\
start here:
  masthead new mysite        create a starter site in mysite/
  masthead serve mysite      preview it at http://127.0.0.1:8000/, rebuilt on every save
  masthead build mysite      write the site to mysite/dist/, ready to publish

'masthead COMMAND --help' tells more about each command."""


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="masthead", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"masthead {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    new = commands.add_parser("new", help="create a starter site in DIR",
                              description="Create a starter site (settings, a story, an author, "
                                          "a category and pages) in DIR, which must be new or "
                                          "empty.")
    new.add_argument("dir", type=Path, metavar="DIR", help="the folder to create")
    new.set_defaults(handler=_new)

    for name, handler, text in (("build", _build, "build the site into its output folder"),
                                ("check", _check, "validate the content without writing"),
                                ("serve", _serve, "preview the site on 127.0.0.1, rebuilt on "
                                                  "every save (built into .masthead/serve/, "
                                                  "never into the output folder)")):
        sub = commands.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        sub.add_argument("site", nargs="?", type=Path, default=Path("."),
                         help="the site folder (default: the current folder)")
        sub.add_argument("--drafts", action="store_true", help="include drafts")
        sub.add_argument("--future", action="store_true", help="include scheduled posts")
        sub.add_argument("--strict", action="store_true", help="fail on warnings too")
        sub.add_argument("--no-speedups", action="store_true",
                         help="build without masthead's speed shortcuts (same output, slower; "
                              "for telling whether a wrong page comes from one)")
        sub.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                         help="override a setting for this run (TOML value), e.g. "
                              "--set base_url=https://preview.example.org/")
        if name == "build":
            sub.add_argument("-o", "--output", type=Path,
                             help="output folder (default: the 'output' setting, dist/); "
                                  "it must be outside content/, public/ and the theme folders")
        if name != "check":
            sub.add_argument("--timings", action="store_true", help="print time per stage")
            sub.add_argument("--no-search", action="store_true",
                             help="skip the search index (same as --set search=false)")
            sub.add_argument("--no-cache", action="store_true",
                             help="build everything from scratch, ignoring the build cache "
                                  "in .masthead/ (image variants, named by their content, "
                                  "are still reused)")
            sub.add_argument("--jobs", type=int, default=0,
                             help="worker processes for rendering (default: all cores)")
        if name == "serve":
            sub.add_argument("--port", type=int, default=8000,
                             help="the port on 127.0.0.1 to serve on (default: 8000)")
        if name == "build":
            _newsletter_flag(sub)
            sub.add_argument("--views", metavar="SOURCE",
                             help="add the views counted by `masthead api` to each story: "
                                  "its URL (https://example.org/api) or its database")
        sub.set_defaults(handler=handler)
    deploy = commands.add_parser(
        "deploy", help="build, then publish the site to its [[deploy]] targets",
        description="Build the site, then give each [[deploy]] target in masthead.toml what "
                    "changed since its last deploy (files first, pages next, deletions "
                    "last), all targets at once, and fetch pages back from each address.")
    deploy.add_argument("site", nargs="?", type=Path, default=Path("."),
                        help="the site folder (default: the current folder)")
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
    deploy.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a setting for this run (TOML value)")
    deploy.add_argument("--jobs", type=int, default=0,
                        help="worker processes for rendering (default: all cores)")
    _newsletter_flag(deploy)
    deploy.set_defaults(handler=_deploy, drafts=False, future=False, no_cache=False,
                        timings=False, no_search=False, no_speedups=False)
    key = commands.add_parser(
        "mirror-key", help="make the key pair that signs the site's mirror list",
        description="Make an Ed25519 key pair for the signed mirror list (mirrors.json). "
                    "The private key goes to a file outside the site (owner-only); the "
                    "public key is printed as a line for masthead.toml. Deploys sign with "
                    "that file, or with MASTHEAD_MIRROR_KEY / MASTHEAD_MIRROR_KEY_FILE.")
    key.add_argument("site", nargs="?", type=Path, default=Path("."),
                     help="the site folder (default: the current folder)")
    key.add_argument("--out", type=Path, metavar="FILE",
                     help="where to write the private key (default: "
                          "~/.config/masthead/<site folder>.mirror-key.pem)")
    key.set_defaults(handler=_mirror_key, set=[])
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
    wordpress.set_defaults(handler=_import_wordpress)
    for system, what in (("jekyll", "a Jekyll site's folder (_config.yml, _posts/)"),
                         ("hugo", "a Hugo site's folder (hugo.toml, content/, static/)")):
        other = sources.add_parser(system, help=what, description=f"Import {what}: posts, "
                                   "drafts, pages, static files, redirects from the old URLs.")
        other.add_argument("source", type=Path, metavar="SOURCE", help="the old site's folder")
        other.add_argument("site", type=Path, metavar="SITE",
                           help="the site folder to write (made if it does not exist)")
        other.add_argument("--force", action="store_true",
                           help="replace files edited since the last import too")
        other.set_defaults(handler=_import_markdown_site, system=system)
    from masthead.newsletter.commands import register

    register(commands, _config, lambda exc, config: _print_diagnostics(exc.diagnostics,
                                                                        config.root))
    api = commands.add_parser(
        "api", help="serve view counts, newsletter sign-ups and contact messages",
        description="The API beside the static site: POST /api/views, GET /api/views, "
                    "POST /api/subscribe, POST /api/contact, GET /api/subscribers.csv "
                    "(token in MASTHEAD_API_TOKEN).")
    api.add_argument("site", nargs="?", type=Path, default=Path("."),
                     help="the site folder (default: the current folder)")
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
    api.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                     help="override a setting for this run (TOML value)")
    api.set_defaults(handler=_api)
    return parser


def _api(args: argparse.Namespace) -> int:
    import logging

    import uvicorn

    from masthead.api.app import ApiSettings, create_app
    from masthead.api.silent import silent_closing
    from masthead.api.store import open_store

    try:
        config = load_config(args.site, _overrides(args))
        store = open_store(args.database, config.root)
    except ConfigError as exc:
        _print_diagnostics(exc.diagnostics, args.site.resolve())
        return 1
    except (ValueError, OSError) as exc:
        print(f"masthead: cannot open the database: {exc}", file=sys.stderr)
        return 1
    if args.rate_limit < 0:
        print("masthead: --rate-limit must be 0 (off) or more", file=sys.stderr)
        return 2
    from masthead.api.clients import networks

    try:
        trusted = networks(args.trusted_proxy)
    except ValueError as exc:
        print(f"masthead: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    from masthead.api.logs import install

    install()  # one line per kind of message a minute, however hard the server is hit
    if args.public_url and args.public_url.rstrip("/") != config.api_address:
        print("masthead: warning: --public-url differs from the newsletter's links "
              f"({config.api_address}/...)\n  hint: set api_public_url = "
              f'"{args.public_url}" in masthead.toml, and both use it', file=sys.stderr)
    app = create_app(config, store, ApiSettings(args.rate_limit, args.public_url, trusted))
    try:  # the port first: nothing is announced that cannot be kept
        listening = _listen(args.host, args.port, backlog=2048)
    except OSError as exc:
        busy = exc.errno == errno.EADDRINUSE
        print(f"masthead: cannot listen on {args.host}:{args.port}: "
              + ("another program listens there" if busy else exc.strerror or str(exc))
              + ("\n  hint: stop it, or give masthead api another --port" if busy else ""),
              file=sys.stderr)
        return 1
    print(f"masthead api for {config.title} on http://{args.host}:{args.port}/api/ "
          f"({store.dialect}); Ctrl-C stops it", flush=True)
    try:
        # No access log: it would record readers' addresses and the pages they read.
        # X-Forwarded-For is read by the API itself, from --trusted-proxy only; a cap on
        # connections and short idle times keep silent sockets from starving the rest
        # (slow headers are cut by nginx in front, as the production recipe sets up).
        uvicorn.run(app, fd=listening.fileno(), http=silent_closing(args.header_timeout),
                    access_log=False,
                    log_level="warning", log_config=None,  # its loggers: ours, filtered
                    server_header=False, proxy_headers=False,
                    limit_concurrency=args.max_connections, timeout_keep_alive=5,
                    backlog=2048)
    except OSError as exc:
        print(f"masthead: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0


def _listen(host: str, port: int, backlog: int) -> socket.socket:
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


def _import_target_problem(site: Path) -> str | None:
    """Why an import cannot write into ``site``, before it reads anything."""
    if site.exists() and not site.is_dir():
        return f"{site} is a file, not a folder: name a new or existing site folder"
    try:
        site.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"cannot make the site folder {site}: {exc.strerror or exc}"
    return None


def _import_wordpress(args: argparse.Namespace) -> int:
    from masthead.importers.wordpress import import_wordpress
    from masthead.importers.wxr import ExportError

    if problem := _import_target_problem(args.site):
        print(f"masthead: {problem}", file=sys.stderr)
        return 1
    if args.uploads is not None and not args.uploads.is_dir():
        print(f"masthead: --uploads {args.uploads} is not a folder", file=sys.stderr)
        return 1
    try:
        report = import_wordpress(args.export, args.site, args.uploads, args.force,
                                  say=lambda line: print(line, file=sys.stderr, flush=True))
    except ExportError as exc:
        print(f"masthead: {exc}", file=sys.stderr)
        return 1
    for line in report.lines():
        print(line)
    print(f"Next: masthead serve {args.site}   (redirects: {args.site}/redirects.nginx for "
          "nginx, public/_redirects for Netlify and Cloudflare Pages)")
    return 0


def _import_markdown_site(args: argparse.Namespace) -> int:
    from masthead.importers.markdown_sites import SourceError, import_markdown_site

    if problem := _import_target_problem(args.site):
        print(f"masthead: {problem}", file=sys.stderr)
        return 1
    try:
        report = import_markdown_site(args.system, args.source, args.site, args.force,
                                      say=lambda line: print(line, file=sys.stderr,
                                                             flush=True))
    except SourceError as exc:
        print(f"masthead: {exc}", file=sys.stderr)
        return 1
    for line in report.lines():
        print(line)
    print(f"Next: masthead serve {args.site}")
    return 0


def _mirror_key(args: argparse.Namespace) -> int:
    from masthead.deploy.mirrorlist import (
        MirrorKeyError,
        make_key_pair,
        record_public_key,
    )

    config = _config(args)
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


def _deploy(args: argparse.Namespace) -> int:
    from masthead.deploy import deploy, rollback
    from masthead.deploy.mirrorlist import KEY_FILE_ENV, MirrorKeyError, signing_key
    from masthead.deploy.targets import say_to_stderr

    config = _config(args)
    if config is None:
        return 1
    known = {t.name: t for t in config.deploy}
    if not known:
        print("masthead: masthead.toml has no [[deploy]] targets\n  hint: add one, e.g.\n"
              '    [[deploy]]\n    name = "origin"\n    url = "https://www.mymagazine.org/"\n'
              '    to = "/srv/www/mymagazine"\n    primary = true', file=sys.stderr)
        return 1
    unknown = [name for name in args.target if name not in known]
    if unknown:
        print(f"masthead: no deploy target named {unknown[0]!r}; known: "
              f"{', '.join(sorted(known))}", file=sys.stderr)
        return 1
    targets = [known[name] for name in args.target] or list(known.values())
    try:
        key = None if args.rollback else signing_key(config)
    except MirrorKeyError as exc:
        print(f"masthead: {exc}\n  hint: run `masthead mirror-key` to make a key pair, or set "
              f"{KEY_FILE_ENV} to the private key's file", file=sys.stderr)
        return 1
    if key is None and config.web_addresses[1:] and not args.rollback:
        print("masthead: warning: mirror_key is not set, so no signed mirror list is "
              "published and readers' browsers cannot fail over to a mirror\n"
              "  hint: run `masthead mirror-key` once", file=sys.stderr)
    if args.rollback:
        results = rollback(config, targets, say=say_to_stderr)
    else:
        primary = next((t for t in config.deploy if t.primary), None)
        if primary is not None and config.base_url != primary.url:
            args.set = [*args.set, f"base_url={primary.url}"]  # canonical: the primary
            config = dataclasses.replace(config, base_url=primary.url)
        report = _run_build(args)
        if report is None:
            return 1
        results = deploy(config, args.resolved_output, targets, dry_run=args.dry_run,
                         verify=not args.no_verify, say=say_to_stderr, key=key)
    for result in results:
        print(result.summary())
    failed = [r for r in results if r.error]
    if args.send_newsletter and not args.rollback and not args.dry_run:
        if failed:  # no email may link to a page that is not online everywhere
            print("masthead: the newsletter is not sent while a target failed",
                  file=sys.stderr)
        elif args.no_verify:
            print("masthead: the newsletter is sent only after the targets are verified "
                  "(without --no-verify)", file=sys.stderr)
        elif _send_newsletter(args):
            return 1
    if failed:
        rest = "; the others are done" if len(failed) < len(results) else ""
        print(f"masthead: {plural(len(failed), 'target')} failed{rest}", file=sys.stderr)
    return 1 if failed else 0


def _new(args: argparse.Namespace) -> int:
    target: Path = args.dir
    if target.exists() and any(target.iterdir()):
        print(f"masthead: {target} is not empty; choose a new folder", file=sys.stderr)
        return 1
    shutil.copytree(STARTER, target, dirs_exist_ok=True)
    (target / ".gitignore").write_text("# built by masthead\ndist/\n.masthead/\n")
    print(f"Created a starter site in {target}.\n"
          f"  masthead serve {target}    # preview it at http://127.0.0.1:8000/\n"
          f"  masthead build {target}    # write the site to {target}/dist")
    return 0


def _config(args: argparse.Namespace) -> SiteConfig | None:
    """The site's settings, or None once their problems are printed."""
    try:
        return load_config(args.site, _overrides(args))
    except ConfigError as exc:
        _print_diagnostics(exc.diagnostics, args.site.resolve())
        return None


def _overrides(args: argparse.Namespace) -> dict[str, str]:
    pairs = {"search": "false"} if getattr(args, "no_search", False) else {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise SystemExit(f"masthead: --set needs KEY=VALUE, got '{item}'")
        pairs[key.strip()] = value.strip()
    return pairs


def _options(args: argparse.Namespace, preview: bool = False) -> BuildOptions:
    return BuildOptions(drafts=args.drafts, future=args.future, strict=args.strict,
                        preview=preview, jobs=getattr(args, "jobs", 0))


def _print_diagnostics(diagnostics: list[Diagnostic], root: Path) -> None:
    for diagnostic in diagnostics:
        print(diagnostic.format(root), file=sys.stderr)


def _run_build(args: argparse.Namespace, serve_mode: bool = False) -> BuildReport | None:
    try:
        config = load_config(args.site, _overrides(args))
    except ConfigError as exc:
        _print_diagnostics(exc.diagnostics, args.site.resolve())
        print(f"masthead: the configuration has {plural(len(exc.diagnostics), 'problem')}",
              file=sys.stderr)
        return None
    out = args.output.resolve() if getattr(args, "output", None) else config.output_dir
    cache = None if args.no_cache else BuildCache(config.root / CACHE_DIR)
    options = _options(args, serve_mode)
    if getattr(args, "views", None):
        from masthead.api.counts import CountsUnavailable, read_counts

        try:
            options = replace(options, views=read_counts(args.views, config.root))
        except CountsUnavailable as exc:
            print(f"masthead: cannot read the views: {exc}", file=sys.stderr)
            return None
    progress = terminal_progress()
    try:
        report = build_site(config, out, options, progress=progress, cache=cache)
    except OutputRefused as exc:
        print(f"masthead: {exc}", file=sys.stderr)
        return None
    except BuildFailed as exc:
        _print_diagnostics(exc.diagnostics, config.root)
        reporter = Reporter(list(exc.diagnostics))
        kept = (f"the previous output in {out} is unchanged" if out.exists()
                else "nothing was written")
        print(f"masthead: build failed: {reporter.summary()}; {kept}", file=sys.stderr)
        return None
    except ConfigError as exc:
        _print_diagnostics(exc.diagnostics, config.root)
        return None
    finally:
        progress.close()
    _print_diagnostics(report.diagnostics, config.root)
    warnings = sum(d.severity is Severity.WARNING for d in report.diagnostics)
    if report.unchanged_pages:
        what = f"Nothing changed: {report.unchanged_pages} pages up to date"
    elif report.incremental:
        what = (f"Updated {report.files} files ({report.pages} pages rendered, "
                f"{report.removed} removed) of {len(report.routes)} pages")
    else:
        what = f"Built {report.pages} pages ({report.files} files)"
    print(f"{what} in {report.seconds:.2f} s -> {out}"
          + (f" ({plural(warnings, 'warning')})" if warnings else ""))
    if report.variants_encoded:
        print(f"Encoded {report.variants_encoded} image variants of {report.images_encoded} "
              f"images in {report.timings.get('images', 0.0):.1f} s (kept for later builds)")
    if report.search:
        print(f"Search index: {report.search.bytes / 1e6:.1f} MB in {report.search.files} "
              f"files, {report.search.seconds:.2f} s")
    if args.timings:
        for stage, seconds in report.timings.items():
            print(f"  {stage:<10} {seconds:8.3f} s")
    args.resolved_output = out
    return report


def _newsletter_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--send-newsletter", action="store_true",
                        help="then mail each story that became public since the last send "
                             "to the subscribers (once each)")
    parser.add_argument("--database", metavar="URL",
                        help="with --send-newsletter: the API's database (default: "
                             "SITE/.masthead/api.sqlite)")


def _send_newsletter(args: argparse.Namespace) -> int:
    from masthead.newsletter.commands import send_published

    config = _config(args)
    return 1 if config is None else send_published(config, args.database)


def _build(args: argparse.Namespace) -> int:
    if not _run_build(args):
        return 1
    return _send_newsletter(args) if args.send_newsletter else 0


def _check(args: argparse.Namespace) -> int:
    config = _config(args)
    if config is None:
        return 1
    try:
        report = build(config, MemorySink(), _options(args))
    except BuildFailed as exc:
        _print_diagnostics(exc.diagnostics, config.root)
        print(f"masthead: {Reporter(list(exc.diagnostics)).summary()}", file=sys.stderr)
        return 1
    _print_diagnostics(report.diagnostics, config.root)
    for entry in report.skipped:
        state = "draft" if entry.draft else f"scheduled for {entry.date.isoformat()}"
        print(f"{entry.source}: {state} ({entry.lang}); not published")
    print(f"OK: {report.pages} pages, {Reporter(list(report.diagnostics)).summary()}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from masthead.dev.server import listen, serve

    config = _config(args)
    if config is None:
        return 1
    sock = listen(args.port)
    if isinstance(sock, str):
        print(f"masthead: {sock}", file=sys.stderr)
        return 1
    root = config.root
    # Serve mode marks drafts and scheduled posts, so it never writes into dist/.
    out = root / CACHE_DIR / "serve" / "site"
    cache = None if args.no_cache else BuildCache(root / CACHE_DIR / "serve")
    state = BuildState()
    # Pictures are encoded when a browser first asks for them, not before the first page.
    images = [images_on_request(config)]

    def rebuild() -> BuildReport:
        try:
            current = load_config(root, _overrides(args))
            images[0] = images_on_request(current)  # image settings may have changed
            report = build_site(current, out, _options(args, preview=True), cache=cache,
                                state=state)
        except (BuildFailed, ConfigError) as exc:
            _print_diagnostics(exc.diagnostics, root)
            print(f"masthead: build failed: {Reporter(list(exc.diagnostics)).summary()}; "
                  "serving the last good build", file=sys.stderr, flush=True)
            raise
        _print_diagnostics(report.diagnostics, root)
        return report

    initial_errors = None
    languages = list(detect_layout(config).languages)
    try:
        report = rebuild()
        print(f"Ready in {report.seconds:.2f} s")
    except (BuildFailed, ConfigError) as exc:
        initial_errors = [d.format(root) for d in exc.diagnostics]
    except OutputRefused as exc:
        print(f"masthead: {exc}", file=sys.stderr)
        sock.close()
        return 1
    prefixes = [f"/{code}/" for code in languages[1:]]

    def previews() -> dict[str, str]:
        from masthead.newsletter.editions import preview_pages

        return preview_pages(load_config(root, _overrides(args)))

    def variant(rel: str) -> Path | None:
        made, problem = images[0].variant_on_request(rel) if images[0] else (None, "")
        if problem:
            print(f"masthead: /{rel}: {problem}", file=sys.stderr, flush=True)
        return made

    return serve(root, out, sock, rebuild, prefixes, initial_errors, previews, variant)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
