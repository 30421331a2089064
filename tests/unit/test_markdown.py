import pytest

from masthead.content.markdown import count_words, render_markdown


def test_gfm_table_strikethrough_and_footnote() -> None:
    source = "| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~ new[^n]\n\n[^n]: note\n"
    html = render_markdown(source).html
    assert '<div class="table-wrap"' in html and "<td>1</td>" in html
    assert "<del>old</del>" in html
    assert 'href="#fn-n"' in html and 'id="fn-n"' in html


def test_raw_html_passes_through() -> None:
    embed = '<aside class="note"><p>hi</p></aside>'
    assert embed in render_markdown(embed + "\n").html


def test_bare_urls_become_links_but_not_in_code() -> None:
    html = render_markdown("See https://example.org/a, and `https://no.example`\n").html
    assert '<a href="https://example.org/a">https://example.org/a</a>,' in html
    assert "<code>https://no.example</code>" in html


def test_heading_ids_are_unique_and_body_starts_at_h2() -> None:
    rendered = render_markdown("### Intro\n\n### Intro\n\n#### Детали\n")
    assert '<h2 id="intro">' in rendered.html
    assert '<h2 id="intro-2">' in rendered.html
    assert '<h3 id="детали">' in rendered.html
    assert [e.id for e in rendered.toc] == ["intro", "intro-2", "детали"]


def test_images_get_size_and_lazy_loading() -> None:
    rendered = render_markdown("![A river](/images/r.jpg)\n", lambda src: (800, 600))
    assert 'width="800" height="600"' in rendered.html
    assert 'loading="lazy"' in rendered.html
    assert rendered.images == ("/images/r.jpg",)


def test_obsolete_iframe_attributes_are_removed() -> None:
    html = render_markdown('<iframe src="https://e.example/v" frameborder="0"></iframe>\n').html
    assert "frameborder" not in html
    assert 'title="Embedded content"' in html


def test_count_words_ignores_tags() -> None:
    assert count_words('one <a href="x">two</a> three') == 3


def test_third_party_scripts_are_dropped_but_the_quote_stays() -> None:
    html = render_markdown('<blockquote class="twitter-tweet"><p>Words</p></blockquote> '
                           '<script async src="https://platform.twitter.com/widgets.js"></script>\n'
                           ).html
    assert "<p>Words</p>" in html
    assert "widgets.js" not in html


def test_blocks_inside_inline_elements_are_repaired() -> None:
    html = render_markdown("**<div>US President</div>**\n").html
    assert "<div><strong>US President</strong></div>" in html
    assert "<strong><div>" not in html


def test_media_refs_finds_what_a_body_loads() -> None:
    from masthead.content.markdown import INLINE_STYLE, media_refs

    body = ("![a](/images/a.jpg) and ![b](https://cdn.example.org/b.PNG) then "
            "HTTPS://CDN.EXAMPLE.ORG/C.WEBP, /images/a.jpg again, a/not-local.png, "
            "https://example.org/page.html\n\n"
            '<iframe src="https://www.youtube.com/embed/x"></iframe>\n'
            '<SCRIPT async SRC="https://telegram.org/js/widget.js"></SCRIPT>\n'
            '<p style="color: red">x</p>\n')
    images, frames = media_refs(body)
    assert images == ("/images/a.jpg", "https://cdn.example.org/b.PNG",
                      "HTTPS://CDN.EXAMPLE.ORG/C.WEBP")
    assert frames == ("https://www.youtube.com/embed/x", "https://telegram.org/js/widget.js",
                      INLINE_STYLE)


def test_media_refs_of_plain_text() -> None:
    from masthead.content.markdown import media_refs

    assert media_refs("No images here. Just src= and style= as words.") == ((), ())
    assert media_refs("Http://example.org/x.gif") == (("Http://example.org/x.gif",), ())


def test_a_stray_closing_tag_does_not_end_the_body() -> None:
    html = render_markdown("<div>\n\nboxed</div></div>\n\nstill here, see https://example.org\n\n"
                           "<table><tr><td>cell</td></tr></table>\n").html
    assert "still here" in html
    assert '<a href="https://example.org">https://example.org</a>' in html
    assert '<div class="table-wrap"' in html and "<td>cell</td>" in html


@pytest.mark.parametrize(("source", "wanted", "unwanted"), [
    # raw HTML in capitals, and an <image> tag (which parsers make an <img>)
    ('<IMAGE SRC="/a.jpg">\n', 'loading="lazy"', "<image"),
    ('<IMG SRC="/b.jpg" BORDER=1>\n', 'loading="lazy"', "border"),
    ('<TABLE BORDER=1><TR><TD STYLE="text-align: left">x</TD></TR></TABLE>\n',
     'class="align-left"', "style="),
    ('<IFRAME SRC="https://e.example/v" FRAMEBORDER=0></IFRAME>\n', "Embedded content",
     "frameborder"),
    # a URL quoted in the text of raw HTML is linked; one in an attribute value is not
    ('<div>he said "http://q.example/x" <p title="http://t.example">y</p></div>\n',
     '<a href="http://q.example/x">', '<a href="http://t.example">'),
    # a URL written with a character reference is a URL in the text all the same
    ("<div>&#104;ttp://e.example/a</div>\n", '<a href="http://e.example/a">', "&#104;"),
    ("<div>http&colon;//c.example/b</div>\n", '<a href="http://c.example/b">', "&colon;"),
])
def test_raw_html_steps_find_their_elements_however_written(source: str, wanted: str,
                                                             unwanted: str) -> None:
    html = render_markdown(source).html
    assert wanted in html
    assert unwanted not in html
