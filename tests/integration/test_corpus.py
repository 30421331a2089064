"""The first user's real site builds with no errors and serves every route it serves today."""

import pytest
import yaml

from masthead.config import load_config
from masthead.content.slugs import banter_slug
from masthead.errors import Severity
from masthead.options import BuildOptions
from masthead.output import MemorySink
from masthead.pipeline import BuildReport, build
from tests.conftest import CORPUS, NOW, SHARED_IMAGE_CACHE, needs_shared

pytestmark = [needs_shared(), pytest.mark.corpus]


@pytest.fixture(scope="module")
def corpus() -> tuple[MemorySink, BuildReport]:
    sink = MemorySink()
    report = build(load_config(CORPUS), sink, BuildOptions(now=NOW),
          image_cache=SHARED_IMAGE_CACHE)
    return sink, report


def _meta(path: object) -> dict[str, object]:
    text = path.read_text(encoding="utf-8")  # type: ignore[attr-defined]
    return yaml.safe_load(text.split("---")[1]) or {}


def _files(collection: str, lang: str) -> dict[str, object]:
    """slug -> file, with the English file standing in for a missing translation."""
    found = {p.stem: p for p in (CORPUS / "content" / collection / "en").glob("*.md")}
    found.update({p.stem: p for p in (CORPUS / "content" / collection / lang).glob("*.md")})
    return found


def test_builds_without_errors(corpus: tuple[MemorySink, BuildReport]) -> None:
    errors = [d for d in corpus[1].diagnostics if d.severity is Severity.ERROR]
    assert errors == []


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_every_live_route_exists(corpus: tuple[MemorySink, BuildReport], lang: str) -> None:
    sink, _ = corpus
    prefix = "" if lang == "en" else "ru/"
    expected = {f"{prefix}index.html", f"{prefix}404.html"}
    tags: set[str] = set()
    for slug, path in _files("posts", lang).items():
        meta = _meta(path)
        if meta.get("draft"):
            assert f"{prefix}posts/{slug}/index.html" not in sink.files
            continue
        expected.add(f"{prefix}posts/{slug}/index.html")
        tags |= {banter_slug(str(t)) for t in meta.get("tags") or []}  # type: ignore[union-attr]
    expected |= {f"{prefix}tags/{t}/index.html" for t in tags}
    for collection, url in (("people", "people"), ("categories", "categories"),
                            ("docs", "docs"), ("videos", "videos")):
        expected |= {f"{prefix}{url}/{slug}/index.html" for slug in _files(collection, lang)}
    expected |= {f"{prefix}{p}/index.html" for p in ("about", "contact", "privacy")}
    missing = expected - set(sink.files)
    assert not missing, sorted(missing)
    assert {"sitemap.xml", "robots.txt"} <= set(sink.files)


def test_russian_post_in_an_english_named_category(corpus: tuple[MemorySink, BuildReport]) -> None:
    sink, _ = corpus
    html = sink.text("ru/posts/Here-I-stand/index.html")
    assert ('<a class="kicker" href="/ru/categories/opinions/" '
            'data-pagefind-filter="category">') in html
    news = sink.text("ru/categories/news/index.html")
    assert "<h1>Новости</h1>" in news


def test_videos_category_lists_the_videos(corpus: tuple[MemorySink, BuildReport]) -> None:
    html = corpus[0].text("categories/videos/index.html")
    assert 'href="/videos/Contours-of-the-future/"' in html


def test_external_person_links_out(corpus: tuple[MemorySink, BuildReport]) -> None:
    html = corpus[0].text("posts/Letter-to-President-Biden/index.html")
    assert 'href="https://freenationsleague.org/en/home.html" rel="noopener"' in html
    assert "people/free-nations-league/index.html" in corpus[0].files


@pytest.mark.parametrize("prefix", ["", "ru/"])
def test_feeds_and_structured_data_in_both_languages(corpus: tuple[MemorySink, BuildReport],
                                                     prefix: str) -> None:
    import extruct
    import feedparser

    sink, _ = corpus
    for name in ("feed.xml", "atom.xml", "categories/news/feed.xml", "tags/kalmyks/atom.xml"):
        parsed = feedparser.parse(sink.files[prefix + name])
        assert not parsed.bozo and parsed.entries, (prefix, name)
    post = sink.text(f"{prefix}posts/Here-I-stand/index.html")
    types = {item["@type"]: item for item in extruct.extract(post, syntaxes=["json-ld"])
             ["json-ld"]}
    assert types["NewsArticle"]["inLanguage"] == (prefix.strip("/") or "en")
    assert types["NewsArticle"]["author"][0]["name"] == "Maria Ochir"
    video = sink.text(f"{prefix}videos/Contours-of-the-future/index.html")
    assert '"@type":"VideoObject"' in video
