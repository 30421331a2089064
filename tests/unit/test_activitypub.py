"""The stories as Articles, made again in the same process (the desk's publish, the dev
server): a story that changed gets a new Article, the others keep theirs."""

from __future__ import annotations

import json
from pathlib import Path

from masthead.config import load_config
from masthead.incremental import BuildCache
from masthead.options import BuildOptions
from masthead.pipeline import build_site
from tests.conftest import NOW, post, write_site

CHANNEL = '[{name = "fediverse-en", kind = "fediverse", language = "en", account = "news"}]'


def test_an_edited_story_gets_a_new_article_and_the_others_keep_theirs(
        tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", {
        "content/posts/a.md": post("First title"), "content/posts/b.md": post("Other")})
    config = load_config(root, {"api_url": '"/api"', "channels": CHANNEL})
    out, cache = tmp_path / "out", BuildCache(tmp_path / "cache")
    articles = out / "fediverse" / "news" / "articles"
    build_site(config, out, BuildOptions(now=NOW), cache=cache)
    other = (articles / "b.json").read_bytes()
    assert json.loads((articles / "a.json").read_bytes())["name"] == "First title"
    (root / "content/posts/a.md").write_text(post("Second title"), encoding="utf-8")
    build_site(config, out, BuildOptions(now=NOW), cache=cache)
    assert json.loads((articles / "a.json").read_bytes())["name"] == "Second title"
    assert (articles / "b.json").read_bytes() == other
    outbox = json.loads((out / "fediverse" / "news" / "outbox.json").read_bytes())
    assert {a["object"]["name"] for a in outbox["orderedItems"]} == {"Second title", "Other"}
