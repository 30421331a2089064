"""build(): the stages in order, each timed, ending in one BuildReport.

config -> discover -> load -> index -> routes -> render -> write. Content problems are
collected by a Reporter; if any is an error (or a warning under ``strict``) nothing is
written and BuildFailed carries the diagnostics, so the previous output stays in place.

``build`` writes everything into a Sink (memory, or a fresh folder swapped in whole).
``build_site`` is what the command line uses: with a BuildCache it re-reads only
changed files and, when the output folder is the one the cache describes, renders
and writes only the pages whose fingerprint changed and deletes the pages that are
gone; otherwise it does a full build and records the fingerprints for next time.
"""

from masthead.build.pipeline import build, build_site
from masthead.build.prepare import images_on_request
from masthead.build.progress import terminal_progress
from masthead.build.stages import FULL_REBUILD_SHARE, BuildReport, BuildState, Progress

__all__ = ["FULL_REBUILD_SHARE", "BuildReport", "BuildState", "Progress", "build", "build_site",
           "images_on_request", "terminal_progress"]
