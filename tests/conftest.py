"""Shared helpers: write a small site inline, build it into memory, look at the output."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from masthead.config import load_config
from masthead.errors import BuildFailed, Diagnostic
from masthead.options import BuildOptions
from masthead.output import MemorySink
from masthead.pipeline import BuildReport, build

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "examples" / "demo"
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpora" / "oiradcongress"
NOW = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
# Image variants of sites the tests must not write into (the shared corpus): named by
# content, so one folder serves every test run.
SHARED_IMAGE_CACHE = Path(tempfile.gettempdir()) / "masthead-test-image-cache"

BASE_FILES = {
    "masthead.toml": 'title = "Test Times"\nbase_url = "https://news.example.org/"\n'
                     "posts_per_page = 2\n",
    "content/authors/ann.md": '---\nname: "Ann Lee"\nimage: "/images/a.png"\nrole: "member"\n'
                              'title: "Reporter"\norder: 1\n---\nAnn writes about *rivers*.\n',
    "content/categories/news.md": '---\nname: "News"\nimage: "/images/a.png"\n---\n',
    "content/shared/newsletter.md": '---\ntitle: "Sign up"\nformButtonText: "Go"\n---\n',
}


def post(title: str = "A post", date: str = "2024-01-02T10:00:00+00:00", **meta: object) -> str:
    """A post file with sensible defaults; keyword arguments add or replace keys."""
    fields: dict[str, object] = {"title": title, "date": date, "author": "Ann Lee",
                                 "category": "News"}
    fields.update(meta)
    body = str(fields.pop("body", "Some text."))
    lines = ["---"]
    for key, value in fields.items():
        if value is not None:
            lines.append(f"{key}: {_yaml_value(value)}")
    return "\n".join([*lines, "---", body, ""])


def _yaml_value(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def write_site(root: Path, files: dict[str, str | bytes], base: bool = True) -> Path:
    everything: dict[str, str | bytes] = {**BASE_FILES, **files} if base else dict(files)
    for rel, content in everything.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content) if rel.endswith(".toml") else content,
                            encoding="utf-8")
    if base:
        image = root / "public" / "images" / "a.png"
        if not image.exists():
            image.parent.mkdir(parents=True, exist_ok=True)
            from PIL import Image
            Image.new("RGB", (40, 30), (200, 10, 10)).save(image)
    return root


@dataclass
class Built:
    sink: MemorySink
    report: BuildReport

    def html(self, url_path: str) -> str:
        rel = url_path.strip("/")
        rel = f"{rel}/index.html" if rel and not rel.endswith(".html") else (rel or "index.html")
        assert rel in self.sink.files, f"{rel} not built; have {sorted(self.sink.files)[:40]}"
        return self.sink.text(rel)

    @property
    def paths(self) -> set[str]:
        return set(self.sink.files)


SiteBuilder = Callable[..., Built]


@pytest.fixture
def build_site(tmp_path: Path) -> SiteBuilder:
    """build_site({"content/posts/a.md": post()}) -> Built (in memory)."""

    def run(files: dict[str, str | bytes], base: bool = True, **options: object) -> Built:
        root = write_site(tmp_path / "site", files, base)
        sink = MemorySink()
        opts = BuildOptions(now=NOW, **options)  # type: ignore[arg-type]
        report = build(load_config(root), sink, opts)
        return Built(sink, report)

    return run


@pytest.fixture
def build_errors(tmp_path: Path) -> Callable[..., list[Diagnostic]]:
    """The diagnostics of a build that must fail."""

    def run(files: dict[str, str | bytes], strict: bool = False,
            **options: object) -> list[Diagnostic]:
        root = write_site(tmp_path / "site", files)
        with pytest.raises(BuildFailed) as failure:
            build(load_config(root), MemorySink(), BuildOptions(now=NOW, strict=strict,  # type: ignore[arg-type]
                                                          **options))
        return failure.value.diagnostics

    return run


@pytest.fixture(scope="session")
def demo_sink() -> MemorySink:
    """The demo built once into memory, as of NOW, for tests that only read it."""
    sink = MemorySink()
    build(load_config(DEMO), sink, BuildOptions(now=NOW))
    return sink


def needs_shared() -> pytest.MarkDecorator:
    return pytest.mark.skipif(not CORPUS.is_dir(),
                              reason=f"needs the shared corpora at {CORPUS} (absent in a "
                                     "plain clone; CI has it)")


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One chromium for the whole run (Playwright's sync API allows one per thread)."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Debian chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    with playwright_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()
