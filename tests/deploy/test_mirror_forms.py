"""On a mirror (a bucket, a CDN) there is no API: forms and view counts of a site with
mirrors go to the main address's API, which answers the mirrors' pages too."""

from __future__ import annotations

from pathlib import Path

from masthead.config import load_config
from masthead.options import BuildOptions
from masthead.pipeline import build_site
from tests.api.conftest import start_api
from tests.conftest import NOW, post, write_site

SETTINGS = ('title = "T"\nbase_url = "https://news.example.org/"\napi_url = "/api"\n'
            'contact_to = "editors@example.org"\n\n'
            '[[deploy]]\nname = "origin"\nurl = "https://news.example.org/"\nto = "/srv/a"\n'
            'primary = true\n\n'
            '[[deploy]]\nname = "bucket"\nurl = "https://mirror.example.net/"\nto = "s3:b"\n')


def test_forms_and_counts_point_to_the_main_address(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", {
        "content/posts/a.md": post("A story"), "masthead.toml": SETTINGS,
        "content/pages/contact.md": "---\ntitle: Contact\n---\nWrite to us.\n"})
    out = tmp_path / "out"
    build_site(load_config(root), out, BuildOptions(now=NOW))
    home = (out / "index.html").read_text()
    assert 'data-views-api="https://news.example.org/api"' in (
        out / "posts" / "a" / "index.html").read_text()
    assert 'action="https://news.example.org/api/subscribe"' in home
    assert "connect-src &#39;self&#39; https://news.example.org" in home
    assert "form-action &#39;self&#39; https://news.example.org" in home


def test_the_api_answers_the_pages_of_every_mirror(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", {"content/posts/a.md": post("A story"),
                                          "masthead.toml": SETTINGS})
    running = start_api(load_config(root), str(tmp_path / "api.sqlite"), rate_limit=0)
    api = next(running)
    try:
        preflight = {"Access-Control-Request-Method": "POST",
                     "Access-Control-Request-Headers": "content-type"}
        with api.client() as client:
            for origin in ("https://news.example.org", "https://mirror.example.net"):
                answer = client.options("/api/views", headers={"Origin": origin, **preflight})
                assert answer.headers.get("access-control-allow-origin") == origin
            stranger = client.options("/api/views", headers={"Origin": "https://evil.example",
                                                             **preflight})
            assert "access-control-allow-origin" not in stranger.headers
    finally:
        next(running, None)
