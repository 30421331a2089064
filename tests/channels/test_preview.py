"""`masthead channels preview`: the post as each channel will show it, in the terminal and
as a page that looks like Telegram, with nothing sent."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser

from tests.conftest import DEMO

CHANNELS = ('channels=[{name="telegram-ru", kind="telegram", language="ru", chat="@steppe_ru", '
            'api="http://127.0.0.1:9"}]')
# the primary target's address is not base_url's: posts link where the site is published
MIRRORS = ('deploy=[{name="origin", url="https://steppe-news.example.org/", to="/srv/a", '
           'primary=true}, {name="mirror", url="https://steppe-mirror.example.net/", '
           'to="/srv/b"}]')


def test_the_preview_shows_the_post_and_sends_nothing(tmp_path: Path) -> None:
    page = tmp_path / "posts.html"
    result = subprocess.run(
        [sys.executable, "-m", "masthead", "channels", "preview", str(DEMO), "--story",
         "river-delta-drying", "--html", str(page), "--set", CHANNELS, "--set", MIRRORS],
        capture_output=True, text=True, timeout=120,
        env={k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"})
    assert result.returncode == 0, result.stderr
    assert "telegram-ru (@steppe_ru): river-delta-drying, a photo with a caption of" in \
        result.stdout
    assert "Дельта пересыхает" in result.stdout
    assert "Сайт заблокирован? Этот материал и здесь: steppe-mirror.example.net" in result.stdout
    tree = LexborHTMLParser(page.read_text(encoding="utf-8"))
    assert tree.css_first(".bubble img").attributes["src"].startswith("file://")  # offline
    links = [a.attributes["href"] for a in tree.css(".bubble a")]
    assert links == ["https://steppe-news.example.org/ru/posts/river-delta-drying/",
                     "https://steppe-mirror.example.net/ru/posts/river-delta-drying/"]
