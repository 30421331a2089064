"""`masthead api` on the command line: clear errors before it listens."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.api.conftest import api_site


def _api(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "masthead.cli", "api", *args],
                          capture_output=True, text=True, timeout=60)


def test_an_unknown_database_is_named(tmp_path: Path) -> None:
    site = api_site(tmp_path / "site")
    result = _api(str(site), "--database", "mysql://db.example.org/news")
    assert result.returncode == 1
    assert "unknown database 'mysql'" in result.stderr and "postgresql://" in result.stderr


def test_a_negative_rate_limit_is_refused(tmp_path: Path) -> None:
    site = api_site(tmp_path / "site")
    result = _api(str(site), "--rate-limit", "-1")
    assert result.returncode == 2 and "--rate-limit" in result.stderr


def test_a_folder_without_a_site_is_reported(tmp_path: Path) -> None:
    result = _api(str(tmp_path))
    assert result.returncode == 1 and "masthead.toml" in result.stderr


def test_a_port_in_use_is_said_before_anything_is_announced(tmp_path: Path) -> None:
    import socket

    site = api_site(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _api(str(site), "--port", str(port))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "masthead api for" not in result.stdout  # no promise it cannot keep
    assert f"cannot listen on 127.0.0.1:{port}: another program listens there" in \
        result.stderr and "another --port" in result.stderr
