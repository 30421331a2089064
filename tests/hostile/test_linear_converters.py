"""Every pattern the importers look for in an old site's bodies takes linear time: 1 MB
of its worst case (an opening mark that is never closed, repeated) is read in under a
second. Before, each of these took minutes: every opening mark scanned to the end."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from masthead.importers.convert import Attachments, BodyConverter, autop
from masthead.importers.templates import TemplateConverter
from masthead.importers.wordpress import upload_links

MB = 1_000_000


def _wordpress() -> BodyConverter:
    return BodyConverter(Attachments(), lambda _: None)


def _template() -> TemplateConverter:
    return TemplateConverter(lambda _: None, {})


def _shortcodes(text: str) -> object:
    return _wordpress()._shortcodes(text, "1")


# pattern: (what reads it, the unit repeated to 1 MB)
WORST: dict[str, tuple[Callable[[str], object], str]] = {
    "gutenberg comment never closed": (lambda t: _wordpress()._comments(t),
                                       "<!-- wp:paragraph {"),
    "gutenberg comment with an open JSON": (lambda t: _wordpress()._comments(t),
                                            "<!-- wp:image {\"id\": -->"),
    "embed block never closed": (lambda t: _wordpress()._comments(t),
                                 "<!-- wp:embed {\"url\":\"x\"} -->x"),
    "more mark never closed": (lambda t: _wordpress()._comments(t), "<!-- more "),
    "shortcode tag never closed": (_shortcodes, "[caption "),
    "enclosing shortcode never closed": (_shortcodes, "[caption]x"),
    "many shortcode names": (_shortcodes, "[a1 x][b2][/c3"),
    "shortcodes nested deep": (_shortcodes, "[caption][gallery]"),
    "escaped shortcode": (_shortcodes, "[[embed]"),
    "autop tag never closed": (autop, "<div "),
    "autop blank lines": (autop, "\n \n"),
    "url lines": (lambda t: _wordpress().convert(t), "\n"),
    "liquid tag never closed": (lambda t: _template().jekyll(t), "{% x "),
    "liquid output never closed": (lambda t: _template().jekyll(t), "{{ x "),
    "liquid raw never closed": (lambda t: _template().jekyll(t), "{% raw %}"),
    "liquid highlight never closed": (lambda t: _template().jekyll(t), "{% highlight py %}"),
    "liquid post_url": (lambda t: _template().jekyll(t), "{% post_url a"),
    "hugo shortcode never closed": (lambda t: _template().hugo(t), "{{< x "),
    "hugo highlight never closed": (lambda t: _template().hugo(t), "{{< highlight go >}}"),
    "hugo percent shortcode": (lambda t: _template().hugo(t), "{{% x a=\""),
    "upload links in one address": (upload_links, "https://a"),
    "upload links without a file": (upload_links, "https://a/wp-content/uploads/?"),
}


def _seconds(read: Callable[[str], object], text: str) -> float:
    """CPU time of the faster of two runs: what the code costs, not how busy the
    machine is."""
    best = float("inf")
    for _ in range(2):
        started = time.process_time()
        read(text)
        best = min(best, time.process_time() - started)
    return best


@pytest.mark.parametrize("name", sorted(WORST))
def test_one_megabyte_of_the_worst_case_is_read_in_under_a_second(name: str) -> None:
    read, unit = WORST[name]
    text = unit * (MB // len(unit))
    assert _seconds(read, text) < 1.0, name


def test_a_whole_body_converts_in_time_proportional_to_its_size() -> None:
    """The whole conversion (patterns, paragraphs, Markdown): twice the input costs
    about twice the time, not four times."""
    unit = "[caption]x<!-- wp:embed {\"url\":\"y\"} -->{% x [gallery"
    small, large = unit * 1500, unit * 6000
    ratio = _seconds(_wordpress().convert, large) / _seconds(_wordpress().convert, small)
    assert ratio < 8, ratio  # linear: 4; quadratic: 16
