"""Dates in front matter: ISO 8601 with an offset, or a bare date / naive time in the
site's time zone (accepted with a warning, since the moment it names is ambiguous)."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

EXAMPLE = "2024-01-13T09:00:00+03:00"
# What WordPress and PHP write for "no date" (0000-00-00, and -0001-11-30 once PHP has
# normalised it), kept by converters.
ZERO_DATE = re.compile(r"^\s*[\"']?(?:0000-00-00|-0*1-11-30)")


_ISO: dict[int, tuple[dt.datetime | dt.date, str]] = {}  # by the object's identity
_ISO_KEPT = 50_000


def iso(moment: dt.datetime | dt.date) -> str:
    """``moment.isoformat()``, made once per date object: a story's date is written five
    times on its page and again in feeds and sitemaps (0.8 us each). Kept with the object
    itself, by identity: equal datetimes in two time zones are written differently."""
    kept = _ISO.get(id(moment))
    if kept is not None and kept[0] is moment:
        return kept[1]
    text = moment.isoformat()
    if len(_ISO) >= _ISO_KEPT:
        _ISO.clear()
    _ISO[id(moment)] = (moment, text)
    return text


class DateProblem(ValueError):
    """A value that is not a date; the message says why."""


def parse_date(value: object, zone: ZoneInfo) -> tuple[dt.datetime, bool]:
    """Return (aware datetime, was_naive). Raise DateProblem for anything else."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=zone), True
        return value, False
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=zone), True
    if not isinstance(value, str) or not value.strip():
        raise DateProblem(f"is not a date ({value!r})")
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise DateProblem(f"is not a date ('{value}')") from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=zone), True
    return _with_shared_offset(parsed), False


_OFFSETS: dict[tuple[dt.timedelta | None, str | None], dt.tzinfo] = {}


def _with_shared_offset(moment: dt.datetime) -> dt.datetime:
    """The moment with one time zone object per UTC offset, shared by every date that has
    it: models cross from the readers to the builder pickled in batches, where an object
    met before is written and loaded as a reference (each date's own offset cost two more
    objects to make on loading)."""
    zone = moment.tzinfo
    if type(zone) is not dt.timezone:
        return moment
    shared = _OFFSETS.setdefault((zone.utcoffset(None), zone.tzname(None)), zone)
    return moment if shared is zone else moment.replace(tzinfo=shared)
