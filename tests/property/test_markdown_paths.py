"""The fast (regular expression) and DOM passes over pyromark's output agree."""

from pathlib import Path

import pyromark
from hypothesis import given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser

from masthead.content import markdown as md
from tests.conftest import DEMO


def _normal(html: str) -> str:
    body = LexborHTMLParser(f"<div>{html}</div>").css_first("div")
    assert body is not None
    return body.html or ""


def _both(text: str) -> tuple[md.RenderedMarkdown, md.RenderedMarkdown]:
    html = pyromark.html(text, options=md._OPTIONS)

    def size(src: str) -> tuple[int, int]:
        return (len(src), 7)

    def srcsets(src: str) -> tuple[tuple[str, str], ...]:
        """Variants for some images, none for others (both kinds of <img> occur)."""
        if len(src) % 2:
            return ()
        return (("image/avif", f"/_img/a-{len(src)}-320.avif 320w"),
                ("image/webp", f"/_img/a-{len(src)}-320.webp 320w, /_img/b.webp 640w"))

    media = md.BodyMedia(size=size, srcsets=srcsets)
    return md._fast_pass(html, media, text), md._dom_pass(html, media)


WORDS = st.sampled_from(["river", "Дельта", "news", "a&b", "x<y", "“q”", "2024", "**bold**",
                         "`code https://in.code`", "https://example.org/a?b=1&c=2",
                         "[link](https://l.example/x)", "see https://t.example/y."])
LINE = st.lists(WORDS, min_size=1, max_size=8).map(" ".join)
BLOCK = st.one_of(
    LINE,
    st.builds(lambda n, t: "#" * n + " " + t, st.integers(1, 6), LINE),
    st.builds(lambda t: f"![{t}](/images/{abs(hash(t)) % 9}.jpg)", LINE),
    st.builds(lambda t: f"| h | {t} |\n|---|---|\n| 1 | {t} |", LINE),
    st.builds(lambda t: f"| h | {t} | c |\n|:--|--:|:-:|\n| 1 | {t} | 2 |", LINE),
    st.builds(lambda t: f"Note[^a] {t}\n\n[^a]: {t}", LINE),
    st.builds(lambda t: f"```\n{t}\n```", LINE),
    st.builds(lambda t: f"- {t}\n- {t}", LINE),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(BLOCK, min_size=1, max_size=8).map("\n\n".join))
def test_fast_and_dom_passes_agree(text: str) -> None:
    fast, dom = _both(text)
    assert _normal(fast.html) == _normal(dom.html)
    assert fast.toc == dom.toc
    assert fast.images == dom.images


def test_the_passes_agree_on_every_demo_post_without_raw_html() -> None:
    checked = 0
    for path in sorted((DEMO / "content" / "posts").rglob("*.md")):
        body = path.read_text(encoding="utf-8").split("---", 2)[2]
        if md._RAW_HTML.search(body):
            continue
        fast, dom = _both(body)
        assert _normal(fast.html) == _normal(dom.html), path.name
        checked += 1
    assert checked >= 10


def test_raw_html_takes_the_dom_pass() -> None:
    assert md._RAW_HTML.search('<iframe src="x"></iframe>')
    assert md._RAW_HTML.search("<!-- note -->")
    assert not md._RAW_HTML.search("a <https://autolink.example> and 3 < 4")


def test_demo_post_example() -> None:
    text = (Path(DEMO) / "content/posts/en/language-nests-open.md").read_text().split("---", 2)[2]
    fast, _dom = _both(text)
    assert [e.level for e in fast.toc] == [2]
