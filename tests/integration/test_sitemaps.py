"""Sitemaps of the demo: every page, its translations, and the Google News sitemap."""

import datetime as dt

from lxml import etree

from masthead.build import build
from masthead.config import load_config
from masthead.content.load import BuildOptions
from masthead.output import MemorySink
from tests.conftest import DEMO, NOW

BASE = "https://steppe-ledger.example.org/"
NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml",
      "n": "http://www.google.com/schemas/sitemap-news/0.9"}


def _build(now: dt.datetime = NOW) -> MemorySink:
    sink = MemorySink()
    build(load_config(DEMO), sink, BuildOptions(now=now))
    return sink


def test_sitemap_lists_every_page_with_translations() -> None:
    sink = _build()
    tree = etree.fromstring(sink.files["sitemap.xml"])
    locs = [loc.text for loc in tree.findall("s:url/s:loc", NS)]
    pages = [rel for rel in sink.files if rel.endswith(".html") and not rel.endswith("404.html")]
    assert len(locs) == len(set(locs)) == len(pages)
    assert all(loc.startswith(BASE) for loc in locs)
    url = next(u for u in tree.findall("s:url", NS)
               if u.find("s:loc", NS).text == BASE + "posts/river-delta-drying/")
    assert url.find("s:lastmod", NS).text == "2024-09-14T08:30:00+03:00"
    links = {link.get("hreflang"): link.get("href") for link in url.findall("x:link", NS)}
    assert links == {"en": BASE + "posts/river-delta-drying/",
                     "ru": BASE + "ru/posts/river-delta-drying/"}
    assert "feed.xml" not in sink.text("sitemap.xml")


def test_news_sitemap_has_the_last_48_hours() -> None:
    sink = _build(dt.datetime(2024, 9, 15, 12, 0, tzinfo=dt.UTC))
    tree = etree.fromstring(sink.files["news-sitemap.xml"])
    rows = [(u.find("s:loc", NS).text, u.find("n:news/n:publication/n:language", NS).text)
            for u in tree.findall("s:url", NS)]
    assert sorted(rows) == [(BASE + "posts/river-delta-drying/", "en"),
                            (BASE + "ru/posts/river-delta-drying/", "ru")]
    title = tree.find("s:url/n:news/n:title", NS).text
    assert title.startswith("The delta is drying")
    robots = sink.text("robots.txt")
    assert f"Sitemap: {BASE}sitemap.xml" in robots and f"Sitemap: {BASE}news-sitemap.xml" in robots
    assert not etree.fromstring(_build().files["news-sitemap.xml"]).findall("s:url", NS)
