"""Moving in: a WordPress export (WXR) becomes a site in masthead's (Banter's) layout,
with its media copied from a local folder and every old URL redirected.

A package beside the build: it writes a site folder, which the build then reads like
any other. Running an import again updates what changed in the source, adds what is
new, and never overwrites a file edited since the last import (``--force`` does)."""
