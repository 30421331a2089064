"""Real validators on the built demo: the Nu HTML Checker and Lighthouse (mobile profile)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from masthead.build import build
from masthead.config import load_config
from masthead.content.load import BuildOptions
from masthead.dev.server import serving
from masthead.output import DiskSink
from tests.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    CORPUS,
    DEMO,
    NOW,
    REPO,
    SHARED_IMAGE_CACHE,
    needs_shared,
)

VNU = Path(os.environ.get("MASTHEAD_VNU_JAR",
                          REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"))
LIGHTHOUSE = REPO / "node_modules" / ".bin" / "lighthouse"


@pytest.fixture(scope="module")
def demo_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("validate") / "dist"
    config = load_config(DEMO)
    build(config, DiskSink(out, config.root), BuildOptions(now=NOW))
    return out


@pytest.mark.validator
def test_every_demo_page_passes_the_nu_html_checker(demo_dist: Path) -> None:
    if not shutil.which("java"):
        pytest.skip("needs a Java runtime (apt-get install default-jre-headless)")
    if not VNU.is_file():
        pytest.skip(f"needs the Nu HTML Checker at {VNU} (npm install)")
    pages = list(demo_dist.rglob("*.html"))
    assert len(pages) > 100
    result = subprocess.run(
        ["java", "-jar", str(VNU), "--errors-only", "--skip-non-html", "--format", "text",
         str(demo_dist)], capture_output=True, text=True, timeout=300)
    report = result.stderr + result.stdout
    assert result.returncode == 0, report.replace(f"file:{demo_dist}", "")[:5000]


@pytest.mark.validator
def test_pages_with_the_api_connected_pass_the_nu_html_checker(tmp_path: Path) -> None:
    """Views script, newsletter and contact forms (with their honeypots) are valid too."""
    if not shutil.which("java") or not VNU.is_file():
        pytest.skip("needs Java and the Nu HTML Checker (npm install)")
    out = tmp_path / "dist"
    config = load_config(DEMO, {"api_url": '"/api"', "search": "false"})
    build(config, DiskSink(out, config.root), BuildOptions(now=NOW))
    pages = [out / "contact" / "index.html", out / "index.html",
             out / "posts" / "river-delta-drying" / "index.html",
             out / "videos" / "delta-in-four-minutes" / "index.html",
             out / "ru" / "contact" / "index.html"]
    assert all("/api/" in p.read_text() for p in pages)
    result = subprocess.run(["java", "-jar", str(VNU), "--errors-only", "--format", "text",
                             *map(str, pages)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, (result.stderr + result.stdout)[:5000]


@pytest.mark.validator
@needs_shared()
def test_every_page_of_the_first_users_site_passes_the_nu_html_checker(
        tmp_path: Path) -> None:
    if not shutil.which("java") or not VNU.is_file():
        pytest.skip("needs Java and the Nu HTML Checker (npm install)")
    out = tmp_path / "dist"
    config = load_config(CORPUS)
    build(config, DiskSink(out, config.root), BuildOptions(now=NOW),
          image_cache=SHARED_IMAGE_CACHE)
    result = subprocess.run(
        ["java", "-jar", str(VNU), "--errors-only", "--skip-non-html", "--format", "text",
         str(out)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, (result.stderr + result.stdout)[:5000]


@pytest.fixture(scope="module")
def served(demo_dist: Path) -> Iterator[str]:
    with serving(demo_dist, ["/ru/"]) as url:
        yield url


@pytest.mark.validator
@pytest.mark.parametrize("path", ["/", "/posts/river-delta-drying/", "/categories/news/",
                                  "/ru/posts/night-herders/"])
def test_lighthouse_scores_at_least_95(served: str, path: str, tmp_path: Path) -> None:
    if not LIGHTHOUSE.exists():
        pytest.skip(f"needs Lighthouse at {LIGHTHOUSE} (npm install)")
    if not Path(CHROMIUM).exists():
        pytest.skip("needs Debian chromium (apt-get install chromium)")
    report_path = tmp_path / "report.json"
    subprocess.run(
        [str(LIGHTHOUSE), served + path, f"--chrome-path={CHROMIUM}",
         "--chrome-flags=--headless " + " ".join(CHROMIUM_ARGS),
         "--only-categories=performance,accessibility,best-practices,seo",
         "--output=json", f"--output-path={report_path}", "--quiet"],
        check=True, timeout=240)
    report = json.loads(report_path.read_text())
    scores = {name: round(category["score"] * 100)
              for name, category in report["categories"].items()}
    assert min(scores.values()) >= 95, scores
