"""What a newsroom does with a story between saves: both languages kept, two people
saving the same story get a conflict instead of a silent overwrite, pictures sent with
a story are checked and published with it, and every save is a revision that can be
compared and restored."""

from __future__ import annotations

import base64
import io
import os
from typing import Any

import httpx
from PIL import Image

from masthead.desk.roles import Role
from tests.desk.conftest import Browser
from tests.desk.test_protocol import STORY, act, as_person

EN = '---\ntitle: "Kalmyk radio"\ndate: "2026-12-07T10:00:00+03:00"\n---\nText.\n'


def persist(desk: Browser, slug: str, files: dict[str, str],
            assets: list[dict[str, str]] | None = None) -> httpx.Response:
    return act(desk, "persistEntry",
               dataFiles=[{"slug": slug, "path": path, "raw": raw}
                          for path, raw in files.items()],
               assets=assets or [], options={"collectionName": "posts", "status": "draft"})


def picture(kind: str = "PNG", size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, kind)
    return out.getvalue()


def asset(name: str, data: bytes) -> dict[str, str]:
    return {"path": f"public/images/uploads/{name}", "encoding": "base64",
            "content": base64.b64encode(data).decode()}


def test_both_languages_of_a_story_are_kept_and_published(desk: Browser) -> None:
    as_person(desk, "ed@example.org", Role.EDITOR)
    files = {"content/posts/ru/radio.md": STORY, "content/posts/en/radio.md": EN}
    assert persist(desk, "radio", files).status_code == 200
    diffs = act(desk, "unpublishedEntry", collection="posts", slug="radio").json()["diffs"]
    assert sorted(d["path"] for d in diffs) == sorted(files)
    assert act(desk, "publishUnpublishedEntry", collection="posts",
               slug="radio").status_code == 200
    for path, raw in files.items():
        assert (desk.site / path).read_text(encoding="utf-8") == raw


def test_a_language_nobody_wrote_in_is_not_kept(desk: Browser) -> None:
    as_person(desk, "ed@example.org", Role.EDITOR)
    copied = '---\ndate: "2026-12-07T10:00:00+03:00"\nauthor: "Ann"\ndraft: false\n---\n'
    files = {"content/posts/ru/radio.md": STORY, "content/posts/en/radio.md": copied}
    assert persist(desk, "radio", files).status_code == 200
    diffs = act(desk, "unpublishedEntry", collection="posts", slug="radio").json()["diffs"]
    assert [d["path"] for d in diffs] == ["content/posts/ru/radio.md"]


def test_the_second_of_two_saves_gets_a_conflict_not_an_overwrite(desk: Browser) -> None:
    path = "content/posts/ru/radio.md"
    (desk.site / "content/posts/ru").mkdir()
    (desk.site / path).write_text(STORY, encoding="utf-8")
    as_person(desk, "ann@example.org", Role.EDITOR)
    assert act(desk, "getEntry", path=path).status_code == 200  # Ann opens it
    ann = desk.token
    as_person(desk, "bob@example.org", Role.EDITOR)
    assert act(desk, "getEntry", path=path).status_code == 200  # so does Bob
    bob = desk.token
    assert persist(desk, "radio", {path: STORY + "Bob's line.\n"}).status_code == 200
    desk.token = ann  # Ann saves over a version she never saw
    conflict = persist(desk, "radio", {path: STORY + "Ann's line.\n"})
    assert conflict.status_code == 409
    assert "bob saved" in conflict.json()["error"]
    assert act(desk, "unpublishedEntryDataFile", collection="posts", slug="radio",
               path=path).json()["data"].endswith("Bob's line.\n")  # kept
    # Having opened Bob's version, Ann adds her line to it.
    assert persist(desk, "radio", {path: STORY + "Bob's line.\nAnn's line.\n"}
                   ).status_code == 200
    desk.token = bob
    assert persist(desk, "radio", {path: STORY}).status_code == 409  # now Bob is behind


def test_a_story_never_opened_is_not_overwritten_by_a_direct_call(desk: Browser) -> None:
    path = "content/posts/ru/radio.md"
    (desk.site / "content/posts/ru").mkdir()
    (desk.site / path).write_text(STORY, encoding="utf-8")
    as_person(desk, "ed@example.org", Role.EDITOR)
    assert persist(desk, "radio", {path: "---\ntitle: x\n---\n"}).status_code == 409


def test_pictures_are_checked_and_published_with_their_story(desk: Browser) -> None:
    as_person(desk, "ann@example.org", Role.CONTRIBUTOR)
    story = STORY.replace("---\nТекст", 'image: "/images/uploads/steppe.png"\n---\nТекст')
    files = {"content/posts/ru/radio.md": story}
    refused = {
        "fake.jpg": (b"<html><script>alert(1)</script>", 415),
        "tiny.jpg": (picture("PNG"), 415),  # a PNG under a JPEG name
        "huge.png": (b"\x89PNG" + b"0" * (21 * 1024 * 1024), 413),
        "page.html": (b"<p>hi</p>", 415),
    }
    for name, (data, status) in refused.items():
        answer = persist(desk, "radio", files, [asset(name, data)])
        assert answer.status_code == status, (name, answer.text)
    photo = io.BytesIO()  # a phone's photo: megabytes, as taken
    Image.frombytes("RGB", (3000, 2000), os.urandom(3000 * 2000 * 3)).save(photo, "JPEG",
                                                                         quality=92)
    assert len(photo.getvalue()) > 4_000_000
    assert persist(desk, "radio", files, [asset("phone.jpg", photo.getvalue())]
                   ).status_code == 200
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script><rect/></svg>'
    assert persist(desk, "radio", files, [asset("../../../steppe.png", picture()),
                                          asset("map.svg", svg)]).status_code == 200
    entry = act(desk, "unpublishedEntry", collection="posts", slug="radio").json()
    media = sorted(d["path"] for d in entry["diffs"] if d["binary"])
    assert media == ["public/images/uploads/map.svg", "public/images/uploads/phone.jpg",
                     "public/images/uploads/steppe.png"]
    assert not (desk.site / "public/images/uploads/steppe.png").exists()  # not before
    shown = act(desk, "unpublishedEntryMediaFile", collection="posts", slug="radio",
                path="public/images/uploads/map.svg").json()
    assert b"script" not in base64.b64decode(shown["content"])
    # The media library (public at once) is for those who publish.
    assert act(desk, "persistMedia", asset=asset("x.png", picture())).status_code == 403

    as_person(desk, "ed@example.org", Role.EDITOR)
    assert act(desk, "publishUnpublishedEntry", collection="posts",
               slug="radio").status_code == 200
    assert (desk.site / "public/images/uploads/steppe.png").read_bytes() == picture()
    assert b"<script" not in (desk.site / "public/images/uploads/map.svg").read_bytes()
    assert act(desk, "persistMedia", asset=asset("y.png", picture())).status_code == 200


def history(desk: Browser, path: str) -> list[dict[str, Any]]:
    answer = desk.get(f"/admin/history?path={path}")
    assert answer.status_code == 200, answer.text
    return list(answer.json()["revisions"])


def test_history_shows_who_saved_what_and_restores_it(desk: Browser) -> None:
    path = "content/posts/ru/radio.md"
    first, second = STORY, STORY + "Правка редактора.\n"
    as_person(desk, "ann@example.org", Role.CONTRIBUTOR)
    assert persist(desk, "radio", {path: first}).status_code == 200
    ann = desk.token
    as_person(desk, "ed@example.org", Role.EDITOR)
    act(desk, "unpublishedEntryDataFile", collection="posts", slug="radio", path=path)
    assert persist(desk, "radio", {path: second}).status_code == 200
    revisions = history(desk, path)
    assert [r["by"] for r in revisions] == ["ed", "ann"]
    oldest = desk.get(f"/admin/history/{revisions[-1]['id']}").json()
    assert oldest["raw"] == first and "+Правка редактора." in oldest["diff"]

    as_person(desk, "bob@example.org", Role.CONTRIBUTOR)  # not his story
    assert desk.get(f"/admin/history?path={path}").status_code == 403
    assert desk.post(f"/admin/history/{revisions[-1]['id']}/restore").status_code == 403

    desk.token = ann  # the owner restores her own first version
    assert desk.post(f"/admin/history/{revisions[-1]['id']}/restore").status_code == 200
    assert act(desk, "unpublishedEntryDataFile", collection="posts", slug="radio",
               path=path).json()["data"] == first
    assert [r["by"] for r in history(desk, path)] == ["ann", "ed", "ann"]


def test_the_media_library_shows_small_pictures_and_stories_name_the_originals(
        desk: Browser) -> None:
    as_person(desk, "ed@example.org", Role.EDITOR)
    photo = io.BytesIO()  # a photo as the build would make variants of it
    Image.frombytes("RGB", (1600, 1000), os.urandom(1600 * 1000 * 3)).save(photo, "JPEG",
                                                                         quality=90)
    original = photo.getvalue()
    assert act(desk, "persistMedia", asset=asset("steppe.jpg", original)).status_code == 200
    assert act(desk, "persistMedia", asset=asset("dot.png", picture())).status_code == 200
    library = {m["path"]: m for m in act(desk, "getMedia",
                                         mediaFolder="public/images/uploads").json()}
    shown = base64.b64decode(library["public/images/uploads/steppe.jpg"]["content"])
    assert len(shown) < len(original) / 4
    with Image.open(io.BytesIO(shown)) as small:
        assert small.width < 1600 and small.format in ("WEBP", "AVIF")
    # never more than the picture itself
    dot = base64.b64decode(library["public/images/uploads/dot.png"]["content"])
    assert len(dot) <= len(picture())
    Image.open(io.BytesIO(dot)).verify()
    # opened on its own, and in a story, a picture is the original
    whole = act(desk, "getMediaFile", path="public/images/uploads/steppe.jpg").json()
    assert base64.b64decode(whole["content"]) == original
