"""Story cards: one rendering serves every heading level only when the template allows."""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
import pytest

from masthead.render.cardmark import heading_only_printed
from masthead.render.pool import shares_by_story
from masthead.render.templates import CARD_TEMPLATE, make_environment
from tests.conftest import SiteBuilder, post


def _env(source: str) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.DictLoader({"card.html": source,
                                                        "other.html": "{{ heading }}"}))


def test_the_theme_card_is_rendered_once_for_all_levels(tmp_path: Path) -> None:
    assert heading_only_printed(make_environment(tmp_path), CARD_TEMPLATE)


@pytest.mark.parametrize("source", [
    "<{{ heading }}>{{ entry.title }}</{{ heading }}>",
    "{% macro b(x) %}{{ x }}{% endmacro %}<{{ heading }}>{{ b(entry.title) }}",
    '{% import "other.html" as o %}<{{ heading }}>',
])
def test_printing_heading_alone_allows_one_rendering(source: str) -> None:
    assert heading_only_printed(_env(source), "card.html")


@pytest.mark.parametrize("source", [
    '{% if heading == "h3" %}next{% endif %}<{{ heading }}>',
    "<{{ heading | upper }}>",
    "{% set level = heading %}<{{ level }}>",
    '{% include "other.html" %}',
    '{% import "other.html" as o with context %}',
    "{% autoescape false %}<{{ heading }}>{% endautoescape %}",
    "<{{ heading }} class=\"{{ heading ~ '-title' }}\">",
])
def test_any_other_use_renders_each_level(source: str) -> None:
    assert not heading_only_printed(_env(source), "card.html")


def _card_titles(html: str) -> list[str]:
    return re.findall(r'<(h\d) class="card-title"><a href="/posts/([^/]+)/">', html)


def test_levels_in_the_built_site(build_site: SiteBuilder) -> None:
    built = build_site({"content/posts/old.md": post("Old one", "2024-01-01T10:00:00+00:00"),
                        "content/posts/new.md": post("New one", "2024-01-03T10:00:00+00:00")})
    # The next article under a story has an <h3> title; a listing's cards an <h2> one.
    assert ("h3", "old") in _card_titles(built.html("/posts/new/"))
    assert ("h2", "old") in _card_titles(built.html("/categories/news/"))
    assert "\x00" not in built.html("/posts/new/") + built.html("/categories/news/")


def test_a_card_that_branches_on_its_heading(build_site: SiteBuilder) -> None:
    card = ('<article>{% if heading == "h3" %}<p>read next</p>{% endif %}'
            '<{{ heading }} class="card-title"><a href="{{ urls.entry(entry) }}">'
            "{{ entry.title }}</a></{{ heading }}></article>")
    built = build_site({"templates/partials/card.html": card,
                        "content/posts/old.md": post("Old one", "2024-01-01T10:00:00+00:00"),
                        "content/posts/new.md": post("New one", "2024-01-03T10:00:00+00:00")})
    story = built.html("/posts/new/")
    assert "<p>read next</p><h3" in story
    listing = built.html("/categories/news/")
    assert ("h2", "old") in _card_titles(listing)
    assert "read next" not in listing


def test_each_worker_is_first_given_one_span_of_the_archive(build_site: SiteBuilder) -> None:
    """So that a card is rendered by one worker, not by every worker: the first parts hold
    the listing pages and stories of separate spans of the archive."""
    files = {f"content/posts/p{i:03}.md": post(
        f"Story {i}", f"2024-{1 + i // 28:02}-{1 + i % 28:02}T10:00:00+00:00",
        tags=[f"t{i % 5}", f"u{i % 3}"], category="News" if i % 2 else "Sport")
        for i in range(240)}
    files["content/categories/sport.md"] = '---\nname: "Sport"\n---\n'

    routes = build_site(files).report.routes
    order, parts = shares_by_story(routes, 2)
    assert sorted(order) == list(range(len(routes)))
    assert [position for part in parts for position in part] == list(range(len(order)))

    def shown(part: range) -> set[str]:
        slugs = set()
        for position in part:
            route = routes[order[position]]
            pager = route.context.get("pager")
            slugs |= {entry.slug for entry in (pager.items if pager else ())}
        return slugs

    first, second = shown(parts[0]), shown(parts[1])
    assert len(first) > 60 and len(second) > 60
    assert len(first & second) <= 0.1 * min(len(first), len(second))
