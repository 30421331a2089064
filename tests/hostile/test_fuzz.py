"""Random front matter, file names and raw HTML bodies: a build either fails with
diagnostics or writes a site whose every page, feed and header is well-formed and safe."""

from __future__ import annotations

import contextlib
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from masthead.config import load_config
from masthead.errors import BuildFailed, ConfigError
from masthead.options import BuildOptions
from masthead.output import MemorySink
from masthead.pipeline import build
from tests.conftest import NOW, post, write_site
from tests.hostile.checks import check_feed, check_nginx, check_page, check_policy

NASTY = ["<", ">", "&", '"', "'", ":", ";", "#", "%", "\\", "/", "..", "\t", "\x00", "\x0b",
         "\u2028", "{{", "}}", "{%", "*", "&a", "*a", "- ", "[", "]", "javascript:", "Калмыкия",
         "<!--", "</script>", "\ufeff", " ", "\n", "?", "$", "`"]
TEXT = st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=4)), max_size=8).map("".join)
VALUES = st.one_of(
    TEXT.map(json.dumps),  # a quoted string with any characters
    TEXT.map(lambda t: t.replace("\n", " ")),  # the same written plainly: any YAML may come
    st.integers(-10**12, 10**12).map(str),
    st.lists(TEXT.map(json.dumps), max_size=4).map(lambda items: f"[{', '.join(items)}]"),
    st.sampled_from(["2024-02-30", "0000-00-00 00:00:00", '"2024-01-01T10:00:00+25:00"',
                     "2024-01-02T10:00:00Z", "yes", "No", "~", "0123", "12:30", "&x a",
                     "*x", "!!python/object:os.system", "{a: [b, {c: d}]}"]),
)
KEYS = st.sampled_from(["description", "image", "tags", "group", "views", "draft", "youtubeId",
                        "modified", "slug", "lang", "time_to_read_in_minutes", "weird key", "x"])
# A story whose required keys are there (most of the time), with any other keys and values.
FRONT = st.builds(
    lambda title, pairs, date: (f"title: {title}\ndate: {date}\nauthor: Ann Lee\n"
                                "category: News\n" + "".join(f"{k}: {v}\n" for k, v in pairs)),
    st.one_of(TEXT.map(json.dumps), VALUES),
    st.dictionaries(KEYS, VALUES, max_size=6).map(lambda d: list(d.items())),
    st.sampled_from(['"2024-01-02T10:00:00Z"', "2024-01-02", '"2024-02-30"']))
ATTRIBUTES = st.sampled_from([
    ' onerror="alert(1)"', ' href="javascript:alert(1)"', ' src="https://a.example; x.jpg"',
    ' style="color:red"', ' src="/images/a.png"', ' href="/posts/a/"', " srcdoc='<b>'",
    ' src="https://a\\" always; autoindex on; #.jpg"', ' action="https://evil.example/"',
    ' class="twitter-tweet"', ' data-x="1"', ' id="main"', ""])
TAGS = st.sampled_from(["p", "a", "img", "script", "iframe", "style", "form", "base", "meta",
                        "svg", "math", "table", "td", "div", "blockquote", "object", "input",
                        "h1", "template", "noscript", "textarea", "title"])
ELEMENT = st.builds(lambda tag, attrs, text: f"<{tag}{''.join(attrs)}>{text}</{tag}>",
                    TAGS, st.lists(ATTRIBUTES, max_size=3), TEXT)
BODY = st.lists(st.one_of(ELEMENT, TEXT, st.just("\n\n"), st.just("![x](javascript:x)"),
                          st.just("[y](<https://a.example/; x>)")), max_size=10).map("".join)
NAMES = st.text(st.characters(blacklist_characters="/\x00", blacklist_categories=("Cs",)),
                min_size=1, max_size=12).filter(lambda n: n not in (".", ".."))


def _check_site(files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        assert not rel.startswith("/") and ".." not in rel.split("/"), rel
        if rel.endswith(".html") and not rel.startswith("pagefind"):
            check_page(data.decode("utf-8"))
        elif rel.endswith((".xml", "feed.json")):
            check_feed(data)
    check_policy(files["_headers"].decode())
    check_nginx(files["nginx-headers.conf"].decode())


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(FRONT, BODY, NAMES, BODY)
def test_any_input_gives_diagnostics_or_a_safe_site(front: str, body: str, name: str,
                                                    other: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = write_site(Path(folder), {
            "masthead.toml": 'title = "T"\nbase_url = "https://n.example.org/"\n'
                             "search = false\nembed_posters = false\n",
            "content/posts/a.md": f"---\n{front}---\n{body}\n",
            "content/posts/b.md": post("Fixed", body=other),
        })
        with contextlib.suppress(OSError, ValueError):  # a name the file system refuses
            (root / "content" / "posts" / f"{name}.md").write_text(post(name, body=body))
        sink = MemorySink()
        try:
            build(load_config(root), sink, BuildOptions(now=NOW, jobs=1))
        except (BuildFailed, ConfigError) as failure:
            assert failure.diagnostics and all(d.path and d.message for d in failure.diagnostics)
            event("refused with diagnostics")
            return
        event("built")
        _check_site(sink.files)
