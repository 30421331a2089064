"""The editor in the browser: Decap CMS from the desk's own address (``desk/editor/``,
pinned, with its licences: a CDN may be blocked where the writers are), its configuration
made from the site's content model, and the small page that signs a writer in first.

The configuration says what Decap shows: stories per language (one folder per language
when the site has several), authors, categories and pages, each front-matter field with
its widget (relations for author and category, the Featured group, tags, image, dates,
draft). The interface speaks Russian or English, as the writer's browser prefers."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response

from masthead.assets.static import THEME_STATIC
from masthead.config import SiteConfig
from masthead.content.discover import Layout, detect_layout
from masthead.desk.site_files import MEDIA_FOLDER

EDITOR = Path(__file__).parent / "editor"
DOOR = Path(__file__).parent / "door"  # the sign-in page and its script
_EDITOR_FILE = re.compile(r"^(?:\d+\.)?decap-cms\.js$")
PROXY = "/admin/api/v1"


def _post_fields() -> list[dict[str, Any]]:
    return [
        {"label": "Title", "name": "title", "widget": "string"},
        {"label": "Description", "name": "description", "widget": "text", "required": False},
        {"label": "Date", "name": "date", "widget": "datetime", "format": "YYYY-MM-DDTHH:mm:ssZ"},
        {"label": "Author", "name": "author", "widget": "relation", "collection": "authors",
         "search_fields": ["name"], "value_field": "name", "display_fields": ["name"],
         "required": False},
        {"label": "Category", "name": "category", "widget": "relation",
         "collection": "categories", "search_fields": ["name"], "value_field": "name",
         "display_fields": ["name"], "required": False},
        {"label": "Tags", "name": "tags", "widget": "list", "required": False},
        {"label": "Image", "name": "image", "widget": "image", "required": False},
        {"label": "Featured", "name": "group", "widget": "select", "required": False,
         "options": ["Featured"]},
        {"label": "Draft", "name": "draft", "widget": "boolean", "required": False,
         "default": False},
        {"label": "Body", "name": "body", "widget": "markdown"},
    ]


# The labels of collections and fields in Russian (the editor's own words come from
# Decap's locales); English is what the configuration is written in.
RUSSIAN = {"Stories": "Материалы", "Story": "Материал", "Authors": "Авторы",
           "Author": "Автор", "Categories": "Рубрики", "Category": "Рубрика",
           "Pages": "Страницы", "Page": "Страница", "Title": "Заголовок",
           "Description": "Подзаголовок", "Date": "Дата публикации", "Tags": "Теги",
           "Image": "Иллюстрация", "Featured": "На главной", "Draft": "Черновик",
           "Body": "Текст", "Name": "Имя", "Role": "Должность", "About": "Об авторе",
           "Docs": "Документы", "Videos": "Видео"}


def _translated(value: Any) -> Any:
    """``value`` (a configuration) with its labels in Russian."""
    if isinstance(value, list):
        return [_translated(item) for item in value]
    if isinstance(value, dict):
        return {key: RUSSIAN.get(item, item) if key in ("label", "label_singular")
                and isinstance(item, str) else _translated(item)
                for key, item in value.items()}
    return value


def editor_config(config: SiteConfig, layout: Layout, locale: str) -> dict[str, Any]:
    """Decap CMS's configuration for this site, its labels in ``locale``."""
    made = _editor_config(config, layout, locale)
    return _translated(made) if locale == "ru" else made


def _editor_config(config: SiteConfig, layout: Layout, locale: str) -> dict[str, Any]:
    several = len(layout.languages) > 1 and layout.localized
    posts: dict[str, Any] = {
        "name": "posts", "label": "Stories", "label_singular": "Story",
        "folder": "content/posts", "create": True,
        "slug": "{{slug}}", "extension": "md", "format": "frontmatter",
        "fields": _post_fields(), "sortable_fields": ["date", "title"]}
    # The site's other collections (the docs and videos of a Banter site), as stories
    # without authors and sections.
    others: list[dict[str, Any]] = [
        {"name": c.name, "label": c.name.capitalize(), "folder": f"content/{c.folder}",
         "create": True, "slug": "{{slug}}", "extension": "md", "format": "frontmatter",
         "sortable_fields": ["date", "title"],
         "fields": [f for f in _post_fields() if f["name"] in (
             "title", "description", "date", "image", "draft", "body")]}
        for c in layout.collections]
    if several:
        for collection in (posts, *others):
            collection["i18n"] = True
            for field in collection["fields"]:
                # Words are written per language; dates, people, sections and flags are one.
                field["i18n"] = True if field["name"] in ("title", "description", "body",
                                                          "tags") else "duplicate"
    simple: list[dict[str, Any]] = [
        {"name": "authors", "label": "Authors", "label_singular": "Author",
         "folder": f"content/{layout.authors_folder}",
         "create": True, "extension": "md", "format": "frontmatter", "identifier_field": "name",
         "fields": [{"label": "Name", "name": "name", "widget": "string"},
                    {"label": "Role", "name": "role", "widget": "string", "required": False},
                    {"label": "Title", "name": "title", "widget": "string", "required": False},
                    {"label": "Image", "name": "image", "widget": "image", "required": False},
                    {"label": "About", "name": "body", "widget": "markdown",
                     "required": False}]},
        {"name": "categories", "label": "Categories", "label_singular": "Category",
         "folder": "content/categories",
         "create": True, "extension": "md", "format": "frontmatter",
         "identifier_field": "name",
         "fields": [{"label": "Name", "name": "name", "widget": "string"},
                    {"label": "Description", "name": "description", "widget": "text",
                     "required": False}]},
        {"name": "pages", "label": "Pages", "label_singular": "Page",
         "folder": "content/pages", "create": True,
         "extension": "md", "format": "frontmatter",
         "fields": [{"label": "Title", "name": "title", "widget": "string"},
                    {"label": "Body", "name": "body", "widget": "markdown"}]},
    ]
    made: dict[str, Any] = {
        "backend": {"name": "proxy", "proxy_url": PROXY, "branch": "main"},
        "publish_mode": "editorial_workflow", "locale": locale, "load_config_file": False,
        "media_folder": MEDIA_FOLDER, "public_folder": "/" + MEDIA_FOLDER.split("/", 1)[1],
        "site_url": config.base_url, "collections": [posts, *simple, *others]}
    people = config.root / "content" / layout.authors_folder
    if several and any((people / lang).is_dir() for lang in layout.languages):
        simple[0]["i18n"] = True  # people/en, people/ru: a page of each person per language
        fields: list[dict[str, Any]] = simple[0]["fields"]
        for field in fields:
            field["i18n"] = True if field["name"] in ("title", "role", "body") \
                else "duplicate"
    if several:
        made["i18n"] = {"structure": "multiple_folders", "locales": list(layout.languages),
                        "default_locale": layout.default_language}
    return made



WORDS = {
    "en": {"title": "The desk", "email": "Email", "password": "Password", "sign_in": "Sign in",
           "code": "The code from your authenticator app", "confirm": "Confirm",
           "setup": "Add this account to your authenticator app, then give its code "
                    "(editors and admins must; for everyone it keeps a stolen password "
                    "from opening the desk).",
           "app_link": "Open in the authenticator app",
           "welcome": "Welcome to the desk. Choose your password (10 characters or more).",
           "new_password": "New password", "save": "Save",
           "saved": "Your password is set: sign in with it.",
           "later": "Later",
           "history": "History of a story", "back": "Back to the desk",
           "story": "The story's file name (slug)", "show": "Show",
           "compare": "Compare with now", "restore": "Restore",
           "restored": "Restored as a draft: open the story at the desk (Workflow) to "
                       "review and publish it.",
           "same": "This version is what the story holds now.",
           "people": "People", "name": "Name", "role": "Role", "state": "State",
           "invite": "Invite someone", "send": "Send the invitation",
           "contributor": "contributor (writes, cannot publish)",
           "author": "author (publishes own stories)", "editor": "editor (any story)",
           "admin": "admin (and accounts)", "state_active": "active",
           "state_invited": "invited", "state_disabled": "disabled",
           "disable": "Disable", "enable": "Enable", "changed": "Saved.",
           "mailed": "The invitation is on its way.",
           "not_mailed": "The invitation was NOT mailed; give them this link yourself:",
           "publishes": "Publishing",
           "publishes_intro": "The last publishes: what each address of the site said, "
                              "then search, the newsletter and the channels as they follow.",
           "when": "Asked", "what": "What", "result": "What happened",
           "p_waiting": "waiting", "p_running": "publishing…", "p_done": "live",
           "p_failed": "failed", "scheduled": "a scheduled story",
           "built": "built in {seconds} s ({pages} pages)", "search": "search",
           "newsletter": "newsletter", "channels": "channels",
           "next": "next scheduled story", "signed_out": "Sign in at the desk again.",
           "offline": "The desk does not answer; trying again."},
    "ru": {"title": "Редакция", "email": "Эл. почта", "password": "Пароль", "sign_in": "Войти",
           "code": "Код из приложения-аутентификатора", "confirm": "Подтвердить",
           "setup": "Добавьте эту учётную запись в приложение-аутентификатор и введите код "
                    "(обязательно для редакторов и администраторов; для всех — защита на "
                    "случай кражи пароля).",
           "app_link": "Открыть в приложении-аутентификаторе",
           "welcome": "Добро пожаловать в редакцию. Придумайте пароль (не короче 10 знаков).",
           "new_password": "Новый пароль", "save": "Сохранить",
           "saved": "Пароль сохранён: войдите с ним.",
           "later": "Позже",
           "history": "История правок", "back": "Вернуться в редакцию",
           "story": "Имя файла материала (slug)", "show": "Показать",
           "compare": "Сравнить с текущей", "restore": "Восстановить",
           "restored": "Восстановлено как черновик: откройте материал в редакции "
                       "(«Рабочая область»), чтобы проверить и опубликовать.",
           "same": "Эта версия совпадает с текущей.",
           "people": "Сотрудники", "name": "Имя", "role": "Роль", "state": "Состояние",
           "invite": "Пригласить", "send": "Отправить приглашение",
           "contributor": "внештатный автор (пишет, не публикует)",
           "author": "автор (публикует свои материалы)", "editor": "редактор (все материалы)",
           "admin": "администратор (и учётные записи)", "state_active": "активен",
           "state_invited": "приглашён", "state_disabled": "отключён",
           "disable": "Отключить", "enable": "Включить", "changed": "Сохранено.",
           "mailed": "Приглашение отправлено.",
           "not_mailed": "Приглашение НЕ отправлено; передайте ссылку сами:",
           "publishes": "Публикации",
           "publishes_intro": "Последние публикации: что ответил каждый адрес сайта, затем "
                              "поиск, рассылка и каналы, по мере готовности.",
           "when": "Когда", "what": "Что", "result": "Что произошло",
           "p_waiting": "в очереди", "p_running": "публикуется…", "p_done": "на сайте",
           "p_failed": "не удалось", "scheduled": "материал по расписанию",
           "built": "сайт собран за {seconds} с ({pages} стр.)", "search": "поиск",
           "newsletter": "рассылка", "channels": "каналы",
           "next": "следующий по расписанию", "signed_out": "Войдите в редакцию заново.",
           "offline": "Редакция не отвечает; пробую снова."},
}



PREVIEW_EXTRA = "\nbody{padding:1rem 1.5rem}.article{max-width:44rem;margin:0 auto}\n"


def _page(name: str, lang: str) -> str:
    """One of the desk's own pages, in ``lang``, every word escaped."""
    page = (DOOR / name).read_text(encoding="utf-8")
    words = WORDS[lang]
    for key, value in {"lang": lang, "words": json.dumps(words, ensure_ascii=False),
                       **words}.items():
        page = page.replace("{" + key + "}", html.escape(value))
    return page


def preferred(request: Request) -> str:
    """Russian for a browser that prefers it, else English."""
    accepted = request.headers.get("accept-language", "").lower()
    return "ru" if accepted.startswith("ru") or ",ru" in accepted.replace(" ", "") else "en"


class Editor:
    """``/admin/`` (the page), ``/admin/desk.js``, ``/admin/config.json`` and the
    editor's files under ``/admin/editor/``."""

    def __init__(self, config: SiteConfig) -> None:
        self.config = config

    async def page(self, request: Request) -> Response:
        return HTMLResponse(_page("index.html", preferred(request)))

    async def own_page(self, request: Request) -> Response:
        """``history.html``, ``people.html`` or ``publishes.html``."""
        name = request.url.path.rsplit("/", 1)[-1]
        return HTMLResponse(_page(name, preferred(request)))

    async def script(self, request: Request) -> Response:
        """``desk.js``, ``history.js``, ``people.js`` or ``publishes.js``."""
        return FileResponse(DOOR / request.url.path.rsplit("/", 1)[-1],
                            media_type="text/javascript")

    async def preview_style(self, request: Request) -> Response:
        """The site's style sheet (its own ``static/style.css`` or the theme's) for the
        editor's preview, which lays a story out as the story page does."""
        own = self.config.root / "static" / "style.css"
        sheet = own if own.is_file() and not own.is_symlink() else THEME_STATIC / "style.css"
        return Response(sheet.read_text(encoding="utf-8") + PREVIEW_EXTRA,
                        media_type="text/css")

    async def settings(self, request: Request) -> Response:
        return JSONResponse(editor_config(self.config, detect_layout(self.config),
                                          preferred(request)))

    async def file(self, request: Request) -> Response:
        name = request.path_params["name"]
        if not _EDITOR_FILE.match(name) or not (EDITOR / name).is_file():
            return JSONResponse({"error": "no such file"}, status_code=404)
        return FileResponse(EDITOR / name, media_type="text/javascript",
                            headers={"Cache-Control": "public, max-age=86400"})
