"""The command line: exit codes, messages, no tracebacks for content mistakes."""

import subprocess
import sys
from pathlib import Path

import pytest

from masthead.cli import main
from tests.conftest import SHARED, post, write_site


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "masthead.cli", *args],
                          capture_output=True, text=True, timeout=120)


def test_build_reports_pages_and_time(tmp_path: Path) -> None:
    root = write_site(tmp_path, {"content/posts/a.md": post()})
    result = run("build", str(root))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Built ") and " pages " in result.stdout
    assert (root / "dist" / "index.html").exists()


def test_build_error_exits_1_with_context_and_no_traceback(tmp_path: Path) -> None:
    root = write_site(tmp_path, {"content/posts/a.md": post(date="2024-13-01")})
    result = run("build", str(root))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "content/posts/a.md:3: error: " in result.stderr
    assert '  >   3 | date: "2024-13-01"' in result.stderr
    assert "1 error in 1 file" in result.stderr


def test_a_name_without_a_file_builds_with_a_warning_and_strict_fails(tmp_path: Path) -> None:
    """As Banter and Hugo publish: the author's page is made from the name."""
    root = write_site(tmp_path, {"content/posts/a.md": post(author="Anne Lee")})
    result = run("build", str(root))
    assert result.returncode == 0, result.stderr
    assert ("content/posts/a.md:4: warning: unknown author 'Anne Lee': a page is made "
            "from its name") in result.stderr
    assert '  >   4 | author: "Anne Lee"' in result.stderr
    assert "hint: did you mean 'Ann Lee'?" in result.stderr
    assert (root / "dist" / "authors" / "anne-lee" / "index.html").is_file()
    assert "Anne Lee" in (root / "dist" / "posts" / "a" / "index.html").read_text()
    strict = run("build", str(root), "--strict")
    assert strict.returncode == 1 and "unknown author 'Anne Lee'" in strict.stderr


def test_strict_fails_on_warnings(tmp_path: Path) -> None:
    root = write_site(tmp_path, {"content/posts/a.md": post(date="2024-01-01")})
    assert run("build", str(root)).returncode == 0
    strict = run("build", str(root), "--strict")
    assert strict.returncode == 1
    assert "warning: 'date' has no time zone offset" in strict.stderr


def test_check_lists_scheduled_and_draft_posts(tmp_path: Path) -> None:
    root = write_site(tmp_path, {"content/posts/a.md": post(),
                                 "content/posts/later.md": post(date="2099-01-01T00:00:00Z"),
                                 "content/posts/wip.md": post(draft=True)})
    result = run("check", str(root))
    assert result.returncode == 0, result.stderr
    assert "content/posts/later.md: scheduled for 2099-01-01T00:00:00+00:00" in result.stdout
    assert "content/posts/wip.md: draft" in result.stdout
    assert not (root / "dist").exists()


def test_new_creates_a_site_that_builds(tmp_path: Path) -> None:
    target = tmp_path / "mysite"
    assert main(["new", str(target)]) == 0
    assert main(["build", str(target)]) == 0
    assert (target / "dist" / "index.html").exists()
    assert "dist/" in (target / ".gitignore").read_text()
    assert main(["new", str(target)]) == 1  # never over an existing site


def test_output_option_and_refusal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_site(tmp_path / "s", {"content/posts/a.md": post()})
    assert main(["build", str(root), "-o", str(tmp_path / "public_html")]) == 0
    assert (tmp_path / "public_html" / "posts" / "a" / "index.html").exists()
    assert main(["build", str(root), "-o", str(root / "content")]) == 1
    assert "choose another with -o" in capsys.readouterr().err


def test_missing_config_is_explained(tmp_path: Path) -> None:
    result = run("build", str(tmp_path))
    assert result.returncode == 1
    assert "no masthead.toml or config/site.config.js" in result.stderr


def test_no_cache_without_images_leaves_the_site_folder_as_it_was(tmp_path: Path) -> None:
    root = write_site(tmp_path / "s", {"content/posts/a.md": post()})
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    assert main(["build", str(root), "--no-cache", "--no-search", "--set", "images=false",
                 "-o", str(tmp_path / "out")]) == 0
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before
    assert main(["build", str(root), "--no-search", "-o", str(tmp_path / "out")]) == 0
    assert (root / ".masthead").is_dir()  # the cache, when asked for, is still kept there


def test_a_banter_site_with_three_slips_builds_with_three_warnings(tmp_path: Path) -> None:
    root = write_site(tmp_path, {"content/posts/a.md": post(
        author="Anne Lee", category="Sport", body="Text.\n\n![Map](/images/map.png)\n")})
    result = run("build", str(root))
    assert result.returncode == 0, result.stderr
    assert "content/posts/a.md:4: warning: unknown author 'Anne Lee'" in result.stderr
    assert "content/posts/a.md:5: warning: unknown category 'Sport'" in result.stderr
    assert "content/posts/a.md:9: warning: image '/images/map.png' does not exist" in \
        result.stderr
    assert "(3 warnings)" in result.stdout
    assert run("build", str(root), "--strict").returncode == 1


def test_ctrl_c_during_a_build_stops_it_without_a_traceback(tmp_path: Path) -> None:
    """Ctrl-C reaches every process of the terminal's group, the build's workers too:
    one line says the build stopped, the previous output is as it was."""
    import os
    import signal
    import time

    generator = SHARED / "bench" / "gen_corpus.py"  # the benchmark's corpus generator
    if not generator.is_file():
        pytest.skip("needs ../shared/bench/gen_corpus.py")
    subprocess.run([sys.executable, str(generator), str(tmp_path / "site"), "--posts",
                    "2500"], check=True, capture_output=True, timeout=300)
    site = tmp_path / "site"
    process = subprocess.Popen([sys.executable, "-m", "masthead", "build", str(site),
                                "--no-search", "--no-cache"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    assert process.stderr is not None
    for line in process.stderr:  # stopped while the workers encode pictures
        if "encoding images:" in line:
            break
    time.sleep(0.5)
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert "stopped" in err
    assert not (site / "dist").exists()
