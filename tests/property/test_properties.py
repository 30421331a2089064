from hypothesis import given
from hypothesis import strategies as st

from masthead.content.slugs import banter_slug
from masthead.site.paginate import paginate


@given(st.lists(st.integers(), max_size=200), st.integers(min_value=1, max_value=30))
def test_pagination_covers_every_item_once_in_order(items: list[int], per_page: int) -> None:
    pages = paginate(items, per_page, "/")
    flattened = [item for page in pages for item in page.items]
    assert flattened == items
    assert all(len(page.items) <= per_page for page in pages)
    assert all(page.count == len(pages) for page in pages)


@given(st.text(max_size=60))
def test_banter_slug_is_stable(name: str) -> None:
    slug = banter_slug(name)
    assert banter_slug(slug) == slug
    assert "/" not in slug and " " not in slug
