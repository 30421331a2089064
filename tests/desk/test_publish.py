"""Publishing from the desk puts the story on every target: the editor's publish builds
the site incrementally and deploys it to two folder targets, the desk records what each
target said; a story that does not build changes no target and the desk says why."""

from __future__ import annotations

import time
from collections.abc import Iterator
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import pytest

from masthead.desk.roles import Role
from tests.api.conftest import Mailbox
from tests.desk.conftest import Browser, serving
from tests.desk.test_protocol import act, as_person, save

STORY = ('---\ntitle: "Калмыцкое радио"\ndate: "2026-12-01T10:00:00+03:00"\n'
         'author: "Ann"\ncategory: "News"\n---\nТекст.\n')


@pytest.fixture
def published_desk(tmp_path: Path) -> Iterator[Browser]:
    targets = "".join(f'[[deploy]]\nname = "{n}"\nurl = "https://{n}.example.net/"\n'
                      f'to = "{tmp_path / n}"\n' for n in ("origin", "mirror"))
    settings = ('title = "The Steppe Ledger"\nlanguages = ["en", "ru"]\n'
                'base_url = "https://origin.example.net/"\n' + targets)
    with serving(tmp_path, settings) as desk:
        (desk.site / "content/posts/en").mkdir()
        (desk.site / "content/posts/en/first.md").write_text(
            '---\ntitle: "First"\ndate: "2026-11-01T10:00:00+00:00"\n---\nText.\n')
        yield desk


def finished(desk: Browser, reason: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:  # the newest run for that reason, once it ended
        runs = [r for r in desk.get("/admin/publishes").json() if r["reason"] == reason]
        if runs and runs[0]["state"] in ("done", "failed"):
            return dict(runs[0])
        time.sleep(0.1)
    raise AssertionError(f"no finished publish for {reason}")


def test_publishing_puts_the_story_on_every_target(published_desk: Browser,
                                                   tmp_path: Path) -> None:
    desk = published_desk
    as_person(desk, "ed@example.org", Role.EDITOR)
    assert save(desk, "radio", raw=STORY).status_code == 200
    clicked = time.monotonic()
    assert act(desk, "publishUnpublishedEntry", collection="posts",
               slug="radio").status_code == 200
    run = finished(desk, "publish content/posts/ru/radio.md")
    live = time.monotonic() - clicked
    assert run["state"] == "done", run
    assert [t["ok"] for t in run["detail"]["targets"]] == [True, True]
    for target in ("origin", "mirror"):
        page = tmp_path / target / "ru/posts/radio/index.html"
        assert "Калмыцкое радио" in page.read_text(encoding="utf-8")
    print(f"publish to live on two folder targets: {live:.2f} s")
    # Search catches up once the story is live: the new index reaches every target.
    deadline = time.monotonic() + 60
    while run["detail"].get("search") == "updating" and time.monotonic() < deadline:
        time.sleep(0.2)
        run = next(r for r in desk.get("/admin/publishes").json() if r["id"] == run["id"])
    assert run["detail"]["search"].startswith("updated in"), run
    built = desk.site / ".masthead/desk/site/pagefind"
    index = sorted(p.relative_to(built).as_posix() for p in built.rglob("*"))
    assert any(name.startswith("fragment/") for name in index)
    for target in ("origin", "mirror"):
        assert sorted(p.relative_to(tmp_path / target / "pagefind").as_posix()
                      for p in (tmp_path / target / "pagefind").rglob("*")) == index


def test_a_story_that_does_not_build_is_refused_and_kept(published_desk: Browser) -> None:
    desk = published_desk
    as_person(desk, "ed@example.org", Role.EDITOR)
    broken = "---\ntitle: [unclosed\n---\nText.\n"
    assert save(desk, "broken", raw=broken).status_code == 200
    refused = act(desk, "publishUnpublishedEntry", collection="posts", slug="broken")
    assert refused.status_code == 422
    assert "content/posts/ru/broken.md:2" in refused.json()["error"]  # file and line
    assert not (desk.site / "content/posts/ru/broken.md").exists()
    kept = act(desk, "unpublishedEntryDataFile", collection="posts", slug="broken",
               path="content/posts/ru/broken.md")
    assert kept.json() == {"data": broken}  # nothing the writer wrote is lost


def test_a_publish_that_fails_changes_no_target(published_desk: Browser,
                                                tmp_path: Path) -> None:
    desk = published_desk
    as_person(desk, "ed@example.org", Role.EDITOR)
    assert save(desk, "good", raw=STORY).status_code == 200
    assert act(desk, "publishUnpublishedEntry", collection="posts",
               slug="good").status_code == 200
    assert finished(desk, "publish content/posts/ru/good.md")["state"] == "done"
    before = sorted(p.relative_to(tmp_path / "origin").as_posix()
                    for p in (tmp_path / "origin").rglob("*") if p.is_file())
    settings = desk.site / "masthead.toml"  # someone breaks the settings meanwhile
    settings.write_text(settings.read_text() + "languages = 3\n")
    assert save(desk, "second", raw=STORY).status_code == 200
    assert act(desk, "publishUnpublishedEntry", collection="posts",
               slug="second").status_code == 200
    run = finished(desk, "publish content/posts/ru/second.md")
    assert run["state"] == "failed" and "did not build" in run["detail"]["error"]
    assert any("masthead.toml" in problem for problem in run["detail"]["problems"])
    after = sorted(p.relative_to(tmp_path / "origin").as_posix()
                   for p in (tmp_path / "origin").rglob("*") if p.is_file())
    assert after == before


def test_a_scheduled_story_goes_live_at_its_time_with_nobody_there(
        published_desk: Browser, tmp_path: Path) -> None:
    import datetime as dt

    desk = published_desk
    as_person(desk, "ed@example.org", Role.EDITOR)
    # Far enough ahead for the publish run (after the desk's own run at start) to end
    # before it, on a busy machine too.
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=20)).isoformat(timespec="seconds")
    story = STORY.replace("2026-12-01T10:00:00+03:00", soon)
    assert save(desk, "later", raw=story).status_code == 200
    assert act(desk, "publishUnpublishedEntry", collection="posts",
               slug="later").status_code == 200
    run = finished(desk, "publish content/posts/ru/later.md")
    assert run["state"] == "done" and run["detail"]["next_scheduled"].startswith(soon[:16])
    page = tmp_path / "origin/ru/posts/later/index.html"
    assert not page.exists()  # not before its time
    assert desk.delete("/admin/session").status_code == 200  # nobody signed in
    pages = [tmp_path / f"{target}/ru/posts/later/index.html" for target in ("origin",
                                                                          "mirror")]
    deadline = time.monotonic() + 90
    while not all(p.exists() for p in pages) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert all(p.exists() for p in pages)
    as_person(desk, "reader@example.org", Role.EDITOR)
    assert finished(desk, "scheduled")["state"] == "done"  # the run at the story's time


def test_a_publish_is_a_commit_by_its_editor_when_the_site_is_a_git_repository(
        published_desk: Browser) -> None:
    from dulwich import porcelain
    from dulwich.repo import Repo

    desk = published_desk
    developer = b"Dev <dev@example.org>"
    with Repo.init(str(desk.site)) as repo:
        (desk.site / "notes.txt").write_text("a developer's file, not staged\n")
        porcelain.add(repo, [str(desk.site / "masthead.toml")])
        porcelain.commit(repo, b"The site", author=developer, committer=developer)
        (desk.site / "theme-change.txt").write_text("a developer's change, staged\n")
        porcelain.add(repo, [str(desk.site / "theme-change.txt")])
    as_person(desk, "ed@example.org", Role.EDITOR)
    assert save(desk, "radio", raw=STORY).status_code == 200
    assert act(desk, "publishUnpublishedEntry", collection="posts",
               slug="radio").status_code == 200
    with Repo(str(desk.site)) as repo:
        head = repo[repo.head()]
        assert head.author == b"ed <ed@example.org>"
        assert head.message == b"Publish posts/radio"
        changes = list(repo.object_store.tree_changes(repo[head.parents[0]].tree, head.tree))
        assert [c[0][1] for c in changes] == [b"content/posts/ru/radio.md"]
        status = porcelain.status(repo)  # the developer's change: still staged, still theirs
        assert status.staged["add"] == [b"theme-change.txt"]
        assert not status.staged["modify"] and b"content/posts/ru/radio.md" not in \
            status.unstaged


def test_a_site_that_mails_each_story_sends_it_once_after_its_publish(
        tmp_path: Path, mailbox: Mailbox) -> None:
    import datetime as dt

    from tests.newsletter.conftest import close, subscribe

    settings = ('title = "The Steppe Ledger"\nlanguages = ["en", "ru"]\n'
                'base_url = "https://origin.example.net/"\nnewsletter_each_story = true\n'
                f'smtp_host = "127.0.0.1"\nsmtp_port = {mailbox.port}\n'
                'mail_from = "Steppe Ledger <news@example.org>"\n'
                f'[[deploy]]\nname = "origin"\nurl = "https://origin.example.net/"\n'
                f'to = "{tmp_path / "origin"}"\n')
    with serving(tmp_path, settings) as desk:
        close(subscribe(str(desk.site / ".masthead/api.sqlite"), desk.site,
                        [("reader@example.org", "ru")]))
        as_person(desk, "ed@example.org", Role.EDITOR)
        lately = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)).isoformat(
            timespec="seconds")
        story = STORY.replace("2026-12-01T10:00:00+03:00", lately)
        for attempt in range(2):  # published, then changed and published again
            raw = story + ("Исправлено.\n" if attempt else "")
            if attempt:
                act(desk, "getEntry", path="content/posts/ru/radio.md")
            assert save(desk, "radio", raw=raw).status_code == 200
            assert act(desk, "publishUnpublishedEntry", collection="posts",
                       slug="radio").status_code == 200
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                run = finished(desk, "publish content/posts/ru/radio.md")
                if run["detail"].get("newsletter", "sending") != "sending":
                    break
                time.sleep(0.2)
            assert run["state"] == "done", run
            assert run["detail"]["newsletter"].startswith("sent"), run
        messages = mailbox.wait(1)
        time.sleep(0.5)
        assert len(messages) == 1  # once, though published twice
        assert messages[0]["X-Envelope-To"] == "reader@example.org"
        subject = make_header(decode_header(str(messages[0]["Subject"])))
        assert "Калмыцкое радио" in str(subject)


def test_a_publish_posts_the_story_to_the_channel_once(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The desk's publish reaches the Telegram channel of the story's language (a local
    server speaking the Bot API), once, and says so with the publish."""
    import datetime as dt

    from tests.channels.botapi import TOKEN, BotApiServer, Running

    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    with Running(BotApiServer()) as bot:
        settings = ('title = "The Steppe Ledger"\nlanguages = ["en", "ru"]\n'
                    'base_url = "https://origin.example.net/"\n'
                    f'[[deploy]]\nname = "origin"\nurl = "https://origin.example.net/"\n'
                    f'to = "{tmp_path / "origin"}"\n'
                    f'[[channels]]\nname = "telegram-ru"\nkind = "telegram"\n'
                    f'language = "ru"\nchat = "@novosti_ru"\napi = "{bot.url}"\n')
        with serving(tmp_path, settings) as desk:
            as_person(desk, "ed@example.org", Role.EDITOR)
            deadline = time.monotonic() + 120
            time.sleep(1.5)  # the channel's time began when the desk started
            now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            story = STORY.replace('date: "2026-12-01T10:00:00+03:00"', f'date: "{now}"')
            assert save(desk, "radio", raw=story).status_code == 200
            assert act(desk, "publishUnpublishedEntry", collection="posts",
                       slug="radio").status_code == 200
            run = finished(desk, "publish content/posts/ru/radio.md")
            assert run["state"] == "done", run
            while not run["detail"].get("channels", "").startswith(("sent", "failed")):
                assert time.monotonic() < deadline, run
                time.sleep(0.1)
                run = next(r for r in desk.get("/admin/publishes").json()
                           if r["id"] == run["id"])
            assert run["detail"]["channels"].startswith("sent: "), run
            [post] = bot.posted("@novosti_ru")
            assert post.text.startswith("Калмыцкое радио")
            assert 'href="https://origin.example.net/ru/posts/radio/"' in post.html
