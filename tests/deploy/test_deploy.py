"""`masthead deploy` to a folder, an SSH server and an S3 server on loopback."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from masthead.deploy.plan import MANIFEST, decode, manifest_of
from tests.conftest import DEMO
from tests.deploy.conftest import Target

FAST = ["--set", "images=false", "--set", "search=false", "--set", "embed_posters=false"]


def _site(tmp_path: Path, targets: list[Target]) -> Path:
    site = tmp_path / "site"
    shutil.copytree(DEMO, site, ignore=shutil.ignore_patterns("dist", ".masthead"))
    toml = site / "masthead.toml"
    text = toml.read_text()
    for target in targets:
        text += (f'\n[[deploy]]\nname = "{target.name}"\nurl = "{target.url}"\n'
                 f'to = "{target.to}"\n' + ("primary = true\n" if target.name == "origin"
                                            else ""))
    toml.write_text(text)
    return site


def _deploy(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "masthead", "deploy", str(site), *FAST, *args],
                          capture_output=True, text=True, timeout=300)


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=15) as response:
        return bytes(response.read())


def _address(target: Target, rel: str) -> str:
    path = rel[: -len("index.html")] if rel.endswith("index.html") else rel
    return target.url + urllib.parse.quote(path)


def _uploaded(output: str, name: str) -> int:
    if re.search(rf"^{name}: up to date", output, re.M):
        return 0
    match = re.search(rf"^{name}: (\d+) files up", output, re.M)
    assert match, output
    return int(match.group(1))


def test_every_page_reaches_every_target_with_the_primary_canonical(
        tmp_path: Path, targets: list[Target]) -> None:
    site = _site(tmp_path, targets)
    result = _deploy(site)
    assert result.returncode == 0, result.stderr + result.stdout
    pages = sorted(p.relative_to(site / "dist").as_posix()
                   for p in (site / "dist").rglob("*.html"))
    assert len(pages) > 100
    for target in targets:
        assert f"{target.name}: " in result.stdout and "pages checked" in result.stdout
        for rel in pages:
            assert _fetch(_address(target, rel)) == (site / "dist" / rel).read_bytes(), rel
        page = _fetch(target.url + "about/").decode()
        assert f'<link rel="canonical" href="{targets[0].url}about/">' in page
        assert decode((target.root / MANIFEST).read_bytes()) == manifest_of(site / "dist")


def test_one_story_edit_uploads_only_what_changed(tmp_path: Path,
                                                  targets: list[Target]) -> None:
    site = _site(tmp_path, targets)
    assert _deploy(site).returncode == 0
    before = manifest_of(site / "dist")
    story = next((site / "content" / "posts").rglob("*.md"))
    story.write_text(story.read_text(encoding="utf-8") + "\nOne more sentence.\n",
                     encoding="utf-8")
    result = _deploy(site)
    assert result.returncode == 0, result.stderr
    after = manifest_of(site / "dist")
    changed = {rel for rel in after if before.get(rel) != after[rel]}
    assert 0 < len(changed) < 40, sorted(changed)
    assert any(rel.endswith("index.html") and story.stem in rel for rel in changed)
    for target in targets:
        assert _uploaded(result.stdout, target.name) == len(changed)
        assert decode((target.root / MANIFEST).read_bytes()) == after
    again = _deploy(site)
    assert all(_uploaded(again.stdout, t.name) == 0 for t in targets)
    assert all(f"{t.name}: up to date" in again.stdout for t in targets), again.stdout
    # S3 answers a missing marker with nothing and success: no deploy was interrupted.
    assert "finishing the deploy that was interrupted" not in result.stderr + again.stderr


def test_a_killed_deploy_leaves_the_previous_site_and_the_next_completes(
        tmp_path: Path, targets: list[Target]) -> None:
    target = targets[1]  # SFTP: slow enough to be caught half-way
    site = _site(tmp_path, [target])
    assert _deploy(site).returncode == 0
    old = {rel: (target.root / rel).read_bytes() for rel in manifest_of(target.root)}
    process = subprocess.Popen([sys.executable, "-m", "masthead", "deploy", str(site), *FAST,
                                "--set", 'title="A New Name"'],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # kill once new pages have started to arrive
        if any((target.root / rel).read_bytes() != data for rel, data in old.items()
               if rel.endswith(".html") and (target.root / rel).exists()):
            break
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait(30)
    served = manifest_of(target.root)
    new = manifest_of(site / "dist")
    recorded = decode((target.root / MANIFEST).read_bytes())
    assert recorded != new, "the deploy finished before it was killed: nothing was tested"
    assert all(rel in served for rel in recorded)  # nothing the manifest lists was deleted
    for rel in [r for r in served if r.endswith(".html")]:  # every link still resolves
        html = (target.root / rel).read_text(encoding="utf-8")
        for link in re.findall(r'(?:href|src)="(/[^"#?]*)', html):
            path = urllib.parse.unquote(link).lstrip("/")
            found = target.root / path
            assert found.is_file() or (found / "index.html").is_file(), (rel, link)
    done = _deploy(site, "--set", 'title="A New Name"')
    assert done.returncode == 0, done.stderr
    assert manifest_of(target.root) == manifest_of(site / "dist")


def test_rollback_brings_back_the_previous_version_byte_for_byte(
        tmp_path: Path, targets: list[Target]) -> None:
    site = _site(tmp_path, targets[:2])
    assert _deploy(site).returncode == 0
    first = {t.name: {rel: (t.root / rel).read_bytes() for rel in manifest_of(t.root)}
             for t in targets[:2]}
    assert _deploy(site, "--set", 'title="Second Version"').returncode == 0
    assert first["origin"] != {rel: (targets[0].root / rel).read_bytes()
                               for rel in manifest_of(targets[0].root)}
    result = _deploy(site, "--rollback")
    assert result.returncode == 0, result.stderr
    for target in targets[:2]:
        now = {rel: (target.root / rel).read_bytes() for rel in manifest_of(target.root)}
        assert now == first[target.name]
    # A second rollback does not flip back to the newer version: it says so.
    second = _deploy(site, "--rollback")
    assert second.returncode == 1
    assert "origin: failed: already rolled back: no older version is kept here" in \
        second.stdout and "hint: deploy to publish the site as it is now" in second.stdout
    for target in targets[:2]:
        now = {rel: (target.root / rel).read_bytes() for rel in manifest_of(target.root)}
        assert now == first[target.name]
    # Deploying again goes forward, and the next rollback goes back to the first version.
    assert _deploy(site, "--set", 'title="Third Version"').returncode == 0
    assert _deploy(site, "--rollback").returncode == 0
    now = {rel: (targets[0].root / rel).read_bytes() for rel in manifest_of(targets[0].root)}
    assert now == first["origin"]


def test_a_failing_target_does_not_stop_the_others(tmp_path: Path,
                                                   targets: list[Target],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RCLONE_CONFIG_TESTSSH_PORT", "1")  # nothing listens there
    site = _site(tmp_path, targets)
    result = _deploy(site, "--no-verify")
    assert result.returncode == 1
    assert re.search(r"^ssh: failed: .+", result.stdout, re.M), result.stdout
    assert _uploaded(result.stdout, "origin") > 100 and _uploaded(result.stdout, "s3") > 100
    assert "1 target failed" in result.stderr


def test_dry_run_changes_nothing(tmp_path: Path, targets: list[Target]) -> None:
    site = _site(tmp_path, targets[:1])
    result = _deploy(site, "--dry-run")
    assert result.returncode == 0
    assert "origin: would upload" in result.stderr
    assert re.search(r"^origin: would upload \d+ files .* \(dry run: nothing was sent\)$",
                     result.stdout, re.M), result.stdout
    assert "files up" not in result.stdout
    assert list(targets[0].root.iterdir()) == []
