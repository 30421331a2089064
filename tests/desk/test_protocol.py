"""The editor's protocol with roles enforced by the server: a contributor's story goes
through review and is published by an editor; the contributor's direct calls for another's
story, for publishing, or for a path out of the content folders get 403; the list pages."""

from __future__ import annotations

from typing import Any

import httpx
import pyotp
import pytest

from masthead.desk.roles import Role
from tests.desk.conftest import Browser, person, sign_in

STORY = ('---\ntitle: "Калмыцкое радио"\ndate: "2026-12-07T10:00:00+03:00"\n'
         'author: "Ann"\ncategory: "News"\n---\nТекст.\n')


def act(desk: Browser, action: str, **params: Any) -> httpx.Response:
    return desk.post("/admin/api/v1", json={"action": action, "params": params})


def save(desk: Browser, slug: str, raw: str = STORY, status: str = "draft") -> httpx.Response:
    return act(desk, "persistEntry",
               entry={"slug": slug, "path": f"content/posts/ru/{slug}.md", "raw": raw},
               assets=[], options={"collectionName": "posts", "useWorkflow": True,
                                   "status": status, "commitMessage": "save"})


def as_person(desk: Browser, email: str, role: Role) -> None:
    desk.token = ""
    person(desk, email, role)
    assert sign_in(desk, email) == 200
    if role.needs_second_factor:
        uri = desk.post("/admin/second-factor/new").json()["otpauth"]
        totp = pyotp.parse_uri(uri)
        assert desk.post("/admin/second-factor", json={"code": totp.now()}).status_code == 200


def test_a_contributor_writes_and_submits_an_editor_publishes(desk: Browser) -> None:
    as_person(desk, "ann@example.org", Role.CONTRIBUTOR)
    ann = desk.token
    assert save(desk, "radio", status="pending_publish").status_code == 200
    assert act(desk, "unpublishedEntries").json() == ["posts/radio"]
    entry = act(desk, "unpublishedEntry", collection="posts", slug="radio").json()
    assert entry["status"] == "draft"  # a contributor cannot mark a story ready
    assert act(desk, "unpublishedEntryDataFile", collection="posts", slug="radio",
               path="content/posts/ru/radio.md").json() == {"data": STORY}
    assert act(desk, "updateUnpublishedEntryStatus", collection="posts", slug="radio",
               newStatus="pending_publish").status_code == 403
    assert act(desk, "publishUnpublishedEntry", collection="posts",
               slug="radio").status_code == 403
    assert act(desk, "updateUnpublishedEntryStatus", collection="posts", slug="radio",
               newStatus="pending_review").status_code == 200
    assert not (desk.site / "content/posts/ru/radio.md").exists()

    as_person(desk, "bob@example.org", Role.CONTRIBUTOR)
    assert act(desk, "unpublishedEntries").json() == []  # only their own
    assert save(desk, "radio", raw="---\ntitle: mine\n---\n").status_code == 403
    assert act(desk, "unpublishedEntry", collection="posts", slug="radio").status_code == 403

    as_person(desk, "ed@example.org", Role.EDITOR)
    assert act(desk, "updateUnpublishedEntryStatus", collection="posts", slug="radio",
               newStatus="pending_publish").status_code == 200
    assert act(desk, "publishUnpublishedEntry", collection="posts",
               slug="radio").status_code == 200
    assert (desk.site / "content/posts/ru/radio.md").read_text() == STORY
    assert act(desk, "unpublishedEntries").json() == []

    desk.token = ann  # published: the contributor's own story is no longer theirs to change
    assert save(desk, "radio", raw=STORY + "More.\n").status_code == 403
    assert act(desk, "deleteFile", path="content/posts/ru/radio.md",
               options={"commitMessage": "x"}).status_code == 403
    assert (desk.site / "content/posts/ru/radio.md").read_text() == STORY


@pytest.mark.parametrize("path", [
    "../../etc/passwd", "/etc/passwd", "content/posts/../../masthead.toml", "masthead.toml",
    "templates/base.html", "content/posts/a.html", "content/posts\\..\\x.md",
    "public/images/uploads/a.md", "content/posts/ru/de/fr/x.md", "content/posts/a\x00.md",
])
def test_a_path_out_of_the_content_folders_is_refused(desk: Browser, path: str) -> None:
    as_person(desk, "ann@example.org", Role.CONTRIBUTOR)
    assert act(desk, "getEntry", path=path).status_code == 403
    answer = act(desk, "persistEntry", entry={"slug": "x", "path": path, "raw": "x"},
                 assets=[], options={"collectionName": "posts", "useWorkflow": True})
    assert answer.status_code == 403


def test_a_linked_file_is_refused(desk: Browser, tmp_path: Any) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("password")
    (desk.site / "content/posts/leak.md").symlink_to(secret)
    as_person(desk, "ann@example.org", Role.CONTRIBUTOR)
    assert act(desk, "getEntry", path="content/posts/leak.md").status_code == 403


def test_the_list_of_stories_comes_a_page_at_a_time(desk: Browser) -> None:
    folder = desk.site / "content/posts"
    for n in range(250):
        (folder / f"story-{n:03d}.md").write_text(f"---\ntitle: Story {n}\n---\n")
    as_person(desk, "ann@example.org", Role.CONTRIBUTOR)
    page = act(desk, "entriesByFolder", folder="content/posts", extension="md", depth=1,
               options={"pagination": True, "page": 2, "pageSize": 20}).json()
    assert [e["file"]["path"] for e in page] == [
        f"content/posts/story-{n:03d}.md" for n in range(20, 40)]
    assert page[0]["data"].startswith("---\ntitle: Story 20")
    # The list is kept between looks, and a story changed meanwhile is listed anew.
    (folder / "story-020.md").write_text("---\ntitle: Story twenty\n---\n")
    whole = act(desk, "entriesByFolder", folder="content/posts", extension="md", depth=1)
    assert whole.headers["content-encoding"] == "gzip"  # 250 stories: worth compressing
    listed = {e["file"]["path"]: e["data"] for e in whole.json()}
    assert len(listed) == 250
    assert listed["content/posts/story-020.md"].startswith("---\ntitle: Story twenty")
    assert act(desk, "entriesByFolder", folder="content/../", extension="md",
               depth=1).status_code == 403


def test_no_session_no_protocol(desk: Browser) -> None:
    assert act(desk, "info").status_code == 401
    as_person(desk, "ed@example.org", Role.EDITOR)
    desk.token = ""
    person_token = sign_in(desk, "ed@example.org")
    assert person_token == 200
    assert act(desk, "info").status_code == 403  # the second factor is not given yet
