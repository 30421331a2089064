"""The production recipes of the API's guide, run as written (paths, ports and the
open-files limit aside, which this machine may cap): the systemd unit, checked by
systemd-analyze and its command run with its environment file and limit; nginx in front
with the guide's main settings and site; and against that setup, 1,100 silent
connections and 100 clients sending headers four bytes a second while a reader is
served. The compose file is checked for what the guide says of it: no container engine
runs the suite."""

from __future__ import annotations

import asyncio
import re
import resource
import shlex
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import yaml

from tests.api.conftest import PATHS, api_site, free_port, listening
from tests.recipes import blocks, nginx_with, verified_unit
from tests.recipes import service as recipe_service

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "content" / "posts" / "api.md"
COMPOSE_NGINX = GUIDE.parents[2] / "production" / "nginx-compose.conf"
IDLE, SLOW = 1_100, 100
FLOOD_SECONDS = 12.0  # longer than client_header_timeout: the slow ones are cut meanwhile


def _blocks(language: str) -> list[str]:
    return blocks(GUIDE, language)


def _unit() -> str:
    [unit] = [b for b in _blocks("ini") if "[Service]" in b]
    return unit


def _env_file() -> str:
    [env] = [b for b in _blocks("") if "MASTHEAD_API_SECRET=" in b]
    return env


def _nginx_blocks() -> tuple[str, str]:
    main = next(b for b in _blocks("nginx") if "worker_connections" in b)
    site = next(b for b in _blocks("nginx") if "upstream masthead_api" in b)
    return main, site


def _open_files() -> int:
    """What this machine allows, raised to its hard limit."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < IDLE + SLOW + 200:
        pytest.skip(f"the open-files hard limit ({hard}) is too low for the flood")
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return int(hard) if hard != resource.RLIM_INFINITY else 1 << 20


@contextmanager
def _api_as_the_unit_runs_it(tmp_path: Path, site: Path, database: str
                             ) -> Iterator[tuple[int, subprocess.Popen[str]]]:
    masthead = shutil.which("masthead") or pytest.skip("the masthead command is not on PATH")
    env_file = tmp_path / "api.env"
    env_file.write_text(_env_file())
    env_file.chmod(0o600)
    port = free_port()
    unit = (_unit().replace("/usr/local/bin/masthead", masthead)
            .replace("/etc/masthead/api.env", str(env_file))
            .replace("/srv/mysite", str(site))
            .replace("--port 8001", f"--port {port}")
            .replace("postgresql://masthead@/masthead", database))
    verified_unit(unit, tmp_path, "masthead-api.service")
    service = recipe_service(unit)
    environment = dict(line.split("=", 1) for line in Path(
        service["EnvironmentFile"]).read_text().splitlines() if "=" in line)
    limit = min(int(service["LimitNOFILE"]), _open_files())

    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

    command = shlex.split(service["ExecStart"])
    process = subprocess.Popen(command, env={"PATH": "/usr/bin:/bin", **environment},
                               preexec_fn=limits, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    with listening(process, port, timeout=60):
        yield port, process


@contextmanager
def _nginx_as_the_guide_sets_it(tmp_path: Path, dist: Path, api_port: int
                                ) -> Iterator[tuple[int, Path]]:
    main, site = _nginx_blocks()
    main = re.sub(r"worker_rlimit_nofile \d+",
                  f"worker_rlimit_nofile {min(65536, _open_files())}", main)
    work = tmp_path / "nginx"
    with nginx_with(site.replace("/srv/mysite/dist", str(dist))
                    .replace("127.0.0.1:8001", f"127.0.0.1:{api_port}"), work, main) as port:
        yield port, work


async def _flood(port: int, seconds: float) -> None:
    """IDLE connections that never speak and SLOW ones writing a request four bytes a
    second, for ``seconds``."""
    idle: list[socket.socket] = []
    for _ in range(IDLE):
        idle.append(socket.create_connection(("127.0.0.1", port)))
    request = b"GET /api/views?path=/posts/story-01 HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 200

    async def slow() -> None:
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            return
        try:
            for n in range(0, len(request), 1):
                writer.write(request[n:n + 1])
                await writer.drain()
                await asyncio.sleep(0.25)
        except OSError:
            pass  # cut by nginx: what it is for
        finally:
            writer.close()

    tasks = [asyncio.create_task(slow()) for _ in range(SLOW)]
    await asyncio.sleep(seconds)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for sock in idle:
        sock.close()


def test_the_documented_setup_serves_readers_through_a_flood(tmp_path: Path,
                                                             database: str) -> None:
    site = api_site(tmp_path / "site")
    dist = tmp_path / "dist"
    built = subprocess.run([sys.executable, "-m", "masthead.cli", "build", str(site), "-o",
                            str(dist), "--no-search", "--set", 'api_url="/api"'],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    with _api_as_the_unit_runs_it(tmp_path, site, database) as (api_port, api), \
            _nginx_as_the_guide_sets_it(tmp_path, dist, api_port) as (port, work):
        limits = Path(f"/proc/{api.pid}/limits").read_text()
        assert re.search(r"Max open files\s+(\d+)", limits)
        secret = dict(line.split("=", 1) for line in _env_file().splitlines() if "=" in line)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as reader:
            assert reader.get("/").status_code == 200
            export = reader.get("/api/subscribers.csv", headers={
                "Authorization": f"Bearer {secret['MASTHEAD_API_TOKEN']}"})
            assert export.status_code == 200  # the environment file reached the API
            # on a thread of its own: a browser test's event loop may run on this one
            flood = threading.Thread(target=lambda: asyncio.run(_flood(port, FLOOD_SECONDS)))
            flood.start()
            time.sleep(1.0)  # the flood is open
            slowest, served = 0.0, 0
            until = time.monotonic() + FLOOD_SECONDS - 1.5
            while time.monotonic() < until:
                for path in ("/", "/api/views?path=" + PATHS[1]):
                    started = time.monotonic()
                    answer = reader.get(path)
                    slowest = max(slowest, time.monotonic() - started)
                    assert answer.status_code == 200, (path, answer.status_code)
                    served += 1
                time.sleep(0.2)
            flood.join()
        assert served > 20 and slowest < 1.0, (served, slowest)
        api.terminate()
        _out, api_log = api.communicate(timeout=30)
        logs = {"API": len(api_log.encode()),
                "nginx errors": (work / "error.log").stat().st_size,
                "nginx access": (work / "access.log").stat().st_size}
        print(f"\n{IDLE} silent + {SLOW} slow clients: a reader served {served} times, "
              f"slowest {slowest * 1000:.0f} ms; logs {logs} bytes")
        assert sum(logs.values()) < 100_000, logs


def test_the_compose_file_holds_what_the_guide_says() -> None:
    [compose_text] = [b for b in _blocks("yaml") if "services:" in b]
    compose = yaml.safe_load(compose_text)
    services = compose["services"]
    assert set(services) == {"db", "api", "web"}
    api = services["api"]
    command = shlex.split(api["command"])
    assert command[:2] == ["api", "/srv/mysite"]
    trusted = command[command.index("--trusted-proxy") + 1]
    assert trusted == compose["networks"]["inside"]["ipam"]["config"][0]["subnet"]
    assert api["depends_on"]["db"]["condition"] == "service_healthy"
    assert api["deploy"]["replicas"] >= 2 and api["ulimits"]["nofile"] >= 65536
    assert "ports" not in api and "ports" not in services["db"]  # only nginx is reachable
    mounted = {v.split(":")[0]: v.split(":")[1] for v in services["web"]["volumes"]}
    assert mounted["./masthead/docs/production/nginx-compose.conf"] == \
        "/etc/nginx/conf.d/default.conf"
    dockerfile = GUIDE.parents[3] / "Dockerfile"
    assert 'ENTRYPOINT ["masthead"]' in dockerfile.read_text()
    # The compose nginx site is the guide's, with the upstream named by the service.
    _main, site = _nginx_blocks()
    expected = (site.replace("server 127.0.0.1:8001;", "server api:8001;")
                .replace("    server_name mymagazine.org;\n", ""))
    assert COMPOSE_NGINX.read_text() == expected
    # Every flag the compose command gives is one the API knows.
    helped = subprocess.run([sys.executable, "-m", "masthead.cli", "api", "--help"],
                            capture_output=True, text=True, timeout=60).stdout
    assert all(flag in helped for flag in command if flag.startswith("--"))
