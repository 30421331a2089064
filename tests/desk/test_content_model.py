"""The editor follows each site's content model: the first user's real site has its
authors in ``people/`` (a page per language) and ``docs`` and ``videos`` collections; the
editor shows them, in both languages, and the desk writes there and nowhere else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from masthead.config import load_config
from masthead.content.discover import detect_layout
from masthead.desk.editor import editor_config
from masthead.desk.roles import Role
from tests.desk.conftest import serving
from tests.desk.test_protocol import act, as_person

REAL_SITE = Path(__file__).resolve().parents[3] / "shared" / "corpora" / "oiradcongress"


def _collections(made: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in made["collections"]}


def test_the_first_users_site_has_its_people_docs_and_videos_in_the_editor() -> None:
    if not REAL_SITE.is_dir():
        pytest.skip(f"the first user's site is not at {REAL_SITE} (../shared is absent)")
    config = load_config(REAL_SITE)
    made = editor_config(config, detect_layout(config), "ru")
    collections = _collections(made)
    assert {"posts", "authors", "docs", "videos"} <= set(collections)
    assert collections["authors"]["folder"] == "content/people"
    assert collections["authors"]["i18n"] is True  # people/en and people/ru
    assert collections["docs"]["folder"] == "content/docs"
    assert collections["docs"]["i18n"] is True and collections["docs"]["label"] == "Документы"
    assert made["i18n"]["structure"] == "multiple_folders"


def test_the_desk_writes_in_the_sites_own_folders_only(tmp_path: Path) -> None:
    settings = 'title = "The Steppe Ledger"\nlanguages = ["en", "ru"]\n'
    site = tmp_path / "site"  # the desk reads the content model when it starts
    for folder in ("people/en", "people/ru", "docs/en", "docs/ru"):
        (site / "content" / folder).mkdir(parents=True)
    (site / "content/docs/en/letter.md").write_text(
        '---\ntitle: "A letter"\ndate: "2026-11-01T10:00:00+00:00"\n---\nText.\n')
    with serving(tmp_path, settings) as desk:
        as_person(desk, "ed@example.org", Role.EDITOR)
        made = desk.get("/admin/config.json").json()
        assert _collections(made)["authors"]["folder"] == "content/people"
        listed = act(desk, "entriesByFolder", folder="content/docs/en", extension="md",
                     depth=1)
        assert [e["file"]["path"] for e in listed.json()] == ["content/docs/en/letter.md"]
        assert act(desk, "getEntry", path="content/docs/en/letter.md").status_code == 200
        for path, status in (("content/docs/en/letter.md", 200),
                             ("content/people/ru/aisa.md", 200),
                             ("content/authors/aisa.md", 403)):  # not this site's folder
            answer = act(desk, "persistEntry", entry={
                "slug": path.rsplit("/", 1)[-1][:-3], "path": path,
                "raw": '---\ntitle: "A letter"\nname: "Aisa"\n---\nText.\n'},
                assets=[], options={"collectionName": path.split("/")[1], "status": "draft",
                                    "useWorkflow": True})
            assert answer.status_code == status, (path, answer.text)
