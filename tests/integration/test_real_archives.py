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

from masthead.build import build_site
from masthead.config import load_config
from masthead.content.load import BuildOptions
from masthead.errors import BuildFailed
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
