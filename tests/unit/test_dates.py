"""Writing dates: the kept ISO text is the object's own."""

import datetime as dt

from masthead.content.dates import iso


def test_iso_is_isoformat_even_for_equal_moments_in_two_zones() -> None:
    utc = dt.datetime(2024, 5, 1, 6, 0, tzinfo=dt.UTC)
    almaty = dt.datetime(2024, 5, 1, 11, 0, tzinfo=dt.timezone(dt.timedelta(hours=5)))
    assert utc == almaty  # the same moment, written two ways
    assert [iso(utc), iso(almaty), iso(utc)] == [utc.isoformat(), almaty.isoformat(),
                                                utc.isoformat()]
    assert iso(dt.date(2024, 5, 1)) == "2024-05-01"
