"""Which files are content, and what discovery says of each (kind, language, slug)."""

import os
from pathlib import Path

import pytest

from masthead.config import load_config
from masthead.content.discover import detect_layout, discover


def _touch(root: Path, rels: list[str]) -> None:
    for rel in rels:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("---\ntitle: x\n---\n", encoding="utf-8")
    (root / "masthead.toml").write_text('title = "T"\n', encoding="utf-8")


def test_finds_markdown_in_each_folder_sorted_with_kind_language_and_slug(
        tmp_path: Path) -> None:
    _touch(tmp_path, [
        "content/posts/en/b.md", "content/posts/en/a.MD", "content/posts/ru/a.markdown",
        "content/posts/en/2024/deep.md",  # below a language folder: that language
        "content/posts/en/_draft.md", "content/posts/en/.hidden.md",  # skipped
        "content/posts/en/_parts/x.md", "content/posts/en/notes.txt",  # skipped
        "content/people/ann.md",  # people/ instead of authors/
        "content/categories/news.md", "content/pages/about.md", "content/shared/newsletter.md",
        "content/videos/clip.md",  # a collection found by its folder
        "content/other/ignored.md",  # not a content folder
    ])
    (tmp_path / "content/posts/en/folder.md").mkdir()  # a folder named like a file
    config = load_config(tmp_path)
    layout = detect_layout(config)
    assert layout.languages[:2] == ("en", "ru") and layout.localized
    assert layout.authors_folder == "people"

    found = discover(config, layout, stat=False)

    assert [(f.rel, f.kind, f.lang, f.slug) for f in found] == [
        ("content/posts/en/2024/deep.md", "posts", "en", "deep"),
        ("content/posts/en/a.MD", "posts", "en", "a"),
        ("content/posts/en/b.md", "posts", "en", "b"),
        ("content/posts/ru/a.markdown", "posts", "ru", "a"),
        ("content/people/ann.md", "authors", None, "ann"),
        ("content/categories/news.md", "categories", None, "news"),
        ("content/pages/about.md", "pages", None, "about"),
        ("content/shared/newsletter.md", "shared", None, "newsletter"),
        ("content/videos/clip.md", "videos", None, "clip"),
    ]
    assert all(f.file == str(tmp_path.resolve() / f.rel) for f in found)
    assert {(f.mtime_ns, f.size) for f in found} == {(0, -1)}  # not asked for


def test_a_folder_that_is_no_language_gives_no_language(tmp_path: Path) -> None:
    _touch(tmp_path, ["content/posts/2024/a.md", "content/posts/b.md"])
    config = load_config(tmp_path)
    found = discover(config, detect_layout(config))
    assert [(f.rel, f.lang) for f in found] == [("content/posts/2024/a.md", None),
                                                 ("content/posts/b.md", None)]
    for source in found:  # with stat (the build cache's), each file's own
        stat = os.stat(source.file)
        assert (source.mtime_ns, source.size) == (stat.st_mtime_ns, stat.st_size)


def test_a_folder_is_a_language_only_when_it_is_one(tmp_path: Path) -> None:
    """``old/`` under posts is a folder (once it became ``<html lang="old">``); ``ru/`` is
    a language; ``xal/`` (Kalmyk, no two-letter code) is one when the settings say so."""
    from masthead.errors import BuildFailed
    from masthead.options import BuildOptions
    from masthead.pipeline import build_site
    from tests.conftest import NOW, post, write_site

    root = write_site(tmp_path / "site", {
        "content/posts/en/a.md": post("English"), "content/posts/ru/a.md": post("Русский"),
        "content/posts/old/b.md": post("Old folder"),
        "content/posts/xal/c.md": post("Хальмг")})
    out = tmp_path / "out"
    report = build_site(load_config(root), out, BuildOptions(now=NOW))
    said = [f"{d.path}: {d.message}" for d in report.diagnostics]
    assert not (out / "old").exists() and not (out / "xal").exists()
    assert '<html lang="en"' in (out / "posts" / "b" / "index.html").read_text()
    assert any(line.startswith("content/posts/xal: is named like a language") for line in said)
    settings = root / "masthead.toml"
    settings.write_text('languages = ["en", "ru", "xal"]\n' + settings.read_text())
    build_site(load_config(root), out, BuildOptions(now=NOW))
    assert '<html lang="xal"' in (out / "xal" / "posts" / "c" / "index.html").read_text()
    # Two files for one address are an error naming both, whatever folders they are in.
    (root / "content" / "posts" / "old" / "a.md").write_text(post("Twin"))
    (root / "content" / "posts" / "en" / "b.md").write_text(post("Other twin"))
    with pytest.raises(BuildFailed) as failed:
        build_site(load_config(root), out, BuildOptions(now=NOW))
    said = " | ".join(f"{d.path}: {d.message}" for d in failed.value.diagnostics)
    assert "content/posts/old/b.md" in said and "content/posts/en/b.md" in said, said
