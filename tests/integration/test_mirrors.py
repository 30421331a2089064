"""Readers learn the site's other addresses from the site itself: a page in every language
and a line in every page's footer, when the site has mirrors or an onion address."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from tests.conftest import SiteBuilder, post

ONION = "http://" + "b3" * 28 + ".onion/"
TOML = ('title = "T"\nbase_url = "https://www.news.example.org/"\nlanguages = ["en", "ru"]\n'
        f'onion = "{ONION}"\n'
        '[[deploy]]\nname = "origin"\nurl = "https://www.news.example.org/"\nto = "/srv/a"\n'
        "primary = true\n"
        '[[deploy]]\nname = "bucket"\nurl = "https://mirror.news.example.net/"\nto = "s3:b"\n')


def test_the_mirrors_page_lists_every_address_in_every_language(build_site: SiteBuilder) -> None:
    built = build_site({"masthead.toml": TOML, "content/posts/en/a.md": post()})
    for url, heading in (("/mirrors/", "Other addresses of this site"),
                         ("/ru/mirrors/", "Другие адреса сайта")):
        page = LexborHTMLParser(built.html(url))
        assert page.css_first("h1").text() == heading
        links = [a.attributes["href"] for a in page.css(".prose a")]
        assert links == ["https://www.news.example.org/", "https://mirror.news.example.net/",
                         ONION]
    home = LexborHTMLParser(built.html("/"))
    assert home.css_first(".mirrors-note a").attributes["href"] == "/mirrors/"
    assert LexborHTMLParser(built.html("/ru/")).css_first(
        ".mirrors-note a").attributes["href"] == "/ru/mirrors/"


def test_a_site_with_one_address_has_no_mirrors_page(build_site: SiteBuilder) -> None:
    built = build_site({"content/posts/a.md": post()})
    assert "mirrors/index.html" not in built.paths
    assert "mirrors-note" not in built.html("/")
    assert "onion-location" not in built.html("/posts/a/")


def test_every_page_offers_its_own_onion_address_to_tor_browser(build_site: SiteBuilder) -> None:
    """Where no header can be set (a bucket, a mirror), the page itself says where it is
    on the onion site: Tor Browser offers to go there."""
    built = build_site({"masthead.toml": TOML, "content/posts/en/a.md": post()})
    for url in ("/posts/a/", "/ru/mirrors/", "/"):
        meta = LexborHTMLParser(built.html(url)).css_first('meta[http-equiv="onion-location"]')
        assert meta is not None and meta.attributes["content"] == ONION.rstrip("/") + url
