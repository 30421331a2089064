"""[[deploy]] targets are checked where they are written; the command names what is wrong."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import ClassVar

import pytest

from masthead.deploy.rclone import Rclone
from tests.conftest import post, write_site

TOML = 'title = "T"\nbase_url = "https://n.example.org/"\n'


@pytest.mark.parametrize(("table", "message"), [
    ('name = "a"\nurl = "https://m.example.net/"\nto = ":s3,secret_access_key=x:b"\n',
     "its destination holds a credential"),
    ('name = "a"\nurl = "https://m.example.net/"\nto = "sftp,pass=hunter2:/srv"\n',
     "its destination holds a credential"),
    ('name = "a"\nurl = "https://m.example.net/site/"\nto = "/srv"\n',
     "must be the address of a site's root"),
    ('name = "a"\nurl = "javascript:alert(1)"\nto = "/srv"\n',
     "must be the address of a site's root"),
    ('name = "A B"\nurl = "https://m.example.net/"\nto = "/srv"\n',
     "must be letters, digits and -"),
    ('name = "a"\nurl = "https://m.example.net/"\n', "it needs a destination 'to'"),
    ('name = "a"\nurl = "https://m.example.net/"\nto = "/srv"\nprimry = true\n',
     "unknown key 'primry' in a [[deploy]] table"),
    ('name = "a"\nurl = "https://m.example.net/"\nto = "--log-file=/tmp/masthead-x"\n',
     "starts with '-', which rclone would take for an option"),
    ('name = "a"\nurl = "https://m.example.net/"\nto = "-vv:"\n',
     "starts with '-', which rclone would take for an option"),
    ('name = "a"\nurl = "https://m.example.net/"\nto = "/srv\\nx"\n',
     "it needs a destination 'to'"),
])
def test_bad_targets_are_refused_with_their_place(tmp_path: Path, table: str,
                                                  message: str) -> None:
    root = write_site(tmp_path, {"content/posts/a.md": post(),
                                 "masthead.toml": TOML + "[[deploy]]\n" + table})
    for dry in ([], ["--dry-run"]):
        result = subprocess.run([sys.executable, "-m", "masthead", "deploy", str(root), *dry],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 1
        assert message in result.stderr and "masthead.toml:" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    assert not Path("/tmp/masthead-x").exists()


def test_names_the_upload_list_cannot_carry_are_refused_before_anything_goes(
        tmp_path: Path) -> None:
    from masthead.config import load_config
    from masthead.deploy import deploy

    target = tmp_path / "target"
    root = write_site(tmp_path / "site", {
        "content/posts/a.md": post(), "public/fine.txt": "ok",
        "masthead.toml": TOML + f'[[deploy]]\nname = "a"\nurl = "https://a.example.net/"\n'
                                f'to = "{target}"\n'})
    (root / "public" / "two\nlines.txt").write_text("x")
    built = subprocess.run([sys.executable, "-m", "masthead", "build", str(root)],
                           capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    assert "has a name no address can carry" in built.stderr
    assert not (root / "dist" / "two\nlines.txt").exists()
    (root / "dist" / "sneaked\nin.txt").write_text("x")  # an output made some other way
    config = load_config(root)
    [result] = deploy(config, root / "dist", list(config.deploy), say=lambda _: None)
    assert "cannot be uploaded" in result.error or "control character" in result.error
    assert not target.exists() or not any(target.iterdir())


def test_two_primaries_and_two_names_are_errors(tmp_path: Path) -> None:
    table = '[[deploy]]\nname = "a"\nurl = "https://a.example.net/"\nto = "/a"\nprimary = true\n'
    root = write_site(tmp_path, {"content/posts/a.md": post(),
                                 "masthead.toml": TOML + table * 2})
    result = subprocess.run([sys.executable, "-m", "masthead", "deploy", str(root)],
                            capture_output=True, text=True, timeout=60)
    assert "deploy target 'a': its name is used twice" in result.stderr


@pytest.mark.parametrize(("setting", "args", "message"), [
    ("", [], "masthead.toml has no [[deploy]] targets"),
    ('[[deploy]]\nname = "a"\nurl = "https://a.example.net/"\nto = "/tmp/x"\n',
     ["--target", "b"], "no deploy target named 'b'; known: a"),
])
def test_the_command_says_what_is_missing(tmp_path: Path, setting: str, args: list[str],
                                          message: str) -> None:
    root = write_site(tmp_path, {"content/posts/a.md": post(), "masthead.toml": TOML + setting})
    result = subprocess.run([sys.executable, "-m", "masthead", "deploy", str(root), *args],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and message in result.stderr


def test_a_long_upload_reports_progress_as_it_goes(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A slow link (rclone's own bandwidth limit): lines with the share done arrive
    while the upload runs, also when nothing is a terminal."""
    source = tmp_path / "site"
    source.mkdir()
    names = []
    for index in range(6):
        (source / f"photo-{index}.bin").write_bytes(os.urandom(200_000))
        names.append(f"photo-{index}.bin")
    monkeypatch.setenv("RCLONE_BWLIMIT", "300k")
    lines: list[str] = []
    Rclone(str(tmp_path / "target")).upload(source, names, lines.append)
    assert lines, "no progress line during a four-second upload"
    assert all(re.search(r"\d+%", line) for line in lines), lines
    assert sorted(p.name for p in (tmp_path / "target").iterdir()) == names


def _masthead(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "masthead", *args], capture_output=True,
                          text=True, timeout=120, env={**os.environ, **(env or {})})


MIRRORED = (TOML + '\n[[deploy]]\nname = "a"\nurl = "https://n.example.org/"\nto = "{a}"\n'
            'primary = true\n\n[[deploy]]\nname = "b"\nurl = "https://m.example.net/"\n'
            'to = "{b}"\n')


def test_mirror_key_makes_a_pair_outside_the_site_and_deploy_signs_with_it(
        tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from masthead.deploy.mirrorlist import verified

    root = write_site(tmp_path / "site", {"content/posts/a.md": post(),
                                          "masthead.toml": MIRRORED.format(
                                              a=tmp_path / "a", b=tmp_path / "b")})
    inside = _masthead("mirror-key", str(root), "--out", str(root / "keys" / "k.pem"))
    assert inside.returncode == 1 and "inside the site folder" in inside.stderr
    key_file = tmp_path / "private" / "k.pem"
    made = _masthead("mirror-key", str(root), "--out", str(key_file))
    assert made.returncode == 0, made.stderr
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    toml = (root / "masthead.toml").read_text()
    public = re.search(r'^mirror_key = "([^"]+)"$', toml, re.M)
    assert public and toml.index("mirror_key") < toml.index("[[deploy]]"), toml
    again = _masthead("mirror-key", str(root), "--out", str(key_file))
    assert again.returncode == 1 and "exists" in again.stderr
    # No private key where deploy looks: said before anything is built or uploaded.
    missing = _masthead("deploy", str(root), "--no-verify",
                        env={"XDG_CONFIG_HOME": str(tmp_path / "nowhere")})
    assert missing.returncode == 1 and "MASTHEAD_MIRROR_KEY_FILE" in missing.stderr
    assert "Traceback" not in missing.stderr and not (tmp_path / "a").exists()
    # The key's text in the environment, as a CI secret holds it.
    done = _masthead("deploy", str(root), "--no-verify", "--set", "images=false",
                     env={"MASTHEAD_MIRROR_KEY": key_file.read_text()})
    assert done.returncode == 0, done.stderr
    for target in ("a", "b"):
        listed = verified((tmp_path / target / "mirrors.json").read_bytes(), public.group(1))
        assert listed and listed["mirrors"] == ["https://n.example.org/",
                                                "https://m.example.net/"]
    # Another key than the one masthead.toml names: refused, not published.
    other = tmp_path / "private" / "other.pem"
    other.write_bytes(Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    wrong = _masthead("deploy", str(root), "--no-verify",
                      env={"MASTHEAD_MIRROR_KEY_FILE": str(other)})
    assert wrong.returncode == 1 and "not the pair of mirror_key" in wrong.stderr


def test_a_malformed_mirror_key_is_named_with_its_line(tmp_path: Path) -> None:
    root = write_site(tmp_path, {"content/posts/a.md": post(),
                                 "masthead.toml": 'mirror_key = "not a key"\n' + TOML})
    result = _masthead("build", str(root))
    assert result.returncode == 1
    assert "masthead.toml:1" in result.stderr and "mirror_key" in result.stderr, result.stderr


def test_a_copied_or_renamed_site_still_finds_its_mirror_key(tmp_path: Path) -> None:
    """The key kept in the user's folder is named after its public half, which travels
    with masthead.toml, not after the site's folder."""
    import shutil

    home = {"XDG_CONFIG_HOME": str(tmp_path / "config")}
    root = write_site(tmp_path / "site", {"content/posts/a.md": post(),
                                          "masthead.toml": MIRRORED.format(
                                              a=tmp_path / "a", b=tmp_path / "b")})
    made = _masthead("mirror-key", str(root), env=home)
    assert made.returncode == 0, made.stderr
    [kept] = list((tmp_path / "config" / "masthead").iterdir())
    assert kept.name.startswith("mirror-key-") and kept.name in made.stdout
    moved = tmp_path / "renamed-site"
    shutil.move(root, moved)
    done = _masthead("deploy", str(moved), "--no-verify", "--set", "images=false", env=home)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "a" / "mirrors.json").is_file()


def test_a_first_deploy_and_a_missing_remote_say_what_to_do(tmp_path: Path) -> None:
    folder = tmp_path / "www"
    root = write_site(tmp_path / "site", {
        "content/posts/a.md": post(),
        "masthead.toml": TOML + f'[[deploy]]\nname = "origin"\nurl = "http://127.0.0.1:9/"\n'
                                f'to = "{folder}"\n[[deploy]]\nname = "cloud"\n'
                                'url = "https://m.example.net/"\nto = "nosuchremote:bucket"\n'})
    done = _masthead("deploy", str(root), "--set", "images=false", "--set", "search=false")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "origin: failed: http://127.0.0.1:9/" in done.stdout, done.stdout
    assert (f"hint: the files are up at {folder}; the check fetches pages from "
            "http://127.0.0.1:9/") in done.stdout
    assert (folder / "index.html").is_file()
    assert ("hint: rclone has no remote named 'nosuchremote': set "
            "RCLONE_CONFIG_NOSUCHREMOTE_TYPE") in done.stdout, done.stdout


class _Shelf:
    """A kind of destination rclone does not know: files kept in a dict, for the test
    that a new kind is a class and a line in ``KINDS``."""

    stored: ClassVar[dict[str, bytes]] = {}

    def __init__(self, destination: str) -> None:
        self.destination = destination

    def read(self, rel: str) -> bytes | None:
        return self.stored.get(rel)

    def prepare(self) -> None:
        pass

    def upload(self, source: Path, files: list[str], progress: object = None) -> None:
        for rel in files:
            self.stored[rel] = (source / rel).read_bytes()

    def write(self, rel: str, data: bytes) -> None:
        self.stored[rel] = data

    def delete_partials(self) -> None:
        pass

    def delete(self, files: list[str]) -> None:
        for rel in files:
            self.stored.pop(rel, None)


def test_a_kind_of_destination_is_a_transport_and_a_line(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from masthead.config import load_config
    from masthead.deploy import deploy, transports

    monkeypatch.setattr(transports, "KINDS", [("shelf:", _Shelf)])
    monkeypatch.setattr(_Shelf, "stored", {})
    root = write_site(tmp_path / "site", {
        "content/posts/a.md": post(), "content/posts/b.md": post("B"),
        "masthead.toml": TOML + '[[deploy]]\nname = "a"\nurl = "https://a.example.net/"\n'
                                'to = "shelf:one"\n'})
    built = subprocess.run([sys.executable, "-m", "masthead", "build", str(root)],
                           capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    config = load_config(root)
    [first] = deploy(config, root / "dist", list(config.deploy), verify=False,
                     say=lambda _: None)
    published = {p.relative_to(root / "dist").as_posix() for p in (root / "dist").rglob("*")
                 if p.is_file() and p.name != ".masthead-output"}
    assert first.error == "" and published <= set(_Shelf.stored)
    assert _Shelf.stored["posts/b/index.html"] == (root / "dist/posts/b/index.html").read_bytes()
    (root / "content/posts/b.md").unlink()
    assert subprocess.run([sys.executable, "-m", "masthead", "build", str(root)],
                          capture_output=True, timeout=120).returncode == 0
    [second] = deploy(config, root / "dist", list(config.deploy), verify=False,
                      say=lambda _: None)
    assert second.error == "" and "posts/b/index.html" in second.deleted
    assert "posts/b/index.html" not in _Shelf.stored


def _folder_site(tmp_path: Path) -> tuple[Path, Path]:
    target = tmp_path / "www"
    root = write_site(tmp_path / "site", {
        "content/posts/a.md": post(), "content/posts/b.md": post("B"),
        "masthead.toml": TOML + f'[[deploy]]\nname = "a"\nurl = "https://a.example.net/"\n'
                                f'to = "{target}"\n'})
    built = subprocess.run([sys.executable, "-m", "masthead", "build", str(root)],
                           capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    return root, target


def test_a_folder_target_gets_whole_files_readable_as_the_umask_says(tmp_path: Path) -> None:
    from masthead.config import load_config
    from masthead.deploy import deploy
    from masthead.deploy.plan import UNFINISHED

    root, target = _folder_site(tmp_path)
    config = load_config(root)
    (target / "posts").mkdir(parents=True)
    # what a deploy killed half-way leaves: its marker and a file half written
    (target / UNFINISHED).write_text("a deploy is writing here\n")
    (target / "posts" / "index.html.1a2b3c4d.partial").write_text("<html><bo")
    lines: list[str] = []
    old = os.umask(0o022)
    try:
        [result] = deploy(config, root / "dist", list(config.deploy), verify=False,
                          say=lines.append)
    finally:
        os.umask(old)
    assert result.error == "", result.error
    assert any("finishing the deploy that was interrupted" in line for line in lines)
    left = [p for p in target.rglob("*") if p.name.endswith(".partial")]
    assert not left and not (target / UNFINISHED).exists()
    page = target / "posts/b/index.html"
    assert page.read_bytes() == (root / "dist/posts/b/index.html").read_bytes()
    assert page.stat().st_mode & 0o777 == 0o644  # nginx, another user, can read it


def test_a_folder_target_never_deletes_outside_itself(tmp_path: Path) -> None:
    """The list of files a target holds is read back from the target: one that names a
    file outside it (written by whoever could write there) deletes nothing outside."""
    from masthead.config import load_config
    from masthead.deploy import deploy
    from masthead.deploy.plan import MANIFEST, encode

    root, target = _folder_site(tmp_path)
    config = load_config(root)
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me")
    target.mkdir()
    (target / MANIFEST).write_bytes(encode({"../precious.txt": "0" * 64}))
    [result] = deploy(config, root / "dist", list(config.deploy), verify=False,
                      say=lambda _: None)
    assert outside.read_text() == "keep me"
    assert "'../precious.txt' is not a file name inside the site" in result.error
