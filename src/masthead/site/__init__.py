"""The read-only Site: content indexed once, and the URL scheme over it."""
