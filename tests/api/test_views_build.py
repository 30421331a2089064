"""`masthead build --views` folds the counted views into the stories."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.api.conftest import RunningApi


def _build(site: Path, out: Path, source: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "masthead.cli", "build", str(site), "-o",
                           str(out), "--no-search", "--set", 'api_url="/api"',
                           "--views", source], capture_output=True, text=True, timeout=120)


def test_counted_views_reach_most_read_and_the_page(running_api: RunningApi, database: str,
                                                    tmp_path: Path) -> None:
    with running_api.client() as client:
        for n in range(100):
            client.post("/api/views", json={"path": "/posts/story-05", "id": f"view-{n:04d}"})
        client.post("/api/views", json={"path": "/ru/posts/story-00", "id": "ru-view-0001"})
    site = running_api.config.root
    for source, out in ((f"{running_api.url}/api", tmp_path / "from-api"),
                        (database, tmp_path / "from-database")):
        result = _build(site, out, source)
        assert result.returncode == 0, result.stderr
        page = (out / "posts" / "story-05" / "index.html").read_text()
        views = re.search(r'<span class="views"[^>]*>([^<]*)</span>', page)
        assert views and views.group(1) == "105 views"  # 5 in its front matter + 100 counted
        assert 'data-views-base="5"' in page and 'data-views-path="/posts/story-05"' in page
        home = (out / "index.html").read_text()
        most_read = home[home.index("Most read"):]
        assert most_read.index("Story 5<") < most_read.index("Story 49<")
        ru = (out / "ru" / "posts" / "story-00" / "index.html").read_text()
        assert 'data-views-base="0"' in ru and ">1 " in ru


def test_an_unreadable_views_source_is_a_clear_error(tmp_path: Path,
                                                     running_api: RunningApi) -> None:
    result = _build(running_api.config.root, tmp_path / "out", str(tmp_path / "none.sqlite"))
    assert result.returncode == 1
    assert "cannot read the views" in result.stderr and "none.sqlite" in result.stderr
    assert not (tmp_path / "out").exists()
