from masthead.site.paginate import page_url, paginate


def test_first_page_is_the_base_url() -> None:
    assert page_url("/categories/news/", 1) == "/categories/news/"
    assert page_url("/categories/news/", 3) == "/categories/news/page/3/"


def test_pagination_splits_and_links() -> None:
    pages = paginate(list(range(7)), 3, "/")
    assert [p.items for p in pages] == [(0, 1, 2), (3, 4, 5), (6,)]
    assert pages[0].prev_url is None and pages[0].next_url == "/page/2/"
    assert pages[2].prev_url == "/page/2/" and pages[2].next_url is None


def test_empty_listing_has_one_page() -> None:
    pages = paginate([], 5, "/tags/x/")
    assert len(pages) == 1 and pages[0].items == ()


def test_links_mark_gaps() -> None:
    pager = paginate(list(range(100)), 1, "/")[49]
    links = pager.links()
    assert links[0] == (1, "/") and links[-1] == (100, "/page/100/")
    assert None in links
