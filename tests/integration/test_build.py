"""Whole small sites built in memory, with assertions on the pages they produce."""

from tests.conftest import SiteBuilder, post


def test_every_kind_of_page_is_built(build_site: SiteBuilder) -> None:
    built = build_site({
        "content/posts/a.md": post("First", "2024-01-01T10:00:00+00:00", tags=["Rivers", "Дельта"]),
        "content/posts/b.md": post("Second", "2024-01-02T10:00:00+00:00", group="Featured"),
        "content/posts/c.md": post("Third", "2024-01-03T10:00:00+00:00"),
        "content/pages/about.md": '---\ntitle: "About"\n---\nWho we are.\n',
        "content/pages/corrections.md": '---\ntitle: "Corrections"\n---\nWe fix mistakes.\n',
    })
    expected = {
        "index.html", "page/1/index.html", "posts/a/index.html", "posts/b/index.html",
        "posts/c/index.html", "authors/ann/index.html", "authors/ann/page/1/index.html",
        "categories/news/index.html",
        "categories/news/page/1/index.html", "tags/rivers/index.html", "tags/дельта/index.html",
        "about/index.html", "corrections/index.html", "404.html", "categories/index.html",
        "authors/index.html", "tags/index.html", "archive/index.html",
    }
    assert expected <= built.paths
    assert any(p.startswith("assets/style.") and p.endswith(".css") for p in built.paths)


def test_home_shows_featured_latest_and_pager(build_site: SiteBuilder) -> None:
    built = build_site({
        "content/posts/a.md": post("Old story", "2024-01-01T10:00:00+00:00"),
        "content/posts/b.md": post("Lead story", "2024-01-02T10:00:00+00:00", group="Featured"),
        "content/posts/c.md": post("New story", "2024-01-03T10:00:00+00:00", views=900),
    })
    home = built.html("/")
    assert '<h3 class="lead-title"><a href="/posts/b/">Lead story</a></h3>' in home
    latest = home[home.index('id="latest-heading"'):]
    assert latest.index("New story") < latest.index("Lead story")
    assert "Old story" not in latest[: latest.index('class="pager"')]
    # the archive behind the first page is counted from the oldest story
    assert 'rel="next" href="/page/1/"' in home
    assert "Old story" in built.html("/page/1/")
    most_read = home[home.index('id="most-read-heading"'):]
    assert most_read.index("New story") < most_read.index("Old story")


def test_post_page_content(build_site: SiteBuilder) -> None:
    built = build_site({"content/posts/a.md": post(
        "Dry delta", description="Water is low.", image="/images/a.png", views=42,
        tags=["Water Policy"], body="# Heading\n\n" + "word " * 450)})
    page = built.html("/posts/a/")
    assert "<title>Dry delta &mdash; Test Times</title>" in page
    assert '<p class="standfirst">Water is low.</p>' in page
    assert "3 min read" in page  # 451 words at 200 a minute, computed
    assert "42 views" in page
    assert 'href="/tags/water-policy/"' in page
    assert 'href="/authors/ann/"' in page
    assert 'width="40" height="30"' in page and 'fetchpriority="high"' in page
    assert '<h2 id="heading">Heading</h2>' in page
    share = "https%3A//news.example.org/posts/a/"
    assert f"https://t.me/share/url?url={share}" in page
    assert '<link rel="canonical" href="https://news.example.org/posts/a/">' in page


def test_next_article_is_the_next_older_in_the_category_and_wraps(build_site: SiteBuilder) -> None:
    built = build_site({
        "content/categories/culture.md": '---\nname: "Culture"\n---\n',
        "content/posts/a.md": post("Oldest news", "2024-01-01T10:00:00+00:00"),
        "content/posts/b.md": post("Culture", "2024-01-02T10:00:00+00:00", category="Culture"),
        "content/posts/c.md": post("Newest news", "2024-01-03T10:00:00+00:00"),
    })

    def next_title(url: str) -> str:
        page = built.html(url)
        section = page[page.index('id="next-heading"'):]
        return section.split('class="card-title"><a href="')[1].split('"')[0]

    assert next_title("/posts/c/") == "/posts/a/"
    assert next_title("/posts/a/") == "/posts/c/"
    assert 'id="next-heading"' not in built.html("/posts/b/")


def test_drafts_and_scheduled_posts_are_left_out_unless_asked(build_site: SiteBuilder) -> None:
    files = {"content/posts/a.md": post("Live"),
             "content/posts/d.md": post("Draft", draft=True),
             "content/posts/f.md": post("Future", "2030-01-01T00:00:00+00:00")}
    built = build_site(files)
    assert "posts/a/index.html" in built.paths
    assert not {"posts/d/index.html", "posts/f/index.html"} & built.paths
    assert sorted(e.slug for e in built.report.skipped) == ["d", "f"]
    everything = build_site(files, drafts=True, future=True)
    assert {"posts/d/index.html", "posts/f/index.html"} <= everything.paths


def test_category_matched_by_slug_shows_the_category_name(build_site: SiteBuilder) -> None:
    built = build_site({
        "content/categories/world-news.md": '---\nname: "Мир"\n---\n',
        "content/posts/a.md": post(category="World News"),
    })
    page = built.html("/posts/a/")
    assert ('<a class="kicker" href="/categories/world-news/" data-pagefind-filter="category">'
            "Мир</a>") in page


def test_external_author_links_out(build_site: SiteBuilder) -> None:
    built = build_site({
        "content/authors/wire.md": '---\nname: "Wire"\nrole: "external"\n'
                                   'externalAuthorLink: "https://wire.example/"\n---\n',
        "content/posts/a.md": post(author="Wire"),
    })
    assert 'href="https://wire.example/"' in built.html("/posts/a/")
    assert "authors/wire/index.html" in built.paths


def test_site_template_overrides_the_theme(build_site: SiteBuilder) -> None:
    built = build_site({
        "content/posts/a.md": post(),
        "templates/404.html": "<!doctype html><title>Gone</title><p>Custom {{ config.title }}</p>",
    })
    assert built.html("/404.html") == "<!doctype html><title>Gone</title><p>Custom Test Times</p>"


def test_collections_docs_and_videos(build_site: SiteBuilder) -> None:
    built = build_site({
        "content/posts/a.md": post(),
        "content/categories/videos.md": '---\nname: "Videos"\n---\n',
        "content/docs/charter.md": post("Charter", author=None, category=None),
        "content/videos/v1.md": post("Film one", author=None, category=None, youtubeId="abc123"),
        "content/videos/v2.md": post("Film two", "2024-02-01T00:00:00+00:00", author=None,
                                     category=None, youtubeId="def456"),
    })
    assert "docs/charter/index.html" in built.paths
    video = built.html("/videos/v2/")
    assert "https://www.youtube-nocookie.com/embed/def456" in video
    assert 'href="/videos/v1/"' in video  # next item
    listing = built.html("/categories/videos/")
    assert "Film one" in listing and "Film two" in listing


def test_languages_with_fallback_and_hreflang(build_site: SiteBuilder) -> None:
    built = build_site({
        "masthead.toml": 'title = "T"\nbase_url = "https://t.example/"\n',
        "content/authors/ann.md": '---\nname: "Ann Lee"\n---\n',
        "content/categories/en/news.md": '---\nname: "News"\n---\n',
        "content/categories/ru/news.md": '---\nname: "Новости"\n---\n',
        "content/posts/en/a.md": post("English A"),
        "content/posts/ru/a.md": post("Русская А"),
        "content/posts/en/only-en.md": post("Only English"),
    })
    assert {"posts/a/index.html", "ru/posts/a/index.html", "ru/posts/only-en/index.html",
            "ru/categories/news/index.html", "ru/404.html"} <= built.paths
    ru = built.html("/ru/posts/a/")
    assert '<html lang="ru">' in ru
    assert ('<a class="kicker" href="/ru/categories/news/" data-pagefind-filter="category">'
            "Новости</a>") in ru
    assert '<link rel="alternate" hreflang="en" href="https://t.example/posts/a/">' in ru
    assert '<link rel="alternate" hreflang="ru" href="https://t.example/ru/posts/a/">' in ru
    assert "Only English" in built.html("/ru/posts/only-en/")
    assert "мин чтения" in ru


def test_serve_mode_marks_drafts_and_scheduled_posts(build_site: SiteBuilder) -> None:
    from masthead.config import load_config
    from masthead.options import BuildOptions
    from masthead.output import MemorySink
    from masthead.pipeline import build
    from tests.conftest import NOW

    built = build_site({"content/posts/d.md": post("Draft story", draft=True),
                        "content/posts/f.md": post("Future story", "2030-01-01T00:00:00Z")},
                       drafts=True, future=True)
    assert "badge" not in built.html("/posts/d/")  # a real build never shows them
    assert built.report.site is not None
    root = built.report.site.config.root
    sink = MemorySink()
    build(load_config(root), sink, BuildOptions(drafts=True, future=True, now=NOW,
                                                         preview=True))
    assert '<span class="badge badge-draft">draft</span>' in sink.text("posts/d/index.html")
    assert '<span class="badge badge-scheduled">scheduled</span>' in sink.text(
        "posts/f/index.html")
