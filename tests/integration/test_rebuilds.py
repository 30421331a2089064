"""Rebuilds with the cache: nothing to do, scheduled posts falling due, template edits."""

import datetime as dt
import gzip
import json
from pathlib import Path

from masthead.config import load_config
from masthead.emit.search import PAGES_DIR, build_search_index
from masthead.incremental import BuildCache
from masthead.options import BuildOptions
from masthead.pipeline import build_site
from tests.conftest import NOW, post, write_site


def _build(root: Path, now: dt.datetime = NOW, share: float = 0.3) -> object:
    return build_site(load_config(root), root / "dist", BuildOptions(now=now, jobs=1),
                      cache=BuildCache(root / ".masthead"), full_rebuild_share=share)


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
    report = build_site(load_config(root), root / "dist", BuildOptions(now=NOW, jobs=1),
                        cache=BuildCache(root / ".masthead"), full_rebuild_share=1.0)
    assert report.incremental and report.search is not None  # type: ignore[attr-defined]
    clean = tmp_path / "clean"
    build_site(load_config(root), clean, BuildOptions(now=NOW, jobs=1))

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
    assert not (clean / PAGES_DIR).exists()


def _fragments(folder: Path) -> dict[str, dict[str, object]]:
    """What the index holds of each page: its URL -> its text, title, filters, anchors."""
    found = {}
    for path in (folder / "pagefind" / "fragment").iterdir():
        data = json.loads(gzip.decompress(path.read_bytes()).removeprefix(b"pagefind_dcd"))
        found[data["url"]] = {key: data[key] for key in ("content", "meta", "filters", "anchors")}
    return found


def test_indexing_the_pages_that_ask_equals_indexing_the_site(tmp_path: Path) -> None:
    """A full build shows Pagefind only the pages that ask to be indexed; an update shows
    it the whole site. Both give the same index."""
    root = write_site(tmp_path / "site", {
        "content/posts/a.md": post("Alpha river", tags=["Steppe"]),
        "content/posts/b.md": post("Beta steppe", "2024-02-03T10:00:00+00:00"),
        "content/pages/about.md": '---\ntitle: "About us"\n---\nWe report.\n'})
    out = tmp_path / "out"
    report = build_site(load_config(root), out, BuildOptions(now=NOW, jobs=1))
    assert report.search is not None  # type: ignore[attr-defined]
    shown = _fragments(out)
    assert set(shown) == {"/posts/a/", "/posts/b/", "/about/"}
    build_search_index(out, None)  # the whole folder, as an incremental build does
    assert _fragments(out) == shown


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _clean(root: Path, tmp: Path) -> dict[str, bytes]:
    out = tmp / "clean"
    build_site(load_config(root), out, BuildOptions(now=NOW, jobs=1))
    tree = _tree(out)
    import shutil

    shutil.rmtree(out)
    return tree


def test_a_text_edit_in_a_new_process_rewrites_its_pages_and_feeds(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", {
        "masthead.toml": 'title = "T"\nbase_url = "https://n.example.org/"\nsearch = false\n'
                         'languages = ["en", "ru"]\n',
        "content/posts/en/a.md": post("A", tags=["Rivers"], body="First text.\n"),
        "content/posts/en/b.md": post("B", date="2024-01-03T10:00:00+00:00"),
        "content/posts/ru/b.md": post("Б", date="2024-01-03T10:00:00+00:00"),
    })
    _build(root)
    story = root / "content/posts/en/a.md"
    story.write_text(post("A", tags=["Rivers"], body="New text & a [link](/posts/b/).\n"))
    report = _build(root, share=1.0)  # a small site: half of its files carry the story
    assert report.incremental  # type: ignore[attr-defined]
    # Its page in English and in Russian (a fallback), and every full-content feed.
    assert report.files == 2 + 2 * 3 * 4  # type: ignore[attr-defined]
    assert _tree(root / "dist") == _clean(root, tmp_path)
    page = (root / "dist/posts/a/index.html").read_text()
    assert "New text &amp; a" in page and "masthead:body" not in page
    feed = json.loads((root / "dist/tags/rivers/feed.json").read_text())
    assert 'href="https://n.example.org/posts/b/"' in feed["items"][0]["content_html"]
    # A front-matter edit, a longer text and a new image give what a clean build gives.
    for body in ("New text & a [link](/posts/b/).\n", "word " * 600,
                 "word " * 600 + "\n\n![x](/images/a.png)\n"):
        story.write_text(post("A renamed", tags=["Rivers"], body=body))
        _build(root)
        assert _tree(root / "dist") == _clean(root, tmp_path)


def test_a_build_without_the_cache_writes_what_a_cached_build_writes(tmp_path: Path) -> None:
    """Without the cache a build skips what only the cache uses (files' sizes and times,
    digests of their text): the site is the same."""
    root = write_site(tmp_path / "site", {"content/posts/a.md": post("Alpha river"),
                                          "content/posts/b.md": post("Beta steppe")})
    _build(root)
    build_site(load_config(root), tmp_path / "plain", BuildOptions(now=NOW, jobs=1))

    def files(folder: Path) -> dict[str, bytes]:  # but Pagefind's, which differ run to run
        return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*")
                if p.is_file() and p.relative_to(folder).parts[0] != "pagefind"}

    assert files(tmp_path / "plain") == files(root / "dist")
    assert len(files(root / "dist")) > 10
