from masthead.site.paginate import FRONT, page_url, paginate


def test_first_page_is_the_base_url() -> None:
    assert page_url("/categories/news/", FRONT) == "/categories/news/"
    assert page_url("/categories/news/", 3) == "/categories/news/page/3/"


def test_archive_pages_count_from_the_oldest() -> None:
    # newest first, as listings are: 9 is the newest story
    pages = paginate(list(range(9, -1, -1)), 3, "/")
    assert [(p.number, p.items) for p in pages] == [
        (FRONT, (9, 8, 7)), (3, (8, 7, 6)), (2, (5, 4, 3)), (1, (2, 1, 0))]
    front, third, second, first = pages
    assert second.prev_url == "/page/3/" and second.next_url == "/page/1/"
    assert front.prev_url is None and front.next_url == "/page/3/"
    assert third.prev_url == "/" and third.next_url == "/page/2/"
    assert first.prev_url == "/page/2/" and first.next_url is None
    # every story is on a page; none is skipped between the first page and the archive
    assert {i for p in pages for i in p.items} == set(range(10))


def test_a_new_story_leaves_the_archive_pages_alone() -> None:
    before = {p.url: (p.items, p.shown()) for p in paginate(list(range(999, -1, -1)), 10, "/")}
    after = {p.url: (p.items, p.shown()) for p in paginate(list(range(1000, -1, -1)), 10, "/")}
    changed = sorted(url for url in after if before.get(url) != after[url])
    # once every ten stories: a new archive page, and the links of the three below it
    assert changed == ["/", "/page/100/", "/page/97/", "/page/98/", "/page/99/"]
    after = {p.url: (p.items, p.shown()) for p in paginate(list(range(1001, -1, -1)), 10, "/")}
    before, after = after, {p.url: (p.items, p.shown())
                            for p in paginate(list(range(1002, -1, -1)), 10, "/")}
    assert [url for url in after if before.get(url) != after[url]] == ["/"]


def test_short_and_empty_listings_have_one_page() -> None:
    assert [p.items for p in paginate([], 5, "/tags/x/")] == [()]
    assert [p.number for p in paginate([3, 2, 1], 5, "/")] == [FRONT]
    assert paginate([3, 2, 1], 5, "/")[0].count == 1


def test_links_mark_gaps() -> None:
    pages = {p.number: p for p in paginate(list(range(100)), 1, "/")}
    links = pages[49].links()
    assert links[0] == (FRONT, "/") and links[-1] == (1, "/page/1/")
    assert links[1] is None and None in links[2:]
    assert [link[0] for link in links if link] == [FRONT, 51, 50, 49, 48, 47, 1]
    assert [link[0] for link in pages[FRONT].links() if link] == [FRONT, 99, 98, 97, 1]
