"""Hostile strings in content and settings never reach a header, a config file, a script
or a link unescaped: each case ends in a correct page or a diagnostic with file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from tests.conftest import SiteBuilder, post
from tests.hostile.checks import check_feed, check_nginx, check_page, check_policy, policy
from tests.nginx import nginx_accepts

INJECTIONS = [
    "https://a.example; script-src-elem 'unsafe-inline'; x.jpg",
    'https://a" always; autoindex on; add_header X-Injected "1.jpg',
    "https://a.example/x.jpg\r\nX-Injected: 1",
    "https://a.example/$host{}.jpg",
]


@pytest.mark.parametrize("url", INJECTIONS)
@pytest.mark.parametrize("where", ["image", "iframe", "markdown", "script"])
def test_no_url_reaches_a_header_or_the_nginx_snippet(build_site: SiteBuilder, url: str,
                                                      where: str, tmp_path: Path) -> None:
    meta: dict[str, object] = {}
    body = "Text."
    if where == "image":
        meta["image"] = url
    elif where == "iframe":
        body = f'<iframe src="{url}"></iframe>\n'
    elif where == "markdown":
        body = f"![x](<{url}>)\n"
    else:
        body = f'<script src="{url}"></script>\n'
    try:
        built = build_site({"content/posts/a.md": post(body=body, **meta),
                            "masthead.toml": 'title = "T"\nbase_url = "https://n.example.org/"\n'
                                             'embed_allow = ["a.example"]\n'})
    except Exception as exc:  # a diagnostic is a fine answer; a traceback is not
        from masthead.errors import BuildFailed

        assert isinstance(exc, BuildFailed), exc
        return
    headers = built.sink.text("_headers")
    check_policy(headers)
    snippet = built.sink.text("nginx-headers.conf")
    check_nginx(snippet)
    assert "autoindex" not in snippet and "X-Injected" not in snippet
    check_page(built.html("/posts/a/"), script_hosts=("a.example",))
    if where == "image":  # nginx itself accepts the snippet
        nginx_accepts(built.sink.files, tmp_path / "nginx")


TITLES = ["<!--<script>", "</script><script>alert(1)</script>", "\u2028\u2029 & <b>",
          '"}]}</script><h1>x', "<!--"]


@pytest.mark.parametrize("title", TITLES)
def test_a_title_cannot_break_the_page_or_its_structured_data(build_site: SiteBuilder,
                                                              title: str) -> None:
    built = build_site({"content/posts/a.md": post(title=title)})
    for url in ("/posts/a/", "/"):
        page = built.html(url)
        check_page(page)
    tree = LexborHTMLParser(built.html("/posts/a/"))
    shown = title.strip()  # titles are trimmed, U+2028 and U+2029 included
    assert tree.css_first("h1").text() == shown
    data = [json.loads(s.text()) for s in tree.css('script[type="application/ld+json"]')]
    assert any(d.get("headline") == shown for d in data)


RAW = [
    ("<script>alert(1)</script>", "alert(1)"),
    ('<img src="/images/a.png" onerror="alert(1)">', "onerror"),
    ('<a href="javascript:alert(1)">x</a>', "javascript:"),
    ('<a href="jav&#x09;ascript:alert(1)">x</a>', "ascript:"),
    ("[x](javascript:alert(1))", "javascript:"),
    ("<javascript:alert(1)>", 'href="javascript:'),
    ('<meta http-equiv="refresh" content="0;url=https://evil.example/">', "refresh"),
    ('<base href="https://evil.example/">', "<base"),
    ('<form action="https://evil.example/"><input name="q"><button>Go</button></form>',
     "evil.example"),
    ('<svg onload="alert(1)"></svg>', "onload"),
    ('<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>', "srcdoc"),
    ('<p style="background:url(javascript:alert(1))">x</p>', "javascript:"),
    ('<object data="https://evil.example/x.swf"></object>', "evil.example"),
]


@pytest.mark.parametrize(("body", "gone"), RAW)
def test_raw_html_is_sanitized(build_site: SiteBuilder, body: str, gone: str) -> None:
    built = build_site({"content/posts/a.md": post(body=f"Before.\n\n{body}\n\nAfter.\n")})
    page = built.html("/posts/a/")
    check_page(page)
    article = page.split("<article", 1)[1]
    assert gone not in article.split("</article>", 1)[0]
    assert "Before." in page and "After." in page
    check_feed(built.sink.files["feed.xml"])


def test_what_news_bodies_use_is_kept(build_site: SiteBuilder) -> None:
    body = ('<figure><img src="/images/a.png" alt="A"><figcaption>Caption</figcaption></figure>'
            '\n\n<table><tr><th>H</th></tr><tr><td>1</td></tr></table>\n\n'
            '<audio controls src="/a.mp3"></audio>\n\n<video controls src="/v.mp4"></video>\n\n'
            '<details><summary>More</summary>Text</details>\n\n'
            "Note[^1].\n\n[^1]: The note.\n")
    page = LexborHTMLParser(build_site({"content/posts/a.md": post(body=body)}).html(
        "/posts/a/"))
    for selector in ("figure img", "figcaption", "table td", "audio[controls]",
                     "video[controls]", "details summary", "sup a[href^='#fn']"):
        assert page.css_first(selector) is not None, selector


def test_a_site_may_allow_more_html(build_site: SiteBuilder) -> None:
    built = build_site({
        "masthead.toml": 'title = "T"\nbase_url = "https://n.example.org/"\n'
                         'html_allow_tags = ["form", "button"]\n'
                         'html_allow_attributes = ["form:action"]\n',
        "content/posts/a.md": post(body='<form action="/search/"><button>Go</button></form>\n'
                                        '<form action="javascript:alert(1)"></form>\n')})
    page = built.html("/posts/a/")
    assert '<form action="/search/"><button>Go</button></form>' in page
    assert "javascript:" not in page


def test_every_page_carries_the_policy_in_a_meta_element(build_site: SiteBuilder) -> None:
    built = build_site({"content/posts/a.md": post()})
    headers = policy(built.sink.text("_headers"))
    for url in ("/", "/posts/a/", "/search/"):
        meta = LexborHTMLParser(built.html(url)).css_first(
            'meta[http-equiv="Content-Security-Policy"]')
        assert meta is not None, url
        content = meta.attributes["content"] or ""
        parts = {p.split()[0]: p.split()[1:] for p in content.split(";") if p.strip()}
        assert parts["script-src"] == headers["script-src"]
        assert "frame-ancestors" not in parts  # not allowed in a meta element


SCHEMES = ["javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)",
           "java\tscript:alert(1)", "data:text/html,<script>alert(1)</script>",
           "vbscript:x"]


@pytest.mark.parametrize("link", SCHEMES)
@pytest.mark.parametrize("where", ["menu", "social", "author", "section", "newsletter"])
def test_links_from_settings_and_content_allow_web_schemes_only(
        build_site: SiteBuilder, build_errors: object, link: str, where: str) -> None:
    quoted = json.dumps(link)
    files: dict[str, str | bytes] = {"content/posts/a.md": post()}
    toml = 'title = "T"\nbase_url = "https://n.example.org/"\n'
    if where == "menu":
        files["masthead.toml"] = toml + f'[[main_menu]]\nname = "X"\nlink = {quoted}\n'
    elif where == "social":
        files["masthead.toml"] = toml + f'[[social]]\nname = "x"\nhref = {quoted}\n'
    elif where == "author":
        files["content/authors/ann.md"] = (f'---\nname: "Ann Lee"\nexternalAuthorLink: '
                                           f"{quoted}\n---\nBio.\n")
    elif where == "section":
        files["content/pages/about.md"] = (f'---\ntitle: "About"\nheader:\n  heading: "Us"\n'
                                           f"  link: {quoted}\n---\nText.\n")
    else:
        files["content/shared/newsletter.md"] = f'---\ntitle: "News"\nformAction: {quoted}\n---\n'
    from masthead.errors import BuildFailed, ConfigError

    with pytest.raises((BuildFailed, ConfigError)) as failure:
        build_site(files)
    problems = failure.value.diagnostics
    assert any("not a web address" in d.message for d in problems), [d.message for d in problems]
    assert all(d.path for d in problems)


def test_a_json_feed_and_xml_feeds_stay_valid_with_forbidden_characters(
        build_site: SiteBuilder) -> None:
    body = "Null \x00 and \x0b vertical tab, \x1f unit, \ufffe, \ud7ff ok.\n"
    built = build_site({"content/posts/a.md": post(title="T\x0b\x00", body=body)})
    for rel in ("feed.xml", "atom.xml", "feed.json", "sitemap.xml"):
        check_feed(built.sink.files[rel])
    check_page(built.html("/posts/a/"))



def test_a_hand_made_facade_cannot_load_a_script_url(build_site: SiteBuilder) -> None:
    body = ('<a class="embed-facade" href="/x" data-embed-src="javascript:alert(1)">'
            "Play</a>\n")
    page = build_site({"content/posts/a.md": post(body=body)}).html("/posts/a/")
    assert "javascript:" not in page
