"""Feeds of the demo, read by a real feed parser: valid, complete, absolute."""

import json

import feedparser
import pytest

from masthead.output import MemorySink

BASE = "https://steppe-ledger.example.org/"


@pytest.fixture
def demo(demo_sink: MemorySink) -> MemorySink:
    return demo_sink


def _feeds(sink: MemorySink, name: str) -> list[str]:
    return sorted(rel for rel in sink.files if rel.endswith(name))


def test_every_listing_has_three_feeds(demo: MemorySink) -> None:
    rss = _feeds(demo, "feed.xml")
    assert {"feed.xml", "ru/feed.xml", "categories/news/feed.xml", "tags/climate/feed.xml",
            "authors/aylana-badmaeva/feed.xml", "ru/categories/news/feed.xml"} <= set(rss)
    for rel in rss:
        base = rel[: -len("feed.xml")]
        assert base + "atom.xml" in demo.files and base + "feed.json" in demo.files


@pytest.mark.parametrize("name", ["feed.xml", "atom.xml"])
def test_xml_feeds_parse_cleanly_with_absolute_urls(demo: MemorySink, name: str) -> None:
    for rel in _feeds(demo, name):
        parsed = feedparser.parse(demo.files[rel])
        assert not parsed.bozo, (rel, parsed.get("bozo_exception"))
        assert parsed.entries, rel
        for entry in parsed.entries:
            assert entry.link.startswith(BASE), (rel, entry.link)
            assert entry.published_parsed is not None
            html = entry.content[0].value
            assert 'src="/' not in html and 'href="/' not in html, rel


def test_home_feed_items_newest_first_with_full_content(demo: MemorySink) -> None:
    parsed = feedparser.parse(demo.files["feed.xml"])
    assert parsed.feed.title == "The Steppe Ledger"
    first = parsed.entries[0]
    assert first.title == "The delta is drying, and the fishing villages know it first"
    assert first.link == BASE + "posts/river-delta-drying/"
    assert "<table>" in first.content[0].value  # the whole article, not a summary
    assert f'src="{BASE}images/river-delta.jpg"' in first.content[0].value
    dates = [e.published_parsed for e in parsed.entries]
    assert dates == sorted(dates, reverse=True)
    assert "draft-investigation" not in demo.text("feed.xml")


def test_json_feed(demo: MemorySink) -> None:
    feed = json.loads(demo.files["ru/categories/environment/feed.json"])
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["feed_url"] == BASE + "ru/categories/environment/feed.json"
    assert feed["language"] == "ru"
    item = feed["items"][0]
    assert item["url"] == item["id"] == BASE + "ru/posts/river-delta-drying/"
    assert item["authors"][0]["name"] == "Aylana Badmaeva"
    assert "Дельта" in item["title"] and item["content_html"].startswith("<p><img")


def test_pages_link_their_feeds(demo: MemorySink) -> None:
    page = demo.text("categories/news/index.html")
    assert ('<link rel="alternate" type="application/rss+xml" title="The Steppe Ledger (RSS)" '
            'href="/categories/news/feed.xml">') in page
    assert 'href="/categories/news/atom.xml"' in page


def test_summaries_only_and_fewer_items(build_site: object) -> None:
    from tests.conftest import post

    built = build_site({  # type: ignore[operator]
        "masthead.toml": 'title = "T"\nbase_url = "https://t.example/"\n'
                         "feed_items = 2\nfeed_full_content = false\n",
        **{f"content/posts/p{n}.md": post(f"Story {n}", f"2024-01-0{n}T00:00:00Z",
                                          description=f"Summary {n}", body="Secret body")
           for n in range(1, 5)}})
    parsed = feedparser.parse(built.sink.files["feed.xml"])
    assert [e.title for e in parsed.entries] == ["Story 4", "Story 3"]
    assert parsed.entries[0].summary == "Summary 4"
    assert "Secret body" not in built.sink.text("feed.xml")
    assert "Secret body" not in built.sink.text("feed.json")
