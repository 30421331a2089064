"""Running a guide's production recipes as written: its code blocks, its systemd unit
checked by systemd-analyze, and nginx started with its site block."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.api.conftest import free_port, listening
from tests.nginx import NGINX, need_nginx


def blocks(guide: Path, language: str) -> list[str]:
    """The guide's code blocks in ``language`` ("" for plain ones), fence by fence (a
    closing fence never opens the next block)."""
    found, inside, lines = [], None, []
    for line in guide.read_text(encoding="utf-8").splitlines(keepends=True):
        fence = re.match(r"```(\w*)\s*$", line)
        if fence and inside is None:
            inside, lines = fence.group(1), []
        elif fence:
            if inside == language:
                found.append("".join(lines))
            inside = None
        elif inside is not None:
            lines.append(line)
    return found


def service(unit: str) -> configparser.SectionProxy:
    """The ``[Service]`` section of a systemd unit, its keys as written."""
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(unit)
    return parser["Service"]


def verified_unit(unit: str, folder: Path, name: str) -> None:
    """Write ``unit`` as ``folder/name`` and have systemd-analyze verify it."""
    (folder / name).write_text(unit)
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (scripts/test installs systemd)")
    check = subprocess.run([analyze, "verify", str(folder / name)],
                           capture_output=True, text=True, timeout=60)
    problems = [line for line in check.stderr.splitlines()
                if str(folder) in line]  # what it says of this unit, not of the machine
    assert check.returncode == 0 and problems == [], check.stderr


@contextmanager
def nginx_with(site: str, work: Path, main: str = "") -> Iterator[int]:
    """nginx serving the guide's ``site`` block (its ``listen 80;`` on a free loopback
    port) with the guide's ``main`` settings; the port."""
    need_nginx()
    work.mkdir()
    port = free_port()
    (work / "site.conf").write_text(site.replace("listen 80;", f"listen 127.0.0.1:{port};"))
    mime = Path("/etc/nginx/mime.types")
    (work / "nginx.conf").write_text(f"""
user root;
daemon off;
worker_processes auto;
pid {work}/nginx.pid;
error_log {work}/error.log;
{main or "events { worker_connections 1024; }"}
http {{
    {f"include {mime};" if mime.is_file() else ""}
    access_log {work}/access.log;
    client_body_temp_path {work}/body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    include {work}/site.conf;
}}
""")
    check = subprocess.run([NGINX, "-t", "-c", str(work / "nginx.conf"), "-p", str(work)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    process = subprocess.Popen([NGINX, "-c", str(work / "nginx.conf"), "-p", str(work)])
    with listening(process, port, timeout=10, stop_timeout=10):
        yield port
