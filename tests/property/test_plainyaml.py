"""plainyaml.read_plain gives what the front matter loader gives, or declines."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from masthead.content.frontmatter import _FENCE, loader_class
from masthead.content.plainyaml import read_plain
from tests.conftest import CORPUS, DEMO, SHARED

# Pieces of front matter lines, ordinary and tricky: YAML 1.1 booleans and nulls, numbers
# in other notations, unquoted dates, comments, escapes, indentation, flow marks, line
# breaks YAML knows but Python's split does not, characters PyYAML refuses.
_KEYS = st.sampled_from(["title", "views", "tags", "Yes", "on", "y", "_x", "a1", "draft",
                         "ключ", "a-b", "n"])
_WORD_LIST = [
    "Ann Lee", "Non-Russians", "yes", "No", "off", "null", "Null", "~", "true", "false",
    "True", "1", "0", "-3", "+3", "010", "0x1F", "1_000", "1.5", "1e3", ".inf", "1:20",
    "2024-01-02", "2024-01-02T10:00:00+06:00", "a: b", "a #b", "a#b", "a, b", "[a]", "{a}",
    "'a'", '"a"', "!tag x", "&anchor x", "*alias", "|", ">", "- x", "? x", "%x", "@x",
    "Калмыки", "é", "a\u2028b", "a\x85b", "a\tb", "a\\b", "a\rb", "a\x07b", "x ", " x",
    "=", "<<", "", "It's", 'say "hi"', "a''b", '\\"quoted\\" here', "a\\\\b", "end\\",
    "\\n", "\\u00e9", "\\x41", "\\/", '\\\\"', "\\\\\\",
]
_WORDS = st.sampled_from(_WORD_LIST)
_FORMS = ["k: {}", 'k: "{}"', "k: '{}'", "k: [{}]", "k: [a, {}]", "{}: v", "k: {} ", "k:  {}"]


@pytest.mark.parametrize("form", _FORMS)
def test_each_piece_alone(form: str) -> None:
    """Every piece in every position, one line at a time: each is read as PyYAML reads it
    or declined."""
    for word in _WORD_LIST:
        text = "\n" + form.format(word) + "\n"
        plain = read_plain(text)
        if plain is not None:
            assert _same(plain, _pyyaml(text)), text


@st.composite
def _values(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["plain", "double", "single", "list", "text"]))
    if kind == "plain":
        return draw(_WORDS)
    if kind == "double":
        return '"' + draw(_WORDS) + '"'
    if kind == "single":
        return "'" + draw(_WORDS) + "'"
    if kind == "list":
        items = draw(st.lists(_WORDS, max_size=4))
        return "[" + draw(st.sampled_from([", ", ",", " , "])).join(items) + "]"
    return draw(st.text(max_size=12))


@st.composite
def _documents(draw: st.DrawFn) -> str:
    lines = []
    for _ in range(draw(st.integers(0, 6))):
        shape = draw(st.sampled_from(["pair", "pair", "pair", "comment", "blank", "indented",
                                      "bare", "nospace", "trailing"]))
        key, value = draw(_KEYS), draw(_values())
        lines.append({"pair": f"{key}: {value}", "comment": f"# {value}", "blank": "",
                      "indented": f"  {key}: {value}", "bare": value,
                      "nospace": f"{key}:{value}", "trailing": f"{key}: {value} # note"}[shape])
    return "\n" + "\n".join(lines) + "\n"


def _pyyaml(text: str) -> object:
    """What the front matter loader (YAML 1.2 rules, duplicate keys refused) gives."""
    try:
        loaded = yaml.load(text, Loader=loader_class())
    except yaml.YAMLError:
        return "error"
    return {} if loaded is None else loaded


def _same(plain: object, loaded: object) -> bool:
    """Equal, with every value of the same type (True == 1 would hide a difference)."""
    if isinstance(plain, dict) and isinstance(loaded, dict):
        return list(plain) == list(loaded) and all(_same(plain[k], loaded[k]) for k in plain)
    if isinstance(plain, list) and isinstance(loaded, list):
        return len(plain) == len(loaded) and all(map(_same, plain, loaded))
    return type(plain) is type(loaded) and plain == loaded


@settings(max_examples=1500, deadline=None)
@given(_documents())
def test_read_or_declined(text: str) -> None:
    plain = read_plain(text)
    if plain is not None:
        assert _same(plain, _pyyaml(text)), text


def test_the_common_form_is_read() -> None:
    text = ('\ntitle: "Moscow\'s «refusal» — a test"\nviews: 150\ndraft: false\n'
            "tags: [Free Nations League, Kalmyks, Non-Russians]\n# a note\n\n"
            "author: Batyr Boromangnaev\nempty: []\nsingle: 'it is'\nminus: -3\n")
    assert read_plain(text) == _pyyaml(text)
    assert read_plain(text) is not None


def _front_matters(folder: Path) -> list[str]:
    found = []
    for path in sorted(folder.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        first = _FENCE.match(text)
        closing = _FENCE.search(text, first.end()) if first else None
        if first and closing:
            found.append(text[first.end():closing.start()])
    return found


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"needs the shared corpora at {CORPUS}")
def test_real_front_matter() -> None:
    """Every front matter of the first user's site and the demo: read the same, and the
    posts (the bulk of any archive) all in the plain form."""
    texts = _front_matters(CORPUS / "content") + _front_matters(DEMO / "content") + \
        _front_matters(SHARED / "examples")
    read = [text for text in texts if read_plain(text) is not None]
    for text in read:
        assert _same(read_plain(text), _pyyaml(text)), text
    posts = _front_matters(CORPUS / "content" / "posts")
    assert posts and all(read_plain(text) is not None for text in posts)
