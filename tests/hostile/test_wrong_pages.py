"""Input that used to make a wrong page, a traceback or a hang: each case now ends in the
page the writer meant or a diagnostic with file and line."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from masthead.emit.outputs import SITE_FILES, SiteFile
from masthead.errors import Diagnostic, Severity
from tests.conftest import SiteBuilder, post, write_site

Errors = Callable[..., list[Diagnostic]]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "masthead", *args], capture_output=True,
                          text=True, timeout=60)


def messages(diagnostics: list[Diagnostic]) -> list[str]:
    return [f"{d.location()}: {d.message}" for d in diagnostics
            if d.severity is Severity.ERROR]


@pytest.mark.parametrize("tag", ["..", ".", "?", "...", "/", "#"])
def test_a_tag_without_a_letter_cannot_replace_a_page(build_site: SiteBuilder, tag: str) -> None:
    """Left out with a warning (a real archive's odd tag must not stop its build)."""
    built = build_site({"content/posts/a.md": post(tags=[f'"{tag}"', "Real"])})
    said = [f"{d.location()}: {d.message}" for d in built.report.diagnostics]
    assert (f"content/posts/a.md:6: tag {tag!r} has no letter or digit to make its address "
            "from; left out") in said
    assert "/tags/real/" in built.html("/posts/a/")
    assert all(not p.startswith(("tags/./", "tags/../", "tags/index")) or p == "tags/index.html"
               for p in built.paths)


def test_ten_thousand_tags_keep_the_first_hundred(build_site: SiteBuilder) -> None:
    """A limit meant for attacks keeps what fits and says so: a real archive's monthly
    round-up has 109 tags, and must still build."""
    tags = [f"t{n}" for n in range(10_000)]
    built = build_site({"content/posts/a.md": post(tags=tags)})
    said = [f"{d.location()}: {d.message}" for d in built.report.diagnostics]
    assert ("content/posts/a.md:6: a story may have at most 100 tags; this one has 10000: "
            "the first 100 are kept") in said
    page = built.html("/posts/a/")
    assert "/tags/t99/" in page and "/tags/t100/" not in page


@pytest.mark.parametrize(("written", "shown"), [
    ("No", "No"), ("no", "no"), ("off", "off"), ("12:30", "12:30"), ("0123", "0123"),
    ("1.10", "1.10"), ("2024-01-01", "2024-01-01"), ("0x1F", "0x1F"), ("+5", "+5"),
    (".inf", ".inf"), ("1e3", "1e3")])
def test_front_matter_means_what_the_writer_typed(build_site: SiteBuilder, written: str,
                                                  shown: str) -> None:
    text = (f"---\ntitle: {written}\ndate: \"2024-01-02T10:00:00+00:00\"\nauthor: Ann Lee\n"
            f"category: News\ntags: [NO, on, {written}]\n---\nText.\n")
    built = build_site({"content/posts/a.md": text})
    page = built.html("/posts/a/")
    assert f'<h1 class="article-title">{shown}</h1>' in page or f">{shown}</h1>" in page
    assert "/tags/no/" in page and "/tags/on/" in page


def test_a_key_written_twice_is_an_error(build_errors: Errors) -> None:
    text = ('---\ntitle: "First"\ndate: "2024-01-02T10:00:00+00:00"\ntitle: "Second"\n'
            "author: Ann Lee\ncategory: News\n---\nText.\n")
    assert messages(build_errors({"content/posts/a.md": text})) == [
        "content/posts/a.md:4:1: invalid YAML: the key 'title' is written twice"]


@pytest.mark.parametrize("date", ["2023-02-30", "0000-00-00 00:00:00",
                                  "2024-01-01T10:00:00+25:00", "2024-13-01", "99999-01-01"])
@pytest.mark.parametrize("quoted", [True, False])
def test_impossible_dates_are_errors(build_errors: Errors, date: str, quoted: bool) -> None:
    value = f'"{date}"' if quoted else date
    text = f"---\ntitle: A\ndate: {value}\nauthor: Ann Lee\ncategory: News\n---\nText.\n"
    expected = (f"content/posts/a.md:3: 'date' is a zero date ({date}), what WordPress "
                "writes for 'no date'" if date.startswith("0000") else
                f"content/posts/a.md:3: 'date' is not a date ('{date}')")
    assert messages(build_errors({"content/posts/a.md": text})) == [expected]


LAUGHS = "".join(f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]\n" for n in range(1, 12))


@pytest.mark.parametrize(("yaml", "message"), [
    ("a: &a [*a]\n", "an alias makes a value contain itself"),
    ('l0: &l0 "lol"\n' + LAUGHS, "aliases expand to more than 5000 values"),
])
def test_aliases_cannot_hang_or_loop(build_errors: Errors, yaml: str, message: str) -> None:
    text = (f'---\ntitle: "A"\ndate: "2024-01-02T10:00:00+00:00"\nauthor: Ann Lee\n'
            f"category: News\n{yaml}---\nText.\n")
    started = time.monotonic()
    found = messages(build_errors({"content/posts/a.md": text}))
    assert time.monotonic() - started < 10
    assert len(found) == 1 and message in found[0] and len(found[0]) < 300


@pytest.mark.parametrize("name", ["feed.xml", "404.html", "sitemap.xml", "robots.txt",
                                  "favicon.ico", "atom.xml", "feed.json"])
def test_a_page_at_a_url_masthead_writes_is_an_error(build_errors: Errors, name: str) -> None:
    found = messages(build_errors({"content/posts/a.md": post(),
                                   f"content/pages/{name}.md": '---\ntitle: "X"\n---\nX.\n'}))
    assert len(found) == 1 and found[0].startswith(f"content/pages/{name}.md:1: the URL /")


# (A page file named _headers.md has the address /headers/: no page can be at /_headers;
# nor under /.well-known/: files and folders whose names start with a dot are not read.)
@pytest.mark.parametrize("output", [o for o in SITE_FILES if not o.name.startswith(("_", "."))],
                         ids=lambda output: output.name)
def test_no_page_takes_the_name_of_a_site_file(build_errors: Errors, output: SiteFile) -> None:
    """The names come from the registry of what a build writes: a file added there is
    protected without another list to keep."""
    page = '---\ntitle: "X"\n---\nX.\n'
    found = messages(build_errors({"content/posts/a.md": post(),
                                   f"content/pages/{output.name}.md": page}))
    assert len(found) == 1 and "is a file masthead writes itself" in found[0]


@pytest.mark.parametrize("output", [o for o in SITE_FILES if o.public_wins],
                         ids=lambda output: output.name)
def test_a_site_file_a_site_writes_itself_is_published_as_written(
        build_site: SiteBuilder, output: SiteFile) -> None:
    built = build_site({"content/posts/a.md": post(), f"public/{output.name}": "mine\n"})
    assert built.sink.files[output.name] == b"mine\n"
    assert not any(d.path == f"public/{output.name}" for d in built.report.diagnostics)


@pytest.mark.parametrize("video", ["a/b", 'a"b', "a b", "../../x", "<script>"])
def test_a_youtube_id_is_checked(build_errors: Errors, video: str) -> None:
    found = messages(build_errors({"content/videos/v.md": post(youtubeId=video)}))
    assert found == [f"content/videos/v.md:6: 'youtubeId' ({video!r}) is not a YouTube video id"]


@pytest.mark.parametrize(("setting", "message"), [
    ('[[collections]]\nname = "x"\nurl = "/../../x"\n',
     "collection 'x': its url '/../../x' must be a path"),
    ('[[collections]]\nname = "x"\nfolder = "../../etc"\n',
     "collection 'x': its folder '../../etc' must be one plain name"),
    ('[[collections]]\nname = "x"\ntemplate = "../../../etc/passwd"\n',
     "collection 'x': its template '../../../etc/passwd' must be one plain name"),
    ('languages = ["en", "../x"]\n', "'../x' is not a language code"),
    ('language = "../x"\n', "language '../x' is not a language code"),
    ('embed_allow = ["a.example; script-src *"]\n', "is not a host name"),
    ('base_url = "https://a.example/\\" always; autoindex on; #"\n', "is not an absolute"),
    ('api_url = "/api; x"\n', "api_url '/api; x' is neither a path"),
])
def test_settings_cannot_name_a_path_out_of_the_site(tmp_path: Path, setting: str,
                                                      message: str) -> None:
    root = write_site(tmp_path, {"content/posts/a.md": post(),
                                 "masthead.toml": 'title = "T"\n' + setting})
    result = run("build", str(root))
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "x").exists() and not (root / "dist").exists()


def test_a_link_out_of_public_is_not_published(build_site: SiteBuilder, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("password")
    site = tmp_path / "site"
    (site / "public").mkdir(parents=True)
    os.symlink(secret, site / "public" / "passwd.txt")
    os.symlink(tmp_path, site / "public" / "up")
    built = build_site({"content/posts/a.md": post()})
    assert not any(rel.startswith(("passwd", "up/")) for rel in built.paths)
    warned = {d.path for d in built.report.diagnostics if d.severity is Severity.WARNING}
    assert "public/passwd.txt" in warned  # (a linked folder is not followed at all)


@pytest.mark.parametrize("name", ["index.html", "feed.xml", "sitemap.xml", "posts/a/index.html"])
def test_a_public_file_the_build_replaces_is_said(build_site: SiteBuilder, name: str) -> None:
    built = build_site({"content/posts/a.md": post(), f"public/{name}": "mine"})
    assert built.sink.files[name] != b"mine"
    assert any(d.path == f"public/{name}" and "is replaced by" in d.message
               for d in built.report.diagnostics)


@pytest.mark.parametrize(("output", "message"), [
    ("public/out", "is inside the site's public/ folder"),
    ("static", "is inside the site's static/ folder"),
    ("content/posts", "is inside the site's content/ folder"),
    ("/proc/masthead", "is a system folder"),
    ("file.txt/out", "which is a file"),
])
def test_output_folders_that_would_publish_themselves_are_refused(
        tmp_path: Path, output: str, message: str) -> None:
    root = write_site(tmp_path, {"content/posts/a.md": post(), "file.txt": "x"})
    target = output if output.startswith("/") else str(root / output)
    result = run("build", str(root), "-o", target)
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr


def test_a_file_name_that_is_not_utf8_is_reported(tmp_path: Path) -> None:
    root = write_site(tmp_path, {"content/posts/a.md": post()})
    bad = os.fsencode(root / "content" / "posts") + b"/caf\xe9.md"
    with open(bad, "w", encoding="utf-8") as fh:
        fh.write(post())
    result = run("build", str(root))
    assert "Traceback" not in result.stderr
    assert result.returncode == 1
    assert "name is not UTF-8" in result.stderr


@pytest.mark.parametrize(("front", "message", "hint"), [
    ('title: "A"\n\tdate: "2024-01-02T10:00:00+00:00"\n', "invalid YAML",
     "indent with spaces, not tabs"),
    ('title: "A"\ntags:\n\t- a\n', "invalid YAML", "indent with spaces, not tabs"),
    ('title: "A"\ntitle: "B"\n', "the key 'title' is written twice", "keep one of the two lines"),
])
def test_diagnostics_name_the_real_cause(build_errors: Errors, front: str, message: str,
                                         hint: str) -> None:
    found = [d for d in build_errors({"content/posts/a.md": f"---\n{front}---\nText.\n"})
             if d.severity is Severity.ERROR]
    assert len(found) == 1 and message in found[0].message
    assert found[0].hint == hint


def test_a_nul_in_front_matter_is_named(build_site: SiteBuilder) -> None:
    built = build_site({"content/posts/a.md": post(title="AB").replace("AB", "A\x00B")})
    (warning,) = [d for d in built.report.diagnostics if d.severity is Severity.WARNING]
    assert warning.location() == "content/posts/a.md:2"
    assert "control characters (such as NUL)" in warning.message


def test_an_unknown_author_is_reported_once_for_all_languages(build_errors: Errors) -> None:
    found = build_errors({"masthead.toml": 'title = "T"\nbase_url = "https://n.example.org/"\n'
                                           'languages = ["en", "ru", "de"]\n',
                          "content/posts/en/a.md": post(author="Nobody")}, strict=True)
    assert [f"{d.location()}: {d.message}" for d in found] == [
        "content/posts/en/a.md:4: unknown author 'Nobody': a page is made from its name"]


def test_a_bad_set_value_blames_the_command_line(tmp_path: Path) -> None:
    root = write_site(tmp_path, {"content/posts/a.md": post()})
    result = run("build", str(root), "--set", "posts_per_page=0")
    assert result.returncode == 1
    assert "--set: error: posts_per_page must be at least 1" in result.stderr
    assert "masthead.toml" not in result.stderr
