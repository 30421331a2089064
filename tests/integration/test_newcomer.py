"""What a new user meets first: mistakes that must not pass silently, and plain messages."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import post, write_site


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "masthead", *args],
                          capture_output=True, text=True, timeout=timeout)


def test_a_setting_after_a_table_is_an_error_naming_its_line(tmp_path: Path) -> None:
    """TOML puts a setting written after [[footer_menu]] into that table."""
    root = write_site(tmp_path, {
        "content/posts/a.md": post(),
        "masthead.toml": 'title = "T"\nbase_url = "https://news.example.org/"\n'
                         '[[footer_menu]]\nname = "Contact"\nlink = "/contact"\n'
                         "posts_per_page = 3\n"})
    result = run("build", str(root))
    assert result.returncode == 1
    assert "masthead.toml:6: error: unknown key 'posts_per_page' in a [[footer_menu]] table" \
        in result.stderr
    assert "move it above the first [[...]] line" in result.stderr
    assert "the configuration has 1 problem\n" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_misspelt_key_in_a_menu_table_gets_a_suggestion(tmp_path: Path) -> None:
    root = write_site(tmp_path, {
        "content/posts/a.md": post(),
        "masthead.toml": 'title = "T"\nbase_url = "https://news.example.org/"\n'
                         '[[main_menu]]\nname = "News"\nlnik = "/news"\n'})
    result = run("check", str(root))
    assert result.returncode == 1
    assert "masthead.toml:5: error: unknown key 'lnik' in a [[main_menu]] table" in result.stderr
    assert "hint: did you mean 'link'?" in result.stderr


@pytest.mark.parametrize(("layout", "message", "hint"), [
    ({}, "error: there is no content/ folder: nothing to publish",
     "put stories in content/posts/"),
    ({"contents/posts/a.md": post()}, "error: there is no content/ folder: nothing to publish",
     "hint: rename 'contents/' to 'content/'"),
    ({"content/.keep": ""}, "content: error: content/posts/ holds no stories",
     "write each story as a Markdown file in content/posts/"),
    ({"content/post/a.md": post()}, "content: error: content/posts/ holds no stories",
     "hint: rename 'content/post/' to 'content/posts/'"),
], ids=["missing", "misspelt", "empty", "misspelt-posts"])
def test_nothing_to_publish_is_an_error(tmp_path: Path, layout: dict[str, str], message: str,
                                        hint: str) -> None:
    root = write_site(tmp_path, {"masthead.toml": 'title = "T"\nbase_url = '
                                                  '"https://news.example.org/"\n', **layout},
                      base=False)
    result = run("build", str(root))
    assert result.returncode == 1, result.stdout
    assert message in result.stderr
    assert hint in result.stderr
    assert not (root / "dist").exists()


def test_a_placeholder_base_url_is_questioned_by_build_not_by_serve(tmp_path: Path) -> None:
    run("new", str(tmp_path / "site"))
    result = run("build", str(tmp_path / "site"))
    assert result.returncode == 0, result.stderr
    assert ("masthead.toml:4: warning: base_url is 'https://example.org/', a placeholder"
            in result.stderr)
    assert "(1 warning)" in result.stdout
    assert run("build", str(tmp_path / "site"), "--strict").returncode == 1
    fixed = run("build", str(tmp_path / "site"), "--set", "base_url=https://news.example.org/")
    assert "placeholder" not in fixed.stderr and fixed.returncode == 0


def test_serve_on_a_busy_port_says_so_before_building(tmp_path: Path) -> None:
    root = write_site(tmp_path, {"content/posts/a.md": post()})
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run("serve", str(root), "--port", str(port), timeout=30)
    assert result.returncode == 1
    assert f"masthead: port {port} is in use; stop the other server or choose another " \
           f"with --port {port + 1}" in result.stderr
    assert not (root / ".masthead" / "serve").exists(), "it built before saying so"


def test_help_is_for_users() -> None:
    top = run("--help")
    assert top.returncode == 0
    assert "masthead new mysite" in top.stdout and "argument parsing" not in top.stdout
    new = run("new", "--help").stdout
    assert "DIR         the folder to create" in new
    serve = run("serve", "--help").stdout
    assert "the port on 127.0.0.1 to serve on" in serve
    assert "--output" not in serve, "serve always builds into .masthead/serve/"
    api = run("api", "--help").stdout
    assert "the address to listen on" in api and "the port to listen on" in api


def test_python_dash_m_masthead_runs_the_command() -> None:
    result = run("--version")
    assert result.returncode == 0 and result.stdout.startswith("masthead ")


def test_the_first_hour_s_slips_get_the_right_hint(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {"content/posts/a.md": post()})
    # The settings file named instead of its folder: the site is built.
    named = run("build", str(site / "masthead.toml"))
    assert named.returncode == 0, named.stderr
    assert (site / "dist" / "index.html").is_file()
    # A folder inside the site: pointed at the site's folder, not told to make one.
    inside = run("build", str(site / "content"))
    assert inside.returncode == 1 and "masthead new content" not in inside.stderr
    assert "point to the site's folder (the one that holds masthead.toml)" in inside.stderr
    # An underscore in the host: said as such.
    underscore = run("build", str(site), "--set", 'base_url="https://my_site.example.org/"')
    assert "has '_' in its host name 'my_site.example.org'" in underscore.stderr
    assert "my-site.example.org" in underscore.stderr
    # A misplaced ']' in a list: a hint about lists, not about colons.
    (site / "content" / "posts" / "b.md").write_text(
        '---\ntitle: "B"\ndate: "2024-01-02T10:00:00Z"\nauthor: Ann Lee\ncategory: News\n'
        "tags: [a, b]]\n---\nx\n")
    bracket = run("build", str(site))
    assert "content/posts/b.md:6:" in bracket.stderr, bracket.stderr
    assert "a list is written on one line as [a, b]" in bracket.stderr
    assert "contains ':'" not in bracket.stderr
