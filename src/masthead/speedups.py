"""Every shortcut masthead takes for speed, in one place, with one switch to turn them off.

The shortcuts give the same bytes as the plain way (a test builds the demo and the first
user's site both ways and compares them), so turning them off is how to tell whether a
wrong page comes from a shortcut: ``MASTHEAD_SPEEDUPS=0`` in the environment, or
``masthead build --no-speedups``. What they are:

- compiled templates (``render/fastjinja.py``): Jinja2's generated code made cheaper.
  It relies on private names of Jinja2 and MarkupSafe, so it is used only on the
  versions it was tested with (:data:`TESTED`); any other version renders with stock
  Jinja2, which is slower and otherwise the same;
- rendered cards, partials and bodies kept and reused within a build (``render/templates.py``),
  and a card rendered once for every heading level (``render/cardmark.py``);
- when only the text of a few stories changed, only the pages that carry it are
  fingerprinted again, and ``masthead serve`` keeps the prepared site instead of preparing
  it anew (``build/update.py``);
- the cycle collector paused while the site model is built and the model frozen out of
  its sight afterwards (:func:`collector_paused`).
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version

SWITCH = "MASTHEAD_SPEEDUPS"
# (distribution, the release series the compiled-template shortcut was tested with)
TESTED = {"jinja2": ("3.1",), "markupsafe": ("3.0",)}


def enabled() -> bool:
    """Whether shortcuts are on (the default); read each time, so a test can switch."""
    return os.environ.get(SWITCH, "1").strip().lower() not in ("0", "off", "false", "no")


def series(distribution: str) -> str:
    """``major.minor`` of an installed distribution ('' when it cannot be told)."""
    try:
        return ".".join(version(distribution).split(".")[:2])
    except PackageNotFoundError:
        return ""


def fast_templates() -> bool:
    """Compiled-template shortcuts: on, and only on versions they were tested with."""
    return enabled() and all(series(name) in tested for name, tested in TESTED.items())


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off while the site model is built: the model is millions
    of long-lived objects, each new batch of which would make it scan them all again
    (40% of the index stage), and none of them is garbage. Once built, the model is
    frozen, out of the collector's sight for the rest of the build: switched back on, the
    collector's first two passes scanned all of it (0.13 s of a 10,000-post build, with
    nothing else to do). What an earlier build froze is let go first, to be collected."""
    if not enabled():
        yield
        return
    was_enabled = gc.isenabled()
    gc.disable()
    gc.unfreeze()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def keep_frozen() -> None:
    """What a long-running process keeps from one build to the next is out of the
    collector's sight (a 10,000-post site is a few million objects)."""
    if enabled():
        gc.freeze()


def release_frozen() -> None:
    """What was kept is about to be replaced: let the collector see it again."""
    gc.unfreeze()
