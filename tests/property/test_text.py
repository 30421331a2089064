"""content.text.read_text reads what Path.read_text reads, less the characters XML forbids."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from masthead.content.text import FORBIDDEN, read_text

# Line ends of every kind, a BOM, non-ASCII letters, next to ordinary text.
_PIECES = st.sampled_from(["\r\n", "\r", "\n", "\ufeff", "ё", "—", "title: x", " ", "#"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(_PIECES, st.text(max_size=5)), max_size=30))
def test_same_text_as_pathlib(tmp_path_factory: pytest.TempPathFactory,
                              pieces: list[str]) -> None:
    path = tmp_path_factory.mktemp("text") / "post.md"
    path.write_bytes("".join(pieces).encode("utf-8", "surrogatepass"))
    try:
        expected = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        with pytest.raises(UnicodeDecodeError):
            read_text(path)
        return
    removed: list[int] = []
    assert read_text(path, removed) == FORBIDDEN.sub("", expected)
    first = FORBIDDEN.search(expected)
    assert removed == ([expected.count("\n", 0, first.start()) + 1] if first else [])


def test_large_file_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "long.md"
    text = "line\r\n" * 400_000  # 2.4 MB: several reads
    path.write_bytes(text.encode())
    assert read_text(path) == "line\n" * 400_000


def test_missing_file_raises_oserror(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_text(tmp_path / "absent.md")
