"""The disk output: swapped in whole, never half-written, never over a user's files."""

from pathlib import Path

import pytest

from masthead.config import load_config
from masthead.errors import BuildFailed
from masthead.options import BuildOptions
from masthead.output import MARKER, DiskSink, OutputRefused
from masthead.pipeline import build
from tests.conftest import NOW, post, write_site


def _build(root: Path) -> None:
    config = load_config(root)
    build(config, DiskSink(config.output_dir, root), BuildOptions(now=NOW))


def test_failed_build_keeps_the_previous_output(tmp_path: Path) -> None:
    root = write_site(tmp_path, {"content/posts/a.md": post("Good")})
    _build(root)
    before = (root / "dist/posts/a/index.html").read_text()
    (root / "content/posts/a.md").write_text(post("Broken", date="yesterday"))
    with pytest.raises(BuildFailed):
        _build(root)
    assert (root / "dist/posts/a/index.html").read_text() == before
    assert not list(tmp_path.glob(".dist.tmp-*")), "temporary folder left behind"


def test_a_deleted_post_disappears_from_the_output(tmp_path: Path) -> None:
    root = write_site(tmp_path, {"content/posts/a.md": post(), "content/posts/b.md": post()})
    _build(root)
    assert (root / "dist/posts/b/index.html").exists()
    (root / "content/posts/b.md").unlink()
    _build(root)
    assert not (root / "dist/posts/b").exists()
    assert (root / "dist" / MARKER).exists()


def test_refuses_to_replace_a_folder_masthead_did_not_write(tmp_path: Path) -> None:
    root = write_site(tmp_path, {"content/posts/a.md": post()})
    (root / "dist").mkdir()
    (root / "dist" / "notes.txt").write_text("mine")
    with pytest.raises(OutputRefused, match="did not write"):
        DiskSink(root / "dist", root)
    assert (root / "dist" / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("target", [".", "content", "public", ".."])
def test_refuses_to_write_over_the_site_itself(tmp_path: Path, target: str) -> None:
    root = write_site(tmp_path / "site", {"content/posts/a.md": post()})
    with pytest.raises(OutputRefused):
        DiskSink(root / target, root)
