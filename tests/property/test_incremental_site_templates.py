"""Incremental builds stay right when a site's own templates show fields the theme does not.

A site template may print any field of any story, author or category, or a setting, on any
page. Whatever it prints, a rebuild after an edit must write what a clean build writes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from masthead.config import load_config
from masthead.errors import BuildFailed
from masthead.incremental import BuildCache
from masthead.options import BuildOptions
from masthead.pipeline import BuildState, build_site
from tests.conftest import NOW, write_site
from tests.property.test_incremental import BASE, EDIT, _apply, _post, _tree

ENTRY_FIELDS = ["tags", "group", "views", "reading_minutes", "date", "draft", "description",
                "source", "image", "youtube_id", "author", "category"]
AUTHOR_FIELDS = ["name", "image", "role", "slug"]
CATEGORY_FIELDS = ["name", "slug", "description", "image"]
CONFIG_FIELDS = ["title", "posts_per_page", "base_url", "description"]

# What a site template may print, each as a Jinja expression: a field of the story a card
# shows, of its author or category, of every story of the site, or a setting.
SHOWN = st.one_of(
    st.sampled_from(ENTRY_FIELDS).map(lambda f: f"{{{{ entry.{f} }}}}"),
    st.sampled_from(AUTHOR_FIELDS).map(
        lambda f: f"{{% set a = site.author_of(entry) %}}{{{{ a.{f} if a else '' }}}}"),
    st.sampled_from(CATEGORY_FIELDS).map(
        lambda f: f"{{% set c = site.category_of(entry) %}}{{{{ c.{f} if c else '' }}}}"),
    st.sampled_from(ENTRY_FIELDS).map(
        lambda f: f"{{% for e in site.posts %}}{{{{ e.{f} }}}};{{% endfor %}}"),
    st.sampled_from(CONFIG_FIELDS).map(lambda f: f"{{{{ config.{f} }}}}"),
    st.just("{{ body(entry)|length }}"),
)

def _card(shown: list[str]) -> str:
    """The theme's card with the chosen expressions added at its end."""
    theme = (Path(__file__).resolve().parents[2] / "src/masthead/themes/default/templates"
             / "partials/card.html").read_text(encoding="utf-8")
    return theme.replace("</article>", "<p class=\"extra\">" + " | ".join(shown) +
                         "</p></article>")

def _build(root: Path, out: Path, cache: BuildCache | None = None,
           state: BuildState | None = None) -> None:
    build_site(load_config(root), out, BuildOptions(now=NOW, jobs=1), cache=cache,
               full_rebuild_share=1.0, state=state)

def test_a_tag_added_shows_on_listings_with_a_site_card(tmp_path: Path) -> None:
    """The case seen by a user: the site's card prints the tags, one story gains a tag."""
    root = write_site(tmp_path / "site", {
        **BASE, "templates/partials/card.html": _card(["{{ entry.tags|join(', ') }}"])})
    cache = BuildCache(root / ".masthead")
    _build(root, root / "dist", cache)
    (root / "content/posts/g.md").write_text(_post("g", 6, tags=["Rivers", "Newtag"]))
    _build(root, root / "dist", cache)
    home = (root / "dist/index.html").read_text(encoding="utf-8")
    assert "Newtag" in home
    _build(root, tmp_path / "clean")
    assert _tree(root / "dist") == _tree(tmp_path / "clean")

@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(SHOWN, min_size=1, max_size=3), st.lists(EDIT, min_size=1, max_size=4),
       st.booleans())
def test_incremental_equals_clean_with_site_templates(
        tmp_path_factory: object, shown: list[str], edits: list[tuple[str, str, object]],
        resident: bool) -> None:
    root = Path(tmp_path_factory.mktemp("site"))  # type: ignore[attr-defined]
    write_site(root, {**BASE, "templates/partials/card.html": _card(shown)})
    cache = BuildCache(root / ".masthead")
    state = BuildState() if resident else None
    incremental, clean = root / "dist", root.parent / (root.name + "-clean")
    _build(root, incremental, cache, state)
    for edit in edits:
        _apply(root, edit)
        try:
            _build(root, incremental, cache, state)
        except BuildFailed:
            continue
        shutil.rmtree(clean, ignore_errors=True)
        _build(root, clean)
        assert _tree(incremental) == _tree(clean), (shown, edit)
