"""Sitemaps of the demo: every page, its translations, and the Google News sitemap."""

import datetime as dt
import shutil
from pathlib import Path

import pytest
from lxml import etree

from masthead.config import load_config
from masthead.options import BuildOptions
from masthead.output import MemorySink
from masthead.pipeline import build
from tests.conftest import (
    CORPUS,
    DEMO,
    NOW,
    REPO,
    SHARED_IMAGE_CACHE,
    Built,
    SiteBuilder,
    needs_shared,
    post,
)

OFFICIAL_XSD = REPO / "node_modules" / "sitemap" / "schema" / "sitemap.xsd"

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
    pages = [rel for rel in sink.files if rel.endswith(".html")
             and not rel.endswith("404.html") and "search/" not in rel]
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
    quiet = _build()  # nothing in the last 48 hours: no (invalid, empty) news sitemap
    assert "news-sitemap.xml" not in quiet.files and "news-sitemap" not in quiet.text("robots.txt")


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> etree.XMLSchema:
    """The sitemaps.org schema (from the npm package that ships it) with the two extension
    namespaces we use declared beside it (its wildcard checks them strictly)."""
    if not OFFICIAL_XSD.is_file():
        pytest.skip(f"needs the sitemaps.org schema at {OFFICIAL_XSD} (npm install)")
    folder = tmp_path_factory.mktemp("xsd")
    shutil.copy(OFFICIAL_XSD, folder / "sitemap.xsd")
    for name in ("xhtml-link.xsd", "news.xsd"):
        shutil.copy(Path(__file__).parents[1] / "schemas" / name, folder / name)
    (folder / "all.xsd").write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        '<xs:import namespace="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'schemaLocation="sitemap.xsd"/>'
        '<xs:import namespace="http://www.w3.org/1999/xhtml" schemaLocation="xhtml-link.xsd"/>'
        '<xs:import namespace="http://www.google.com/schemas/sitemap-news/0.9" '
        'schemaLocation="news.xsd"/></xs:schema>')
    return etree.XMLSchema(etree.parse(str(folder / "all.xsd")))


def test_sitemaps_are_valid_against_the_sitemaps_org_schema(schema: etree.XMLSchema) -> None:
    for now in (NOW, dt.datetime(2024, 9, 15, 12, 0, tzinfo=dt.UTC)):
        sink = _build(now)
        for name in ("sitemap.xml", "news-sitemap.xml"):
            if name not in sink.files:
                continue
            document = etree.fromstring(sink.files[name])
            assert schema.validate(document), (name, schema.error_log.last_error)


def test_the_schema_rejects_a_broken_sitemap(schema: etree.XMLSchema) -> None:
    broken = (b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url>'
              b"<lastmod>yesterday</lastmod></url></urlset>")
    assert not schema.validate(etree.fromstring(broken))


@needs_shared()
def test_the_first_users_sitemap_is_valid_in_both_languages(schema: etree.XMLSchema) -> None:
    sink = MemorySink()
    build(load_config(CORPUS), sink, BuildOptions(now=NOW),
          image_cache=SHARED_IMAGE_CACHE)
    document = etree.fromstring(sink.files["sitemap.xml"])
    assert schema.validate(document), schema.error_log.last_error
    locs = {loc.text for loc in document.findall("s:url/s:loc", NS)}
    assert "https://oiratcongress.org/ru/posts/Here-I-stand/" in locs


def test_more_than_50000_urls_are_split_under_an_index() -> None:
    from masthead.config import SiteConfig
    from masthead.emit.sitemap import sitemap_files
    from masthead.site.routes import Route

    config = SiteConfig(root=Path("."), base_url="https://big.example/")
    routes = [Route(f"/posts/p{n}/", "post.html", "en", "post", ("posts", str(n)))
              for n in range(50_001)]
    files = sitemap_files(config, routes)
    assert sorted(files) == ["sitemap-1.xml", "sitemap-2.xml", "sitemap.xml"]
    index = etree.fromstring(files["sitemap.xml"])
    assert index.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex"
    assert [loc.text for loc in index.findall("s:sitemap/s:loc", NS)] == [
        "https://big.example/sitemap-1.xml", "https://big.example/sitemap-2.xml"]
    assert len(etree.fromstring(files["sitemap-1.xml"]).findall("s:url", NS)) == 50_000
    assert len(etree.fromstring(files["sitemap-2.xml"]).findall("s:url", NS)) == 1


def _lastmods(built: Built) -> dict[str, str]:
    tree = etree.fromstring(built.sink.files["sitemap.xml"])
    return {u.find("s:loc", NS).text: u.find("s:lastmod", NS).text
            for u in tree.findall("s:url", NS) if u.find("s:lastmod", NS) is not None}


def test_a_listing_is_as_new_as_its_newest_story(build_site: SiteBuilder) -> None:
    """By the instant, whatever the offsets; a later modification counts."""
    files = {"content/posts/a.md": post("A", "2024-01-02T10:00:00+00:00"),
             "content/posts/b.md": post("B", "2024-01-02T14:00:00+06:00")}  # 08:00 UTC
    lastmods = _lastmods(build_site(files))
    base = "https://news.example.org/"
    assert lastmods[base + "categories/news/"] == "2024-01-02T10:00:00+00:00"
    files["content/posts/b.md"] = post("B", "2024-01-02T14:00:00+06:00",
                                       modified="2024-03-01T09:00:00+06:00")
    lastmods = _lastmods(build_site(files))
    assert lastmods[base + "categories/news/"] == "2024-03-01T09:00:00+06:00"
