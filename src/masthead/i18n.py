"""Interface strings per language: the theme's files, extended by the site's own.

The theme ships English and Russian (``themes/default/i18n/<lang>.toml``); a site can
add a language or change a string in ``i18n/<lang>.toml``. A missing string falls
back to English, so a new language works before it is fully translated.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from masthead.errors import ConfigError, Diagnostic

THEME_I18N = Path(__file__).parent / "themes" / "default" / "i18n"
FALLBACK = "en"


_MADE_KEPT = 8192  # strings kept per language; more (say, a view count per story) start over


@dataclass(frozen=True, slots=True)
class Strings:
    """One language's strings, as templates ask for them: ``t("key", name=value)``. A page
    asks for a dozen, most the same as on the page before ("Share on Telegram", this
    story's date on its page and on its card), so each string made is kept."""

    lang: str
    table: dict[str, Any]
    _made: dict[Any, str] = field(default_factory=dict, compare=False, repr=False)

    def __call__(self, key: str, **values: Any) -> str:
        if not values:
            text = self.table.get(key, key)
            return text if type(text) is str else str(text)
        wanted = (key, *values.items())
        try:
            return self._made[wanted]
        except KeyError:
            made = str(self.table.get(key, key)).format(**values)
        except TypeError:  # an unhashable value: made each time
            return str(self.table.get(key, key)).format(**values)
        self._keep(wanted, made)
        return made

    def date(self, moment: dt.datetime | dt.date) -> str:
        wanted = (moment.year, moment.month, moment.day)
        made = self._made.get(wanted)
        if made is None:
            months = self.table.get("months") or []
            month = months[moment.month - 1] if len(months) == 12 else str(moment.month)
            pattern = str(self.table.get("date_format", "{year}-{month}-{day}"))
            made = pattern.format(day=moment.day, month=month, year=moment.year)
            self._keep(wanted, made)
        return made

    def _keep(self, wanted: Any, made: str) -> None:
        if len(self._made) >= _MADE_KEPT:
            self._made.clear()
        self._made[wanted] = made


def load_strings(site_root: Path, languages: tuple[str, ...]) -> dict[str, Strings]:
    result = {}
    base = _read(THEME_I18N / f"{FALLBACK}.toml", site_root)
    for code in languages:
        table = dict(base)
        for folder in (THEME_I18N, site_root / "i18n"):
            table.update(_read(folder / f"{code}.toml", site_root))
        result[code] = Strings(code, table)
    return result


def _read(path: Path, site_root: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        try:
            shown = str(path.relative_to(site_root))
        except ValueError:
            shown = str(path)
        raise ConfigError([Diagnostic(shown, None, f"invalid TOML: {exc}",
                                      'write each string as key = "text"')]) from None
