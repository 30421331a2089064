"""Settings that are lists of tables (menus, social links, collections): each entry checked,
links by scheme and names that could lead out of the site refused."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from masthead.config.settings import (
    ChannelConfig,
    CollectionConfig,
    DeployTarget,
    MenuItem,
    SocialLink,
)
from masthead.errors import Diagnostic, did_you_mean
from masthead.safeurl import link_ok, origin_of


def read_menu(raw: Any, path: Path, root: Path, problems: list[Diagnostic]) -> tuple[MenuItem, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.append(Diagnostic(rel_path(path, root), None,
                                   "a menu must be a list of {name, link}"))
        return ()
    items = []
    for entry in raw:
        if not isinstance(entry, dict) or "name" not in entry:
            problems.append(Diagnostic(rel_path(path, root), None,
                                       f"menu entry {entry!r} has no 'name'",
                                       "write each entry as { name: '...', link: '/...' }"))
            continue
        link = str(entry.get("link") or "#")
        if not link_ok(link):
            problems.append(unsafe_link(rel_path(path, root), entry["name"], link))
            link = "#"
        items.append(MenuItem(str(entry["name"]), link,
                              read_menu(entry.get("submenu"), path, root, problems)))
    return tuple(items)


def read_social(raw: Any, path: Path, root: Path,
            problems: list[Diagnostic]) -> tuple[SocialLink, ...]:
    if raw is None:
        return ()
    if isinstance(raw, dict):  # some Banter forks export { facebook: "...", ... }
        raw = [{"name": k, "href": v} for k, v in raw.items()]
    if not isinstance(raw, list):
        problems.append(Diagnostic(rel_path(path, root), None,
                                   "social must be a list of {name, href}"))
        return ()
    links = []
    for entry in raw:
        href = entry.get("href") or entry.get("url") if isinstance(entry, dict) else None
        if isinstance(entry, dict) and entry.get("name") and href and not link_ok(str(href)):
            problems.append(unsafe_link(rel_path(path, root), entry["name"], str(href)))
        elif isinstance(entry, dict) and entry.get("name") and href:
            links.append(SocialLink(str(entry["name"]), str(href)))
        else:
            problems.append(Diagnostic(rel_path(path, root), None,
                                       f"social entry {entry!r} needs 'name' and 'href'"))
    return tuple(links)


def unsafe_link(rel: str, name: object, link: str) -> Diagnostic:
    return Diagnostic(rel, None, f"the link of '{name}' ({link[:80]!r}) is not a web address",
                      "links may be https://..., http://..., mailto:, tel: or a path such "
                      "as /about")


TABLE_KEYS = {
    "main_menu": ("name", "link", "submenu"),
    "footer_menu": ("name", "link"),
    "social": ("name", "href", "url"),
    "collections": ("name", "folder", "url", "template"),
    "deploy": ("name", "url", "to", "primary"),
    "channels": ("name", "kind", "language", "chat", "api", "token_env", "account"),
}


def check_table_keys(table: str, value: Any, rel: str, line_of: Any, settings: Any,
                      problems: list[Diagnostic]) -> None:
    """An unknown key inside a ``[[table]]``: most often a setting written after the
    table, which TOML then puts into it."""
    allowed = TABLE_KEYS[table]
    entries = value if isinstance(value, list) else [value]
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        for key in entry:
            if key in allowed:
                if key == "submenu":
                    check_table_keys("footer_menu", entry[key], rel, line_of, settings,
                                      problems)
                continue
            if key in settings:
                hint = (f"'{key}' is a setting, but TOML puts every line after "
                        f"[[{table}]] into that table: move it above the first [[...]] line")
            else:
                hint = did_you_mean(key, allowed, f"keys of [[{table}]]")
            problems.append(Diagnostic(rel, line_of(key),
                                       f"unknown key '{key}' in a [[{table}]] table", hint))


def read_collections(raw: Any, rel: str, line: int | None,
                 problems: list[Diagnostic]) -> tuple[CollectionConfig, ...]:
    result = []
    for entry in raw if isinstance(raw, list) else [raw]:
        if not isinstance(entry, dict) or not entry.get("name"):
            problems.append(Diagnostic(rel, line, "each collection needs a 'name'",
                                       '[[collections]]\nname = "docs"'))
            continue
        name = str(entry["name"])
        folder = str(entry.get("folder", name))
        url = str(entry.get("url", f"/{name}")).rstrip("/") or f"/{name}"
        template = str(entry.get("template", "item.html"))
        problem = (_segment_problem("name", name) or _segment_problem("folder", folder)
                   or _url_problem(url) or _segment_problem("template", template, dots=True))
        if problem:
            problems.append(Diagnostic(rel, line, f"collection '{name[:40]}': {problem}",
                                       '[[collections]]\nname = "reports"\nurl = "/reports"'))
            continue
        result.append(CollectionConfig(name=name, folder=folder, url=url, template=template))
    return tuple(result)


LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")
_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_URL_PATH = re.compile(r"^(/[A-Za-z0-9_~-][A-Za-z0-9_.~-]*)+$")


def _segment_problem(what: str, value: str, dots: bool = False) -> str | None:
    """A folder or file name inside the site: letters, digits, '_', '-', '.' and no way
    out of its folder."""
    if _SEGMENT.match(value) and ".." not in value and (dots or "." not in value[:1]):
        return None
    return f"its {what} {value[:40]!r} must be one plain name (letters, digits, - and _)"


def _url_problem(url: str) -> str | None:
    if _URL_PATH.match(url) and "/." not in url:
        return None
    return f"its url {url[:40]!r} must be a path such as /reports (letters, digits, - and _)"


def rel_path(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


_TARGET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")
# A remote's parameters that would put a secret into masthead.toml.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CREDENTIAL = re.compile(r"(?i)(pass|password|secret|token|key|session)[a-z_]*=")


def read_deploy(raw: Any, rel: str, line: int | None,
                problems: list[Diagnostic]) -> tuple[DeployTarget, ...]:
    """The ``[[deploy]]`` targets: names unique, addresses at the root of an http(s)
    origin (pages link to /...), destinations without credentials, one primary at most."""
    targets: list[DeployTarget] = []
    hint = '[[deploy]]\nname = "mirror"\nurl = "https://mirror.example.net/"\nto = "s3:bucket"'
    for entry in raw if isinstance(raw, list) else [raw]:
        if not isinstance(entry, dict):
            problems.append(Diagnostic(rel, line, "each deploy target is a table", hint))
            continue
        name, url, to = (str(entry.get(k) or "").strip() for k in ("name", "url", "to"))
        problem = None
        if not _TARGET_NAME.match(name):
            problem = f"its name {name[:40]!r} must be letters, digits and -"
        elif any(t.name == name for t in targets):
            problem = "its name is used twice"
        elif not origin_of(url) or url.rstrip("/") != origin_of(url):
            problem = (f"its url {url[:60]!r} must be the address of a site's root, "
                       "such as https://mirror.example.net/")
        elif not to or _CONTROL.search(to):
            problem = "it needs a destination 'to': a folder or an rclone remote"
        elif to.startswith("-"):
            problem = (f"its destination {to[:40]!r} starts with '-', which rclone would "
                       "take for an option; write a folder as ./-name")
        elif _CREDENTIAL.search(to):
            problem = ("its destination holds a credential; set it in the environment "
                       "(RCLONE_CONFIG_...) or in rclone's own config instead")
        elif not isinstance(entry.get("primary", False), bool):
            problem = "'primary' must be true or false"
        if problem:
            problems.append(Diagnostic(rel, line, f"deploy target '{name[:40]}': {problem}",
                                       hint))
            continue
        targets.append(DeployTarget(name, origin_of(url) + "/", to,
                                    bool(entry.get("primary", False))))
    if sum(t.primary for t in targets) > 1:
        problems.append(Diagnostic(rel, line, "more than one deploy target is primary",
                                   "mark the main address alone with primary = true"))
    return tuple(targets)


_CHAT = re.compile(r"^(@[A-Za-z][A-Za-z0-9_]{3,31}|-?[0-9]{1,20})$")
_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,63}$")
_ACCOUNT = re.compile(r"^[a-z0-9_]{1,30}$")
CHANNEL_KINDS = ("telegram", "fediverse")
TELEGRAM_API = "https://api.telegram.org"
TELEGRAM_TOKEN_ENV = "TELEGRAM_BOT_TOKEN"


def read_channels(raw: Any, rel: str, line: int | None,
                  problems: list[Diagnostic]) -> tuple[ChannelConfig, ...]:
    """The ``[[channels]]``: names unique, a known kind, a language code (that it is one
    of the site's is checked with the other settings), a chat
    Telegram can name, the API at an http(s) address, the token's variable a name (the
    token itself is never written in the settings)."""
    found: list[ChannelConfig] = []
    hint = ('[[channels]]\nname = "telegram-ru"\nkind = "telegram"\nlanguage = "ru"\n'
            'chat = "@outlet_ru"')
    for entry in raw if isinstance(raw, list) else [raw]:
        if not isinstance(entry, dict):
            problems.append(Diagnostic(rel, line, "each channel is a table", hint))
            continue
        name, kind, language, chat, account = (
            str(entry.get(k) or "").strip()
            for k in ("name", "kind", "language", "chat", "account"))
        api = str(entry.get("api") or TELEGRAM_API).strip().rstrip("/")
        token_env = str(entry.get("token_env") or TELEGRAM_TOKEN_ENV).strip()
        problem = None
        if not _TARGET_NAME.match(name):
            problem = f"its name {name[:40]!r} must be letters, digits and -"
        elif any(c.name == name for c in found):
            problem = "its name is used twice"
        elif kind not in CHANNEL_KINDS:
            problem = f"its kind {kind[:20]!r} is not one of {', '.join(CHANNEL_KINDS)}"
        elif not LANGUAGE_CODE.match(language):
            problem = f"its language {language[:10]!r} is not a language code, such as ru"
        elif kind == "fediverse":
            if not _ACCOUNT.match(account):
                problem = (f"its account {account[:40]!r} must be the account's name in "
                           "@name@site-host: lower-case letters, digits and _")
            elif any(c.account == account for c in found):
                problem = f"its account {account!r} is used by another channel"
            elif any(c.kind == "fediverse" and c.language == language for c in found):
                problem = f"the language {language!r} already has a fediverse account"
        elif not _CHAT.match(chat):
            problem = (f"its chat {chat[:40]!r} must be the channel's @name or its "
                       "numeric id, such as -1001234567890")
        elif not origin_of(api + "/"):
            problem = f"its api {api[:60]!r} must be an http(s) address"
        elif not _ENV_NAME.match(token_env):
            problem = (f"its token_env {token_env[:40]!r} must be the name of an environment "
                       "variable (the token itself is never written here)")
        if problem:
            problems.append(Diagnostic(rel, line, f"channel '{name[:40]}': {problem}", hint))
            continue
        found.append(ChannelConfig(name, kind, language, chat, api, token_env, account))
    return tuple(found)
