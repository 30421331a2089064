"""WordPress's public theme test export imports and builds with no errors; every
published post, page, category, tag and author has its page; every old permalink
resolves through the generated redirects, served by real nginx with the generated map."""

from __future__ import annotations

import http.client
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from masthead.config import load_config
from masthead.content.slugs import banter_slug
from masthead.importers.wxr import read_export
from masthead.options import BuildOptions
from masthead.pipeline import build_site
from tests.conftest import NOW, SHARED
from tests.nginx import nginx_serving

EXPORT = SHARED / "corpora" / "wordpress-theme-unit-test" / "themeunittestdata.wordpress.xml"
pytestmark = pytest.mark.skipif(not EXPORT.is_file(), reason=f"needs the shared corpora at "
                                f"{EXPORT} (absent in a plain clone; CI has it)")


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("wordpress") / "site"
    result = subprocess.run([sys.executable, "-m", "masthead", "import", "wordpress",
                             str(EXPORT), str(site)], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert "Imported 2 authors, 67 categories, 2 drafts, 21 pages, 48 posts" in result.stdout
    assert "password-protected on WordPress; imported as a draft" in result.stdout
    return site


def test_it_builds_with_every_page(imported: Path, tmp_path: Path) -> None:
    config = load_config(imported, {"images": "false", "search": "false",
                                    "embed_posters": "false"})
    out = imported / "dist"
    report = build_site(config, out, BuildOptions(now=NOW))
    assert [d for d in report.diagnostics if d.severity.name == "ERROR"] == []
    export = read_export(EXPORT)
    for path in (imported / "content" / "posts").glob("*.md"):
        text = path.read_text()
        date = text.split("\ndate: '", 1)[1][:25]
        if "draft: true" in text or date > NOW.isoformat():
            continue  # drafts and the scheduled post are not published yet
        assert (out / "posts" / path.stem / "index.html").is_file(), path.stem
    for path in (imported / "content" / "pages").glob("*.md"):
        if "draft: true" not in path.read_text():
            assert (out / path.stem / "index.html").is_file(), path.stem
    for category in export.categories:
        assert (out / "categories" / category.slug / "index.html").is_file(), category
    used_tags = {t.name for i in export.items if i.type == "post" and i.status == "publish"
                 and not i.password for t in i.tags}
    for tag in used_tags:
        assert (out / "tags" / banter_slug(tag) / "index.html").is_file(), tag
    for author in ("themedemos", "themereviewteam"):
        assert (out / "authors" / author / "index.html").is_file()


def test_every_old_permalink_resolves_through_nginx(imported: Path) -> None:
    config = load_config(imported, {"images": "false", "search": "false",
                                    "embed_posters": "false"})
    out = imported / "dist"
    build_site(config, out, BuildOptions(now=NOW))
    export = read_export(EXPORT)
    old = [urlsplit(i.link).path for i in export.items if i.type in ("post", "page")
           and i.status == "publish" and not i.password and i.link]
    old += [f"/tag/{t.slug}/" for t in export.tags]
    old += ["/author/themedemos/", "/category/parent/child-1/"]
    with nginx_serving(out, http_extra=f"include {imported / 'redirects.nginx'};",
                       server_extra="if ($masthead_redirect) "
                                    "{ return 301 $masthead_redirect; }") as url:
        host = urlsplit(url)
        for path in old:
            connection = http.client.HTTPConnection(host.hostname, host.port, timeout=10)
            connection.request("GET", quote(path, safe="/%"))
            answer = connection.getresponse()
            answer.read()
            connection.close()
            if answer.status == 200:
                continue  # the same address in the new site
            assert answer.status == 301, (path, answer.status)
            target = answer.getheader("Location") or ""
            connection = http.client.HTTPConnection(host.hostname, host.port, timeout=10)
            connection.request("GET", urlsplit(target).path)
            final = connection.getresponse()
            final.read()
            connection.close()
            assert final.status == 200, (path, target, final.status)
