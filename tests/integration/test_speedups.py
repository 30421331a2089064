"""The speed shortcuts change nothing but speed: the demo and the first user's site, built
with every shortcut, without any, and with stock Jinja2 (as on versions the compiled-template
shortcut was not tested with), are the same byte for byte."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

from masthead import speedups
from masthead.config import load_config
from masthead.options import BuildOptions
from masthead.output import MemorySink
from masthead.pipeline import build
from masthead.render.templates import make_environment
from tests.conftest import CORPUS, DEMO, NOW, SHARED_IMAGE_CACHE, needs_shared


def _build(site: Path, image_cache: Path | None = None) -> dict[str, bytes]:
    sink = MemorySink()
    build(load_config(site), sink, BuildOptions(now=NOW, jobs=2), image_cache=image_cache)
    return dict(sink.files)


def _same(with_shortcuts: dict[str, bytes], without: dict[str, bytes]) -> None:
    assert sorted(with_shortcuts) == sorted(without)
    differing = [rel for rel in with_shortcuts if with_shortcuts[rel] != without[rel]]
    assert differing == [], f"{len(differing)} files differ, e.g. {differing[:5]}"


def test_switch_and_version_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(speedups.SWITCH, raising=False)
    assert speedups.enabled() and speedups.fast_templates()
    assert make_environment(DEMO).code_generator_class is not jinja2.compiler.CodeGenerator
    monkeypatch.setattr(speedups, "TESTED", {"jinja2": ("9.9",), "markupsafe": ("3.0",)})
    assert speedups.enabled() and not speedups.fast_templates()
    assert make_environment(DEMO).code_generator_class is jinja2.compiler.CodeGenerator
    monkeypatch.setenv(speedups.SWITCH, "0")
    assert not speedups.enabled()


def test_demo_is_the_same_with_and_without_shortcuts(monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    monkeypatch.delenv(speedups.SWITCH, raising=False)
    fast = _build(DEMO, tmp_path)
    monkeypatch.setattr(speedups, "TESTED", {"jinja2": ("9.9",)})  # stock Jinja2, caches on
    _same(fast, _build(DEMO, tmp_path))
    monkeypatch.setenv(speedups.SWITCH, "0")  # nothing kept, nothing patched
    _same(fast, _build(DEMO, tmp_path))


@needs_shared()
@pytest.mark.corpus
def test_first_users_site_is_the_same_with_and_without_shortcuts(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(speedups.SWITCH, raising=False)
    fast = _build(CORPUS, SHARED_IMAGE_CACHE)
    monkeypatch.setenv(speedups.SWITCH, "0")
    _same(fast, _build(CORPUS, SHARED_IMAGE_CACHE))
