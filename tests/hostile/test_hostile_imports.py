"""``masthead import`` of sources someone else wrote: crafted settings, links out of the
source folder, names no file system likes, redirects that would take live pages. Each
is cleaned or refused with a located message; nothing outside the source is read,
nothing is written outside the site, and the result builds."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import urllib.request
from pathlib import Path

import pytest

from masthead.config import load_config
from masthead.headertext import one_line
from masthead.importers.redirects import nginx_map
from masthead.importers.settings import PLACEHOLDER, settings_file
from masthead.options import BuildOptions
from masthead.pipeline import build_site
from tests.conftest import NOW
from tests.importers.test_jekyll_hugo import write
from tests.importers.test_wordpress import export, item
from tests.nginx import nginx_serving

SECRET = "root:x:0:0:the-secret-marker"
CRAFTED_ADDRESS = ('https://old.example.org/"\noutput = "/tmp/elsewhere"\n'
                   'embed_allow = ["https://evil.example"]\n#')
CRAFTED_TITLE = 'Вестник "\\"\ntimezone = "Mars/Olympus"\r\n\u2028[deploy]'


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "masthead", "import", *args],
                          capture_output=True, text=True, timeout=120)


def _all_text(folder: Path) -> str:
    return "\n".join(p.read_bytes().decode("utf-8", "replace")
                     for p in folder.rglob("*") if p.is_file())


def _build(site: Path) -> None:
    report = build_site(load_config(site, {"search": "false", "images": "false"}),
                        site / "dist", BuildOptions(now=NOW))
    errors = [d for d in report.diagnostics if d.severity.name == "ERROR"]
    assert not errors, errors


@pytest.mark.parametrize("value", [
    CRAFTED_ADDRESS, CRAFTED_TITLE, "\x00\x1b[31m", "'''", '"""', "\\u0000", "a\\", "#x",
    "[table]\nkey = 1", "ключ = \"значение\"", "\ud7ff\ue000\U0010ffff", "x" * 500])
def test_hostile_values_round_trip_through_the_settings_writer(value: str) -> None:
    warnings: list[str] = []
    text = settings_file("Test", value, value, value, warnings.append).decode()
    settings = tomllib.loads(text)
    assert set(settings) == {"title", "base_url", "language", "timezone"}
    assert settings["title"] == (one_line(value, 200) or "Imported site")
    assert settings["base_url"] == PLACEHOLDER and settings["timezone"] == "UTC"
    assert warnings  # the address was said to be unusable


SOURCES = {
    "wordpress": lambda root: export(root, item(10, "Дельта", "delta", "Текст.")),
    "jekyll": lambda root: write(root / "old", {
        "_config.yml": f"title: {CRAFTED_TITLE!r}\nurl: {CRAFTED_ADDRESS!r}\n",
        "_posts/2024-03-01-delta.md": "---\ntitle: Дельта\n---\nТекст.\n"}),
    "hugo": lambda root: write(root / "old", {
        "hugo.toml": f"title = {CRAFTED_TITLE!r}\nbaseURL = {CRAFTED_ADDRESS!r}\n"
                     .replace("\\'", "'"),
        "content/posts/delta.md": "---\ntitle: Дельта\ndate: 2024-03-01\n---\nТекст.\n"}),
}


@pytest.mark.parametrize("system", sorted(SOURCES))
def test_crafted_titles_and_addresses_add_no_setting(tmp_path: Path, system: str) -> None:
    source = SOURCES[system](tmp_path)
    if system == "wordpress":  # the export's own channel title and link, crafted
        text = source.read_text(encoding="utf-8")
        text = text.replace("<title>Степной вестник</title>",
                            f"<title><![CDATA[{CRAFTED_TITLE}]]></title>", 1)
        text = text.replace("<link>https://old.example.org</link>",
                            f"<link><![CDATA[{CRAFTED_ADDRESS}]]></link>", 1)
        source.write_text(text, encoding="utf-8")
    site = tmp_path / "site"
    done = run(system, str(source), str(site))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    settings = tomllib.loads((site / "masthead.toml").read_text("utf-8"))
    assert set(settings) == {"title", "base_url", "language", "timezone"}, settings
    assert settings["base_url"] == PLACEHOLDER and "\n" not in settings["title"]
    assert "base_url is https://example.org/" in done.stdout
    assert not (tmp_path / "elsewhere").exists()
    _build(site)
    assert not Path("/tmp/elsewhere").exists() or "dist" not in os.listdir("/tmp/elsewhere")


def _outside(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    (outside / "folder").mkdir(parents=True)
    (outside / "secret.md").write_text(f"---\ntitle: {SECRET}\n---\n{SECRET}\n")
    (outside / "folder" / "secret.png").write_text(SECRET)
    return outside


def test_links_out_of_a_jekyll_or_hugo_source_are_never_followed(tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    jekyll = write(tmp_path / "jekyll", {
        "_config.yml": "title: Вестник\nurl: https://old.example.org\n",
        "_posts/2024-03-01-real.md": "---\ntitle: Настоящий\n---\nТекст.\n",
        "assets/real.png": "png"})
    (jekyll / "_posts" / "2024-03-02-linked.md").symlink_to(outside / "secret.md")
    (jekyll / "_drafts").symlink_to(outside)  # a whole folder of the source
    (jekyll / "assets" / "secret.png").symlink_to(outside / "folder" / "secret.png")
    (jekyll / "assets" / "linked-folder").symlink_to(outside / "folder")
    (jekyll / "media").symlink_to(outside / "folder")  # a static root
    (jekyll / "about.md").symlink_to(outside / "secret.md")
    (jekyll / "assets" / "inside.png").symlink_to(jekyll / "assets" / "real.png")
    hugo = write(tmp_path / "hugo", {
        "hugo.toml": 'title = "Ledger"\nbaseURL = "https://old.example.org/"\n',
        "content/posts/real.md": "---\ntitle: Real\ndate: 2024-03-01\n---\nText.\n",
        "content/posts/bundle/index.md": "---\ntitle: Bundle\ndate: 2024-03-02\n---\nx\n"})
    (hugo / "content" / "posts" / "linked.md").symlink_to(outside / "secret.md")
    (hugo / "content" / "posts" / "bundle" / "secret.png").symlink_to(
        outside / "folder" / "secret.png")
    (hugo / "static").symlink_to(outside / "folder")
    (hugo / "content" / "section").symlink_to(outside)
    for system, source in (("jekyll", jekyll), ("hugo", hugo)):
        site = tmp_path / f"site-{system}"
        done = run(system, str(source), str(site))
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
        assert SECRET not in _all_text(site), system
        assert "a link to a place outside the site's folder; left out" in done.stdout
        _build(site)
        assert SECRET not in _all_text(site / "dist")
    out = run("jekyll", str(jekyll), str(tmp_path / "again")).stdout
    for name in ("_posts/2024-03-02-linked.md", "assets/secret.png", "about.md", "_drafts",
                 "media"):
        assert f"warning: {name}: a link" in out, (name, out)
    assert "assets/linked-folder: a linked folder; not followed" in out
    assert (tmp_path / "again" / "public" / "assets" / "inside.png").read_text() == "png"


def test_names_no_file_system_likes_are_cleaned_or_said(tmp_path: Path) -> None:
    source = write(tmp_path / "old", {
        "_config.yml": "title: Вестник\nurl: https://old.example.org\n",
        "_posts/2024-03-01-" + "я" * 110 + ".md": "---\ntitle: Длинное\n---\nТекст.\n",
        "_posts/2024-03-02-cafe\u0301.md": "---\ntitle: Кафе\n---\nТекст.\n",
        "assets/ok.png": "png"})
    posts = os.fsencode(source / "_posts")
    with open(os.path.join(posts, b"2024-03-03-\xff\xfe-latin1.md"), "wb") as file:
        file.write(b"---\ntitle: Latin\n---\nx\n")
    with open(os.path.join(os.fsencode(source / "assets"), b"\xe9t\xe9.png"), "wb") as file:
        file.write(b"png")
    site = tmp_path / "site"
    done = run("jekyll", str(source), str(site))
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert "the file name is not UTF-8; left out (rename it)" in done.stdout
    assert "_posts/2024-03-03-\\xff\\xfe-latin1.md" in done.stdout
    names = [p.name for p in (site / "content" / "posts").iterdir()]
    assert all(len(n.encode()) <= 255 for n in names)
    assert "café.md" in names  # NFC, whatever the source's file system wrote
    _build(site)


def test_a_hugo_home_page_text_and_a_site_that_is_a_file(tmp_path: Path) -> None:
    source = write(tmp_path / "old", {
        "hugo.toml": 'title = "Ledger"\n', "content/index.md": "---\ntitle: Home\n---\nHi\n",
        "content/posts/a.md": "---\ntitle: A\ndate: 2024-03-01\n---\nx\n"})
    done = run("hugo", str(source), str(tmp_path / "site"))
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert "skipped: content/index.md: the home page's text" in done.stdout
    (tmp_path / "file").write_text("x")
    for system, what in (("hugo", source), ("wordpress", export(tmp_path, ""))):
        refused = run(system, str(what), str(tmp_path / "file"))
        assert refused.returncode == 1 and "Traceback" not in refused.stderr
        assert "is a file, not a folder" in refused.stderr


def test_redirects_never_take_a_live_page(tmp_path: Path) -> None:
    items = (item(10, "Дельта", "delta", "Текст.", link="https://old.example.org/?p=10")
             + item(11, "О нас", "o-nas", "Кто мы.", kind="page",
                    link="https://old.example.org/o-nas/")
             + item(12, "Старое о нас", "old-about", "x", link="https://old.example.org/o-nas/")
             + item(13, "Лента", "lenta", "x", link="https://old.example.org/feed.json")
             + item(14, "Карта", "karta", "x", link="https://old.example.org/sitemap.xml/")
             + item(15, "Страница", "stranica", "x", link="https://old.example.org/page/2/")
             + item(16, "Верно", "verno", "x", link="https://old.example.org/2024/verno/"))
    site = tmp_path / "site"
    done = run("wordpress", str(export(tmp_path, items)), str(site))
    assert done.returncode == 0, done.stderr
    mapping = (site / "redirects.nginx").read_text()
    keys = [line.split('"')[1] for line in mapping.splitlines() if line.startswith('    "')]
    assert "/2024/verno/" in keys
    for live in ("/", "/o-nas/", "/o-nas", "/feed.json", "/sitemap.xml/", "/page/2/"):
        assert live not in keys, live
    assert "the old address /o-nas/ is a page of the new site; it is not redirected" in \
        done.stdout
    assert not (site / "public" / "sitemap.xml").exists()
    assert not (site / "public" / "feed.json").exists()
    _build(site)


def test_the_nginx_map_carries_hostile_paths_as_they_are(tmp_path: Path) -> None:
    """Real nginx reads the map: each key, with quotes, backslashes, braces, dollars and
    semicolons in it, redirects its own path and nothing else."""
    hostile = ['/a"b/', "/a\\b/", "/a$host/", "/a{b}c/", "/a;b/", "/a'b/", "/пример/",
               "/a b/", "/#x/"]
    redirects = {old: f"/posts/new-{n}/" for n, old in enumerate(hostile)}
    redirects["/x/"] = "/posts/$host/"  # a value nginx must not read as a variable
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "nginx-headers.conf").write_text("")
    (tmp_path / "redirects.nginx").write_text(nginx_map(redirects))
    with nginx_serving(tmp_path / "root",
                       http_extra=f"include {tmp_path / 'redirects.nginx'};",
                       server_extra="if ($masthead_redirect) { return 301 "
                                    "$masthead_redirect; }") as url:
        for old, new in redirects.items():
            request = urllib.request.Request(url + urllib.request.quote(old))
            opener = urllib.request.build_opener(_NoRedirect)
            with pytest.raises(urllib.error.HTTPError) as answer:
                opener.open(request, timeout=10)
            with answer.value:
                assert answer.value.code == 301, old
                location = answer.value.headers["Location"]
            assert location.endswith(new.replace("$", "%24")), (old, location)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def test_attachment_addresses_that_climb_or_hold_nul_stay_in_their_folders(
        tmp_path: Path) -> None:
    from tests.importers.test_wordpress import ATTACHMENT

    uploads = tmp_path / "deep" / "er" / "up"
    (uploads / "2024").mkdir(parents=True)
    (uploads / "2024" / "real.jpg").write_bytes(b"jpeg")
    (tmp_path / "secret.txt").write_text(SECRET)
    climb = "../" * 12 + str(uploads).lstrip("/") + "/2024/real.jpg"
    items = (item(10, "Дельта", "delta", "Текст.")
             + ATTACHMENT.format(id=21, rel=climb)
             + ATTACHMENT.format(id=22, rel="2024/real%00.jpg")
             + ATTACHMENT.format(id=23, rel="../../../secret.txt")
             + ATTACHMENT.format(id=24, rel="2024/../2024/real.jpg"))
    site = tmp_path / "site"
    done = run("wordpress", str(export(tmp_path, items)), str(site), "--uploads", str(uploads))
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    written = [p for p in tmp_path.rglob("*") if p.is_file()
               and not p.is_relative_to(site) and not p.is_relative_to(tmp_path / "deep")]
    assert sorted(p.name for p in written) == ["export.xml", "secret.txt"]
    assert (site / "public" / "uploads" / "2024" / "real.jpg").read_bytes() == b"jpeg"
    assert SECRET not in _all_text(site)
