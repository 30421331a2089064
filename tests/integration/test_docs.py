"""The documentation in docs/ is a masthead site: it builds with --strict, and every link
between its pages leads to a page it has."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def test_docs_build_strictly_with_every_internal_link_resolving(tmp_path: Path) -> None:
    out = tmp_path / "docs"
    result = subprocess.run([sys.executable, "-m", "masthead", "build", str(REPO / "docs"),
                             "--strict", "-o", str(out)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    posts = sorted(p.stem for p in (REPO / "docs/content/posts").glob("*.md"))
    assert {"configuration", "api", "architecture", "benchmark"} <= set(posts)
    for slug in posts:
        page = (out / "posts" / slug / "index.html").read_text(encoding="utf-8")
        for link in re.findall(r'href="(/posts/[^"#]*)', page):
            assert (out / link.strip("/") / "index.html").is_file(), f"{slug}: {link}"
    # A newcomer lands on the first page of the user guide, and each page leads on.
    home = (out / "index.html").read_text(encoding="utf-8")
    shown = list(dict.fromkeys(re.findall(r'href="/posts/([^"/#]+)/"', home)))
    assert shown[0] == "what-it-builds", shown
    reading, slug = [], "what-it-builds"
    while slug:
        reading.append(slug)
        text = (REPO / "docs/content/posts" / f"{slug}.md").read_text(encoding="utf-8")
        found = re.search(r"next: \[[^\]]+\]\(/posts/([^/]+)/\)", text)
        slug = found.group(1) if found else ""
    assert sorted(reading) == posts and reading[-1] == "benchmark", reading


def test_the_readme_links_to_files_that_exist() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\((docs/[^)]+)\)", readme)
    assert len(links) >= 8
    for link in links:
        assert (REPO / link).is_file(), link
