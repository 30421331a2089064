"""What real archives hold, one item in thousands: a PNG every browser shows that a strict
decoder refuses, a draft dated with PHP's zero date, a round-up with more tags than the
limit, a picture written relative to the file or as a data: address. Each is mended,
kept as it is or left out with a warning; the archive builds."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest

from masthead.config import load_config
from masthead.errors import BuildFailed
from masthead.options import BuildOptions
from masthead.pipeline import build_site
from tests.conftest import NOW, post, write_site


def _png(width: int = 800, height: int = 600) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 80, 120)).save(out, "PNG")
    return out.getvalue()


def _chunk(kind: bytes, data: bytes, crc: int | None = None) -> bytes:
    value = zlib.crc32(kind + data) if crc is None else crc
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", value)


def _bad_text_checksum() -> bytes:
    """A tEXt chunk (which a PNG does not need) with a wrong checksum: browsers show the
    picture, a strict decoder refuses the file."""
    data = _png()
    return data[:33] + _chunk(b"tEXt", b"Comment\x00made by a 2009 plugin", crc=0) + data[33:]


def _broken_pixels() -> bytes:
    """A PNG whose header is right and whose pixels are missing: not even a tolerant
    decoder can make variants of it (one with damaged pixels is decoded as far as it
    goes, as browsers do)."""
    return _png()[:33] + _chunk(b"IEND", b"")


SETTINGS = 'title = "Archive"\nbase_url = "https://example.org/"\nsearch = false\n'


def test_an_archive_with_one_odd_item_of_each_kind_builds(tmp_path: Path) -> None:
    tags = [f"tag{n}" for n in range(109)]
    site = write_site(tmp_path / "site", {
        "masthead.toml": SETTINGS,
        "content/posts/checksum.md": post("Checksum", image="/images/checksum.png"),
        "content/posts/pixels.md": post("Pixels", image="/images/pixels.png"),
        "content/posts/zero.md": post("Zero", date="-0001-11-30T00:00:00+00:00", draft=True),
        "content/posts/zero-too.md": post("Zero too", date="0000-00-00 00:00:00",
                                          draft=True, category="Nowhere", tags="[a, {b: c}]"),
        "content/posts/round-up.md": post("Round-up", tags=tags),
        "content/posts/relative.md": post("Relative",
                                          image="../wp-content/uploads/2019/05/photo.png"),
        "content/posts/inline.md": post("Inline",
                                        image="data:image/png;base64,iVBORw0KGgo="),
        "public/images/checksum.png": _bad_text_checksum(),
        "public/images/pixels.png": _broken_pixels(),
        "public/wp-content/uploads/2019/05/photo.png": _png(400, 300)})
    out = tmp_path / "out"
    report = build_site(load_config(site), out, BuildOptions(now=NOW))
    said = "\n".join(f"{d.location()}: {d.message}" for d in report.diagnostics)
    assert not [d for d in report.diagnostics if d.severity.name == "ERROR"], said
    # The checksum is forgiven as browsers forgive it: variants are made.
    page = (out / "posts" / "checksum" / "index.html").read_text()
    assert "/_img/" in page and "checksum.png" not in said
    # Pixels that cannot be decoded: the file as it is, no variants, said.
    assert "public/images/pixels.png: could not be decoded" in said
    assert "published as it is, without smaller versions" in said
    assert (out / "images" / "pixels.png").read_bytes() == _broken_pixels()
    assert 'src="/images/pixels.png"' in (out / "posts" / "pixels" / "index.html").read_text()
    # Drafts with zero dates and other slips: warnings, never a stopped build.
    assert "content/posts/zero.md:3: 'date' is a zero date" in said
    assert "(a draft: left out until this is mended)" in said
    assert not (out / "posts" / "zero").exists()
    # 109 tags: the first 100.
    assert "this one has 109: the first 100 are kept" in said
    round_up = (out / "posts" / "round-up" / "index.html").read_text()
    assert "/tags/tag99/" in round_up and "/tags/tag100/" not in round_up
    # A relative picture mended; a data: address left out.
    assert ("image '../wp-content/uploads/2019/05/photo.png' is written relative to the "
            "file; read as '/wp-content/uploads/2019/05/photo.png'") in said
    assert "/wp-content/uploads/2019/05/photo" in (
        out / "posts" / "relative" / "index.html").read_text()
    assert "content/posts/inline.md:6: image 'data:image/png;base64,iVBORw0KGgo='... is " \
           "written into the file" in said


def test_a_published_story_with_a_zero_date_is_an_error_that_says_so(
        tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {
        "masthead.toml": SETTINGS,
        "content/posts/zero.md": post("Zero", date="0000-00-00 00:00:00")})
    with pytest.raises(BuildFailed) as failed:
        build_site(load_config(site), tmp_path / "out", BuildOptions(now=NOW))
    [problem] = [d for d in failed.value.diagnostics if d.severity.name == "ERROR"]
    assert "'date' is a zero date (0000-00-00 00:00:00)" in problem.message
    assert "give the story its date" in (problem.hint or "")


def test_an_import_says_what_it_left_and_builds_without_a_warning_per_date(
        tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.importers.test_wordpress import export, item

    comment = ("<wp:comment><wp:comment_id>{n}</wp:comment_id><wp:comment_approved>1"
               "</wp:comment_approved></wp:comment>")
    menu = ("<item><title>Home</title><wp:post_id>90</wp:post_id><wp:post_type>nav_menu_item"
            "</wp:post_type><wp:status>publish</wp:status></item>")
    body = ('[simple boat] on the river.\n\n[poll id="7"]\n\n'
            '[audio mp3="https://old.example.org/wp-content/uploads/2024/03/song.mp3"]')
    items = (item(10, "Дельта", "delta", body, extra=comment.format(n=1) + comment.format(n=2))
             + menu)
    site = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "masthead", "import", "wordpress",
                           str(export(tmp_path, items)), str(site)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "skipped: 1 menu items: menus are not imported" in done.stdout
    assert "skipped: 2 approved comments on 1 posts" in done.stdout
    assert "unknown shortcode [poll] kept as text" in done.stdout
    assert "[simple]" not in done.stdout
    report = build_site(load_config(site, {"search": "false", "images": "false"}),
                        site / "dist", BuildOptions(now=NOW))
    said = [d.message for d in report.diagnostics]
    assert not [m for m in said if "time zone offset" in m], said
    headers = (site / "dist" / "_headers").read_text()
    assert "media-src 'self' https://old.example.org;" in headers
    assert 'src="https://old.example.org/wp-content/uploads/2024/03/song.mp3"' in (
        site / "dist" / "posts" / "delta" / "index.html").read_text()


def test_jekyll_and_hugo_dates_take_the_old_site_s_time_zone(tmp_path: Path) -> None:
    from masthead.importers.markdown_source import normal_date, source_zone
    from masthead.importers.records import ImportReport

    report = ImportReport()
    moscow = source_zone({"timezone": "Europe/Moscow"}, "timezone", report)
    assert normal_date("2024-03-01", moscow) == "2024-03-01T00:00:00+03:00"
    assert normal_date("2024-03-01 10:30", moscow) == "2024-03-01T10:30:00+03:00"
    assert normal_date("2024-03-01 10:30:00 +0500", moscow) == "2024-03-01T10:30:00+05:00"
    assert not report.warnings
    assert source_zone({}, "timeZone", report) is not None
    assert report.warnings == ["the old site's settings name no time zone ('timeZone'); "
                               "dates without an offset are read as UTC"]
