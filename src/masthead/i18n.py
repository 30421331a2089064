"""Interface strings per language: the theme's files, extended by the site's own.

The theme ships English and Russian (``themes/default/i18n/<lang>.toml``); a site can
add a language or change a string in ``i18n/<lang>.toml``. A missing string falls
back to English, so a new language works before it is fully translated.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from masthead.errors import ConfigError, Diagnostic

THEME_I18N = Path(__file__).parent / "themes" / "default" / "i18n"
FALLBACK = "en"


@dataclass(frozen=True)
class Strings:
    lang: str
    table: dict[str, Any]

    def __call__(self, key: str, **values: Any) -> str:
        text = self.table.get(key, key)
        return str(text).format(**values) if values else str(text)

    def date(self, moment: dt.datetime | dt.date) -> str:
        months = self.table.get("months") or []
        month = months[moment.month - 1] if len(months) == 12 else str(moment.month)
        pattern = str(self.table.get("date_format", "{year}-{month}-{day}"))
        return pattern.format(day=moment.day, month=month, year=moment.year)


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
