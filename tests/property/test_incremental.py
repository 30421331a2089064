"""An incremental build writes exactly what a clean build writes, after any edits."""

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
from tests.conftest import NOW, post, write_site

SLUGS = ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
AUTHORS = ["Ann Lee", "Bo Chen"]
CATEGORIES = ["News", "Culture"]
TAGS = ["Rivers", "Steppe", "Дельта", "Schools"]


def _post(slug: str, n: int, **changes: object) -> str:
    values: dict[str, object] = {
        "title": f"Story {slug}", "date": f"2024-01-{n + 1:02d}T10:00:00+00:00",
        "author": AUTHORS[n % 2], "category": CATEGORIES[n % 2], "views": 10 * n + 1,
        "tags": [TAGS[n % 4], TAGS[(n + 1) % 4]], "group": "Featured" if n % 3 == 0 else "Archived",
        "body": f"## Part {n}\n\nText of story {slug} with https://example.org/{slug}.\n"}
    values.update(changes)
    title = str(values.pop("title"))
    date = str(values.pop("date"))
    return post(title, date, **values)


BASE = {
    # small "most read" and "featured" lists, so that most edits touch only some pages
    "masthead.toml": 'title = "Test Times"\nbase_url = "https://news.example.org/"\n'
                     "posts_per_page = 2\npopular_count = 1\nfeatured_count = 1\n"
                     "popular_tags_count = 2\nsearch = false\n",  # search: its own test
    "content/authors/ann.md": '---\nname: "Ann Lee"\nimage: "/images/a.png"\n---\nAnn.\n',
    "content/authors/bo.md": '---\nname: "Bo Chen"\nrole: "member"\norder: 2\n---\nBo.\n',
    "content/categories/culture.md": '---\nname: "Culture"\n---\n',
    "content/pages/about.md": '---\ntitle: "About"\nmember_section:\n  heading: "Team"\n---\nUs.\n',
    **{f"content/posts/{slug}.md": _post(slug, n) for n, slug in enumerate(SLUGS[:7])},
}

EDIT = st.one_of(
    st.tuples(st.just("title"), st.sampled_from(SLUGS), st.text("xyz ", min_size=1, max_size=6)),
    st.tuples(st.just("body"), st.sampled_from(SLUGS), st.text("ab \n#*", max_size=30)),
    st.tuples(st.just("views"), st.sampled_from(SLUGS), st.integers(0, 500)),
    st.tuples(st.just("category"), st.sampled_from(SLUGS), st.sampled_from(CATEGORIES)),
    st.tuples(st.just("author"), st.sampled_from(SLUGS), st.sampled_from(AUTHORS)),
    st.tuples(st.just("tags"), st.sampled_from(SLUGS), st.lists(st.sampled_from(TAGS), max_size=3)),
    st.tuples(st.just("group"), st.sampled_from(SLUGS), st.sampled_from(["Featured", "Archived"])),
    st.tuples(st.just("date"), st.sampled_from(SLUGS), st.integers(1, 28)),
    st.tuples(st.just("delete"), st.sampled_from(SLUGS), st.none()),
    st.tuples(st.just("rename"), st.sampled_from(SLUGS), st.sampled_from(SLUGS)),
    st.tuples(st.just("bio"), st.sampled_from(["ann", "bo"]), st.text("bio ", max_size=8)),
    st.tuples(st.just("category-name"), st.just("culture"), st.sampled_from(["Culture", "Arts"])),
    st.tuples(st.just("newsletter"), st.just(""), st.text("news ", min_size=1, max_size=8)),
    st.tuples(st.just("image"), st.just(""), st.integers(1, 60)),
)


def _apply(root: Path, edit: tuple[str, str, object]) -> None:
    kind, slug, value = edit
    path = root / "content" / "posts" / f"{slug}.md"
    n = SLUGS.index(slug) if slug in SLUGS else 0
    if kind == "bio":
        (root / f"content/authors/{slug}.md").write_text(
            f'---\nname: "{"Ann Lee" if slug == "ann" else "Bo Chen"}"\n---\n{value}\n')
    elif kind == "category-name":
        (root / "content/categories/culture.md").write_text(f'---\nname: "{value}"\n---\n')
        for other in (root / "content" / "posts").glob("*.md"):  # keep references valid
            other.write_text(other.read_text().replace('"Arts"', f'"{value}"')
                             .replace('"Culture"', f'"{value}"'))
    elif kind == "newsletter":
        (root / "content/shared/newsletter.md").write_text(f'---\ntitle: "{value}"\n---\n')
    elif kind == "image":
        from PIL import Image
        Image.new("RGB", (int(str(value)), 30), (1, 2, 3)).save(root / "public/images/a.png")
    elif kind == "delete":
        path.unlink(missing_ok=True)
    elif kind == "rename":
        target = root / "content" / "posts" / f"{value}.md"
        if path.exists() and not target.exists():
            path.rename(target)
    else:
        name = (root / "content/categories/culture.md").read_text().split('"')[1]
        categories = {"Culture": name}
        change: dict[str, object] = {kind: value}
        if kind == "date":
            change = {"date": f"2024-02-{int(str(value)):02d}T10:00:00+00:00"}
        if kind == "category":
            change = {"category": categories.get(str(value), str(value))}
        current = {"category": categories.get(CATEGORIES[n % 2], CATEGORIES[n % 2])}
        current.update(change)
        path.write_text(_post(slug, n, **current))


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(EDIT, min_size=1, max_size=6), st.booleans())
def test_incremental_build_equals_clean_build(tmp_path_factory: object,
                                              edits: list[tuple[str, str, object]],
                                              resident: bool) -> None:
    """``resident`` keeps the last build in memory, as ``masthead serve`` does, which lets
    a change to a story's text re-render that story's page alone."""
    root = Path(tmp_path_factory.mktemp("site"))  # type: ignore[attr-defined]
    write_site(root, BASE)
    options = BuildOptions(now=NOW, jobs=1)
    cache = BuildCache(root / ".masthead")
    state = BuildState() if resident else None
    incremental, clean = root / "dist", root.parent / (root.name + "-clean")
    build_site(load_config(root), incremental, options, cache=cache, state=state)
    for edit in edits:
        _apply(root, edit)
        try:
            report = build_site(load_config(root), incremental, options, cache=cache,
                                full_rebuild_share=1.0, state=state)
        except BuildFailed:
            continue  # an edit may leave the site invalid; the output must stay as it was
        shutil.rmtree(clean, ignore_errors=True)
        build_site(load_config(root), clean, options)
        assert report.incremental, "the update was not incremental"
        assert _tree(incremental) == _tree(clean), edit
