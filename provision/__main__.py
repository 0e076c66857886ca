"""``python -m provision``: the same as the ``provision`` command."""

import sys

from .cli import main

sys.exit(main())
