"""_headers and the nginx snippet: a policy made from what the site uses, valid for nginx."""

from __future__ import annotations

import json
import subprocess
import urllib.request
from pathlib import Path

import pytest

from masthead.config import load_config
from masthead.errors import ConfigError
from masthead.options import BuildOptions
from masthead.pipeline import build_site
from tests.conftest import DEMO, NOW, SiteBuilder, post, write_site
from tests.nginx import NGINX, need_nginx, nginx_accepts, nginx_config, nginx_serving


def _policy(headers: str) -> dict[str, list[str]]:
    line = next(x for x in headers.splitlines() if "Content-Security-Policy:" in x)
    directives = line.split(":", 1)[1].strip().split("; ")
    return {d.split()[0]: d.split()[1:] for d in directives}


def test_a_plain_site_frames_nothing_and_loads_only_its_own_files(
        tmp_path: Path, build_site: object) -> None:
    built = build_site({"content/posts/a.md": post(),  # type: ignore[operator]
                        "masthead.toml": 'title = "T"\nbase_url = "https://n.example.org/"\n'
                                         "search = false\n"})
    policy = _policy(built.sink.text("_headers"))
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no search: no WebAssembly either
    assert policy["frame-src"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert "upgrade-insecure-requests" in policy
    text = built.sink.text("_headers")
    for header in ("Referrer-Policy: same-origin", "X-Content-Type-Options: nosniff",
                   "Permissions-Policy: ", "/_img/*", "immutable"):
        assert header in text


def test_the_policy_follows_the_embeds_and_settings(tmp_path: Path, build_site: object) -> None:
    built = build_site({  # type: ignore[operator]
        "content/posts/a.md": post(body='<iframe src="https://www.youtube.com/embed/'
                                        'aqz-KE-bpKQ"></iframe>\n\n<iframe src="https://'
                                        'maps.example.net/x"></iframe>\n\n![r](https://'
                                        'cdn.example.com/r.jpg)\n'),
        "content/shared/newsletter.md": '---\ntitle: "Sign up"\nformAction: '
                                        '"https://lists.example.com/subscribe"\n---\n',
        "masthead.toml": 'title = "T"\nbase_url = "https://n.example.org/"\n'
                         'embed_allow = ["platform.twitter.com"]\n'})
    policy = _policy(built.sink.text("_headers"))
    assert policy["frame-src"] == ["https://maps.example.net", "https://platform.twitter.com",
                                   "https://www.youtube-nocookie.com"]
    assert "'wasm-unsafe-eval'" in policy["script-src"]
    assert "https://cdn.example.com" in policy["img-src"]
    assert policy["form-action"] == ["'self'", "https://lists.example.com"]


def test_a_headers_file_of_the_site_wins(build_site: object) -> None:
    built = build_site({"content/posts/a.md": post(),  # type: ignore[operator]
                        "public/_headers": "/*\n  X-Mine: 1\n"})
    assert built.sink.text("_headers") == "/*\n  X-Mine: 1\n"


def test_nginx_accepts_the_snippet_and_serves_the_headers(tmp_path: Path) -> None:
    need_nginx()
    out = tmp_path / "dist"
    build_site(load_config(DEMO), out, BuildOptions(now=NOW))
    work = tmp_path / "nginx"
    work.mkdir()
    (work / "nginx.conf").write_text(nginx_config(out, 8, work))
    check = subprocess.run([NGINX, "-t", "-c", str(work / "nginx.conf"), "-p", str(work)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    with nginx_serving(out) as url:
        for path in ("/", "/posts/river-delta-drying/"):
            with urllib.request.urlopen(url + path) as response:
                csp = response.headers["Content-Security-Policy"]
                assert "frame-src https://www.openstreetmap.org " \
                       "https://www.youtube-nocookie.com" in csp
                assert response.headers["X-Content-Type-Options"] == "nosniff"
        asset = next(p for p in (out / "_img").iterdir())
        with urllib.request.urlopen(f"{url}/_img/{asset.name}") as response:
            assert "immutable" in response.headers["Cache-Control"]
            assert response.headers["Content-Security-Policy"]  # still there in locations


def test_one_style_attribute_never_relaxes_the_policy_unless_the_site_allows_it(
        build_site: object) -> None:
    plain = build_site({"content/posts/a.md": post(  # type: ignore[operator]
        body="| a | b |\n|--:|:-:|\n| 1 | 2 |\n")})
    assert "style-src-attr" not in _policy(plain.sink.text("_headers"))
    assert '<td class="align-right">1</td>' in plain.html("/posts/a/")
    styled = build_site({"content/posts/a.md": post(  # type: ignore[operator]
        body='<p style="color: red">Red</p>\n')})
    assert "style-src-attr" not in _policy(styled.sink.text("_headers"))
    assert "<p>Red</p>" in styled.html("/posts/a/")
    allowed = build_site({  # type: ignore[operator]
        "masthead.toml": 'title = "T"\nbase_url = "https://news.example.org/"\n'
                         'html_allow_attributes = ["*:style"]\n',
        "content/posts/a.md": post(body='<p style="color: red">Red</p>\n')})
    assert _policy(allowed.sink.text("_headers"))["style-src-attr"] == ["'unsafe-inline'"]
    assert '<p style="color: red">Red</p>' in allowed.html("/posts/a/")


ONION = "http://" + "a2" * 28 + ".onion/"


def test_an_onion_address_is_offered_to_tor_browser(build_site: SiteBuilder,
                                                     tmp_path: Path) -> None:
    built = build_site({"masthead.toml": 'title = "T"\nbase_url = "https://n.example.org/"\n'
                                         f'onion = "{ONION}"\n',
                        "content/posts/a.md": post()})
    assert f"  Onion-Location: {ONION}\n" in built.sink.text("_headers")
    snippet = built.sink.text("nginx-headers.conf")
    assert f'add_header Onion-Location "{ONION.rstrip("/")}$request_uri" always;' in snippet
    nginx_accepts(built.sink.files, tmp_path / "nginx")


@pytest.mark.parametrize("onion", ["http://short.onion/", "https://evil.example/",
                                   ONION + '" always; autoindex on; #'])
def test_an_onion_setting_must_be_an_onion_address(tmp_path: Path, onion: str) -> None:
    root = write_site(tmp_path, {"masthead.toml": 'title = "T"\nbase_url = '
                                                  '"https://n.example.org/"\n'
                                                  f"onion = {json.dumps(onion)}\n"})
    with pytest.raises(ConfigError) as failure:
        load_config(root)
    (problem,) = failure.value.diagnostics
    assert problem.location() == "masthead.toml:3"
    assert "is not an onion address" in problem.message
