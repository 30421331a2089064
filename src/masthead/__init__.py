"""masthead: a fast publishing engine for independent news and magazine sites."""

__version__ = "0.1.0"
