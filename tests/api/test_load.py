"""A bounded load test on loopback: `masthead api` as a server runs it, 200 concurrent
clients, 20,000 view hits with distinct ids over 50 paths plus 2,000 repeated ids."""

from __future__ import annotations

import asyncio
import random
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import PATHS, api_process, api_site, free_port

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
        p99 = statistics.quantiles(latencies, n=100)[98]
        summary = (f"{database.split(':')[0] if '://' in database else 'sqlite'}: "
                   f"{len(hits)} requests from {CLIENTS} clients in {wall:.1f} s = "
                   f"{len(hits) / wall:.0f} req/s, p50 {statistics.median(latencies) * 1000:.0f}"
                   f" ms, p99 {p99 * 1000:.0f} ms, 0 errors")
        print(summary)
        with (Path(tempfile.gettempdir()) / "masthead-load-test.txt").open("a") as log:
            log.write(summary + "\n")
    finally:
        process.terminate()
        process.wait(timeout=30)
        for stream in (process.stdout, process.stderr):
            if stream:
                stream.close()
