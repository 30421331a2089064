"""The desk's production recipe, run as its guide writes it (paths and ports aside): the
systemd unit checked by systemd-analyze and its command run with its environment file;
nginx in front with the guide's site block, reached from several loopback addresses, so
that a guesser's twenty wrong passwords lock out the guesser and not the newsroom; and
the backup taken while the desk runs, restored into a new place, where the desk starts
with its people and the stories waiting at it."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pyotp
import pytest

from masthead.desk.roles import Role
from tests.api.conftest import free_port, listening
from tests.desk.conftest import SETTINGS, Browser
from tests.desk.test_protocol import act, save
from tests.recipes import blocks, nginx_with, verified_unit
from tests.recipes import service as recipe_service

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "content" / "posts" / "desk.md"
PASSWORDS = {"ed": "an editor reads it twice", "ann": "wind over the river delta"}


def _unit() -> str:
    [unit] = [b for b in blocks(GUIDE, "ini") if "masthead desk serve" in b]
    return unit


def _invite(site: Path, email: str, role: Role) -> str:
    made = subprocess.run([sys.executable, "-m", "masthead.cli", "desk", "invite", email,
                           str(site), "--name", email.split("@")[0], "--role", role.value],
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    return made.stdout.strip().rsplit("#invitation=", 1)[1]


@contextmanager
def _desk_as_the_unit_runs_it(tmp_path: Path, site: Path, port: int
                              ) -> Iterator[subprocess.Popen[str]]:
    masthead = shutil.which("masthead") or pytest.skip("the masthead command is not on PATH")
    [env] = [b for b in blocks(GUIDE, "") if "MASTHEAD_SMTP_USER=" in b]
    env_file = tmp_path / "desk.env"
    env_file.write_text(env)
    env_file.chmod(0o600)
    unit = (_unit().replace("/usr/local/bin/masthead", masthead)
            .replace("/etc/masthead/desk.env", str(env_file))
            .replace("/srv/mysite", str(site)).replace("--port 8002", f"--port {port}"))
    verified_unit(unit, tmp_path, "masthead-desk.service")
    service = recipe_service(unit)
    environment = dict(line.split("=", 1) for line in
                       Path(service["EnvironmentFile"]).read_text().splitlines() if "=" in line)
    process = subprocess.Popen(shlex.split(service["ExecStart"]),
                               env={"PATH": "/usr/bin:/bin", **environment},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
    with listening(process, port, timeout=60):
        yield process


OPENED: list[Browser] = []


def _from(url: str, address: str, site: Path) -> Browser:
    """A browser on the machine ``address`` (a loopback address of its own)."""
    browser = Browser(url, site / ".masthead" / "desk.sqlite")
    browser.http.close()
    browser.http = httpx.Client(base_url=url, timeout=30,
                                transport=httpx.HTTPTransport(local_address=address))
    OPENED.append(browser)
    return browser


@pytest.fixture(autouse=True)
def _closed() -> Iterator[None]:
    yield
    while OPENED:
        OPENED.pop().http.close()


def _join(browser: Browser, token: str, email: str, password: str) -> None:
    assert browser.post("/admin/invitation", json={"token": token, "password": password}
                        ).status_code == 200
    assert browser.post("/admin/session", json={"email": email, "password": password}
                        ).status_code == 200


def test_the_documented_desk_behind_nginx_and_its_backup(tmp_path: Path) -> None:
    site = tmp_path / "srv" / "mysite"
    (site / "content/posts/ru").mkdir(parents=True)
    (site / "masthead.toml").write_text(SETTINGS)
    ed_token = _invite(site, "ed@example.org", Role.EDITOR)
    ann_token = _invite(site, "ann@example.org", Role.CONTRIBUTOR)
    desk_port = free_port()
    [nginx_site] = [b for b in blocks(GUIDE, "nginx") if "upstream masthead_desk" in b]
    with _desk_as_the_unit_runs_it(tmp_path, site, desk_port), \
            nginx_with(nginx_site.replace("127.0.0.1:8002", f"127.0.0.1:{desk_port}"),
                       tmp_path / "nginx") as port:
        url = f"http://127.0.0.1:{port}"
        ed = _from(url, "127.0.0.3", site)
        _join(ed, ed_token, "ed@example.org", PASSWORDS["ed"])
        uri = ed.post("/admin/second-factor/new").json()["otpauth"]
        assert ed.post("/admin/second-factor", json={"code": pyotp.parse_uri(uri).now()}
                       ).status_code == 200
        answer = save(ed, "radio")
        assert answer.status_code == 200, answer.text
        assert "noindex" in ed.get("/admin/").headers["x-robots-tag"]
        ann = _from(url, "127.0.0.4", site)
        _join(ann, ann_token, "ann@example.org", PASSWORDS["ann"])
        assert save(ann, "steppe").status_code == 200

        # A guesser elsewhere: twenty wrong passwords, then refused even when right...
        guesser = _from(url, "127.0.0.2", site)
        for n in range(20):
            assert guesser.post("/admin/session", json={
                "email": f"nobody{n}@example.org", "password": "wrong guess " * 2}
            ).status_code == 401
        assert guesser.post("/admin/session", json={
            "email": "ann@example.org", "password": PASSWORDS["ann"]}).status_code == 429
        # ... while the newsroom, at its own addresses, signs in as ever.
        again = _from(url, "127.0.0.4", site)
        assert again.post("/admin/session", json={
            "email": "ann@example.org", "password": PASSWORDS["ann"]}).status_code == 200

        # The backup, taken as the guide says while the desk runs.
        if shutil.which("sqlite3") is None:
            pytest.skip("the sqlite3 command is not installed (scripts/test installs it)")
        [backup] = [b for b in blocks(GUIDE, "") if ".backup" in b]
        script = (backup.replace("/srv", str(tmp_path / "srv"))
                  .replace("/var/backups", str(tmp_path / "backups")))
        taken = subprocess.run(["bash", "-euo", "pipefail", "-c", script],
                               capture_output=True, text=True, timeout=120)
        assert taken.returncode == 0, taken.stderr

    # Restored into a new place, the desk starts with its people and their stories.
    restored = tmp_path / "restored"
    restored.mkdir()
    subprocess.run(["tar", "-xzf", str(tmp_path / "backups/masthead/site.tar.gz"), "-C",
                    str(restored)], check=True)
    again_site = restored / "mysite"
    assert not (again_site / ".masthead/desk").exists()  # rebuilt by the next publish
    shutil.copy(tmp_path / "backups/masthead/desk.sqlite", again_site / ".masthead")
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "masthead.cli", "desk", "serve",
                               str(again_site), "--port", str(port), "--no-verify"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with listening(server, port, timeout=60):
        ann = _from(f"http://127.0.0.1:{port}", "127.0.0.4", again_site)
        assert ann.post("/admin/session", json={
            "email": "ann@example.org", "password": PASSWORDS["ann"]}).status_code == 200
        waiting = act(ann, "unpublishedEntries").json()
        assert waiting == ["posts/steppe"]  # hers; the editor's is not hers to see
        assert ann.get("/admin/session").json()["name"] == "ann"
