"""Responsive images: variants of used images only, cached by content, never upscaled."""

from __future__ import annotations

import io
import os
import random
import re
from pathlib import Path

import pytest
from PIL import Image

from masthead.config import load_config
from masthead.errors import BuildFailed
from masthead.incremental import BuildCache
from masthead.options import BuildOptions
from masthead.output import MemorySink
from masthead.pipeline import build, build_site
from tests.conftest import NOW, post, write_site


def photo(width: int, height: int, orientation: int = 1, fmt: str = "JPEG") -> bytes:
    """A noisy picture (flat colours would compress too well to be realistic)."""
    rng = random.Random(width * height)
    image = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    image = image.resize((width, height)).convert("RGB")
    buffer = io.BytesIO()
    exif = Image.Exif()
    if orientation != 1:
        exif[0x0112] = orientation
    image.save(buffer, fmt, quality=92, exif=exif.tobytes())
    return buffer.getvalue()


def site_files(**extra: str | bytes) -> dict[str, str | bytes]:
    return {
        "content/posts/a.md": post("Big picture", image="/images/big.jpg",
                                   body="Text.\n\n![A field](/images/small.jpg)\n"),
        "public/images/big.jpg": photo(1600, 1000),
        "public/images/small.jpg": photo(500, 300),
        "public/images/unused.jpg": photo(900, 600),
        "public/images/turned.jpg": photo(600, 400, orientation=6),
        **extra,
    }


def _build(root: Path, cache: Path) -> tuple[MemorySink, int]:
    sink = MemorySink()
    report = build(load_config(root), sink, BuildOptions(now=NOW), image_cache=cache)
    return sink, report.variants_encoded


def test_used_images_get_avif_and_webp_variants_up_to_their_width(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", site_files())
    sink, encoded = _build(root, tmp_path / "cache")
    variants = sorted(rel for rel in sink.files if rel.startswith("_img/"))
    widths = {(m.group(1), int(m.group(2)), m.group(3))
              for m in (re.match(r"_img/(\w+)-\w+-(\d+)\.(\w+)$", v) for v in variants) if m}
    assert {w for name, w, _f in widths if name == "big"} == {320, 640, 960, 1440}
    assert {w for name, w, _f in widths if name == "small"} == {320, 500}  # never upscaled
    assert not any(name == "unused" for name, _w, _f in widths)  # only what pages show
    assert {f for _n, _w, f in widths} == {"avif", "webp"}
    assert encoded >= len(variants)  # a format larger than its original is left out
    for rel in variants:
        with Image.open(io.BytesIO(sink.files[rel])) as image:
            assert image.format == rel.rsplit(".", 1)[1].upper()
            assert image.width == int(rel.rsplit("-", 1)[1].split(".")[0])
    page = sink.text("posts/a/index.html")
    hero = re.search(r'<figure class="hero"><picture>(.*?)</picture>', page)
    assert hero, page
    assert '<source type="image/avif" srcset="/_img/big-' in hero.group(1)
    assert ' 1440w" sizes="(min-width: 60rem) 52rem, 100vw">' in hero.group(1)
    assert '<img src="/images/big.jpg" alt="Big picture" width="1600" height="1000" ' \
           'fetchpriority="high">' in hero.group(1)  # the hero is never lazy
    body_image = re.search(r'<picture>(?:(?!</picture>).)*src="/images/small.jpg"[^>]*>', page)
    assert body_image and 'loading="lazy"' in body_image.group(0)
    assert 'width="500" height="300"' in body_image.group(0)



def test_a_list_fetches_its_first_picture_first(tmp_path: Path) -> None:
    """One picture per page is fetched at high priority; the cards' pictures (on screen
    too, on a phone) wait, so that on a slow line they do not share it with that one."""
    root = write_site(tmp_path / "site", site_files(**{
        "content/posts/b.md": post("Second", image="/images/small.jpg", date="2024-01-01"),
        "content/posts/c.md": post("Third", image="/images/turned.jpg", date="2023-01-01"),
    }))
    sink, _encoded = _build(root, tmp_path / "cache")
    page = sink.text("index.html")
    lead = re.search(r'<a class="lead-image"[^>]*><picture>.*?(<img [^>]*>)', page)
    assert lead and 'fetchpriority="high"' in lead.group(1) and "loading=" not in lead.group(1)
    cards = re.findall(r'<article class="card">(?:(?!</article>).)*?(<img [^>]*>)', page, re.S)
    assert len(cards) == 2, cards
    for card in cards:
        assert 'loading="lazy" decoding="async" fetchpriority="low"' in card, card
    assert page.count('fetchpriority="high"') == 1

def test_a_second_build_encodes_nothing(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", site_files())
    cache = tmp_path / "cache"
    first, encoded = _build(root, cache)
    assert encoded > 0
    times = {p.name: p.stat().st_mtime_ns for p in cache.iterdir()}
    second, encoded_again = _build(root, cache)
    assert encoded_again == 0
    assert {p.name: p.stat().st_mtime_ns for p in cache.iterdir()} == times
    assert second.files == first.files
    # A renamed copy of the same picture shares the variants: still nothing to encode.
    os.replace(root / "public/images/big.jpg", root / "public/images/renamed.jpg")
    (root / "content/posts/a.md").write_text(post("Big picture", image="/images/renamed.jpg"))
    _sink, encoded_renamed = _build(root, cache)
    assert encoded_renamed == 0


def test_the_command_line_build_reuses_variants_across_outputs(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", site_files())
    config = load_config(root)
    first = build_site(config, tmp_path / "out1", BuildOptions(now=NOW),
                       cache=BuildCache(root / ".masthead"))
    assert first.variants_encoded > 0 and (root / ".masthead" / "images").is_dir()
    again = build_site(config, tmp_path / "out2", BuildOptions(now=NOW), cache=None)
    assert again.variants_encoded == 0
    assert sorted(p.name for p in (tmp_path / "out1" / "_img").iterdir()) == \
        sorted(p.name for p in (tmp_path / "out2" / "_img").iterdir())


def test_exif_orientation_gives_the_displayed_size(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", site_files(**{
        "content/posts/b.md": post("Turned", image="/images/turned.jpg")}))
    sink, _encoded = _build(root, tmp_path / "cache")
    page = sink.text("posts/b/index.html")
    assert 'src="/images/turned.jpg" alt="Turned" width="400" height="600"' in page
    turned = [rel for rel in sink.files if rel.startswith("_img/turned-")]
    with Image.open(io.BytesIO(sink.files[max(turned, key=len)])) as image:
        assert image.height > image.width


def test_settings_choose_formats_widths_or_switch_variants_off(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", site_files(**{
        "masthead.toml": 'title = "T"\nbase_url = "https://news.example.org/"\n'
                         'image_formats = ["webp"]\nimage_widths = [800]\n'}))
    sink, _encoded = _build(root, tmp_path / "cache")
    assert sorted(rel.split("-")[-1] for rel in sink.files if rel.startswith("_img/big")) \
        == ["800.webp"]
    root2 = write_site(tmp_path / "site2", site_files(**{
        "masthead.toml": 'title = "T"\nbase_url = "https://news.example.org/"\nimages = false\n'}))
    sink2, encoded = _build(root2, tmp_path / "cache")
    assert encoded == 0 and not any(rel.startswith("_img/") for rel in sink2.files)
    assert "<picture>" not in sink2.text("posts/a/index.html")


def test_bad_image_settings_are_reported(tmp_path: Path) -> None:
    from masthead.errors import ConfigError

    root = write_site(tmp_path / "site", site_files(**{
        "masthead.toml": 'title = "T"\nimage_formats = ["jpegxl"]\nimage_widths = [0]\n'
                         "image_quality = 300\n"}))
    with pytest.raises(ConfigError) as failure:
        load_config(root)
    messages = " | ".join(d.message for d in failure.value.diagnostics)
    assert "unknown image format" in messages and "image_widths" in messages
    assert "image_quality must be between 1 and 100" in messages


def test_an_unreadable_image_is_an_error_naming_the_post_and_line(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", site_files(**{
        "content/posts/c.md": post("Broken", body="Intro.\n\nMore.\n\n![x](/images/broken.jpg)\n"),
        "public/images/broken.jpg": b"this is not a JPEG at all",
    }))
    with pytest.raises(BuildFailed) as failure:
        _build(root, tmp_path / "cache")
    [problem] = [d for d in failure.value.diagnostics if "broken.jpg" in d.message]
    assert problem.path == "content/posts/c.md"
    assert problem.line == 11  # the line of the image in the file
    assert "cannot be read as an image" in problem.message
    assert "public/images/broken.jpg" in (problem.hint or "")


def test_only_widths_a_layout_can_show_and_a_small_favicon(tmp_path: Path) -> None:
    """An author's photo is never shown wider than 12rem (576 device pixels on a 3x
    phone): its 960 and 1440 variants would never be downloaded. A story's picture of the
    same size gets them all. A photo given as the favicon becomes small PNGs."""
    root = write_site(tmp_path / "site", {
        "content/posts/a.md": post("Big picture", image="/images/big.jpg"),
        "content/authors/ann.md": '---\nname: "Ann Lee"\nimage: "/images/face.jpg"\n---\n',
        "public/images/big.jpg": photo(1600, 1000),
        "public/images/face.jpg": photo(1600, 1000),
        "masthead.toml": 'title = "Test Times"\nbase_url = "https://news.example.org/"\n'
                         'favicon = "/images/big.jpg"\n'})
    sink, _encoded = _build(root, tmp_path / "cache")
    widths: dict[str, set[int]] = {}
    for rel in sink.files:
        found = re.match(r"_img/(\w+)-\w+-(\d+)\.(avif|webp|png)$", rel)
        if found:
            widths.setdefault(found.group(1), set()).add(int(found.group(2)))
    assert widths["big"] == {320, 640, 960, 1440}
    assert widths["face"] == {320, 640}
    assert widths["favicon"] == {32, 180}
    home = sink.text("index.html")
    assert re.search(r'<link rel="icon" type="image/png" sizes="32x20" href="/_img/favicon-'
                     r'\w+-32\.png">', home)
    assert 'href="/images/big.jpg"' not in home.split("</head>")[0].split("og:image")[0]


def test_fast_encoding_is_a_setting_with_its_own_cache_names(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", site_files())
    default, _ = _build(root, tmp_path / "cache")
    sink = MemorySink()
    build(load_config(root, {"image_encoding": '"fast"'}), sink, BuildOptions(now=NOW),
          image_cache=tmp_path / "cache")
    for suffix in (".avif", ".webp"):
        fast = {rel for rel in sink.files if rel.endswith(suffix)}
        assert fast and fast.isdisjoint(rel for rel in default.files if rel.endswith(suffix))
    from masthead.errors import ConfigError

    with pytest.raises(ConfigError) as refused:
        load_config(root, {"image_encoding": '"quick"'})
    assert "image_encoding must be one of small, fast" in str(refused.value.diagnostics)
