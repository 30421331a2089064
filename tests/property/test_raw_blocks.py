"""Raw HTML blocks rendered apart (the split pass, and tweets made into cards without a
parser) give the document the DOM pass gives for the whole body."""

from __future__ import annotations

import pyromark
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from masthead.content import markdown as md
from masthead.content.embeds import EmbedPolicy, tweet_card_from_code
from tests.property.test_markdown_paths import BLOCK, _normal


def _media() -> md.BodyMedia:
    return md.BodyMedia(size=lambda src: (len(src), 7))


def _whole_dom(text: str) -> md.RenderedMarkdown:
    return md._dom_pass(pyromark.html(text, options=md._OPTIONS), _media())


TEXT = st.lists(st.sampled_from([
    "Public region", "AT&T", "&amp;", "&#39;quoted&#39;", "&quot;x&quot;", "&mdash;", "5 > 4",
    "Калмыкия", "🌾", "#tag", "@handle", "&copy", "&#x41;", "word",
    '<a href="https://t.co/E60LUQ">pic.twitter.com/E60LUQ</a>',
    '<a href="https://t.co/x1">https://t.co/x1</a>', "<br>", "see http://bare.example/x",
    '<a href="https://twitter.com/h?ref_src=twsrc%5Etfw">#h</a>',
]), min_size=1, max_size=6).map(" ".join)
PARAGRAPH = st.builds(
    lambda attributes, text: f"<p{attributes}>{text}</p>",
    st.sampled_from(["", ' lang="en" dir="ltr"', ' lang="und" dir="ltr"', ' dir="rtl" lang="ru"',
                     ' lang="ru"']),
    TEXT)
TWEET = st.builds(
    lambda data, paragraphs, byline, date, script: (
        f'<blockquote class="twitter-tweet"{data}>{"".join(paragraphs)}{byline} '
        f'<a href="https://twitter.com/kalmyk_voice/status/1664839283803678103?ref_src=twsrc'
        f'%5Etfw">{date}</a></blockquote>{script}'),
    st.sampled_from(["", ' data-theme="dark"', ' data-lang="ru" data-dnt="true"']),
    st.lists(PARAGRAPH, min_size=1, max_size=3),
    st.sampled_from(["&mdash; Kalmyk Voice (@kalmyk_voice)", "— Имя (@x)", "&#8212; A &amp; B",
                     "", "-- plain", "&mdash; see https://x.example"]),
    st.sampled_from(["December 1, 2023", "1 дек. 2023 г.", "", "&lt;date&gt;"]),
    st.sampled_from(["", ' <script async src="https://platform.twitter.com/widgets.js" '
                         'charset="utf-8"></script>',
                     '<script async src="https://platform.twitter.com/widgets.js" '
                     'charset="utf-8"></script>']),
)
RAW = st.one_of(
    TWEET,
    st.just('<div class="note">A <em>boxed</em> note with https://example.org/x.</div>'),
    st.just('<figure><iframe src="https://www.youtube.com/embed/dQw4w9WgXcQ" '
            'frameborder="0"></iframe><figcaption>Video</figcaption></figure>'),
    st.just('<div><script async src="https://telegram.org/js/telegram-widget.js" '
            'data-telegram-post="kalmykia/123"></script></div>'),
    st.just('<section><strong><div>block in inline</div></strong></section>'),
    st.just("<div>\nunclosed"),
    st.just('<div><h3>A heading</h3></div>'),
    st.just('<div id="anchor">with an id</div>'),
    st.just("<p>a<p>b</p>"),
    st.just('<div><img src="/images/a.jpg"></div>'),
    st.just("<div>3 < 4</div>"),
    st.just("<DIV CLASS=x>capitals</DIV>"),
    st.just("<aside>stray end</div></aside>"),
    st.just("<div/>"),
    st.just("<div/x>odd</div>"),
    st.just("<p>\nlines <em>of</em> text\nafter it</p>"),
)
# A raw block after a blank line, or right after the line before it (which it may end).
PIECE = st.one_of(BLOCK.map(lambda b: b + "\n\n"), RAW.map(lambda r: r + "\n\n"),
                  st.tuples(BLOCK, RAW).map(lambda pair: f"{pair[0]}\n{pair[1]}\n\n"))


@settings(max_examples=400, deadline=None)
@given(st.lists(PIECE, min_size=1, max_size=6).map("".join))
def test_a_body_with_raw_blocks_renders_as_the_dom_pass_renders_it(text: str) -> None:
    split, whole = md.render_markdown(text, _media()), _whole_dom(text)
    assert _normal(split.html) == _normal(whole.html)
    assert split.toc == whole.toc
    assert split.images == whole.images


@settings(max_examples=400, deadline=None)
@given(TWEET)
def test_a_tweet_made_without_a_parser_is_the_card_the_dom_pass_makes(code: str) -> None:
    card = tweet_card_from_code(code + "\n", EmbedPolicy())
    whole = md._dom_pass(code + "\n", _media()).html
    # only a URL not yet linked (in the text or the byline) is left to the DOM pass
    assert (card is None) == ("bare.example" in code or "x.example" in code)
    if card is not None:
        assert _normal(card) == _normal(whole)
        assert "<script" not in card


def test_twitter_embed_code_as_written_is_made_into_a_card_directly() -> None:
    code = ('<blockquote class="twitter-tweet"><p lang="en" dir="ltr">Fields &amp; rivers '
            '<a href="https://t.co/E60LUQ">pic.twitter.com/E60LUQ</a></p>&mdash; Kalmyk Voice '
            '(@kalmyk_voice) <a href="https://twitter.com/kalmyk_voice/status/1?ref_src=twsrc'
            '%5Etfw">December 1, 2023</a></blockquote> <script async src="https://platform.'
            'twitter.com/widgets.js" charset="utf-8"></script>\n')
    card = tweet_card_from_code(code, EmbedPolicy())
    assert card == ('<figure class="embed-tweet"><blockquote cite="https://twitter.com/'
                    'kalmyk_voice/status/1"><p lang="en" dir="ltr">Fields &amp; rivers <a href='
                    '"https://t.co/E60LUQ">pic.twitter.com/E60LUQ</a></p></blockquote>'
                    '<figcaption class="embed-byline">— Kalmyk Voice (@kalmyk_voice) · <a href='
                    '"https://twitter.com/kalmyk_voice/status/1" rel="noopener">December 1, '
                    "2023</a></figcaption></figure> \n")
    # a site that allows Twitter's script keeps the embed as written (the DOM pass's work)
    assert tweet_card_from_code(code, EmbedPolicy(allow=frozenset({"platform.twitter.com"}))) \
        is None
    # text with a URL not yet linked: the DOM pass links it
    assert tweet_card_from_code(code.replace("Fields", "http://x.example"), EmbedPolicy()) is None


@pytest.mark.parametrize(("text", "apart"), [
    ("Intro.\n\n<blockquote class=\"twitter-tweet\"><p>x</p></blockquote>\n\nEnd.", True),
    ("<div>first</div>\n\ntext\n\n<figure>y</figure>", True),
    ("Intro.\n<div>ends the paragraph</div>\n", False),  # not after a blank line
    ("<div>\n\nMarkdown inside\n\n</div>\n", False),  # the element spans Markdown
    ("<div><h2>x</h2></div>\n", False),
    ("<div>x</div>\n\n```\n<div>code</div>\n```\n", False),
    ("<div>x</div>\r\n", False),
    ("text <span>inline</span>\n\n<div>x</div>\n", False),
    ("  <div>indented</div>\n", False),
])
def test_which_raw_blocks_are_rendered_apart(text: str, apart: bool) -> None:
    assert (md._standalone_blocks(text) is not None) == apart


def test_a_stray_end_tag_never_reaches_the_page() -> None:
    # alone it once took the fast pass, written out as it was, and closed the page's
    # element around the body
    html = md.render_markdown("text </div> more\n\nnext paragraph\n").html
    assert "</div>" not in html
    assert "next paragraph" in html
