"""build(): the stages in order, each timed, ending in one BuildReport.

config -> discover -> load -> index -> routes -> render -> write. Content problems are
collected by a Reporter; if any is an error (or a warning under ``strict``) nothing is
written and BuildFailed carries the diagnostics, so the previous output stays in place.

Each step takes the build's ``BuildSession`` (settings, options, progress, reporter,
report). ``build`` writes everything into a Sink (memory, or a fresh folder swapped in
whole). ``build_site`` is what the command line uses: with a BuildCache it re-reads only
changed files and, when the output folder is the one the cache describes, renders
and writes only the pages whose fingerprint changed and deletes the pages that are
gone; otherwise it does a full build and records the fingerprints for next time.
"""

from masthead.options import BuildOptions
from masthead.pipeline.pipeline import build, build_site
from masthead.pipeline.prepare import images_on_request
from masthead.pipeline.progress import terminal_progress
from masthead.pipeline.session import BuildReport, BuildSession, Progress, ProgressStages
from masthead.pipeline.stages import FULL_REBUILD_SHARE, BuildState

__all__ = ["FULL_REBUILD_SHARE", "BuildOptions", "BuildReport", "BuildSession", "BuildState",
           "Progress", "ProgressStages", "build", "build_site", "images_on_request",
           "terminal_progress"]
