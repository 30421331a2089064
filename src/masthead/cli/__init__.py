"""The command line: ``main.py`` parses, one module per command turns arguments into a
call and a report."""

from masthead.cli.main import main

__all__ = ["main"]
