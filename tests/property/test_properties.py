from hypothesis import given
from hypothesis import strategies as st

from masthead.content.slugs import banter_slug
from masthead.site.paginate import paginate


@given(st.lists(st.integers(), max_size=200), st.integers(min_value=1, max_value=30))
def test_pagination_covers_every_item_once_in_order(items: list[int], per_page: int) -> None:
    """The first page, then the archive pages from the newest to page 1 (the archive
    starts with what the first page could not show), hold every item in order; each
    archive page is full, and holds the same items whatever is added before them."""
    pages = paginate(items, per_page, "/")
    front, archive = pages[0], pages[1:]
    assert front.front and front.items == tuple(items[:per_page])
    behind = [item for page in archive for item in page.items]
    shown_on_front = len(items) - len(behind)
    assert 0 <= shown_on_front <= len(front.items)
    assert list(front.items[:shown_on_front]) + behind == items
    assert all(len(page.items) == per_page for page in archive)
    assert [page.number for page in archive] == list(range(len(archive), 0, -1))
    assert all(page.count == len(pages) for page in pages)
    newer = paginate([*range(-5, 0), *items], per_page, "/")  # five newer items
    kept = {p.number: p.items for p in newer if not p.front}
    assert all(kept[page.number] == page.items for page in archive)


@given(st.text(max_size=60))
def test_banter_slug_is_stable(name: str) -> None:
    slug = banter_slug(name)
    assert banter_slug(slug) == slug
    assert "/" not in slug and " " not in slug
