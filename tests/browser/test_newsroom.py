"""The whole newsroom at the desk, in real Chromium against `masthead desk serve`, with a
real SMTP server on loopback and two folder targets:

an admin invites a contributor and an editor (the invitations arrive by mail); the
contributor sets a password and a second factor, writes a story in Russian with a photo
and submits it for review, and her direct protocol calls for another's story and for
publishing get 403; the editor reviews it and schedules it a minute ahead; with nobody
signed in, the story appears on both targets with its photo and the newsletter goes out
once; the story's history shows both people's revisions and restores the first."""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import pyotp
import pytest
from PIL import Image

from tests.api.conftest import Mailbox, free_port, mailbox, wait_for_port  # noqa: F401
from tests.browser.conftest import wait_for
from tests.newsletter.conftest import close, subscribe

PASSWORDS = {"boss": "the steppe is wide and far", "ann": "wind over the river delta",
             "ed": "an editor reads it twice"}
SLUG = "калмыцкое-радио"


def command(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "masthead.cli", *args], capture_output=True,
                          text=True, timeout=120)


def newsroom_site(root: Path, smtp_port: int) -> Path:
    site = root / "site"
    for folder in ("content/posts/ru", "content/posts/en", "content/authors",
                   "content/categories"):
        (site / folder).mkdir(parents=True)
    targets = "".join(f'[[deploy]]\nname = "{n}"\nurl = "https://{n}.example.net/"\n'
                      f'to = "{root / n}"\n' for n in ("origin", "mirror"))
    (site / "masthead.toml").write_text(
        'title = "Степной вестник"\nlanguages = ["ru", "en"]\nlanguage = "ru"\n'
        'base_url = "https://origin.example.net/"\nnewsletter_each_story = true\n'
        f'smtp_host = "127.0.0.1"\nsmtp_port = {smtp_port}\n'
        'mail_from = "Степной вестник <desk@example.org>"\n' + targets, encoding="utf-8")
    (site / "content/authors/anna-li.md").write_text('---\nname: "Анна Ли"\n---\n',
                                                     encoding="utf-8")
    (site / "content/posts/ru/old.md").write_text(
        '---\ntitle: "Старый материал"\ndate: "2026-11-01T10:00:00+03:00"\n---\nТекст.\n',
        encoding="utf-8")
    close(subscribe(str(site / ".masthead/api.sqlite"), site, [("reader@example.org", "ru")]))
    return site


@pytest.fixture
def newsroom(tmp_path: Path, mailbox: Mailbox) -> Iterator[tuple[str, str, Path]]:  # noqa: F811
    site = newsroom_site(tmp_path, mailbox.port)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    invited = command("desk", "invite", "boss@example.org", str(site), "--name", "Boss",
                      "--role", "admin", "--address", url)
    assert invited.returncode == 0, invited.stderr
    server = subprocess.Popen([sys.executable, "-m", "masthead.cli", "desk", "serve",
                               str(site), "--port", str(port), "--no-verify"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, server)
        yield url, invited.stdout.strip().splitlines()[-1].strip(), site
    finally:
        server.terminate()
        server.wait(timeout=30)


def join(browser: Any, link: str, email: str, password: str) -> tuple[Any, pyotp.TOTP]:
    """A new person's first visit: the invitation's page, a password, signing in, a
    second factor set up; the desk's editor once it has loaded, and the authenticator."""
    context = browser.new_context(locale="ru-RU", timezone_id="UTC",
                                  viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # "publish now?" and the like
    page.goto(link)
    page.fill("#new-password", password)
    page.click("#welcome button")
    wait_for(page, "document.getElementById('said').textContent.length > 0")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("#sign-in button")
    page.wait_for_selector("#otpauth[data-uri]", state="attached")
    totp = pyotp.parse_uri(page.get_attribute("#otpauth", "data-uri") or "")
    page.fill("#totp", totp.now())
    page.click("#code button[type=submit]")
    page.get_by_role("button", name="Войти").click()  # Decap's own door
    page.wait_for_selector("text=Старый материал", timeout=30_000)
    return page, totp


def invitation(message: Message) -> str:
    text = message.get_payload(decode=True).decode()  # type: ignore[union-attr]
    found = re.search(r"http://\S+#invitation=[A-Za-z0-9_-]+", text)
    assert found, text
    return found.group(0)


def photo(path: Path) -> Path:
    out = io.BytesIO()
    Image.new("RGB", (1600, 1000), (40, 90, 160)).save(out, "JPEG", quality=90)
    path.write_bytes(out.getvalue())
    return path


def call(page: Any, action: str, params: dict[str, Any]) -> int:
    """A direct protocol call from the signed-in page, as a curious writer would make."""
    return int(page.evaluate("""([action, params]) => fetch('/admin/api/v1', {
        method: 'POST', headers: {'Content-Type': 'application/json'},
        body: JSON.stringify({action, params})}).then(r => r.status)""", [action, params]))


def shows_status(page: Any, name: str) -> None:
    """Wait until the editor's status button says ``name``."""
    button = page.locator("[class*=StatusButton]")  # its Russian label has a Latin C
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if button.count() and name in button.first.inner_text():
            return
        time.sleep(0.2)
    raise AssertionError(f"the status is not {name}")


def status(page: Any, name: str) -> None:
    page.locator("[class*=StatusButton]").first.click()
    page.get_by_role("menuitem").filter(has_text=name).first.click()
    shows_status(page, name)


def test_the_newsroom_from_invitation_to_a_scheduled_story(
        browser: Any, newsroom: tuple[str, str, Path], mailbox: Mailbox,  # noqa: F811
        tmp_path: Path) -> None:
    url, boss_link, _site = newsroom
    boss, _ = join(browser, boss_link, "boss@example.org", PASSWORDS["boss"])

    # The admin invites a contributor and an editor; the mail server gets both letters.
    boss.goto(f"{url}/admin/people.html")
    for name, email, role in (("Анна Ли", "ann@example.org", "contributor"),
                              ("Эд", "ed@example.org", "editor")):
        boss.fill("#invite-name", name)
        boss.fill("#invite-email", email)
        boss.select_option("#invite-role", role)
        boss.click("#invite button[type=submit]")
        wait_for(boss, "document.getElementById('said').textContent.length > 0")
        assert "отправлено" in boss.inner_text("#said")
        boss.evaluate("document.getElementById('said').textContent = ''")
    letters = {m["X-Envelope-To"]: m for m in mailbox.wait(2)}

    # The contributor: password, second factor, a story in Russian with a photo.
    ann, _ = join(browser, invitation(letters["ann@example.org"]), "ann@example.org",
               PASSWORDS["ann"])
    ann.goto(f"{url}/admin/#/collections/posts/new")
    ann.wait_for_selector("#title-field-1")
    ann.fill("#title-field-1", "Калмыцкое радио")
    ann.fill("#date-field-3", "2026-12-01T10:00")
    ann.locator("[data-slate-editor]").first.click()
    ann.keyboard.type("Радио снова звучит в степи.")
    ann.get_by_text("Выберите изображение").first.click()
    ann.locator("input[type=file]").first.set_input_files(photo(tmp_path / "steppe.jpg"))
    ann.get_by_text("Выбрать помеченные").click()
    ann.get_by_role("button", name="Сохранить").click()
    shows_status(ann, "Черновик")
    status(ann, "На рассмотрении")
    assert call(ann, "persistEntry", {  # another's story
        "dataFiles": [{"slug": "old", "path": "content/posts/ru/old.md", "raw": "---\n"
                       "title: mine\n---\n"}], "assets": [],
        "options": {"collectionName": "posts"}}) == 403
    assert call(ann, "publishUnpublishedEntry", {"collection": "posts", "slug": SLUG}) == 403

    # The editor reviews it and schedules it a minute ahead.
    ed, ed_code = join(browser, invitation(letters["ed@example.org"]), "ed@example.org",
              PASSWORDS["ed"])
    ed.goto(f"{url}/admin/#/collections/posts/entries/{SLUG}")
    ed.wait_for_selector("[id^=title-field]")
    assert ed.input_value("[id^=title-field] >> nth=0") == "Калмыцкое радио"
    # A minute ahead, to the minute (the date field has no seconds).
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=60)
    when = soon.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    ed.fill("[id^=date-field] >> nth=0", when.strftime("%Y-%m-%dT%H:%M"))
    ed.get_by_role("button", name="Сохранить").click()
    shows_status(ed, "На рассмотрении")
    status(ed, "Одобрен")
    ed.get_by_role("button", name="Опубликовать", exact=True).click()
    ed.get_by_role("menuitem").filter(has_text="Опубликовать сейчас").first.click()
    wait_for(ed, """fetch('/admin/publishes').then(r => r.json()).then(runs =>
        window.ran = runs.some(run => run.reason.includes('publish') &&
                                      run.state === 'done')) && window.ran === true""",
             timeout=60_000)
    # The editor sees what the publish did, in Russian, on the desk's own page.
    ed.goto(f"{url}/admin/")
    ed.get_by_role("link", name="Публикации").click()
    ed.wait_for_selector("#runs td.done")
    assert ed.locator("#runs td.done").first.inner_text() == "на сайте"
    assert "сайт собран за" in ed.locator("#runs").inner_text()
    for page in (boss, ann, ed):  # everybody leaves
        page.evaluate("fetch('/admin/session', {method: 'DELETE'})")
        page.context.close()
    # The site's first language is at its root.
    pages = [tmp_path / target / "posts" / SLUG / "index.html"
             for target in ("origin", "mirror")]
    assert not any(p.exists() for p in pages)  # not before its time

    # With nobody there, the story goes live on both targets at its time, with its photo.
    deadline = time.monotonic() + 180
    while not all(p.exists() for p in pages) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert all(p.exists() for p in pages), sorted((tmp_path / "origin").rglob("index.html"))
    assert dt.datetime.now(dt.UTC) >= when
    for page_file in pages:
        html = page_file.read_text(encoding="utf-8")
        assert "Калмыцкое радио" in html and "steppe" in html
        assert (page_file.parents[2] / "images/uploads/steppe.jpg").is_file()
    # The newsletter goes out once, to the one subscriber.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(
            m["X-Envelope-To"] == "reader@example.org" for m in mailbox.messages):
        time.sleep(0.3)
    time.sleep(2)
    assert [m["X-Envelope-To"] for m in mailbox.messages].count("reader@example.org") == 1

    # History: both people's revisions; the first one restored.
    context = browser.new_context(locale="ru-RU", timezone_id="UTC")
    page = context.new_page()
    page.goto(f"{url}/admin/")
    page.fill("#email", "ed@example.org")
    page.fill("#password", PASSWORDS["ed"])
    page.click("#sign-in button")
    page.fill("#totp", ed_code.now())  # a minute later: a new code
    page.click("#code button[type=submit]")
    page.wait_for_selector("#desk-history")
    page.goto(f"{url}/admin/history.html#story={SLUG}")
    page.wait_for_selector("table tr")
    rows = page.locator("table tr")
    assert [rows.nth(n).locator("td").nth(1).inner_text() for n in range(rows.count())] \
        == ["Эд", "Анна Ли"]
    rows.nth(1).get_by_role("button", name="Сравнить с текущей").click()
    page.wait_for_selector("#diff:not([hidden])")
    assert "-date: 2026-12-01" in page.inner_text("#diff")
    rows.nth(1).get_by_role("button", name="Восстановить").click()
    wait_for(page, "document.getElementById('said').textContent.length > 0")
    assert "Восстановлено" in page.inner_text("#said")
    restored = page.evaluate("""(slug) => fetch('/admin/api/v1', {method: 'POST',
        headers: {'Content-Type': 'application/json'}, body: JSON.stringify({
        action: 'unpublishedEntryDataFile', params: {collection: 'posts', slug: slug,
        path: 'content/posts/ru/' + slug + '.md'}})}).then(r => r.json())""", SLUG)
    assert "2026-12-01" in restored["data"]  # Ann's first version, a draft again
    context.close()
