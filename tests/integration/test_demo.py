"""The demo site end to end: every expected URL exists and shows its key content."""

from pathlib import Path

import pytest

from masthead.config import load_config
from masthead.options import BuildOptions
from masthead.output import MemorySink
from masthead.pipeline import BuildReport, build
from tests.conftest import DEMO, NOW


@pytest.fixture(scope="module")
def demo() -> tuple[MemorySink, BuildReport]:
    sink = MemorySink()
    report = build(load_config(DEMO), sink, BuildOptions(now=NOW, strict=True))
    return sink, report


def page(demo: tuple[MemorySink, BuildReport], url: str) -> str:
    rel = url.strip("/") + "/index.html" if url.strip("/") else "index.html"
    return demo[0].text(rel)


def _slugs(folder: str, lang: str) -> set[str]:
    return {p.stem for p in (DEMO / "content" / folder / lang).glob("*.md")}


def test_demo_builds_without_any_warning(demo: tuple[MemorySink, BuildReport]) -> None:
    assert demo[1].diagnostics == []


def test_every_expected_url_exists(demo: tuple[MemorySink, BuildReport]) -> None:
    sink, _ = demo
    skipped = {"election-preview-2099", "draft-investigation"}
    for lang, prefix in (("en", ""), ("ru", "ru/")):
        posts = (_slugs("posts", "en") | _slugs("posts", lang)) - skipped
        expected = {f"{prefix}posts/{slug}/index.html" for slug in posts}
        expected |= {f"{prefix}authors/{s}/index.html" for s in _slugs("authors", "en")}
        expected |= {f"{prefix}categories/{s}/index.html" for s in _slugs("categories", "en")}
        expected |= {f"{prefix}docs/water-report-2024/index.html",
                     f"{prefix}videos/delta-in-four-minutes/index.html",
                     f"{prefix}videos/night-herders-film/index.html"}
        expected |= {f"{prefix}{p}/index.html" for p in ("about", "contact", "privacy",
                                                           "corrections", "archive", "tags")}
        expected |= {f"{prefix}index.html", f"{prefix}page/2/index.html", f"{prefix}404.html"}
        missing = expected - set(sink.files)
        assert not missing, sorted(missing)
    assert {"ru/posts/kalmyk-radio-returns/index.html", "sitemap.xml", "robots.txt",
            "images/logo.png"} <= set(sink.files)
    assert "posts/kalmyk-radio-returns/index.html" not in sink.files  # Russian only
    for url in ("posts/election-preview-2099/index.html", "posts/draft-investigation/index.html"):
        assert url not in sink.files


def test_home_page(demo: tuple[MemorySink, BuildReport]) -> None:
    home = page(demo, "/")
    assert '<html lang="en">' in home
    assert "The delta is drying, and the fishing villages know it first" in home  # lead
    assert 'id="topics-heading"' in home and "Environment <span class=\"count\">2</span>" in home
    assert 'href="/tags/climate/"' in home
    assert 'class="newsletter"' in home and "The week on the steppe" in home
    assert 'hreflang="ru" href="https://steppe-ledger.example.org/ru/"' in home


def test_russian_post_page(demo: tuple[MemorySink, BuildReport]) -> None:
    html = page(demo, "/ru/posts/river-delta-drying/")
    assert '<html lang="ru">' in html
    assert "Дельта пересыхает" in html
    assert ('<a class="kicker" href="/ru/categories/environment/" '
            'data-pagefind-filter="category">Природа</a>') in html
    assert "14 сентября 2024" in html
    assert "Просмотров: 4210" in html
    assert '<table>' in html and 'id="fn-1"' in html
    assert 'href="/ru/tags/water/"' in html
    assert "Свежие материалы" in page(demo, "/ru/")  # the site's own i18n/ru.toml


def test_fallback_and_external_author(demo: tuple[MemorySink, BuildReport]) -> None:
    html = page(demo, "/ru/posts/interview-linguist-lind/")
    assert "A language survives in kitchens" in html
    assert 'href="https://example.org/people/tomas-lind"' in html


def test_about_contact_and_video_pages(demo: tuple[MemorySink, BuildReport]) -> None:
    about = page(demo, "/about/")
    assert "The people who make the Ledger" in about
    assert about.index("Aylana Badmaeva") < about.index("Irina Sokolova")  # by order
    people = about[about.index('id="people-heading"'):]
    people = people[: people.index("</section>")]
    assert "Tomas Lind" not in people  # members only
    assert 'href="/docs/water-report-2024"' in about
    contact = page(demo, "/contact/")
    assert 'href="mailto:corrections@example.org"' in contact
    assert "12 River Street" in contact
    video = page(demo, "/videos/night-herders-film/")
    assert "youtube-nocookie.com/embed/ScMzIvxBSi4" in video


def test_pagination_is_real(demo: tuple[MemorySink, BuildReport]) -> None:
    second = page(demo, "/page/2/")
    assert 'rel="prev" href="/"' in second
    assert 'aria-current="page">2<' in second
    assert 'href="#"' not in second.split('class="pager"')[1]


def test_no_page_requests_another_host(demo: tuple[MemorySink, BuildReport]) -> None:
    """src/href of loaded resources (not links) stay on the site in theme pages."""
    import re

    sink, _ = demo
    for rel in ("index.html", "posts/night-herders/index.html", "categories/news/index.html"):
        html = sink.text(rel)
        for tag in re.findall(r"<(?:img|link|script)\b[^>]*>", html):
            for url in re.findall(r'(?:src|href)="([^"]+)"', tag):
                if 'rel="alternate"' in tag or 'rel="canonical"' in tag:
                    continue
                assert url.startswith("/"), (rel, tag)


def test_demo_output_is_reproducible(tmp_path: Path) -> None:
    first, second = MemorySink(), MemorySink()
    build(load_config(DEMO), first, BuildOptions(now=NOW))
    build(load_config(DEMO), second, BuildOptions(now=NOW))
    assert first.files == second.files
