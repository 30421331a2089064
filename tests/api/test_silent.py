"""A thousand sockets opened straight to ``masthead api`` and left silent: they are
closed after the header time-out, so a reader asking for view counts is answered, not
kept waiting for a 503 until the attacker lets go."""

from __future__ import annotations

import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.api.conftest import PATHS, api_site, free_port, listening

SILENT = 1000


def test_silent_sockets_are_closed_and_readers_answered(tmp_path: Path) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, 4 * SILENT)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))  # the API too
    site = api_site(tmp_path / "site")
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "masthead", "api", str(site), "--port",
                                str(port), "--database", str(tmp_path / "api.sqlite"),
                                "--header-timeout", "2"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sockets: list[socket.socket] = []
    try:
        with listening(process, port):
            for _ in range(SILENT):
                sockets.append(socket.create_connection(("127.0.0.1", port), timeout=5))
            opened = time.monotonic()
            answered = None
            while time.monotonic() - opened < 15:
                try:
                    code = httpx.get(f"http://127.0.0.1:{port}/api/views",
                                     params={"path": PATHS[0]}, timeout=5).status_code
                except httpx.HTTPError:
                    code = 0
                if code == 200:
                    answered = time.monotonic() - opened
                    break
                time.sleep(0.2)
            assert answered is not None and answered < 6, answered
            closed = 0
            for sock in sockets:
                sock.settimeout(5)
                try:
                    closed += sock.recv(1) == b""
                except OSError:
                    closed += 1
            assert closed == SILENT  # the server let go of every silent socket
    finally:
        for sock in sockets:
            sock.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
