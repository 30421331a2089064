"""``python -m masthead.cli``, as the tests and the recipes run it."""

import sys

from masthead.cli.main import main

sys.exit(main())
