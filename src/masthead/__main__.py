"""``python -m masthead``: the same as the ``masthead`` command."""

import sys

from masthead.cli import main

sys.exit(main())
