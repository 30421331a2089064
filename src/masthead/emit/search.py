"""The search index: Pagefind, run over the built pages, served by the site itself.

Pagefind (its binary ships inside the PyPI wheel and runs offline) reads the pages'
``data-pagefind-*`` attributes: only an article's body is indexed, with filters for
category, author, tag and year and the date to sort by, one index per page language.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from masthead.errors import Diagnostic

INDEX_DIR = "pagefind"


@dataclass(frozen=True)
class SearchIndex:
    seconds: float
    bytes: int
    files: int


def build_search_index(site_dir: Path) -> SearchIndex | Diagnostic:
    """Index the pages under ``site_dir`` into ``site_dir/pagefind``."""
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "pagefind", "--site", str(site_dir),
                             "--output-subdir", INDEX_DIR, "--quiet"],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        return Diagnostic(str(site_dir), None, "the search index could not be built: "
                          + (detail[-1] if detail else f"exit code {result.returncode}"),
                          "build with --set search=false to skip it, and report this")
    files = [p for p in (site_dir / INDEX_DIR).rglob("*") if p.is_file()]
    return SearchIndex(time.perf_counter() - started, sum(p.stat().st_size for p in files),
                       len(files))
