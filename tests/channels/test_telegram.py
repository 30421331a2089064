"""Stories posted to Telegram channels once each, against a local server that speaks the
Bot API with its documented limits and errors (tests/channels/botapi.py)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from masthead.channels.telegram import CAPTION_LIMIT, compose, units
from tests.channels.botapi import TOKEN, BotApiServer, Running, read_html
from tests.conftest import DEMO

MIRROR = "https://mirror.example.net/"


@pytest.fixture
def bot() -> Iterator[BotApiServer]:
    with Running(BotApiServer()) as state:
        yield state


def _demo_site(tmp_path: Path, settings: str) -> Path:
    """The demo site with ``settings`` added to its masthead.toml."""
    site = tmp_path / "site"
    shutil.copytree(DEMO, site, ignore=shutil.ignore_patterns("dist", ".masthead"))
    with (site / "masthead.toml").open("a", encoding="utf-8") as toml:
        toml.write(settings)
    return site


def _channel(lang: str, chat: str, bot: BotApiServer) -> str:
    return (f'\n[[channels]]\nname = "telegram-{lang}"\nkind = "telegram"\n'
            f'language = "{lang}"\nchat = "{chat}"\napi = "{bot.url}"\n')


def _site(tmp_path: Path, bot: BotApiServer) -> Path:
    return _demo_site(tmp_path, (
        f'\n[[deploy]]\nname = "origin"\nurl = "https://steppe-ledger.example.org/"\n'
        f'to = "{tmp_path / "origin"}"\nprimary = true\n'
        f'\n[[deploy]]\nname = "mirror"\nurl = "{MIRROR}"\nto = "{tmp_path / "mirror"}"\n'
        + _channel("en", "@news_en", bot) + _channel("ru", "@novosti_ru", bot)))


def _story(site: Path, lang: str, slug: str, title: str, seconds_ago: int = 0,
           image: bool = True, description: str = "What happened, in two lines.") -> None:
    """A story published just now (after the channels were turned on: see _turn_on)."""
    date = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=seconds_ago)).isoformat(
        timespec="seconds")
    picture = 'image: "/images/river-delta.jpg"\n' if image else ""
    (site / "content/posts" / lang / f"{slug}.md").write_text(
        f'---\ntitle: "{title}"\ndescription: "{description}"\n{picture}date: "{date}"\n'
        f'author: "Aylana Badmaeva"\ncategory: "Environment"\n---\nThe story.\n',
        encoding="utf-8")


def _turn_on(site: Path) -> None:
    """The first send: the channels' time starts (nothing of the archive is posted)."""
    first = _masthead("channels", "send", site=site)
    assert first.returncode == 0, first.stderr
    time.sleep(3)  # the stories written next are dated after it


def _masthead(*args: str, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "masthead", *args, str(site)],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN})


def test_a_post_fits_telegrams_limits_and_escapes_what_the_story_says() -> None:
    title = 'Fish & "reeds" <script>alert(1)</script>'
    summary = "Рыба и камыш 🐟 " * 200  # Cyrillic and an emoji (two UTF-16 units each)
    post = compose(title, summary, "https://o.example.org/ru/posts/a/", "https://o.example.org/a.jpg",
                   "Читать на сайте", "Сайт заблокирован? Зеркало",
                   "https://mirror.example.net/ru/posts/a/")
    text, problem = read_html(post.html)
    assert problem == ""  # Telegram reads it: every < and & of the story is escaped
    assert units(text) <= CAPTION_LIMIT and text.endswith(
        "Читать на сайте\nСайт заблокирован? Зеркало: mirror.example.net")
    assert text.startswith('Fish & "reeds" <script>alert(1)</script>\n\n')
    assert "…" in text  # the summary was shortened, never a link
    assert 'href="https://mirror.example.net/ru/posts/a/"' in post.html


def test_new_stories_are_posted_once_in_their_language_and_never_the_archive(
        tmp_path: Path, bot: BotApiServer) -> None:
    site = _site(tmp_path, bot)
    built = _masthead("build", site=site)
    assert built.returncode == 0, built.stderr
    assert bot.calls == []  # a build never contacts a channel
    _turn_on(site)
    assert bot.messages == []  # the archive of 20 stories is not posted
    _story(site, "en", "new-dam", "A new dam on the river")
    _story(site, "ru", "novaya-damba", "Новая дамба на реке", image=False)
    sent = _masthead("channels", "send", site=site)
    assert sent.returncode == 0, sent.stderr + sent.stdout
    assert len(bot.messages) == 2, [m.text[:60] for m in bot.messages]
    [english] = bot.posted("@news_en")
    [russian] = bot.posted("@novosti_ru")
    assert english.kind == "photo" and english.photo.endswith("/images/river-delta.jpg")
    assert english.text.startswith("A new dam on the river\n\nWhat happened, in two lines.")
    assert 'href="https://steppe-ledger.example.org/posts/new-dam/"' in english.html
    assert f'href="{MIRROR}posts/new-dam/"' in english.html  # the way back when blocked
    assert russian.kind == "text" and "Новая дамба на реке" in russian.text
    assert f'href="{MIRROR}ru/posts/novaya-damba/"' in russian.html
    again = _masthead("channels", "send", site=site)
    assert again.returncode == 0 and len(bot.messages) == 2  # once, however often it runs
    status = _masthead("channels", "status", site=site)
    assert "telegram-en: new-dam: sent (message 1" in status.stdout
    assert "telegram-ru: novaya-damba: sent (message 1" in status.stdout
    # an edit of the story edits the post
    _story(site, "en", "new-dam", "A new dam on the river, and its cost")
    edited = _masthead("channels", "send", site=site)
    assert edited.returncode == 0, edited.stderr
    assert english.edits == 1 and english.text.startswith("A new dam on the river, and its cost")
    assert len(bot.messages) == 2
    # an unpublished story's post is deleted; one the bot may not delete is said
    (site / "content/posts/en/new-dam.md").unlink()
    bot.undeletable.add((russian.chat, russian.id))  # older than 48 h, say
    (site / "content/posts/ru/novaya-damba.md").unlink()
    withdrawn = _masthead("channels", "send", site=site)
    assert bot.posted("@news_en") == [], withdrawn.stdout + withdrawn.stderr
    assert bot.posted("@novosti_ru") == [russian]
    said = withdrawn.stdout + withdrawn.stderr
    assert "telegram-en: new-dam: deleted (message 1)" in said, said
    assert "could not be deleted" in said and withdrawn.returncode == 1
    assert "0 posted, 0 edited, 1 deleted, 1 not done" in said
    status = _masthead("channels", "status", site=site).stdout
    assert "telegram-ru: novaya-damba: failed" in status and "delete it in the channel" in status


def test_rate_limits_and_server_errors_are_waited_out_and_refusals_explained(
        tmp_path: Path, bot: BotApiServer) -> None:
    site = _site(tmp_path, bot)
    _turn_on(site)
    bot.admin_of.discard("@novosti_ru")  # the bot is not an admin of the Russian channel
    bot.trouble = [("429", 1.0), ("500", 0.0)]
    _story(site, "en", "one", "One")
    _story(site, "ru", "odin", "Один")
    started = time.monotonic()
    result = _masthead("channels", "send", site=site)
    assert result.returncode == 1
    assert time.monotonic() - started >= 1.0  # retry_after was respected
    assert "Telegram asks to wait 1 s" in result.stderr
    assert "the Bot API failed: Internal Server Error; trying again" in result.stderr
    assert len(bot.posted("@news_en")) == 1
    assert bot.posted("@novosti_ru") == []
    status = _masthead("channels", "status", site=site).stdout
    assert "telegram-ru: odin: failed (Telegram refused (Forbidden: bot is not a member of " \
           "the channel chat): make the bot an administrator of the channel" in status
    bot.admin_of.add("@novosti_ru")  # fixed: the next run posts it, the other stays once
    assert _masthead("channels", "send", site=site).returncode == 0
    assert len(bot.posted("@novosti_ru")) == 1 and len(bot.posted("@news_en")) == 1


def test_a_picture_telegram_cannot_fetch_is_posted_as_text(tmp_path: Path,
                                                           bot: BotApiServer) -> None:
    site = _site(tmp_path, bot)
    _turn_on(site)
    bot.bad_photos.add("https://steppe-ledger.example.org/images/river-delta.jpg")
    _story(site, "en", "one", "One")
    result = _masthead("channels", "send", site=site)
    assert result.returncode == 0, result.stderr
    [message] = bot.posted("@news_en")
    assert message.kind == "text" and "posting the text alone" in result.stderr


def test_a_poster_killed_waiting_for_an_answer_never_posts_twice(tmp_path: Path,
                                                                 bot: BotApiServer) -> None:
    site = _site(tmp_path, bot)
    _turn_on(site)
    for n in range(3):
        _story(site, "en", f"story-{n}", f"Story {n}", seconds_ago=2 - n)
    bot.trouble = [("hold", 8.0)]  # the first post is made; its answer comes late
    poster = subprocess.Popen([sys.executable, "-m", "masthead", "channels", "send", str(site)],
                              env={**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not bot.messages and time.monotonic() < deadline:
        time.sleep(0.05)
    poster.send_signal(signal.SIGKILL)
    poster.wait(30)
    assert len(bot.messages) == 1
    bot.trouble = []
    result = _masthead("channels", "send", site=site)
    assert result.returncode == 1  # one post is unsure: said, not repeated
    assert sorted(m.text.split("\n")[0] for m in bot.messages) == ["Story 0", "Story 1",
                                                                   "Story 2"]
    status = _masthead("channels", "status", site=site).stdout
    assert "telegram-en: story-0: unsure" in status
    assert "masthead channels resend telegram-en story-0" in status
    # a person looked and found it: nothing to do; had it been missing, resend posts it
    resend = _masthead("channels", "resend", "telegram-en", "story-1", site=site)
    assert resend.returncode == 1 and "is not unsure" in resend.stderr
    assert len(bot.messages) == 3


def test_deploy_posts_only_after_its_targets_are_verified(tmp_path: Path,
                                                          bot: BotApiServer) -> None:
    """`masthead deploy` posts what it made public, once its pages are fetched back from
    the target's address; with --no-verify it says why it holds the posts back."""
    from masthead.dev.server import serving

    www = tmp_path / "www"
    www.mkdir()
    with serving(www, []) as url:
        site = _demo_site(tmp_path, f'\n[[deploy]]\nname = "origin"\nurl = "{url}/"\n'
                                    f'to = "{www}"\nprimary = true\n'
                                    + _channel("en", "@news_en", bot))
        fast = ["--set", "images=false", "--set", "search=false"]
        first = _masthead("deploy", *fast, site=site)
        assert first.returncode == 0, first.stderr + first.stdout
        assert bot.messages == []  # the first deploy with the channel: its time begins
        time.sleep(3)
        _story(site, "en", "new-dam", "A new dam on the river")
        held = _masthead("deploy", *fast, "--no-verify", site=site)
        assert held.returncode == 0, held.stderr
        assert "the channels' posts are sent only after the targets are verified" in held.stderr
        assert bot.messages == []
        done = _masthead("deploy", *fast, site=site)
        assert done.returncode == 0, done.stderr + done.stdout
        [post] = bot.posted("@news_en")
        assert f'href="{url}/posts/new-dam/"' in post.html  # live there when it was posted
