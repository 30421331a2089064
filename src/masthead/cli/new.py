"""``masthead new DIR``: a starter site to begin from."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Any

STARTER = Path(__file__).resolve().parents[1] / "starter"


def register(commands: Any) -> None:
    new = commands.add_parser("new", help="create a starter site in DIR",
                              description="Create a starter site (settings, a story, an author, "
                                          "a category and pages) in DIR, which must be new or "
                                          "empty.")
    new.add_argument("dir", type=Path, metavar="DIR", help="the folder to create")
    new.set_defaults(handler=new_command)


def new_command(args: argparse.Namespace) -> int:
    target: Path = args.dir
    if target.exists() and any(target.iterdir()):
        print(f"masthead: {target} is not empty; choose a new folder", file=sys.stderr)
        return 1
    shutil.copytree(STARTER, target, dirs_exist_ok=True)
    (target / ".gitignore").write_text("# built by masthead\ndist/\n.masthead/\n")
    print(f"Created a starter site in {target}.\n"
          f"  masthead serve {target}    # preview it at http://127.0.0.1:8000/\n"
          f"  masthead build {target}    # write the site to {target}/dist")
    return 0
