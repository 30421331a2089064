"""Files a site publishes that came from elsewhere: pictures and pages in public/ (an
import's uploads, a Hugo bundle, a reader's photo), descriptions in feeds, pictures
whose header claims billions of pixels, names that meet on other hosts. None runs
script on the site's origin, none stops a build with a traceback, each is said."""

from __future__ import annotations

import functools
import http.server
import struct
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import feedparser
import pytest

from masthead.config import load_config
from masthead.errors import BuildFailed
from masthead.options import BuildOptions
from masthead.pipeline import build_site
from tests.conftest import NOW, post, write_site

SVG_ATTACKS = {
    "onload.svg": '<svg xmlns="http://www.w3.org/2000/svg" onload="window.top.pwned=1">'
                  '<rect width="9" height="9"/></svg>',
    "script.svg": '<svg xmlns="http://www.w3.org/2000/svg"><script>window.top.pwned=2'
                  '</script><circle r="4"/></svg>',
    "link.svg": '<svg xmlns="http://www.w3.org/2000/svg" '
                'xmlns:xlink="http://www.w3.org/1999/xlink"><a xlink:href="javascript:'
                'window.top.pwned=3"><text y="9">x</text></a></svg>',
    "foreign.svg": '<svg xmlns="http://www.w3.org/2000/svg"><foreignObject width="9" '
                   'height="9"><img xmlns="http://www.w3.org/1999/xhtml" src="x" '
                   'onerror="window.top.pwned=4"/></foreignObject></svg>',
    "animate.svg": '<svg xmlns="http://www.w3.org/2000/svg"><a><animate attributeName='
                   '"href" to="javascript:window.top.pwned=5"/><text y="9">y</text></a>'
                   '</svg>',
}
PAGE_ATTACKS = {
    "page.html": "<!doctype html><html><head><title>x</title></head><body>"
                 "<script>window.pwned=6</script><img src=x onerror='window.pwned=7'>"
                 "<script src='/helper.js'></script></body></html>",
    "bare.htm": "<script>window.pwned=8</script>",
    "bom.html": "\ufeff<!DOCTYPE html>\n<body onload='window.pwned=9'>x</body>",
    "helper.js": "window.pwned = 10;",
}
REFUSED = {
    "page.xhtml": '<html xmlns="http://www.w3.org/1999/xhtml"><body><script>'
                  "window.pwned=11</script></body></html>",
    "data.xml": '<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><script>'
                "window.pwned=12</script></html>",
    "styled.xml": '<?xml version="1.0"?><?xml-stylesheet type="text/xsl" href="/x.xsl"?><a/>',
}
KEPT = {"plain.xml": '<?xml version="1.0"?><rss><channel><title>x</title></channel></rss>',
        "google0123.html": "google-site-verification: google0123.html"}


def _site(tmp_path: Path, extra: str = "") -> Path:
    public = {f"public/{name}": text for name, text in
              {**SVG_ATTACKS, **PAGE_ATTACKS, **REFUSED, **KEPT}.items()}
    return write_site(tmp_path / "site", {
        "masthead.toml": 'title = "T"\nbase_url = "https://example.org/"\nsearch = false\n'
                         + extra,
        "content/posts/a.md": post("A"), **public})


def _build(site: Path) -> tuple[Path, list[str]]:
    out = site / "dist"
    report = build_site(load_config(site, {"images": "false"}), out, BuildOptions(now=NOW))
    return out, [f"{d.path}: {d.message}" for d in report.diagnostics]


def test_active_files_are_published_made_safe_or_not_at_all(tmp_path: Path) -> None:
    out, said = _build(_site(tmp_path))
    for name in SVG_ATTACKS:
        text = (out / name).read_text()
        assert "javascript:" not in text and "<script" not in text and "on" + "load" not in text
        assert "foreignObject" not in text
        assert f"public/{name}: had script, event handlers or outside links" in "\n".join(said)
    for name in ("page.html", "bare.htm", "bom.html"):
        text = (out / name).read_text("utf-8-sig")
        assert '<meta http-equiv="Content-Security-Policy"' in text.split("pwned")[0]
        assert "script-src 'none'" in text
    for name in REFUSED:
        assert not (out / name).exists(), name
        assert any(line.startswith(f"public/{name}: would be shown by browsers") for line in
                   said)
    for name, text in KEPT.items():
        assert (out / name).read_text() == text  # data and plain text: byte for byte


def test_a_site_that_trusts_its_public_folder_keeps_it_as_it_is(tmp_path: Path) -> None:
    out, said = _build(_site(tmp_path, "trust_public = true\n"))
    for name, text in {**SVG_ATTACKS, **PAGE_ATTACKS, **REFUSED}.items():
        assert (out / name).read_text() == text
    assert not [line for line in said if "script" in line]


@contextmanager
def _plain_server(folder: Path) -> Iterator[str]:
    """A host that sends no security headers at all (a bucket, a plain mirror)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *_: None  # type: ignore[assignment]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.browser
def test_no_published_file_runs_script_on_a_host_without_headers(
        tmp_path: Path, browser: object) -> None:
    out, _ = _build(_site(tmp_path))
    (out / "frame.html").write_text(  # the pictures shown the way a reader would meet them
        "<!doctype html><body>" + "".join(
            f'<iframe src="/{name}"></iframe><object data="/{name}"></object>'
            f'<img src="/{name}">' for name in SVG_ATTACKS) + "</body>")
    context = browser.new_context()  # type: ignore[attr-defined]
    try:
        page = context.new_page()
        with _plain_server(out) as url:
            for name in [*SVG_ATTACKS, "page.html", "bare.htm", "bom.html", "frame.html"]:
                page.goto(f"{url}/{name}")
                page.wait_for_load_state("load")
                page.wait_for_timeout(100)
                assert page.evaluate("window.pwned === undefined"), name
                for link in page.query_selector_all("a"):
                    link.click()
                assert page.evaluate("window.pwned === undefined"), name
    finally:
        context.close()


def test_rss_readers_show_a_description_as_text(tmp_path: Path) -> None:
    """RSS readers take a description to be HTML: one that says <img onerror> must reach
    them as those characters (Atom and JSON Feed mark it as text already)."""
    hostile = '<img src=x onerror="alert(1)"> & <b>bold</b>'
    site = write_site(tmp_path / "site", {
        "masthead.toml": 'title = "T"\nbase_url = "https://example.org/"\nsearch = false\n'
                         'description = "<script>alert(2)</script>"\n',
        "content/posts/a.md": post("A", description=hostile)})
    out, _ = _build(site)
    feed = feedparser.parse((out / "feed.xml").read_bytes())
    entry = feed.entries[0]
    assert entry.summary_detail.type == "text/html"
    assert entry.summary == hostile.replace("&", "&amp;").replace("<", "&lt;").replace(
        ">", "&gt;")  # as HTML: the characters, shown
    assert "<img" not in entry.summary and "<script" not in feed.feed.subtitle
    atom = feedparser.parse((out / "atom.xml").read_bytes()).entries[0]
    assert atom.summary_detail.type == "text/plain" and atom.summary == hostile


def _png(width: int, height: int, rows: int) -> bytes:
    """A real PNG of ``width`` x ``height`` black pixels (1 bit each, ``rows`` of them
    written: a truncated file when fewer), compressed as it is written."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    packer = zlib.compressobj(9)
    row = b"\0" * (1 + (width + 7) // 8)
    body = b"".join(packer.compress(row) for _ in range(rows)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body)
            + chunk(b"IEND", b""))


def test_pictures_of_billions_of_pixels_are_never_decoded(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {
        "masthead.toml": 'title = "T"\nbase_url = "https://example.org/"\nsearch = false\n',
        "content/posts/claims.md": post("Claims", image="/images/claims.png"),
        "content/posts/real.md": post("Real", image="/images/real.png",
                                      body="![a](/images/real.png)"),
        "content/posts/nul.md": post("Nul", image="/images/a\u0000.png"),
        "public/images/claims.png": _png(60000, 60000, 10),  # the header alone claims it
        "public/images/real.png": _png(50000, 50000, 50000)})  # every row, blank
    out = site / "dist"
    report = build_site(load_config(site), out, BuildOptions(now=NOW))
    said = "\n".join(f"{d.path}: {d.message}" for d in report.diagnostics)
    for name, size in (("claims", "60000 x 60000"), ("real", "50000 x 50000")):
        assert (f"public/images/{name}.png: has {size} pixels, over the 150-megapixel limit: "
                "published as it is, without smaller versions") in said
        assert (out / "images" / f"{name}.png").read_bytes() == (
            site / "public" / "images" / f"{name}.png").read_bytes()
    assert not [e for e in report.diagnostics if e.severity.name == "ERROR"]


def test_names_that_meet_on_other_hosts_and_files_in_the_way(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {
        "content/posts/cafe\u0301.md": post("NFD"), "content/posts/caf\u00e9.md": post("NFC"),
        "content/posts/long.md": post("Long", category="Я" * 200, tags=["т" * 300]),
        "public/Photos/a.txt": "a", "public/photos/a.txt": "b",
        "public/feed.xml/index.html": "<p>x</p>", "public/robots.txt/x": "x",
        "public/assets": "a file where the theme's folder goes"})
    with pytest.raises(BuildFailed) as failed:
        build_site(load_config(site), site / "dist", BuildOptions(now=NOW))
    said = "\n".join(f"{d.path}: {d.message}" for d in failed.value.diagnostics)
    assert "duplicate slug 'café'" in said
    assert ("public/Photos/a.txt and public/photos/a.txt are one file on hosts that ignore "
            "case") in said
    assert "public/feed.xml/index.html: is inside /feed.xml, a file masthead makes" in said
    assert "public/robots.txt/x: is inside /robots.txt" in said
    assert "public/assets: has the name of a folder masthead makes" in said
    (site / "content" / "posts" / "caf\u00e9.md").unlink()
    (site / "public" / "Photos" / "a.txt").unlink()
    report = build_site(load_config(site), site / "dist", BuildOptions(now=NOW))
    assert report.pages and (site / "dist" / "posts" / "café" / "index.html").is_file()
    assert all(len(part.encode()) <= 255 for path in (site / "dist").rglob("*")
               for part in path.relative_to(site / "dist").parts)
