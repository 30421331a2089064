"""[[deploy]] targets are checked where they are written; the command names what is wrong."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

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
])
def test_bad_targets_are_refused_with_their_place(tmp_path: Path, table: str,
                                                  message: str) -> None:
    root = write_site(tmp_path, {"content/posts/a.md": post(),
                                 "masthead.toml": TOML + "[[deploy]]\n" + table})
    result = subprocess.run([sys.executable, "-m", "masthead", "deploy", str(root)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert message in result.stderr and "masthead.toml:" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


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
