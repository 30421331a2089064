"""Rebuilds with the cache: nothing to do, scheduled posts falling due, template edits."""

import datetime as dt
import json
from pathlib import Path

from masthead.build import build_site
from masthead.config import load_config
from masthead.content.load import BuildOptions
from masthead.incremental import BuildCache
from tests.conftest import NOW, post, write_site


def _build(root: Path, now: dt.datetime = NOW) -> object:
    return build_site(load_config(root), root / "dist", BuildOptions(now=now), jobs=1,
                      cache=BuildCache(root / ".masthead"))


def test_nothing_changed_means_nothing_is_done(tmp_path: Path) -> None:
    root = write_site(tmp_path, {"content/posts/a.md": post(date="2024-01-01")})
    first = _build(root)
    before = {p: p.stat().st_mtime_ns for p in (root / "dist").rglob("*.html")}
    second = _build(root)
    assert second.unchanged_pages == len(first.routes) > 0  # type: ignore[attr-defined]
    assert second.pages == 0  # type: ignore[attr-defined]
    assert [d.message for d in second.diagnostics] == [  # type: ignore[attr-defined]
        "'date' has no time zone offset; read in UTC"]
    assert before == {p: p.stat().st_mtime_ns for p in (root / "dist").rglob("*.html")}


def test_a_scheduled_post_appears_when_its_time_comes(tmp_path: Path) -> None:
    root = write_site(tmp_path, {"content/posts/a.md": post(),
                                 "content/posts/later.md": post(date="2025-06-01T00:00:00Z")})
    _build(root, NOW)
    assert not (root / "dist/posts/later").exists()
    assert _build(root, NOW).unchanged_pages  # type: ignore[attr-defined]
    _build(root, dt.datetime(2025, 6, 2, tzinfo=dt.UTC))
    assert (root / "dist/posts/later/index.html").exists()


def test_a_template_edit_rebuilds(tmp_path: Path) -> None:
    root = write_site(tmp_path, {"content/posts/a.md": post()})
    _build(root)
    (root / "templates").mkdir()
    (root / "templates/404.html").write_text("<!doctype html><title>x</title><p>Lost</p>")
    report = _build(root)
    assert not report.unchanged_pages  # type: ignore[attr-defined]
    assert "Lost" in (root / "dist/404.html").read_text()


def test_the_search_index_after_updates_equals_a_clean_one(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", {"content/posts/a.md": post("Alpha river"),
                                          "content/posts/b.md": post("Beta steppe")})
    _build(root)
    (root / "content/posts/b.md").unlink()
    (root / "content/posts/a.md").write_text(post("Alpha delta"))
    report = build_site(load_config(root), root / "dist", BuildOptions(now=NOW), jobs=1,
                        cache=BuildCache(root / ".masthead"), full_rebuild_share=1.0)
    assert report.incremental and report.search is not None  # type: ignore[attr-defined]
    clean = tmp_path / "clean"
    build_site(load_config(root), clean, BuildOptions(now=NOW), jobs=1)

    def summary(folder: Path) -> tuple[object, dict[str, int]]:
        """Pagefind's files are named by content and written in no fixed order, so the
        two indexes are compared by what they hold, not byte by byte."""
        entry = json.loads((folder / "pagefind" / "pagefind-entry.json").read_text())
        counts = {lang: info["page_count"] for lang, info in entry["languages"].items()}
        kinds: dict[str, int] = {}
        for path in (folder / "pagefind").rglob("*"):
            if path.is_file():
                kind = path.parent.name if path.parent.name != "pagefind" else path.suffix
                kinds[kind] = kinds.get(kind, 0) + 1
        return counts, kinds

    assert summary(root / "dist") == summary(clean)
    assert summary(clean)[0] == {"en": 1}
    assert not list((root / "dist").glob(".pagefind*"))
