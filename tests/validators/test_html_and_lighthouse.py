"""Real validators on the built demo: the Nu HTML Checker and Lighthouse (mobile profile)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from masthead.config import load_config
from masthead.options import BuildOptions
from masthead.output import DiskSink
from masthead.pipeline import build
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
from tests.nginx import nginx_serving

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


SEED_PATH = ("/posts/Moscow-is-trying-to-refute-accusations-of-sending-non-Russians-to-a-"
             "meat-grinder/")


@pytest.fixture(scope="module")
def served(demo_dist: Path) -> Iterator[str]:
    """The demo as production serves it: real nginx with the headers file the build wrote
    (compression, caching)."""
    with nginx_serving(demo_dist) as url:
        yield url


@pytest.fixture(scope="module")
def first_user_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not CORPUS.is_dir():
        pytest.skip(f"needs the shared corpora at {CORPUS} (absent in a plain clone; CI "
                    "has it)")
    out = tmp_path_factory.mktemp("first-user") / "dist"
    config = load_config(CORPUS)
    build(config, DiskSink(out, config.root), BuildOptions(now=NOW),
          image_cache=SHARED_IMAGE_CACHE)
    with nginx_serving(out) as url:
        yield url


def _lighthouse(url: str, report_path: Path) -> tuple[dict[str, int], float]:
    """Lighthouse 12, mobile profile (simulated slow 4G, 4x slower CPU): the four scores
    and the largest contentful paint in ms."""
    if not LIGHTHOUSE.exists():
        pytest.skip(f"needs Lighthouse at {LIGHTHOUSE} (npm install)")
    if not Path(CHROMIUM).exists():
        pytest.skip("needs Debian chromium (apt-get install chromium)")
    command = [str(LIGHTHOUSE), url, f"--chrome-path={CHROMIUM}",
               "--chrome-flags=--headless " + " ".join(CHROMIUM_ARGS),
               "--only-categories=performance,accessibility,best-practices,seo",
               "--output=json", f"--output-path={report_path}", "--quiet"]
    run = subprocess.run(command, capture_output=True, text=True, timeout=240)
    if run.returncode and "Please run Lighthouse again" in run.stderr:
        # Its own trace recording sometimes fails (NO_NAVSTART); it asks for a second run.
        run = subprocess.run(command, capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(report_path.read_text())
    scores = {name: round(category["score"] * 100)
              for name, category in report["categories"].items()}
    return scores, float(report["audits"]["largest-contentful-paint"]["numericValue"])


def _perfect(url: str, report_path: Path) -> None:
    """100 in accessibility, best practices and SEO, LCP at most 1.5 s. Performance is
    simulated from a trace whose timings follow the machine's load, so a busy CI machine
    may cost a point or two: 98 is the floor here, 100 is what a quiet machine measures.
    For the same reason a page that misses is measured once more, and that run counts."""
    for _attempt in range(2):
        scores, lcp = _lighthouse(url, report_path)
        others = {k: v for k, v in scores.items() if k != "performance"}
        if others == {"accessibility": 100, "best-practices": 100, "seo": 100} \
                and scores["performance"] >= 98 and lcp <= 1500:
            return
    raise AssertionError(f"{url}: {scores}, LCP {lcp:.0f} ms (want 100s and <= 1500 ms)")


@pytest.mark.validator
@pytest.mark.parametrize("path", ["/", "/posts/river-delta-drying/", "/categories/news/",
                                  "/ru/posts/night-herders/"])
def test_lighthouse_on_the_demo(served: str, path: str, tmp_path: Path) -> None:
    _perfect(served + path, tmp_path / "report.json")


@pytest.mark.validator
@pytest.mark.parametrize("path", ["/", SEED_PATH, "/categories/news/", "/ru/"])
def test_lighthouse_on_the_first_users_site(first_user_served: str, path: str,
                                            tmp_path: Path) -> None:
    _perfect(first_user_served + path, tmp_path / "report.json")
