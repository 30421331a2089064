"""Bounded load tests on loopback: `masthead api` as a server runs it, 200 concurrent
clients, 20,000 view hits with distinct ids over 50 paths plus 2,000 repeated ids; then
two processes on one PostgreSQL that is restarted in the middle of the run."""

from __future__ import annotations

import asyncio
import random
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import (
    PATHS,
    Mailbox,
    api_process,
    api_site,
    free_port,
    fresh_postgres_database,
    postgres_cluster,
)

pytestmark = pytest.mark.load

CLIENTS = 200
DISTINCT = 20_000
REPEATS = 2_000
TIME_LIMIT = 240.0  # seconds for the whole run, well above what it takes


async def _hammer(url: str, hits: list[tuple[str, str]]) -> tuple[list[float], list[str]]:
    import aiohttp  # a lighter client than httpx: the client must not be the bottleneck

    queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
    for hit in hits:
        queue.put_nowait(hit)
    latencies: list[float] = []
    errors: list[str] = []
    connector = aiohttp.TCPConnector(limit=CLIENTS)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(url, connector=connector, timeout=timeout) as session:

        async def reader() -> None:  # one client: one connection, one request at a time
            while not queue.empty():
                path, view_id = queue.get_nowait()
                start = time.perf_counter()
                try:
                    async with session.post("/api/views",
                                            json={"path": path, "id": view_id}) as answer:
                        await answer.read()
                        if answer.status != 200:
                            errors.append(f"{answer.status}")
                except (aiohttp.ClientError, TimeoutError) as exc:
                    errors.append(repr(exc))
                latencies.append(time.perf_counter() - start)

        await asyncio.gather(*(reader() for _ in range(CLIENTS)))
    return latencies, errors


def _report(label: str, latencies: list[float], wall: float, tail: str) -> None:
    """The figures, printed and kept in the temporary folder for the notes."""
    p99 = statistics.quantiles(latencies, n=100)[98]
    summary = (f"{label}: {len(latencies)} requests from {CLIENTS} clients in {wall:.1f} s = "
               f"{len(latencies) / wall:.0f} req/s, p50 "
               f"{statistics.median(latencies) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, {tail}")
    print(summary)
    with (Path(tempfile.gettempdir()) / "masthead-load-test.txt").open("a") as log:
        log.write(summary + "\n")


def test_every_distinct_id_is_counted_exactly_once(tmp_path: Path, database: str) -> None:
    site = api_site(tmp_path / "site")
    port = free_port()
    process = api_process(site, database, port, "--rate-limit", "0")
    try:
        rng = random.Random(7)
        distinct = [(PATHS[n % len(PATHS)], f"load-{n:06d}-{rng.getrandbits(48):012x}")
                    for n in range(DISTINCT)]
        hits = distinct + rng.sample(distinct, REPEATS)  # retries of ids already in the list
        rng.shuffle(hits)
        started = time.perf_counter()
        latencies, errors = asyncio.run(asyncio.wait_for(
            _hammer(f"http://127.0.0.1:{port}", hits), TIME_LIMIT))
        wall = time.perf_counter() - started
        assert errors == []
        counts = httpx.get(f"http://127.0.0.1:{port}/api/views",
                           params=[("path", p) for p in PATHS]).json()
        assert counts == dict.fromkeys(PATHS, DISTINCT // len(PATHS))
        _report(database.split(':')[0] if '://' in database else 'sqlite', latencies, wall,
                "0 errors")
    finally:
        process.terminate()
        process.wait(timeout=30)
        for stream in (process.stdout, process.stderr):
            if stream:
                stream.close()


SIGNUPS = 10  # addresses, each signed up 20 times in four spellings over both processes
RETRY_AFTER = 2.0  # seconds, as the page's script waits before its one retry


async def _through_a_restart(urls: list[str], hits: list[tuple[str, str]],
                             halfway: asyncio.Event, signups: list[str]
                             ) -> tuple[list[float], list[str], set[str]]:
    """Each client keeps to one process; a view that fails is sent again once, with its
    id, after RETRY_AFTER (as the page does). Returns latencies, views that failed twice,
    and the ids answered 200."""
    import aiohttp

    queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
    for hit in hits:
        queue.put_nowait(hit)
    latencies: list[float] = []
    failed: list[str] = []
    counted: set[str] = set()
    done = [0]
    timeout = aiohttp.ClientTimeout(total=60)
    sessions = [aiohttp.ClientSession(url, connector=aiohttp.TCPConnector(limit=CLIENTS),
                                      timeout=timeout) for url in urls]

    async def post(session: aiohttp.ClientSession, path: str, view_id: str) -> bool:
        start = time.perf_counter()
        try:
            async with session.post("/api/views", json={"path": path, "id": view_id}) as answer:
                await answer.read()
                ok = answer.status == 200
        except (aiohttp.ClientError, TimeoutError):
            ok = False
        latencies.append(time.perf_counter() - start)
        return ok

    async def reader(n: int) -> None:
        session = sessions[n % len(sessions)]
        while not queue.empty():
            path, view_id = queue.get_nowait()
            ok = await post(session, path, view_id)
            if not ok:
                await asyncio.sleep(RETRY_AFTER)
                ok = await post(session, path, view_id)
            if ok:
                counted.add(view_id)
            else:
                failed.append(view_id)
            done[0] += 1
            if done[0] == len(hits) // 2:
                halfway.set()
            if n < len(signups) and done[0] % 97 == n:  # sign-ups among the views
                async with session.post("/api/subscribe", json={"email": signups[n]}) as a:
                    await a.read()

    try:
        await asyncio.gather(*(reader(n) for n in range(CLIENTS)))
        for n, email in enumerate(signups):  # whatever the readers did not send yet
            async with sessions[n % 2].post("/api/subscribe", json={"email": email}) as a:
                await a.read()
    finally:
        for session in sessions:
            await session.close()
    return latencies, failed, counted


def test_two_processes_on_postgresql_through_a_restart(tmp_path: Path,
                                                       mailbox: Mailbox) -> None:
    site = api_site(tmp_path / "site")
    config = site / "masthead.toml"
    config.write_text(f'smtp_host = "127.0.0.1"\nsmtp_port = {mailbox.port}\n'
                      'mail_from = "Ledger <news@example.org>"\n' + config.read_text())
    with postgres_cluster() as cluster:
        database = fresh_postgres_database(cluster.url)
        ports = [free_port(), free_port()]
        processes = [api_process(site, database, port, "--rate-limit", "0") for port in ports]
        try:
            rng = random.Random(11)
            hits = [(PATHS[n % len(PATHS)], f"pg-{n:06d}-{rng.getrandbits(48):012x}")
                    for n in range(DISTINCT)]
            spellings = [f"reader{n}@example.org" for n in range(SIGNUPS)]
            signups = [variant for email in spellings for variant in (
                email, email.upper(), email.capitalize(), email.replace("example", "EXAMPLE"))
                ] * 5
            rng.shuffle(signups)

            async def run() -> tuple[list[float], list[str], set[str], float]:
                halfway = asyncio.Event()
                load = asyncio.create_task(_through_a_restart(
                    [f"http://127.0.0.1:{port}" for port in ports], hits, halfway,
                    signups))
                await halfway.wait()
                started = time.perf_counter()
                await asyncio.to_thread(cluster.stop)
                await asyncio.to_thread(cluster.start)
                down = time.perf_counter() - started
                latencies, failed, counted = await asyncio.wait_for(load, TIME_LIMIT)
                return latencies, failed, counted, down

            started = time.perf_counter()
            latencies, failed, counted, down = asyncio.run(run())
            wall = time.perf_counter() - started
            assert failed == []  # no view failed its retry
            assert len(counted) == DISTINCT
            views = httpx.get(f"http://127.0.0.1:{ports[0]}/api/views/all").json()
            assert sum(views.values()) == DISTINCT  # each accepted view counted once
            assert views == dict.fromkeys(PATHS, DISTINCT // len(PATHS))
            mailbox.wait(SIGNUPS, timeout=30)
            time.sleep(1)
            assert sorted(m["To"] for m in mailbox.messages) == sorted(spellings)
            _report(f"postgresql, 2 processes, restarted once ({down:.1f} s down)",
                    latencies, wall, f"{len(latencies) - DISTINCT} retried, 0 failed")
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=30)
                for stream in (process.stdout, process.stderr):
                    if stream:
                        stream.close()
