"""Head metadata and JSON-LD of each page type, read the way search engines read it."""

from typing import Any

import extruct
import pytest

from masthead.output import MemorySink

BASE = "https://steppe-ledger.example.org/"


@pytest.fixture
def demo(demo_sink: MemorySink) -> MemorySink:
    return demo_sink


def data(sink: MemorySink, rel: str) -> dict[str, Any]:
    extracted = extruct.extract(sink.text(rel), base_url=BASE, syntaxes=["json-ld", "opengraph"],
                                uniform=True)
    types = {item["@type"]: item for item in extracted["json-ld"]}
    og = extracted["opengraph"][0] if extracted["opengraph"] else {}
    return {"types": types, "og": og}


def test_news_article_has_what_rich_results_require(demo: MemorySink) -> None:
    found = data(demo, "posts/river-delta-drying/index.html")
    article = found["types"]["NewsArticle"]
    assert article["headline"] == "The delta is drying, and the fishing villages know it first"
    assert article["image"] == [BASE + "images/river-delta.jpg"]
    assert article["datePublished"] == "2024-09-14T08:30:00+03:00"
    assert article["dateModified"] == "2024-09-14T08:30:00+03:00"
    assert article["author"] == [{"@type": "Person", "name": "Aylana Badmaeva",
                                  "url": BASE + "authors/aylana-badmaeva/"}]
    assert article["publisher"]["@type"] == "Organization"
    assert article["publisher"]["logo"]["url"] == BASE + "images/logo.png"
    assert article["inLanguage"] == "en"
    crumbs = found["types"]["BreadcrumbList"]["itemListElement"]
    assert [c["name"] for c in crumbs] == ["The Steppe Ledger", "Environment",
                                           article["headline"]]
    og = found["og"]
    assert og["@type"] == "article" and og["og:image"] == BASE + "images/river-delta.jpg"
    assert og["og:image:width"] == "1200" and og["og:image:height"] == "750"
    assert og["article:published_time"] == "2024-09-14T08:30:00+03:00"
    assert og["article:author"] == BASE + "authors/aylana-badmaeva/"


def test_russian_article_says_its_language(demo: MemorySink) -> None:
    article = data(demo, "ru/posts/river-delta-drying/index.html")["types"]["NewsArticle"]
    assert article["inLanguage"] == "ru" and article["url"] == BASE + "ru/posts/river-delta-drying/"


def test_video_object(demo: MemorySink) -> None:
    video = data(demo, "videos/delta-in-four-minutes/index.html")["types"]["VideoObject"]
    assert video["name"] == "The delta in four minutes"
    assert video["thumbnailUrl"] == [BASE + "images/river-delta.jpg"]
    assert video["uploadDate"] == "2024-09-15T12:00:00+03:00"
    assert video["embedUrl"] == "https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ"
    assert video["description"]


def test_person_website_and_breadcrumbs(demo: MemorySink) -> None:
    person = data(demo, "authors/tomas-lind/index.html")["types"]["Person"]
    assert person["name"] == "Tomas Lind"
    assert person["sameAs"] == ["https://example.org/people/tomas-lind"]
    website = data(demo, "index.html")["types"]["WebSite"]
    assert website["url"] == BASE and website["inLanguage"] == "en"
    assert data(demo, "ru/index.html")["types"]["WebSite"]["url"] == BASE + "ru/"
    tag = data(demo, "tags/climate/index.html")["types"]["BreadcrumbList"]
    assert tag["itemListElement"][-1]["name"] == "#Climate"
