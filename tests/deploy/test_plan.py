"""The deploy's list of what the output holds, with the digests it kept from last time:
the same list as hashing every file, after files are written in place, replaced,
removed and added, and with the kept digests broken."""

from __future__ import annotations

import os
from pathlib import Path

from masthead.deploy.plan import manifest_of


def test_kept_digests_give_the_same_list_as_reading_every_file(tmp_path: Path) -> None:
    out, known = tmp_path / "out", tmp_path / "digests.json"
    (out / "posts/a").mkdir(parents=True)
    for n in range(20):
        (out / f"page-{n}.html").write_text(f"page {n}")
    (out / "posts/a/index.html").write_text("story a")
    assert manifest_of(out, known) == manifest_of(out)
    assert known.is_file()

    (out / "page-1.html").write_text("PAGE 1")  # in place, same size
    os.utime(out / "page-1.html", ns=(1, 1))  # and a time of its own
    fresh = out / "page-2.tmp"
    fresh.write_text("a new page 2")
    os.replace(fresh, out / "page-2.html")  # as the build writes
    (out / "page-3.html").unlink()
    (out / "posts/b").mkdir()
    (out / "posts/b/index.html").write_text("story b")
    listed = manifest_of(out, known)
    assert listed == manifest_of(out)
    assert "page-3.html" not in listed and "posts/b/index.html" in listed

    known.write_text("{not json")
    assert manifest_of(out, known) == manifest_of(out)
    known.write_text('{"files": {"page-4.html": [1, 2, 3, "forged"], "x": "y"}}')
    assert manifest_of(out, known) == manifest_of(out)


def test_snapshots_made_from_older_ones_hold_each_version_exactly(tmp_path: Path) -> None:
    from masthead.config import load_config
    from masthead.deploy import deploy, rollback
    from masthead.deploy.targets import snapshots

    site = tmp_path / "site"
    site.mkdir()
    (site / "masthead.toml").write_text(
        'title = "T"\nbase_url = "https://t.example.org/"\n[[deploy]]\nname = "origin"\n'
        f'url = "https://t.example.org/"\nto = "{tmp_path / "served"}"\n')
    config = load_config(site)
    versions = [{"index.html": "one", "a/b.css": "b1", "old.html": "gone later"},
                {"index.html": "two", "a/b.css": "b1", "old.html": "gone later",
                 "new.html": "n2"},
                {"index.html": "three", "a/b.css": "b3", "new.html": "n2"},
                {"index.html": "four", "a/b.css": "b3", "new.html": "n4", "x/y.html": "y"}]

    def tree(folder: Path) -> dict[str, str]:
        return {p.relative_to(folder).as_posix(): p.read_text()
                for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")}

    for n, files in enumerate(versions):
        out = tmp_path / "out"  # one output folder, its files replaced as a build does
        for rel, text in files.items():
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            fresh = out / f"{rel}.tmp"
            fresh.write_text(text)
            os.replace(fresh, out / rel)
        for gone in tree(out).keys() - files.keys():
            (out / gone).unlink()
        [result] = deploy(config, out, list(config.deploy), verify=False, say=lambda _: None)
        assert not result.error, result.error
        kept = snapshots(config, config.deploy[0])
        assert tree(kept / "current") == files
        if n:
            assert tree(kept / "previous") == versions[n - 1]
    [undone] = rollback(config, list(config.deploy), say=lambda _: None)
    assert not undone.error
    assert tree(tmp_path / "served") == versions[2]
