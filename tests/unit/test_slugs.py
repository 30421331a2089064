from masthead.content.slugs import anchor_slug, banter_slug, url_path


def test_banter_slug_lowercases_and_hyphenates() -> None:
    assert banter_slug("Free Nations League") == "free-nations-league"


def test_banter_slug_keeps_cyrillic() -> None:
    assert banter_slug("Калмыцкий язык") == "калмыцкий-язык"


def test_banter_slug_drops_characters_that_break_urls() -> None:
    assert banter_slug("Q&A / 2024?") == "q&a--2024"


def test_url_path_percent_encodes_non_ascii_but_keeps_slashes() -> None:
    assert url_path("/tags/язык/") == "/tags/%D1%8F%D0%B7%D1%8B%D0%BA/"


def test_anchor_slug_drops_punctuation() -> None:
    assert anchor_slug("What's new, in 2024?") == "whats-new-in-2024"
    assert anchor_slug("Сколько нерусских в России?") == "сколько-нерусских-в-россии"
