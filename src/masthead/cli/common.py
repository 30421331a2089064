"""What every command shares: the site argument, settings with ``--set``, the build's
options from its flags, diagnostics on standard error, and a build with its report."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from masthead.config import SiteConfig, load_config
from masthead.errors import BuildFailed, ConfigError, Diagnostic, Reporter, Severity, plural
from masthead.incremental import CACHE_DIR, BuildCache
from masthead.options import BuildOptions
from masthead.output import OutputRefused
from masthead.pipeline import BuildReport, build_site, terminal_progress


def site_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("site", nargs="?", type=Path, default=Path("."),
                        help="the site folder (default: the current folder)")


def set_argument(parser: argparse.ArgumentParser, example: bool = False) -> None:
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a setting for this run (TOML value)" + (
                            ", e.g. --set base_url=https://preview.example.org/"
                            if example else ""))


def config_of(args: argparse.Namespace) -> SiteConfig | None:
    """The site's settings, or None once their problems are printed."""
    try:
        return load_config(args.site, overrides(args))
    except ConfigError as exc:
        print_diagnostics(exc.diagnostics, args.site.resolve())
        return None


def overrides(args: argparse.Namespace) -> dict[str, str]:
    pairs = {"search": "false"} if getattr(args, "no_search", False) else {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise SystemExit(f"masthead: --set needs KEY=VALUE, got '{item}'")
        pairs[key.strip()] = value.strip()
    return pairs


def options_of(args: argparse.Namespace, preview: bool = False) -> BuildOptions:
    return BuildOptions(drafts=getattr(args, "drafts", False),
                        future=getattr(args, "future", False), strict=args.strict,
                        preview=preview, jobs=getattr(args, "jobs", 0))


def print_diagnostics(diagnostics: list[Diagnostic], root: Path) -> None:
    for diagnostic in diagnostics:
        print(diagnostic.format(root), file=sys.stderr)


@dataclass
class Built:
    """A build that succeeded: its report and the folder it wrote."""

    report: BuildReport
    output: Path


def run_build(args: argparse.Namespace, config: SiteConfig | None = None) -> Built | None:
    """Build the site as the flags say, printing progress, problems and a summary; None
    (after saying why) when it failed. ``config``: settings already loaded (deploy gives
    the site its primary address)."""
    if config is None:
        try:
            config = load_config(args.site, overrides(args))
        except ConfigError as exc:
            print_diagnostics(exc.diagnostics, args.site.resolve())
            print(f"masthead: the configuration has "
                  f"{plural(len(exc.diagnostics), 'problem')}", file=sys.stderr)
            return None
    out = args.output.resolve() if getattr(args, "output", None) else config.output_dir
    cache = None if args.no_cache else BuildCache(config.root / CACHE_DIR)
    options = options_of(args)
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
        print_diagnostics(exc.diagnostics, config.root)
        reporter = Reporter(list(exc.diagnostics))
        kept = (f"the previous output in {out} is unchanged" if out.exists()
                else "nothing was written")
        print(f"masthead: build failed: {reporter.summary()}; {kept}", file=sys.stderr)
        return None
    except ConfigError as exc:
        print_diagnostics(exc.diagnostics, config.root)
        return None
    finally:
        progress.close()
    print_diagnostics(report.diagnostics, config.root)
    print_summary(report, out, args.timings)
    return Built(report, out)


def print_summary(report: BuildReport, out: Path, timings: bool) -> None:
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
    if timings:
        for stage, seconds in report.timings.items():
            print(f"  {stage:<10} {seconds:8.3f} s")
