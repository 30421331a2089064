from pathlib import Path

import pytest

from masthead.config import load_config
from masthead.errors import ConfigError


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def test_reads_banter_javascript_modules(tmp_path: Path) -> None:
    _write(tmp_path, {
        "config/site.config.js": """// Banter settings
export default {
  metaData: { title: 'Banter News', description: "A site", keyword: 'a, b', },
  baseURL: "https://banter.example/",
  logoFull: '/images/logo.png',
  postPerPage: 9,
};
""",
        "config/menus.js": """const menus = {
  mainMenu: [{ name: 'World', link: '/categories/world', submenu: [] },
             { "name": "More", "link": "#", submenu: [{ name: 'About', link: '/about' }] },],
  footer: [],
}
export default menus;
""",
        "config/social.js": "export default [{ name: 'twitter', href: 'https://x.example/b' },];\n",
    })
    config = load_config(tmp_path)
    assert config.title == "Banter News"
    assert config.keywords == "a, b"
    assert config.base_url == "https://banter.example/"
    assert config.logo == "/images/logo.png"
    assert config.posts_per_page == 9
    assert [m.name for m in config.main_menu] == ["World", "More"]
    assert config.main_menu[1].submenu[0].link == "/about"
    assert config.social[0].href == "https://x.example/b"


def test_reads_banter_json_files(tmp_path: Path) -> None:
    _write(tmp_path, {"config/site.config.json": '{"metaData": {"title": "J"}, "postPerPage": 4}'})
    config = load_config(tmp_path)
    assert (config.title, config.posts_per_page) == ("J", 4)


def test_masthead_toml_overrides_banter(tmp_path: Path) -> None:
    _write(tmp_path, {
        "config/site.config.js": "export default { metaData: { title: 'Old' } }",
        "masthead.toml": 'title = "New"\nlanguages = ["en", "ru"]\ntimezone = "Europe/Moscow"\n',
    })
    config = load_config(tmp_path)
    assert config.title == "New"
    assert config.languages == ("en", "ru")


def test_unknown_setting_is_an_error_with_a_suggestion(tmp_path: Path) -> None:
    _write(tmp_path, {"masthead.toml": 'title = "x"\npost_per_page = 3\n'})
    with pytest.raises(ConfigError) as failure:
        load_config(tmp_path)
    problem = failure.value.diagnostics[0]
    assert (problem.path, problem.line) == ("masthead.toml", 2)
    assert problem.message == "unknown setting 'post_per_page'"
    assert problem.hint == "did you mean 'posts_per_page'?"


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    _write(tmp_path, {"masthead.toml": 'posts_per_page = "six"\ntimezone = "Mars/Base"\n'
                                       'base_url = "example.org"\n'})
    with pytest.raises(ConfigError) as failure:
        load_config(tmp_path)
    messages = [d.message for d in failure.value.diagnostics]
    assert messages == ["'posts_per_page' must be a whole number",
                        "base_url 'example.org' does not start with https:// or http://",
                        "unknown time zone 'Mars/Base'"]


def test_broken_javascript_object_names_the_line(tmp_path: Path) -> None:
    _write(tmp_path, {"config/site.config.js": "export default {\n  title: 'a',\n  x: ,\n}\n"})
    with pytest.raises(ConfigError) as failure:
        load_config(tmp_path)
    problem = failure.value.diagnostics[0]
    assert problem.path == "config/site.config.js"
    assert problem.line == 3


def test_a_folder_without_config_says_how_to_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as failure:
        load_config(tmp_path)
    assert "masthead new" in (failure.value.diagnostics[0].hint or "")


def test_every_setting_is_documented_in_the_user_guide() -> None:
    from masthead.config import documented_fields
    from tests.conftest import REPO

    guide = (REPO / "docs/content/posts/configuration.md").read_text(encoding="utf-8")
    for name, doc, _default in documented_fields():
        assert f"| `{name}` |" in guide, f"the user guide lacks the setting {name}"
        assert doc in guide


def test_set_overrides_settings_with_toml_values(tmp_path: Path) -> None:
    _write(tmp_path, {"masthead.toml": 'title = "Site"\n'})
    config = load_config(tmp_path, {"feed_items": "20", "feed_full_content": "false",
                                    "feed_formats": '["rss"]', "title": "Preview build"})
    assert (config.feed_items, config.feed_full_content) == (20, False)
    assert (config.feed_formats, config.title) == (("rss",), "Preview build")
    with pytest.raises(ConfigError) as failure:
        load_config(tmp_path, {"feed_formats": '["rss", "gopher"]', "feeed_items": "3"})
    messages = sorted(d.message for d in failure.value.diagnostics)
    assert messages == ["unknown feed format in ['rss', 'gopher']", "unknown setting 'feeed_items'"]
