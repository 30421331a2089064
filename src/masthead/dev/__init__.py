"""Preview tools: the local server."""
