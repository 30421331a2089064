"""Embeds become static cards and click-to-load facades; allowed hosts stay as written."""

from __future__ import annotations

from masthead.content.embeds import EmbedPolicy, clean_url
from masthead.content.markdown import BodyMedia, render_markdown

TWEET = ('<blockquote class="twitter-tweet"><p lang="ru" dir="ltr">Мобилизация в '
         '<a href="https://twitter.com/hashtag/russia?src=hash&amp;ref_src=twsrc%5Etfw">#russia'
         '</a>.</p>&mdash; Anastasiya (@Anastasiya1451A) <a href="https://twitter.com/'
         'Anastasiya1451A/status/1684114906004553729?ref_src=twsrc%5Etfw">July 26, 2023</a>'
         '</blockquote> <script async src="https://platform.twitter.com/widgets.js" '
         'charset="utf-8"></script>\n')
YOUTUBE = ('<iframe width="560" height="315" src="https://www.youtube.com/embed/dQw4w9WgXcQ" '
           'title="Delta" frameborder="0" allowfullscreen></iframe>\n')


def test_a_tweet_becomes_a_static_card_from_its_own_text() -> None:
    html = render_markdown(TWEET).html
    assert '<figure class="embed-tweet">' in html
    assert '<p lang="ru" dir="ltr">Мобилизация в' in html
    assert "— Anastasiya (@Anastasiya1451A)" in html
    assert ('<a href="https://twitter.com/Anastasiya1451A/status/1684114906004553729" '
            'rel="noopener">July 26, 2023</a>') in html
    assert "widgets.js" not in html and "twitter-tweet" not in html
    assert "ref_src" not in html  # the tracking parameter is gone from every link


def test_a_youtube_iframe_becomes_a_facade_that_loads_nothing() -> None:
    html = render_markdown(YOUTUBE).html
    assert "<iframe" not in html
    assert 'href="https://www.youtube.com/watch?v=dQw4w9WgXcQ"' in html
    assert 'data-embed-src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1"' in html
    assert 'class="embed-poster"' in html  # no poster stored: a styled placeholder


def test_a_stored_poster_is_shown_from_the_site() -> None:
    policy = EmbedPolicy(poster=lambda video: f"/_embeds/youtube-{video}.jpg",
                         picture=lambda src, alt: f'<img src="{src}" alt="{alt}">')
    html = render_markdown(YOUTUBE, BodyMedia(embeds=policy)).html
    assert '<img src="/_embeds/youtube-dQw4w9WgXcQ.jpg" alt="">' in html


def test_other_iframes_get_a_facade_naming_the_host() -> None:
    html = render_markdown('<iframe src="https://www.openstreetmap.org/export/embed.html?b=1"'
                           ' title="Map"></iframe>\n').html
    assert "<iframe" not in html
    assert "Load content from www.openstreetmap.org" in html
    assert 'data-embed-src="https://www.openstreetmap.org/export/embed.html?b=1"' in html


def test_a_telegram_widget_becomes_a_card_linking_to_the_post() -> None:
    html = render_markdown('<script async src="https://telegram.org/js/telegram-widget.js?22" '
                           'data-telegram-post="oiradcongress/123" data-width="100%"></script>\n'
                           ).html
    assert '<a class="embed-telegram" href="https://t.me/oiradcongress/123"' in html
    assert "telegram-widget.js" not in html


def test_labels_come_in_the_page_language() -> None:
    policy = EmbedPolicy(label=lambda key, host: {"embed_play": "Смотреть видео"}.get(key, host))
    assert "Смотреть видео" in render_markdown(YOUTUBE, BodyMedia(embeds=policy)).html


def test_allowed_hosts_keep_their_scripts_and_iframes() -> None:
    policy = EmbedPolicy(allow=frozenset({"platform.twitter.com", "www.youtube.com"}))
    html = render_markdown(TWEET + "\n" + YOUTUBE, BodyMedia(embeds=policy)).html
    assert 'class="twitter-tweet"' in html and "platform.twitter.com/widgets.js" in html
    assert '<iframe width="560" height="315" src="https://www.youtube.com/embed/' in html


def test_clean_url_keeps_other_parameters() -> None:
    assert clean_url("https://x.com/a/status/1?ref_src=twsrc%5Etfw") == "https://x.com/a/status/1"
    assert clean_url("https://x.com/s?q=1&ref_src=t&b=2") == "https://x.com/s?q=1&b=2"
    assert clean_url("https://youtu.be/abc?t=42") == "https://youtu.be/abc?t=42"
